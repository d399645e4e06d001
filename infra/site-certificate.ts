// The site's TLS certificate for a stack outside us-east-1: CloudFront only takes certificates from us-east-1, so this
// small stack there requests it and validates it through the Route 53 hosted zone; the site's stack reads its ARN
// through CDK's cross-region references (an SSM parameter in us-east-1, read by a custom resource).
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';

export interface SiteCertificateStackProps extends StackProps {
  domainName: string;
  hostedZone: { id: string; name: string };
}

export class SiteCertificateStack extends Stack {
  readonly certificate: acm.Certificate;

  constructor(scope: Construct, id: string, props: SiteCertificateStackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: 'us-east-1' }, crossRegionReferences: true });
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.hostedZone.id,
      zoneName: props.hostedZone.name,
    });
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domainName,
      validation: acm.CertificateValidation.fromDns(zone),
    });
  }
}
