// A stack output whose logical id is exactly `id` wherever its construct sits, so scripts and the README can name it
// and a refactoring of the construct tree does not rename it.
import { CfnOutput, type CfnOutputProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export function stableOutput(scope: Construct, id: string, props: CfnOutputProps): CfnOutput {
  const output = new CfnOutput(scope, id, props);
  output.overrideLogicalId(id);
  return output;
}
