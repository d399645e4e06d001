// Starts the AWS stand-ins once per test run on random free ports and hands their endpoints to the tests
// (`inject('s3Endpoint')`, `inject('dynamoEndpoint')`, `inject('sesEndpoint')`). Stops them when the run ends.
import type { TestProject } from 'vitest/node';
import { startDynalite } from './dynalite.ts';
import { startS3rver } from './s3rver.ts';
import { startSes } from './ses.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    dynamoEndpoint: string;
    sesEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [s3, dynamo, ses] = await Promise.all([startS3rver(), startDynalite(), startSes()]);
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sesEndpoint', ses.endpoint);
  return async () => {
    await Promise.all([s3.stop(), dynamo.stop(), ses.stop()]);
  };
}
