// Digest test fixtures: a site configuration with a digest, and an issue's context.
import type { Article } from '../../functions/core/article.ts';
import type { DigestSettings, SiteConfig } from '../../functions/core/config.ts';
import { type DigestContext, type PreparedIssue, prepareIssue } from '../../functions/mail/digest-message.ts';
import { testConfig } from './site-config.ts';

export const DIGEST_SETTINGS = {
  weekday: 'monday',
  hour: 7,
  timeZone: 'Europe/Berlin',
  from: { name: 'Test Wire', address: 'digest@example.org' },
  postalAddress: 'Test Wire, 1 Example Street, 10115 Berlin',
};

export type DigestConfig = SiteConfig & { digest: DigestSettings };

export function digestConfig(digest: Record<string, unknown> = {}, site: Record<string, unknown> = {}): DigestConfig {
  const config = testConfig({ ...site, digest: { ...DIGEST_SETTINGS, ...digest } });
  if (!config.digest) throw new Error('no digest in the test config');
  return config as DigestConfig;
}

export const ISSUE = {
  id: '2026-W48',
  number: 7,
  dueAt: new Date('2026-11-23T06:00:00Z'),
  since: new Date('2026-11-16T06:00:00Z'),
};

export function digestContext(config: DigestConfig = digestConfig()): DigestContext {
  return {
    config,
    issue: ISSUE,
    archiveUrl: new URL(`digests/${ISSUE.id}.html`, config.baseUrl).href,
    archiveIndexUrl: new URL('digests/index.html', config.baseUrl).href,
  };
}

export function prepared(articles: readonly Article[], config?: DigestConfig): PreparedIssue {
  return prepareIssue(digestContext(config), articles);
}

export const LINKS = {
  unsubscribeUrl: 'https://www.example.org/api/unsubscribe?token=k1.UNSUBSCRIBE-TOKEN',
  preferencesUrl: 'https://www.example.org/api/preferences?token=k1.PREFERENCES-TOKEN',
};
