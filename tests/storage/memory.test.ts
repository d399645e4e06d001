import { MemoryStorage } from '../../functions/storage/memory.ts';
import { storageContract } from './contract.ts';

storageContract('memory', async () => new MemoryStorage());
