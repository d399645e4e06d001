// The feed-builder Lambda: triggered by SQS (S3 object events and the schedule's ticks, batched), it rebuilds the
// feeds incrementally. Reserved concurrency 1 (set in infra/) makes it the only writer of the manifest.
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ENV } from '../env.ts';
import { buildFeeds } from '../pipeline/build.ts';
import { s3ClientConfig } from '../storage/location.ts';
import { S3Storage } from '../storage/s3.ts';
import { countRequests } from '../storage/s3-requests.ts';
import { log, prefixSetting, readSettings, siteConfigSetting } from './runtime.ts';

const Settings = z.object({
  [ENV.contentBucket]: z.string().min(3, 'the bucket the articles are read from'),
  [ENV.contentPrefix]: prefixSetting,
  [ENV.siteBucket]: z.string().min(3, 'the public bucket the feeds are written to'),
  [ENV.sitePrefix]: prefixSetting,
  [ENV.stateBucket]: z.string().min(3, 'the private bucket for the build manifest'),
  [ENV.siteConfig]: siteConfigSetting(),
  [ENV.cacheControl]: z.string().default('public, max-age=300'),
});

/**
 * SQS batch, EventBridge schedule or a manual `{}`: every trigger means "rebuild now"; the content is not in it. Only a
 * manual invocation can lift the shrink guard: `{"allowShrink": true}`.
 */
const Trigger = z.union([
  z.object({ Records: z.array(z.object({ messageId: z.string() })) }),
  z.object({ time: z.iso.datetime() }),
  z.strictObject({ allowShrink: z.boolean().optional() }),
]);

/** Builds the handler from an environment: settings are checked once, clients are created once per container. */
export function createBuildHandler(env: Record<string, string | undefined>) {
  const settings = readSettings(Settings, env);
  const client = new S3Client(s3ClientConfig(env));
  const requests = countRequests(client);

  return async (event: unknown) => {
    const trigger = Trigger.parse(event);
    const now = 'time' in trigger ? new Date(trigger.time) : new Date();
    const started = Date.now();
    for (const key of Object.keys(requests)) delete requests[key];

    const report = await buildFeeds({
      source: new S3Storage(client, { bucket: settings[ENV.contentBucket], prefix: settings[ENV.contentPrefix] }),
      destination: new S3Storage(client, { bucket: settings[ENV.siteBucket], prefix: settings[ENV.sitePrefix] }),
      state: new S3Storage(client, { bucket: settings[ENV.stateBucket], prefix: 'feed-builder/' }),
      config: settings[ENV.siteConfig],
      now,
      cacheControl: settings[ENV.cacheControl],
      allowShrink: 'allowShrink' in trigger && trigger.allowShrink === true,
    });

    for (const { file, reason, problems } of report.rejected) {
      for (const problem of problems) log('warn', `article skipped (${reason})`, { file, ...problem });
    }
    for (const { file, problem } of report.warnings) log('warn', 'entry dropped', { file, ...problem });
    for (const ping of report.pings.filter((p) => !p.ok)) log('warn', 'WebSub hub not notified', { ...ping });
    if (report.refused) {
      // The invocation still succeeds: retrying would be refused again and only fill the dead-letter queue. An alarm
      // matches `code = "ShrinkRefused"`; a person then fixes the content or invokes with {"allowShrink": true}.
      log('error', 'build refused: it would shrink the site; nothing was written', { ...report.refused });
      return report.summary;
    }
    log('info', 'feeds built', {
      ...report.summary,
      triggeredBy: 'Records' in trigger ? `sqs:${trigger.Records.length}` : 'time' in trigger ? 'schedule' : 'manual',
      fetched: report.incremental.fetched,
      fullRebuildBecause: report.incremental.fullRebuildBecause,
      hubNotified: report.pings.filter((p) => p.ok).length,
      requests: { ...requests },
      durationMs: Date.now() - started,
    });
    return report.summary;
  };
}

let fromProcessEnv: ReturnType<typeof createBuildHandler> | undefined;
export const handler = (event: unknown) => {
  fromProcessEnv ??= createBuildHandler(process.env);
  return fromProcessEnv(event);
};
