// The subscriber API's HTML pages: small, in the site's look (its style.css), every value escaped, no script.
import type { SiteConfig } from '../core/config.ts';
import { signupForm, type TopicChoice } from '../core/signup-form.ts';
import { STYLE_KEY } from '../core/style.ts';
import { escapeHtml } from '../core/text.ts';

export function page(config: SiteConfig, title: string, body: string): string {
  const home = config.siteUrl ?? config.baseUrl;
  return `<!doctype html>
<html lang="${escapeHtml(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}: ${escapeHtml(config.title)}</title>
<link rel="stylesheet" href="${escapeHtml(new URL(STYLE_KEY, config.baseUrl).href)}">
</head>
<body>
<main>
<p class="muted"><a href="${escapeHtml(home)}">${escapeHtml(config.title)}</a></p>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const p = (text: string) => `<p>${escapeHtml(text)}</p>`;
const link = (href: string, text: string) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;

export function checkInboxPage(config: SiteConfig): string {
  return page(
    config,
    'Check your inbox',
    p(
      'If the address can receive the digest, a message with a confirmation link is on its way. Click the link in it to start your subscription; it works for 7 days.',
    ) + p('Nothing arrived? Look in the spam folder, or sign up again in a while.'),
  );
}

export function invalidLinkPage(config: SiteConfig, topics: readonly TopicChoice[], expired: boolean): string {
  const reason = expired
    ? 'This confirmation link has expired: links work for 7 days.'
    : 'This link is not valid. It may have been cut when it was copied.';
  return page(config, 'This link does not work', p(reason) + p('Sign up again below.') + signupForm(config, topics));
}

export interface PersonalLinks {
  preferencesUrl: string;
  unsubscribeUrl: string;
}

export function confirmedPage(config: SiteConfig, links: PersonalLinks): string {
  return page(
    config,
    'You are subscribed',
    p(`The weekly digest of ${config.title} will come to your inbox.`) +
      `<p>${link(links.preferencesUrl, 'Choose your topics')} · ${link(links.unsubscribeUrl, 'Unsubscribe')}</p>`,
  );
}

export function notSubscribedPage(config: SiteConfig, topics: readonly TopicChoice[], why: string): string {
  return page(config, 'Not subscribed', p(why) + signupForm(config, topics));
}

export function unsubscribeAskPage(config: SiteConfig, postUrl: string): string {
  return page(
    config,
    'Unsubscribe',
    p(`Stop the weekly digest of ${config.title}?`) +
      `<form method="post" action="${escapeHtml(postUrl)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}

export function unsubscribedPage(config: SiteConfig, topics: readonly TopicChoice[]): string {
  return page(
    config,
    'You are unsubscribed',
    p('You will get no more digests. Changed your mind? Sign up again.') + signupForm(config, topics),
  );
}

export function preferencesPage(
  config: SiteConfig,
  options: {
    postUrl: string;
    unsubscribeUrl: string;
    topics: readonly TopicChoice[];
    chosen: ReadonlySet<string>;
    status: string;
    saved?: boolean;
  },
): string {
  const every = options.chosen.size === 0;
  const boxes = options.topics
    .map(
      (t) =>
        `<label><input type="checkbox" name="topics" value="${escapeHtml(t.slug)}"${options.chosen.has(t.slug) ? ' checked' : ''}> ${escapeHtml(t.label)}</label>`,
    )
    .join('\n');
  const form = `<form class="card" method="post" action="${escapeHtml(options.postUrl)}">
<fieldset><legend>Which stories do you want?</legend>
<label><input type="radio" name="mode" value="all"${every ? ' checked' : ''}> Every topic</label>
<label><input type="radio" name="mode" value="some"${every ? '' : ' checked'}> Only these topics:</label>
<div class="topics">
${boxes}
</div></fieldset>
<p><button type="submit">Save</button></p>
</form>`;
  const saved = options.saved ? p('Saved. The next digest follows your choice.') : '';
  return page(
    config,
    'Your digest settings',
    saved +
      p(options.status) +
      form +
      `<p class="muted">${link(options.unsubscribeUrl, 'Unsubscribe from the digest')}</p>`,
  );
}

export function errorPage(config: SiteConfig, title: string, message: string): string {
  return page(config, title, p(message));
}
