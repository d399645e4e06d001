import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../functions/core/config.ts';
import { ConfigError } from '../../functions/core/errors.ts';

const FILE = 'site.config.json';
const site = {
  title: 'Lab Notes Daily',
  description: 'Science and technology news.',
  baseUrl: 'https://news.example.com/feeds/',
  siteUrl: 'https://news.example.com/home/',
  author: { name: 'Lab Notes Daily newsroom' },
  idPrefix: 'tag:news.example.com,2026:',
};
const digest = {
  from: { name: 'Lab Notes Daily', address: 'digest@news.example.com' },
  postalAddress: '1 Example Street, Berlin',
};

const parse = (settings: Record<string, unknown>) =>
  parseSiteConfig({ ...site, digest: { ...digest, ...settings } }, FILE);

function problems(settings: Record<string, unknown>): string {
  try {
    parse(settings);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('the digest section', () => {
  it('is optional: without it there is no digest', () => {
    expect(parseSiteConfig(site, FILE).digest).toBeUndefined();
  });

  it('fills in the defaults, the API under the site origin among them', () => {
    expect(parse({}).digest).toEqual({
      ...digest,
      weekday: 'monday',
      hour: 8,
      timeZone: 'UTC',
      apiUrl: 'https://news.example.com/api/',
      subject: '{site} #{number}: {headline}',
      lookBackDays: 14,
      topStories: 3,
      perProvider: 3,
      skipEmptyWeek: true,
      signup: { cooldownMinutes: 15, perClientPerHour: 5, totalPerHour: 500 },
      requireApproval: false,
      sending: { ratePerSecond: 14, maxConcurrency: 2 },
      sampleRecipient: 'reader@example.com',
    });
  });

  it('keeps a configured API URL, as a folder', () => {
    expect(parse({ apiUrl: 'https://api.example.com/v1' }).digest?.apiUrl).toBe('https://api.example.com/v1/');
  });

  it.each([
    [{ weekday: 'Funday' }, 'digest.weekday: expected a weekday: monday, tuesday'],
    [{ hour: 24 }, 'digest.hour: expected a whole number from 0 to 23, got 24'],
    [{ hour: 6.5 }, 'digest.hour: expected a whole number from 0 to 23, got 6.5'],
    [
      { timeZone: 'Mars/Olympus' },
      'digest.timeZone: expected an IANA time zone such as Europe/Berlin or UTC, got "Mars/Olympus"',
    ],
    [{ from: { name: 'X', address: 'not an address' } }, 'digest.from.address: expected an email address'],
    [{ from: { name: 'X', address: 'a@b.com\r\nBcc: evil@c.com' } }, 'digest.from.address: expected an email address'],
    [{ replyTo: 'a@b.com, c@d.com' }, 'digest.replyTo: expected an email address'],
    [{ postalAddress: '  ' }, "digest.postalAddress: expected the sender's postal address"],
    [
      { subject: '{site}: {title}' },
      'digest.subject: unknown token {title} in "{site}: {title}"; known: {site} {number} {week} {dates} {headline}',
    ],
    [{ lookBackDays: 0 }, 'digest.lookBackDays: expected a whole number from 1 to 90, got 0'],
    [{ apiUrl: 'ftp://x.example/' }, 'digest.apiUrl:'],
    [{ sampleRecipient: 'nobody' }, 'digest.sampleRecipient: expected an email address'],
    [{ skipEmptyWeek: 'yes' }, 'digest.skipEmptyWeek: expected true or false, got "yes"'],
    [
      { signup: { cooldownMinutes: 0 } },
      'digest.signup.cooldownMinutes: expected a whole number from 1 to 10080, got 0',
    ],
    [
      { signup: { perIpPerHour: 3 } },
      'digest.signup.perIpPerHour: unknown setting; known settings: cooldownMinutes, perClientPerHour, totalPerHour',
    ],
  ])('rejects %j, naming the setting', (settings, message) => {
    expect(problems(settings)).toContain(`  ${message}`);
  });

  it('names a missing required setting', () => {
    expect(() => parseSiteConfig({ ...site, digest: { from: digest.from } }, FILE)).toThrow(
      "  digest.postalAddress: missing setting; expected the sender's postal address",
    );
  });

  it('suggests the setting a typo meant, inside the section too', () => {
    expect(problems({ lookbackDays: 7 })).toContain(
      'digest.lookbackDays: unknown setting; did you mean "lookBackDays"?',
    );
    expect(problems({ from: { ...digest.from, adress: 'x' } })).toContain(
      'digest.from.adress: unknown setting; did you mean "address"?',
    );
  });
});

describe('the language', () => {
  it.each(['en-12', 'abc-de-fg', 'en-u1'])(
    'rejects %j, which looks like a tag but is not one BCP 47 allows',
    (language) => {
      expect(() => parseSiteConfig({ ...site, language }, FILE)).toThrow(
        `  language: expected a language tag such as en or en-GB, got "${language}"`,
      );
    },
  );

  it.each(['en', 'en-GB', 'de-1996', 'zh-Hant-TW'])('accepts %j', (language) => {
    expect(parseSiteConfig({ ...site, language }, FILE).language).toBe(language);
  });
});

describe('the subscriber API URL', () => {
  it('must be https: one-click unsubscribe (RFC 8058) needs it', () => {
    expect(problems({ apiUrl: 'http://api.example.com/' })).toContain(
      '  digest.apiUrl: expected an https URL, got "http://api.example.com/"',
    );
  });

  it('names the default when an http site makes it http', () => {
    expect(() => parseSiteConfig({ ...site, siteUrl: 'http://news.example.com/', digest }, FILE)).toThrow(
      '  digest.apiUrl (by default api/ under http://news.example.com): expected an https URL',
    );
  });

  it('may be http on this machine, for a local preview', () => {
    expect(parse({ apiUrl: 'http://localhost:8080/api/' }).digest?.apiUrl).toBe('http://localhost:8080/api/');
  });
});
