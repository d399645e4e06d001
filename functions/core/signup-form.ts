// The digest's sign-up form: a plain HTML form post that works without JavaScript, with a topic choice and a
// honeypot field bots fill in. The front page, the archive pages and the API's own pages all use this one.
import type { SiteConfig } from './config.ts';
import { escapeHtml } from './text.ts';

export interface TopicChoice {
  slug: string;
  label: string;
}

/** The honeypot: a field people never see or fill in; a sign-up that fills it is answered as usual and ignored. */
export const HONEYPOT_FIELD = 'website';

/** The form, posting to `{api}subscribe`; empty when the site has no digest. `chosen`: topics to tick. */
export function signupForm(
  config: SiteConfig,
  topics: readonly TopicChoice[],
  options: { id?: string; chosen?: ReadonlySet<string> } = {},
): string {
  if (!config.digest) return '';
  const id = options.id ?? 'signup';
  const action = escapeHtml(new URL('subscribe', config.digest.apiUrl).href);
  const boxes = topics
    .map(
      (t) =>
        `<label><input type="checkbox" name="topics" value="${escapeHtml(t.slug)}"${options.chosen?.has(t.slug) ? ' checked' : ''}> ${escapeHtml(t.label)}</label>`,
    )
    .join('\n');
  const topicChoice = boxes
    ? `<fieldset><legend>Topics</legend><p class="muted">Tick none for every topic.</p><div class="topics">\n${boxes}\n</div></fieldset>\n`
    : '';
  return `<form class="card" id="${escapeHtml(id)}" method="post" action="${action}">
<h2>The weekly digest by email</h2>
<p>Once a week, the best new stories of ${escapeHtml(config.title)}. No tracking; leave with one click.</p>
<label for="${escapeHtml(id)}-email">Email address</label>
<input type="email" id="${escapeHtml(id)}-email" name="email" required autocomplete="email" maxlength="254">
${topicChoice}<div class="hp" aria-hidden="true" style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"><label for="${escapeHtml(id)}-${HONEYPOT_FIELD}">Leave this empty</label><input type="text" id="${escapeHtml(id)}-${HONEYPOT_FIELD}" name="${HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></div>
<p><button type="submit">Subscribe</button></p>
<p class="muted">You will get an email with a link to confirm. Nothing is sent until you click it.</p>
</form>`;
}
