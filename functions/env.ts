// Environment variable names, shared by infra/ (which sets them) and functions/ (which reads them): a rename fails
// the typecheck, not production.
export const ENV = {
  /** Bucket and prefix the articles are read from. */
  contentBucket: 'CONTENT_BUCKET',
  contentPrefix: 'CONTENT_PREFIX',
  /** Public bucket and prefix the feeds, OPML and index page are written to. */
  siteBucket: 'SITE_BUCKET',
  sitePrefix: 'SITE_PREFIX',
  /** Private bucket for the build manifest (the feed builder's; the digest preparer reads it to skip unchanged files). */
  stateBucket: 'STATE_BUCKET',
  /** Retained private bucket for the digest's state and issue records. */
  digestStateBucket: 'DIGEST_STATE_BUCKET',
  /** The site configuration (the same JSON as site.config.json). */
  siteConfig: 'SITE_CONFIG',
  /** The DynamoDB table of leases (functions/storage/dynamo-lease.ts): one feed build at a time. */
  lockTable: 'LOCK_TABLE',
  /** Cache-Control of every output, e.g. `public, max-age=300`. */
  cacheControl: 'CACHE_CONTROL',
  /** The DynamoDB table of subscribers (functions/subscribers/dynamo-store.ts). */
  subscriberTable: 'SUBSCRIBER_TABLE',
  /** The token keyring's JSON text (functions/subscribers/tokens.ts parseKeyring), with its `hashKey`. */
  signingKeys: 'SIGNING_KEYS',
  /**
   * Deployed: the ARN of the Secrets Manager secret holding that keyring text, read once per container at start-up
   * (functions/handlers/runtime.ts). Set this or SIGNING_KEYS, not both.
   */
  signingKeysSecretArn: 'SIGNING_KEYS_SECRET_ARN',
  /** The SES configuration set whose events (bounces, complaints) reach the feedback handler. Optional. */
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  /** The DynamoDB send ledger (functions/sending/dynamo-ledger.ts). */
  ledgerTable: 'LEDGER_TABLE',
  /** The SQS queue of send batches. */
  sendQueueUrl: 'SEND_QUEUE_URL',
} as const;
