import { parseSiteConfig, type SiteConfig } from '../../functions/core/config.ts';

/** The configuration the core tests render with. */
export function testConfig(overrides: Record<string, unknown> = {}): SiteConfig {
  return parseSiteConfig(
    {
      title: 'Test Wire',
      description: 'Tested news.',
      baseUrl: 'https://feeds.example.org/news/',
      siteUrl: 'https://www.example.org/',
      author: { name: 'Test Wire desk', email: 'desk@example.org' },
      idPrefix: 'tag:example.org,2026:',
      itemLimit: 10,
      ...overrides,
    },
    'test config',
  );
}
