// Counts the HTTP requests an S3 client makes, by operation, retries included: for the run log and for tests.
import type { S3Client } from '@aws-sdk/client-s3';

export type RequestCounts = Record<string, number>;

/** Attaches a counter to the client; the returned object fills in as requests are made. */
export function countRequests(client: S3Client): RequestCounts {
  const counts: RequestCounts = {};
  // The deserialize step runs once per attempt, inside the retry loop.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      counts[operation] = (counts[operation] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name: 'newsfeedsRequestCounter' },
  );
  return counts;
}
