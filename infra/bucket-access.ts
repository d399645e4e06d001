// Bucket grants that name exactly the S3 actions the storage adapter (functions/storage/s3.ts) performs, limited to
// the key prefix a function works under: read (GetObject, also what HeadObject needs), write (PutObject), delete
// (DeleteObject) and list (ListBucket). `bucket.grantReadWrite` would add a dozen actions no code here uses.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeObjectGrant } from './handler-function.ts';

export type ObjectAccess = 'read' | 'write' | 'delete';

const ACTIONS: Record<ObjectAccess, string> = {
  read: 's3:GetObject',
  write: 's3:PutObject',
  delete: 's3:DeleteObject',
};

/**
 * Lets `fn` read, write or delete the objects under `prefix` ('' for all) and list the bucket's keys.
 *
 * Listing is granted on the whole bucket, without an `s3:prefix` condition: S3 answers a read of a missing key with
 * 404 only to a caller who may list the bucket, and it evaluates that permission without a prefix, so a condition
 * would turn "not there yet" (a first build, a missing control file) into 403, which the adapter reports as an error.
 * The keys of these buckets are no secret from a function that reads their objects.
 */
export function grantBucketAccess(
  fn: lambda.IFunction,
  bucket: s3.IBucket,
  prefix: string,
  access: readonly ObjectAccess[],
  why: string,
): void {
  const pattern = `${prefix}*`;
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: access.map((a) => ACTIONS[a]),
    resourceArns: [bucket.arnForObjects(pattern)],
  });
  iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn] });
  acknowledgeObjectGrant(
    fn,
    `<${logicalIdOf(bucket)}.Arn>/${pattern}`,
    `Object ARNs can only be limited by key: ${why}`,
  );
}

/** The logical id of a bucket defined in this app, as cdk-nag prints it in a finding. */
function logicalIdOf(bucket: s3.IBucket): string {
  const resource = bucket.node.defaultChild as s3.CfnBucket | undefined;
  if (!resource) throw new Error(`${bucket.node.path} is not a bucket of this app`);
  return Stack.of(bucket).resolve(resource.logicalId) as string;
}
