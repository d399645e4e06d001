// The confirmation message of a sign-up (double opt-in): one link that proves the address, and what was asked for.
// Transactional: no List-* headers, no unsubscribe link (ignoring it is the way out). Compiled at build time like
// the digest; here only escaping and filling.
import { type DigestSettings, isSecureOrLocal, type SiteConfig } from '../core/config.ts';
import { cleanLine, escapeHtml } from '../core/text.ts';
import { parseWebUrl } from '../core/urls.ts';
import { subjectLine } from './digest-message.ts';
import { CONFIRM_HTML, CONFIRM_TEXT } from './generated/templates.ts';
import { type CompiledTemplate, fill, fragment } from './template.ts';

export interface ConfirmationInput {
  config: SiteConfig & { digest: DigestSettings };
  /** The personal confirmation link (https; http only on this machine, for a local preview). */
  confirmUrl: string;
  /** The labels of the topics asked for, in the order to show them; empty: every topic. */
  topics: readonly string[];
}

export interface ConfirmationMessage {
  subject: string;
  html: string;
  text: string;
}

const asText = (value: string) => value;

/**
 * The link goes into an href and a text part as it is: an absolute https URL (http only on this machine) in the form
 * a browser would write it, so that neither a `javascript:` link, a quote nor a line break comes through a mistake.
 */
function checkedConfirmUrl(url: string): string {
  const parsed = parseWebUrl(url);
  if (!parsed.ok || parsed.url.href !== url || !isSecureOrLocal(url)) {
    throw new RangeError('The confirmation link must be an absolute https URL');
  }
  return url;
}

export function confirmationMessage(input: ConfirmationInput): ConfirmationMessage {
  const { config } = input;
  const confirmUrl = checkedConfirmUrl(input.confirmUrl);
  const values = {
    language: config.language,
    siteTitle: config.title,
    siteUrl: config.siteUrl ?? config.baseUrl,
    documentTitle: `Confirm your subscription to ${config.title}`,
    preheader: 'One click confirms it; the link works for 7 days.',
    confirmUrl,
    senderName: config.digest.from.name,
    senderAddress: config.digest.from.address,
    postalAddress: config.digest.postalAddress,
  };
  // A label is one line in the text part, whatever the caller passed.
  const names = input.topics.map(cleanLine);
  const topicsOf = (template: CompiledTemplate, escapeValue: (value: string) => string) =>
    names.length === 0
      ? { topics: '', everyTopic: fill(fragment(template, 'everyTopic'), {}, {}, escapeValue) }
      : {
          topics: fill(
            fragment(template, 'topics'),
            {},
            {
              topic: names.map((name) => fill(fragment(template, 'topics.topic'), { name }, {}, escapeValue)).join(''),
            },
            escapeValue,
          ),
          everyTopic: '',
        };
  return {
    subject: subjectLine('Confirm your subscription to {site}', { site: config.title }),
    html: fill(CONFIRM_HTML.root, values, topicsOf(CONFIRM_HTML, escapeHtml), escapeHtml),
    text: fill(CONFIRM_TEXT.root, values, topicsOf(CONFIRM_TEXT, asText), asText),
  };
}
