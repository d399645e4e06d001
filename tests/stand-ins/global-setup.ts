// Starts the AWS stand-ins once per test run on random free ports and hands their endpoints to the tests
// (`inject('s3Endpoint')`). Stops them when the run ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
  }
}

async function startS3rver(directory: string): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n')[0];
      if (output.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited early with code ${code}`)));
  });
  return { child, port };
}

export default async function setup(project: TestProject) {
  const directory = await mkdtemp(join(tmpdir(), 'newsfeeds-s3rver-'));
  const s3 = await startS3rver(directory);
  project.provide('s3Endpoint', `http://127.0.0.1:${s3.port}`);

  return async () => {
    const exited = new Promise((resolve) => s3.child.once('exit', resolve));
    s3.child.kill('SIGTERM');
    await exited;
    await rm(directory, { recursive: true, force: true });
  };
}
