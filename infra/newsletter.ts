// The digest's subscribers and mail, composed: the two tables, the token keyring, the SES domain and configuration
// set, the sender on its queue, the feedback handler and the subscriber API; the preparer is wired to plan sends.
// Each is its own construct; this one only passes settings down and names the outputs an operator needs.
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { parseSiteConfig } from '../functions/core/config.ts';
import type { DigestPreparer } from './digest-preparer.ts';
import { DigestSender } from './digest-sender.ts';
import { MailFeedback } from './mail-feedback.ts';
import { MailIdentity } from './mail-identity.ts';
import type { PublicSite } from './public-site.ts';
import { stableOutput } from './stable-output.ts';
import { SubscriberApi } from './subscriber-api.ts';
import { SubscriberTables } from './subscriber-tables.ts';
import { TokenKeyring } from './token-keyring.ts';

/** Deployment settings of the mail (cdk.json context), all optional. */
export interface MailSettings {
  /** The SES sending domain. Default: the domain of digest.from.address. */
  domain?: string;
  /** A Route 53 public hosted zone holding the domain: the DNS records are created there instead of listed. */
  hostedZone?: { id: string; name: string };
  /** The DMARC record's text, or false when the domain has one already. Default `v=DMARC1; p=none`. */
  dmarc?: string | false;
}

export interface NewsletterProps {
  siteConfig: unknown;
  site: PublicSite;
  /** The sites's folder the feed builder writes to (its topics.json lists the topics a subscriber may choose). */
  sitePrefix: string;
  digest: DigestPreparer;
  mail?: MailSettings;
}

export class Newsletter extends Construct {
  readonly tables: SubscriberTables;
  readonly keyring: TokenKeyring;
  readonly mail: MailIdentity;
  readonly sender: DigestSender;
  readonly feedback: MailFeedback;
  readonly api: SubscriberApi;

  constructor(scope: Construct, id: string, props: NewsletterProps) {
    super(scope, id);
    const config = parseSiteConfig(props.siteConfig, 'Newsletter siteConfig');
    if (!config.digest) throw new Error('Newsletter needs a site configuration with a "digest" section');
    const fromDomain = config.digest.from.address.slice(config.digest.from.address.lastIndexOf('@') + 1).toLowerCase();
    const domain = (props.mail?.domain ?? fromDomain).toLowerCase();
    if (fromDomain !== domain && !fromDomain.endsWith(`.${domain}`)) {
      throw new Error(
        `The mail domain ${domain} does not cover digest.from.address (${config.digest.from.address}): SES sends only ` +
          'from a verified domain or its subdomains',
      );
    }
    const zone = props.mail?.hostedZone;

    this.tables = new SubscriberTables(this, 'Tables');
    this.keyring = new TokenKeyring(this, 'TokenKeyring');
    this.mail = new MailIdentity(this, 'Mail', {
      domain,
      ...(zone
        ? {
            hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
              hostedZoneId: zone.id,
              zoneName: zone.name,
            }),
          }
        : {}),
      ...(config.digest.sending.configurationSet
        ? { configurationSetName: config.digest.sending.configurationSet }
        : {}),
      ...(props.mail?.dmarc !== undefined ? { dmarc: props.mail.dmarc } : {}),
    });
    this.sender = new DigestSender(this, 'Sender', {
      siteConfig: props.siteConfig,
      tables: this.tables,
      keyring: this.keyring,
      mail: this.mail,
      stateBucket: props.digest.stateBucket,
    });
    props.digest.planSendingTo(this.tables, this.sender.queue);
    this.feedback = new MailFeedback(this, 'Feedback', {
      mail: this.mail,
      tables: this.tables,
      keyring: this.keyring,
    });
    this.api = new SubscriberApi(this, 'Api', {
      siteConfig: props.siteConfig,
      tables: this.tables,
      keyring: this.keyring,
      mail: this.mail,
      siteBucket: props.site.bucket,
      sitePrefix: props.sitePrefix,
    });

    stableOutput(this, 'SubscribeEndpoint', {
      value: new URL('subscribe', config.digest.apiUrl).href,
      description: 'Where the sign-up form posts (digest.apiUrl, served by the site at /api/*)',
    });
    stableOutput(this, 'SubscriberApiEndpoint', {
      value: this.api.httpApi.apiEndpoint,
      description: "The subscriber API's own endpoint (behind the site's /api/*; for checks, not for links)",
    });
    stableOutput(this, 'SendQueueName', {
      value: this.sender.queue.queueName,
      description: 'The send queue (batches of recipients of a planned issue)',
    });
    stableOutput(this, 'SendDeadLetterQueueName', {
      value: this.sender.deadLetters.queueName,
      description: 'Batches that kept failing, recipients intact: redrive them to the send queue once fixed',
    });
    stableOutput(this, 'SubscriberTableName', {
      value: this.tables.subscribers.tableName,
      description: 'The subscribers (kept when the stack is deleted)',
    });
    stableOutput(this, 'LedgerTableName', {
      value: this.tables.ledger.tableName,
      description: 'The send ledger: npm run digest -- status --ledger-table <this>',
    });
    stableOutput(this, 'TokenKeyringSecretArn', {
      value: this.keyring.secret.secretArn,
      description: 'The token keyring (generated; kept when the stack is deleted; never change its seed)',
    });
    stableOutput(this, 'DigestPreparerFunctionName', {
      value: props.digest.function.functionName,
      description: 'Prepares and plans an issue: invoke with {} (now) or {"plan": "<issue id>"} after approval',
    });
    stableOutput(this, 'SenderFunctionName', {
      value: this.sender.function.functionName,
      description: 'Sends the digest, batch by batch, from the send queue',
    });
    stableOutput(this, 'FeedbackFunctionName', {
      value: this.feedback.function.functionName,
      description: 'Applies SES bounces and complaints to the subscribers',
    });
    stableOutput(this, 'SubscriberApiFunctionName', {
      value: this.api.function.functionName,
      description: 'The subscriber API (sign-up, confirm, unsubscribe, preferences)',
    });
  }
}
