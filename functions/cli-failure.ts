// How the command lines (cli.ts, digest-cli.ts, subscribers-cli.ts) end on an error: a usage error (theirs, or
// node:util's parseArgs) prints the message and the usage, exit 2; a configuration or storage error its message,
// exit 1. Anything else is not known here: the caller decides (rethrow, or name it).
import { ConfigError, StorageError } from './core/errors.ts';

/** A wrong command line: the message, then the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The exit status and the text for stderr, or undefined for an error that is not one of the known kinds. */
export function knownFailure(error: unknown, usage: string): { status: 1 | 2; text: string } | undefined {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    return { status: 2, text: `${(error as Error).message}\n\n${usage}` };
  }
  if (error instanceof ConfigError || error instanceof StorageError) return { status: 1, text: error.message };
  return undefined;
}
