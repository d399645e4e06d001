// A build on memory storage, its state kept between runs: `request()` gives the same site each time, with changes.
import type { BuildRequest } from '../../functions/pipeline/build.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import type { Storage } from '../../functions/storage/port.ts';

export function memorySite<D extends Storage = MemoryStorage, S extends Storage = MemoryStorage>(
  base: Omit<BuildRequest, 'destination' | 'state'> & { destination?: D; state?: S },
) {
  const destination = (base.destination ?? new MemoryStorage()) as D;
  const state = (base.state ?? new MemoryStorage()) as S;
  const request = (more: Partial<BuildRequest> = {}): BuildRequest => ({
    ping: false,
    ...base,
    destination,
    state,
    ...more,
  });
  return { destination, state, request };
}
