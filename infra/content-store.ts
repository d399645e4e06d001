// The private bucket the newsroom uploads articles to. Versioned, so an overwritten or deleted article can be restored.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ContentStoreProps {
  /** Folder of the articles in the bucket, e.g. `articles/` ('' for the whole bucket). */
  prefix: string;
  /** Where S3 writes the bucket's server access logs (who uploaded, overwrote or deleted which article). */
  accessLogs: { bucket: s3.IBucket; prefix: string };
}

export class ContentStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: ContentStoreProps) {
    super(scope, id);
    if (props.prefix !== '' && !/^[^/].*\/$/.test(props.prefix)) {
      throw new Error(`ContentStore prefix must be '' or a folder ending in '/', got ${JSON.stringify(props.prefix)}`);
    }
    this.prefix = props.prefix;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      serverAccessLogsBucket: props.accessLogs.bucket,
      serverAccessLogsPrefix: props.accessLogs.prefix,
      // Articles are the newsroom's data: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
