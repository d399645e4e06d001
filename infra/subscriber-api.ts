// The subscriber API (functions/handlers/subscriber-api.ts, a Hono app): an API Gateway HTTP API with one Lambda
// integration for every route under /api/, throttled at its stage, with access logs. The public site serves it under
// its own domain at /api/* (PublicSite.addApi), so the links in sent emails outlive a redeployed API.
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { parseSiteConfig } from '../functions/core/config.ts';
import { TOPICS_KEY } from '../functions/core/site.ts';
import { ENV } from '../functions/env.ts';
import { handlerFunction } from './handler-function.ts';
import type { MailIdentity } from './mail-identity.ts';
import type { SubscriberTables } from './subscriber-tables.ts';
import type { TokenKeyring } from './token-keyring.ts';

export interface SubscriberApiProps {
  /** The site configuration with its `digest` section; its apiUrl must be the site's /api/. */
  siteConfig: unknown;
  tables: SubscriberTables;
  keyring: TokenKeyring;
  /** Confirmation messages go out from the digest's domain, through its configuration set. */
  mail: MailIdentity;
  /** The public site bucket and the prefix the feed builder writes under: the topics offered come from topics.json. */
  siteBucket: s3.IBucket;
  sitePrefix: string;
  /** Requests a second over the whole API, steady and in a burst. Default 10 and 20 (see infra/concurrency.ts). */
  throttle?: { rateLimit: number; burstLimit: number };
}

/** The path the site routes to the API (PublicSite.addApi), which the app's routes must start with. */
export const API_PATH = '/api/';

export class SubscriberApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly function: NodejsFunction;
  /** The API's own host name (`<id>.execute-api.<region>.amazonaws.com`), the origin CloudFront forwards to. */
  readonly originDomainName: string;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SubscriberApiProps) {
    super(scope, id);
    const config = parseSiteConfig(props.siteConfig, 'SubscriberApi siteConfig');
    if (!config.digest) throw new Error('SubscriberApi needs a site configuration with a "digest" section');
    const apiPath = new URL(config.digest.apiUrl).pathname;
    if (apiPath !== API_PATH) {
      throw new Error(
        `digest.apiUrl must end in ${API_PATH} (the site serves the subscriber API there), got ${config.digest.apiUrl}`,
      );
    }
    const throttle = props.throttle ?? { rateLimit: 10, burstLimit: 20 };

    this.function = handlerFunction(this, 'Function', {
      handlerFile: 'subscriber-api.ts',
      memorySize: 512,
      // API Gateway gives up after 30 s; a request here is a few reads and writes and at most one message.
      timeout: Duration.seconds(10),
      environment: {
        [ENV.subscriberTable]: props.tables.subscribers.tableName,
        [ENV.siteBucket]: props.siteBucket.bucketName,
        [ENV.sitePrefix]: props.sitePrefix,
        [ENV.siteConfig]: JSON.stringify(props.siteConfig),
        [ENV.sesConfigurationSet]: props.mail.configurationSet.configurationSetName,
      },
    });
    // Read a subscriber or tombstone, save one (conditional put), count a rate-limit hit (update): nothing else.
    props.tables.grantSubscriberItems(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['s3:GetObject'],
      resourceArns: [props.siteBucket.arnForObjects(`${props.sitePrefix}${TOPICS_KEY}`)],
    });
    props.mail.grantSendRawEmail(this.function);
    props.keyring.grantReadTo(this.function);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description:
        'Newsletter subscriber API (sign-up, confirm, unsubscribe, preferences), served under the site /api/',
      // The stage below carries the throttle and the access log, which the default stage cannot.
      createDefaultStage: false,
    });
    const routes = this.httpApi.addRoutes({
      path: `${API_PATH}{proxy+}`,
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Integration', this.function),
    });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          'A public sign-up API: anyone may ask to subscribe (rate-limited per client and in total, and confirmed by email), and every other request carries a signed token from an email link, checked by the function',
      });
    }
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        // No client IP and no query string (it carries the link's token): what happened, not who.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.originDomainName = `${this.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
  }
}
