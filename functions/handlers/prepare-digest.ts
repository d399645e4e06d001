// The digest-preparer Lambda: run by a weekly schedule at the issue's time (and by hand), it prepares the issue
// due at the event's time: its web copy, the archive and the digest's feeds in the site bucket, the state last.
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { ENV } from '../env.ts';
import { prepareDigest } from '../pipeline/digest.ts';
import { s3ClientConfig } from '../storage/location.ts';
import { S3Storage } from '../storage/s3.ts';
import { countRequests } from '../storage/s3-requests.ts';
import { log, prefixSetting, readSettings, siteConfigSetting } from './runtime.ts';

const Settings = z.object({
  [ENV.contentBucket]: z.string().min(3, 'the bucket the articles are read from'),
  [ENV.contentPrefix]: prefixSetting,
  [ENV.siteBucket]: z.string().min(3, 'the public bucket the digest archive is written to'),
  [ENV.sitePrefix]: prefixSetting,
  [ENV.digestStateBucket]: z.string().min(3, "the retained private bucket for the digest's state"),
  [ENV.stateBucket]: z.string().min(3, "the feed builder's state bucket (its manifest is read)").optional(),
  [ENV.siteConfig]: siteConfigSetting((config) =>
    config.digest
      ? (config as SiteConfig & { digest: DigestSettings })
      : 'the site configuration has no "digest" section',
  ),
  [ENV.cacheControl]: z.string().default('public, max-age=300'),
});

/** The schedule passes its scheduled time, so a late or retried run prepares the issue of the week it was meant for. */
const Trigger = z.union([z.object({ time: z.iso.datetime({ offset: true }) }), z.strictObject({})]);

export function createDigestHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const client = new S3Client(s3ClientConfig(env));
  const requests = countRequests(client);
  const manifestBucket = settings[ENV.stateBucket];

  return async (event: unknown) => {
    const trigger = Trigger.parse(event);
    const now = 'time' in trigger ? new Date(trigger.time) : new Date();
    const started = Date.now();
    for (const key of Object.keys(requests)) delete requests[key];
    const report = await prepareDigest({
      source: new S3Storage(client, { bucket: settings[ENV.contentBucket], prefix: settings[ENV.contentPrefix] }),
      destination: new S3Storage(client, { bucket: settings[ENV.siteBucket], prefix: settings[ENV.sitePrefix] }),
      state: new S3Storage(client, { bucket: settings[ENV.digestStateBucket], prefix: '' }),
      ...(manifestBucket
        ? { manifest: new S3Storage(client, { bucket: manifestBucket, prefix: 'feed-builder/' }) }
        : {}),
      config: settings[ENV.siteConfig],
      now,
      cacheControl: settings[ENV.cacheControl],
    });
    log('info', 'digest prepared', {
      outcome: report.outcome,
      ...(report.issue ? { issue: report.issue } : {}),
      written: report.written.length,
      requests: { ...requests },
      durationMs: Date.now() - started,
    });
    return { outcome: report.outcome, ...(report.issue ? { issue: report.issue } : {}) };
  };
}

let fromProcessEnv: ReturnType<typeof createDigestHandler> | undefined;
export const handler = (event: unknown) => {
  fromProcessEnv ??= createDigestHandler(process.env);
  return fromProcessEnv(event);
};
