// What a handler test needs to run a handler as Lambda would: the stand-in's fake credentials in the environment,
// and its JSON log lines captured instead of printed.
import { afterEach, beforeAll, vi } from 'vitest';

/** Fake credentials for the s3rver stand-in (the handler's S3 client reads them like any Lambda would), and a log. */
export function useLambdaEnvironment(): { logged: string[]; captureLogs: () => void } {
  const logged: string[] = [];
  beforeAll(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });
  afterEach(() => {
    logged.length = 0;
    vi.restoreAllMocks();
  });
  const captureLogs = () => {
    vi.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));
    vi.spyOn(console, 'error').mockImplementation((line: string) => void logged.push(line));
  };
  return { logged, captureLogs };
}

/** The site configuration the handler tests deploy with. */
export const HANDLER_SITE = {
  title: 'Handler Wire',
  description: 'Built in Lambda.',
  baseUrl: 'https://feeds.example.org/',
  author: { name: 'Desk' },
  idPrefix: 'tag:example.org,2026:',
};
