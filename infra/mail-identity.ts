// The domain the digest is sent from, in SES: a domain identity with Easy DKIM, a custom MAIL FROM domain (SPF aligned
// with the From domain, so DMARC passes on SPF as well as DKIM), and the configuration set every message goes through,
// which publishes bounce, complaint, reject and delivery events to the default EventBridge bus (MailFeedback reads
// them). The DNS records to add are stack outputs; with a Route 53 hosted zone they are created there.
import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { stableOutput } from './stable-output.ts';

export interface MailIdentityProps {
  /** The sending domain: the domain of digest.from.address, or a parent of it. */
  domain: string;
  /** When given, the DNS records are created in this zone (it must hold `domain`); otherwise they are outputs. */
  hostedZone?: route53.IHostedZone;
  /** The configuration set's name (digest.sending.configurationSet); CloudFormation names it otherwise. */
  configurationSetName?: string;
  /** The MAIL FROM domain below `domain`. Default `mail`. */
  mailFromSubdomain?: string;
  /**
   * The DMARC record's text, or false when the domain already has one (a second record would break DMARC).
   * Default `v=DMARC1; p=none`: reports nothing and rejects nothing, but mailbox providers want a record to exist.
   */
  dmarc?: string | false;
}

/** The events the feedback handler needs: its list changes (bounce, complaint), and deliveries reset soft bounces. */
export const FEEDBACK_EVENTS = [
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY,
];

/** What SES names those events on EventBridge (the `detail-type`). */
export const FEEDBACK_DETAIL_TYPES = ['Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Delivered'];

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export class MailIdentity extends Construct {
  readonly domain: string;
  readonly mailFromDomain: string;
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;

  constructor(scope: Construct, id: string, props: MailIdentityProps) {
    super(scope, id);
    const domain = props.domain.toLowerCase();
    if (!DOMAIN.test(domain))
      throw new Error(`MailIdentity domain must be a domain name such as example.com, got "${props.domain}"`);
    const zoneName = props.hostedZone?.zoneName.replace(/\.$/, '').toLowerCase();
    if (zoneName && !Token.isUnresolved(zoneName) && domain !== zoneName && !domain.endsWith(`.${zoneName}`)) {
      throw new Error(`MailIdentity domain ${domain} is not in the hosted zone ${zoneName}`);
    }
    const sub = props.mailFromSubdomain ?? 'mail';
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(sub)) {
      throw new Error(`MailIdentity mailFromSubdomain must be one DNS label such as "mail", got "${sub}"`);
    }
    this.domain = domain;
    this.mailFromDomain = `${sub}.${domain}`;

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      ...(props.configurationSetName ? { configurationSetName: props.configurationSetName } : {}),
      // Bounce and complaint rates per configuration set in CloudWatch: what the alarms watch.
      reputationMetrics: true,
      // The account-level list keeps SES from sending to known-bad addresses again, whatever our store says.
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('ToEventBridge', {
      // SES publishes to the default bus only.
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: FEEDBACK_EVENTS,
    });

    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: ses.Identity.domain(domain),
      dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
      mailFromDomain: this.mailFromDomain,
      // Messages sent without naming a configuration set (digest.sending.configurationSet unset) still use this one.
      configurationSet: this.configurationSet,
    });

    const records = this.dnsRecords(props.dmarc ?? 'v=DMARC1; p=none');
    const zone = props.hostedZone;
    if (zone) this.createRecords(zone, records);
    const where = zone ? 'created in the hosted zone' : 'add it at your DNS provider';
    for (const record of records) {
      stableOutput(this, record.outputId, {
        value: `${record.name} ${record.type} ${record.value}`,
        description: `${record.purpose} (${where})`,
      });
    }
  }

  /** ses:SendRawEmail from this domain, through this configuration set, and nothing else. */
  grantSendRawEmail(grantee: iam.IGrantable): iam.Grant {
    const configurationSetArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendRawEmail'],
      resourceArns: [this.identity.emailIdentityArn, configurationSetArn],
    });
  }

  private dnsRecords(dmarc: string | false): DnsRecord[] {
    const dkim = this.identity.dkimRecords.map(
      (record, index): DnsRecord => ({
        outputId: `MailDnsDkim${index + 1}`,
        purpose: `Easy DKIM key ${index + 1} of 3: SES verifies the domain and signs with it`,
        name: record.name,
        type: 'CNAME',
        value: record.value,
      }),
    );
    return [
      ...dkim,
      {
        outputId: 'MailDnsMailFromMx',
        purpose: 'MAIL FROM domain: where bounces return to SES',
        name: this.mailFromDomain,
        type: 'MX',
        value: `10 feedback-smtp.${Aws.REGION}.amazonses.com`,
      },
      {
        outputId: 'MailDnsMailFromSpf',
        purpose: 'MAIL FROM domain: SPF, allowing SES to send for it',
        name: this.mailFromDomain,
        type: 'TXT',
        value: '"v=spf1 include:amazonses.com ~all"',
      },
      ...(dmarc === false
        ? []
        : [
            {
              outputId: 'MailDnsDmarc',
              purpose: 'DMARC (skip if the domain has a DMARC record already: keep that one)',
              name: `_dmarc.${this.domain}`,
              type: 'TXT' as const,
              value: `"${dmarc}"`,
            },
          ]),
    ];
  }

  private createRecords(zone: route53.IHostedZone, records: DnsRecord[]): void {
    for (const record of records) {
      const id = record.outputId.replace(/^MailDns/, '');
      if (record.type === 'CNAME') {
        new route53.CnameRecord(this, id, { zone, recordName: record.name, domainName: record.value });
      } else if (record.type === 'MX') {
        new route53.MxRecord(this, id, {
          zone,
          recordName: record.name,
          values: [{ priority: 10, hostName: `feedback-smtp.${Aws.REGION}.amazonses.com` }],
        });
      } else {
        new route53.TxtRecord(this, id, { zone, recordName: record.name, values: [record.value.slice(1, -1)] });
      }
    }
  }
}

interface DnsRecord {
  outputId: string;
  purpose: string;
  name: string;
  type: 'CNAME' | 'MX' | 'TXT';
  value: string;
}
