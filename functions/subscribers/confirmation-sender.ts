// Sends a sign-up's confirmation message: the compiled template filled, a MIME message built, SES asked to deliver it
// to exactly that address. The API calls this; in AWS it is SES, in the dev server and the tests the SES stand-in.
import type { SESClient } from '@aws-sdk/client-ses';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { confirmationMessage } from '../mail/confirm-message.ts';
import { buildMime } from '../mail/mime.ts';
import { sendRawMessage } from '../mail/ses.ts';
import type { ConfirmationRequest } from './api.ts';

export function confirmationSender(
  client: SESClient,
  config: SiteConfig & { digest: DigestSettings },
  options: { configurationSet?: string; clock?: () => Date } = {},
): (request: ConfirmationRequest) => Promise<void> {
  const digest = config.digest;
  const clock = options.clock ?? (() => new Date());
  return async (request) => {
    const message = confirmationMessage({ config, confirmUrl: request.confirmUrl, topics: request.topics });
    const sentAt = clock();
    const raw = await buildMime({
      from: digest.from,
      to: request.to,
      ...(digest.replyTo ? { replyTo: digest.replyTo } : {}),
      subject: message.subject,
      date: sentAt,
      messageKey: `confirm-${sentAt.getTime()}`,
      html: message.html,
      text: message.text,
    });
    await sendRawMessage(client, {
      from: digest.from.address,
      to: request.to,
      raw,
      ...(options.configurationSet ? { configurationSet: options.configurationSet } : {}),
      tags: { kind: 'confirmation' },
    });
  };
}
