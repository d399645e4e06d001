// What every handler needs at start-up: settings read once from the environment with actionable errors, and
// structured JSON logging (one object per line, as CloudWatch Logs Insights expects).
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';

/** Parses the environment once; a missing or wrong variable stops the cold start with a message naming it. */
export function readSettings<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid Lambda environment:\n${lines.join('\n')}`);
}

export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === 'info') console.log(line);
  else console.error(line);
}
