// The digest's MIME message, read back by an independent parser (mailparser) and by plain inspection of the raw bytes.
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DigestSettingsSchema } from '../../functions/core/config.ts';
import { subjectLine } from '../../functions/mail/digest-message.ts';
import { assertPlainAddress, buildMime, type MimeInput, messageIdFor } from '../../functions/mail/mime.ts';

const UNSUBSCRIBE = 'https://news.example.com/api/unsubscribe?token=eyJhIjoiYiJ9.c2lnbmF0dXJl_-&list=digest';

/** ~150 KB of HTML on one line, with non-ASCII text and emoji (a minified MJML rendering looks like this). */
const BIG_HTML = (() => {
  const card =
    '<tr><td class="card"><a href="https://news.example.com/a?x=1&amp;y=2">Grüße 👋 — naïve café 東京</a></td></tr>';
  let html = '<!doctype html><html lang="de"><head><meta charset="utf-8"></head><body><table>';
  while (Buffer.byteLength(html) < 150_000) html += card;
  return `${html}</table></body></html>`;
})();

const base = {
  from: { name: 'Grüße Nachrichten', address: 'digest@news.example.com' },
  to: 'reader@example.com',
  replyTo: 'newsroom@news.example.com',
  subject: 'Grüße #12: Tokyo 東京 gets its first grid battery 🔋',
  date: new Date('2026-11-23T07:00:00.000Z'),
  messageKey: '2026-W48',
  html: BIG_HTML,
  text: 'Grüße #12 🔋\n\nTokyo 東京 gets its first grid battery — read more:\nhttps://news.example.com/a?x=1&y=2\n',
  list: { name: 'Grid News weekly digest', id: 'digest.news.example.com' },
  unsubscribeUrl: UNSUBSCRIBE,
} satisfies MimeInput;

const message = (overrides: Partial<MimeInput> = {}) => buildMime({ ...base, ...overrides });
/** One character per octet, so string lengths are byte counts. */
const rawOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const parse = (bytes: Uint8Array) => simpleParser(Buffer.from(bytes));

/** The header fields as written, unfolded (RFC 5322 2.2.3), in order. */
function headerFields(raw: string): { name: string; value: string }[] {
  const end = raw.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const fields: { name: string; value: string }[] = [];
  for (const line of raw.slice(0, end).split('\r\n')) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) last.value += line;
    else {
      const colon = line.indexOf(':');
      expect(colon, `a header line without a field name: ${JSON.stringify(line)}`).toBeGreaterThan(0);
      fields.push({ name: line.slice(0, colon).toLowerCase(), value: line.slice(colon + 1) });
    }
  }
  return fields.map(({ name, value }) => ({ name, value: value.trim() }));
}

const fieldValues = (raw: string, name: string) =>
  headerFields(raw)
    .filter((f) => f.name === name)
    .map((f) => f.value);

/**
 * RFC 2047 decoding, strict: every encoded word must hold whole UTF-8 characters on its own (a word split inside a
 * character is an error here, where lenient parsers glue the words back together).
 */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_word, charset: string, encoding: string, text: string) => {
      expect(charset.toLowerCase()).toBe('utf-8');
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-F]{2})/gi, (_e, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    });
}

interface ContentType {
  value: string;
  params: Record<string, string>;
}
const contentType = (mail: ParsedMail) => mail.headers.get('content-type') as unknown as ContentType;
const addresses = (value: AddressObject | AddressObject[] | undefined) =>
  [value ?? []].flat().flatMap((group) => group.value.map(({ name, address }) => ({ name, address })));

/** The body parts of a multipart message, split at its boundary and each parsed on its own. */
async function bodyParts(raw: string, boundary: string): Promise<ParsedMail[]> {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const sections = `\r\n${body}`.split(`\r\n--${boundary}`);
  expect(sections[0], 'nothing before the first boundary').toBe('');
  expect(sections.at(-1), 'the close delimiter ends the message').toBe('--\r\n');
  return Promise.all(
    sections.slice(1, -1).map((section) => {
      expect(section.startsWith('\r\n')).toBe(true);
      return simpleParser(Buffer.from(section.slice(2), 'latin1'));
    }),
  );
}

const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

function expectWellFormedLines(raw: string): void {
  expect(raw.endsWith('\r\n')).toBe(true);
  expect(BARE_CR_OR_LF.exec(raw)?.index, 'a bare CR or LF').toBeUndefined();
  const lines = raw.slice(0, -2).split('\r\n');
  const long = lines.filter((line) => line.length > 998).map((line) => `${line.slice(0, 60)}… (${line.length})`);
  expect(long, 'lines over 998 octets').toEqual([]);
  // Header fields are 7-bit: anything else was encoded (RFC 2047).
  expect(/^[\t\x20-\x7e\r\n]*$/.test(raw.slice(0, raw.indexOf('\r\n\r\n')))).toBe(true);
}

const EXPECTED_FIELDS = [
  'content-type',
  'date',
  'from',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'message-id',
  'mime-version',
  'reply-to',
  'subject',
  'to',
];

/** No header an attacker named, in the parsed headers or in the raw header block, and only the fields we write. */
function expectNoInjectedHeader(raw: string, mail: ParsedMail, replyTo = true): void {
  for (const name of ['bcc', 'cc', 'x-injected']) expect(mail.headers.has(name), name).toBe(false);
  expect(mail.bcc).toBeUndefined();
  expect(mail.cc).toBeUndefined();
  const block = raw.slice(0, raw.indexOf('\r\n\r\n'));
  expect(block).not.toMatch(/^\s*(bcc|cc|x-injected)\s*:/im);
  const names = [...new Set(headerFields(raw).map((f) => f.name))].sort();
  expect(names).toEqual(replyTo ? EXPECTED_FIELDS : EXPECTED_FIELDS.filter((n) => n !== 'reply-to'));
  expect(addresses(mail.to)).toEqual([{ name: '', address: base.to }]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('structure', () => {
  it.each([
    ['non-ASCII, emoji and a 150 KB HTML line', base],
    ['a 150 KB pure-ASCII HTML line', { ...base, html: `<p>${'<b>plain</b> words '.repeat(8_000)}</p>` }],
    ['ASCII text with a blank last line', { ...base, text: 'Plain text only.\n\nSecond paragraph.\n\n' }],
  ])('is multipart/alternative: text/plain, then text/html, both utf-8, decoded exactly (%s)', async (_, input) => {
    expect(Buffer.byteLength(input.html)).toBeGreaterThan(input === base ? 150_000 : 0);
    const bytes = await buildMime(input);
    const raw = rawOf(bytes);
    expectWellFormedLines(raw);

    const mail = await parse(bytes);
    expect(contentType(mail).value).toBe('multipart/alternative');
    expect(mail.text).toBe(input.text);
    expect(mail.html).toBe(input.html);
    expect(mail.attachments).toEqual([]);

    const parts = await bodyParts(raw, contentType(mail).params.boundary!);
    expect(parts.map((p) => [contentType(p).value, contentType(p).params.charset?.toLowerCase()])).toEqual([
      ['text/plain', 'utf-8'],
      ['text/html', 'utf-8'],
    ]);
    expect(parts[0]!.text).toBe(input.text);
    expect(parts[1]!.html).toBe(input.html);
  });

  it('never lets a bare CR or LF from the content reach the message', async () => {
    const raw = rawOf(await message({ text: 'one\rtwo\r\nthree\nfour ä\r', html: '<p>a\rb</p>\r<p>ü\n</p>' }));
    expectWellFormedLines(raw);
  });

  it('keeps every header line under 998 octets with a 200-character non-ASCII list name and subject', async () => {
    const list = { name: `${'Ünïcødé 東京 🗞 '.repeat(15).slice(0, 200)} weekly digest`, id: base.list.id };
    const subject = `${'Grüße 東京 🔋 '.repeat(20).slice(0, 200)}`;
    const bytes = await message({ list, subject, from: { name: 'Ж'.repeat(100), address: base.from.address } });
    const raw = rawOf(bytes);
    expectWellFormedLines(raw);
    const mail = await parse(bytes);
    expect(mail.subject).toBe(subject);
    expect(decodeWords(fieldValues(raw, 'subject')[0]!)).toBe(subject);
    expect(addresses(mail.from)).toEqual([{ name: 'Ж'.repeat(100), address: base.from.address }]);
    const listId = (mail.headers.get('list') as unknown as { id: { name: string; id: string } }).id;
    expect({ name: decodeWords(listId.name), id: listId.id }).toEqual({ name: list.name, id: list.id });
  });
});

describe('headers', () => {
  it('carries From, To, Reply-To, Subject, Date, Message-ID and MIME-Version', async () => {
    const bytes = await message();
    const raw = rawOf(bytes);
    const mail = await parse(bytes);
    expect(addresses(mail.from)).toEqual([base.from]);
    expect(addresses(mail.to)).toEqual([{ name: '', address: base.to }]);
    expect(addresses(mail.replyTo)).toEqual([{ name: '', address: base.replyTo }]);
    expect(mail.subject).toBe(base.subject);
    expect(decodeWords(fieldValues(raw, 'subject')[0]!)).toBe(base.subject);
    expect(mail.date?.toISOString()).toBe(base.date.toISOString());
    expect(fieldValues(raw, 'date')).toEqual(['Mon, 23 Nov 2026 07:00:00 +0000']);
    expect(mail.messageId).toBe(messageIdFor(base.messageKey, base.to, base.from.address));
    expect(fieldValues(raw, 'message-id')).toEqual([messageIdFor(base.messageKey, base.to, base.from.address)]);
    expect(mail.messageId).toMatch(/^<2026-W48\.[0-9a-f]{24}@news\.example\.com>$/);
    expect(mail.headers.get('mime-version')).toBe('1.0');
    expect(fieldValues(raw, 'mime-version')).toEqual(['1.0']);
    for (const name of EXPECTED_FIELDS) expect(fieldValues(raw, name), name).toHaveLength(1);
  });

  it('has no Reply-To when none is given', async () => {
    const { replyTo: _, ...withoutReplyTo } = base;
    const bytes = await buildMime(withoutReplyTo);
    const mail = await parse(bytes);
    expect(mail.replyTo).toBeUndefined();
    expect(mail.headers.has('reply-to')).toBe(false);
    expect(fieldValues(rawOf(bytes), 'reply-to')).toEqual([]);
  });

  it('offers RFC 8058 one-click unsubscribe: the https URL alone, and the One-Click marker, each exactly once', async () => {
    const bytes = await message();
    const raw = rawOf(bytes);
    expect(fieldValues(raw, 'list-unsubscribe')).toEqual([`<${UNSUBSCRIBE}>`]);
    expect(fieldValues(raw, 'list-unsubscribe-post')).toEqual(['List-Unsubscribe=One-Click']);
    const mail = await parse(bytes);
    const list = mail.headers.get('list') as unknown as Record<string, Record<string, string>>;
    expect(list.unsubscribe).toEqual({ url: UNSUBSCRIBE });
    expect(list['unsubscribe-post']).toEqual({ name: 'List-Unsubscribe=One-Click' });
  });

  it.each([
    ['an ASCII name', 'Grid News weekly digest'],
    ['a non-ASCII name', 'Grüße aus 東京 🗞 weekly digest'],
    ['a name with quotes and a backslash', 'The "Grid" \\ News'],
  ])('has a List-Id with the name and <id> (%s)', async (_, name) => {
    const bytes = await message({ list: { name, id: 'digest.news.example.com' } });
    const raw = rawOf(bytes);
    expectWellFormedLines(raw);
    expect(fieldValues(raw, 'list-id')).toHaveLength(1);
    expect(fieldValues(raw, 'list-id')[0]).toMatch(/ <digest\.news\.example\.com>$/);
    const mail = await parse(bytes);
    const listId = (mail.headers.get('list') as unknown as { id: { name: string; id: string } }).id;
    expect(listId.id).toBe('digest.news.example.com');
    expect(decodeWords(listId.name)).toBe(name.replace(/["\\]/g, ''));
  });
});

describe('header injection', () => {
  it.each([
    ['CRLF + Bcc', 'Weekly\r\nBcc: evil@example.net'],
    ['LF + X-Injected', 'Weekly\nX-Injected: 1'],
    ['both, and a bare CR', 'Weekly\r\nBcc: evil@example.net\nX-Injected: 1\rCc: evil@example.net'],
  ])('a subject with %s stays one Subject header', async (_, subject) => {
    const bytes = await message({ subject });
    const raw = rawOf(bytes);
    const mail = await parse(bytes);
    expectNoInjectedHeader(raw, mail);
    expect(fieldValues(raw, 'subject')).toHaveLength(1);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toMatch(/^Weekly\s+Bcc: evil@example\.net|^Weekly\s+X-Injected: 1/);
  });

  it('a sender name with CRLF + Bcc stays a display name of the one sender', async () => {
    const bytes = await message({ from: { name: 'Newsroom\r\nBcc: evil@example.net', address: base.from.address } });
    const raw = rawOf(bytes);
    const mail = await parse(bytes);
    expectNoInjectedHeader(raw, mail);
    expect(addresses(mail.from)).toEqual([{ name: 'Newsroom Bcc: evil@example.net', address: base.from.address }]);
  });

  it('a sender name that looks like address syntax names the one sender', async () => {
    const name = 'Evil" <evil@example.net>, "x';
    const bytes = await message({ from: { name, address: base.from.address } });
    const mail = await parse(bytes);
    expectNoInjectedHeader(rawOf(bytes), mail);
    expect(addresses(mail.from)).toEqual([{ name, address: base.from.address }]);
  });

  const badAddresses = [
    ['CRLF + Bcc', 'x@y.com\r\nBcc: evil@z.com'],
    ['a list', 'a@b.com, c@d.com'],
    ['a display name', '"Name" <a@b.com>'],
    ['a stray >', 'a@b.com>'],
    ['an empty string', ''],
    ['300 characters', `${'a'.repeat(288)}@example.com`],
    ['a group', 'undisclosed:evil@z.com;'],
    ['a trailing LF', 'a@b.com\n'],
  ] as const;

  it.each(badAddresses)('a recipient with %s is rejected before any message is composed', async (_, to) => {
    if (to.length > 0) expect(to.length).toBeLessThanOrEqual(300);
    const compile = vi.spyOn(MailComposer.prototype, 'compile');
    expect(() => assertPlainAddress(to, 'recipient')).toThrow(RangeError);
    await expect(message({ to })).rejects.toThrow(RangeError);
    expect(compile).not.toHaveBeenCalled();
  });

  it.each(badAddresses)('a sender or Reply-To address with %s is rejected', async (_, address) => {
    const compile = vi.spyOn(MailComposer.prototype, 'compile');
    await expect(message({ from: { name: 'N', address } })).rejects.toThrow(RangeError);
    await expect(message({ replyTo: address })).rejects.toThrow(RangeError);
    expect(compile).not.toHaveBeenCalled();
  });

  it('accepts a plain address of 254 characters and rejects one of 300', () => {
    expect(() => assertPlainAddress('reader.name+digest@mail.example.co.uk', 'recipient')).not.toThrow();
    expect(() => assertPlainAddress(`${'a'.repeat(288)}@example.com`, 'recipient')).toThrow(RangeError);
  });

  it.each([
    ['http:', 'http://news.example.com/api/unsubscribe?token=abc'],
    ['http: to a host that only looks local', 'http://localhost.example.com/api/unsubscribe?token=abc'],
    ['http: to localhost without a path', 'http://localhost:8080'],
    ['mailto:', 'mailto:unsubscribe@news.example.com'],
    ['a >', 'https://news.example.com/u?t=abc>'],
    ['a second URL', 'https://news.example.com/u?t=abc>, <mailto:evil@example.net'],
    ['a <', 'https://news.example.com/u?t=<abc'],
    ['a space', 'https://news.example.com/u?t=a bc'],
    ['CRLF', 'https://news.example.com/u?t=abc\r\nBcc: evil@example.net'],
    ['a trailing LF', 'https://news.example.com/u?t=abc\n'],
    ['brackets already', `<${UNSUBSCRIBE}>`],
    ['an empty string', ''],
  ])('an unsubscribe URL with %s is rejected', async (_, unsubscribeUrl) => {
    const compile = vi.spyOn(MailComposer.prototype, 'compile');
    await expect(message({ unsubscribeUrl })).rejects.toThrow(RangeError);
    expect(compile).not.toHaveBeenCalled();
  });

  it("accepts http only for a local preview's own server", async () => {
    for (const url of ['http://localhost:8080/api/unsubscribe?token=abc', 'http://127.0.0.1/api/unsubscribe?t=1']) {
      const raw = Buffer.from(await message({ unsubscribeUrl: url })).toString('latin1');
      expect(raw).toContain(`List-Unsubscribe: <${url}>`);
    }
  });

  it.each([
    'digest',
    'digest news.example.com',
    'digest.news.example.com>',
    '<digest.news.example.com>',
    'digest.news.example.com\r\nBcc: evil@example.net',
    'digest.news.example.com\n',
    '.news.example.com',
    'news..example.com',
    'digest@news.example.com',
    '',
  ])('a List-Id of %j is rejected', async (id) => {
    const compile = vi.spyOn(MailComposer.prototype, 'compile');
    await expect(message({ list: { name: 'Digest', id } })).rejects.toThrow(RangeError);
    expect(compile).not.toHaveBeenCalled();
  });
});

describe('determinism', () => {
  it('gives the same bytes for the same input', async () => {
    const first = Buffer.from(await message());
    const second = Buffer.from(await message());
    expect(first.equals(second)).toBe(true);
  });

  it('gives another recipient another Message-ID and another boundary', async () => {
    const [mine, theirs] = await Promise.all([
      parse(await message()),
      parse(await message({ to: 'other@example.com' })),
    ]);
    expect(theirs.messageId).toBe(messageIdFor(base.messageKey, 'other@example.com', base.from.address));
    expect(theirs.messageId).not.toBe(mine.messageId);
    expect(contentType(theirs).params.boundary).not.toBe(contentType(mine).params.boundary);
  });

  it('messageIdFor is stable, and differs by issue and by recipient', () => {
    const id = messageIdFor('2026-W48', 'a@example.com', 'digest@news.example.com');
    expect(messageIdFor('2026-W48', 'a@example.com', 'digest@news.example.com')).toBe(id);
    expect(messageIdFor('2026-W48', 'b@example.com', 'digest@news.example.com')).not.toBe(id);
    expect(messageIdFor('2026-W49', 'a@example.com', 'digest@news.example.com')).not.toBe(id);
    expect(messageIdFor('2026 W48/<x>', 'a@example.com', 'digest@news.example.com')).toMatch(
      /^<2026-W48--x-\.[0-9a-f]{24}@news\.example\.com>$/,
    );
  });

  it('uses a boundary that occurs in neither decoded part, even when the content quotes an earlier boundary', async () => {
    const first = await parse(await message());
    const earlier = contentType(first).params.boundary!;
    expect(earlier.length).toBeGreaterThanOrEqual(24);
    expect(first.text).not.toContain(earlier);
    expect(first.html).not.toContain(earlier);

    const text = `${base.text}\n--${earlier}\nContent-Type: text/html\n\n<p>forged</p>\n--${earlier}--\n`;
    const html = `${base.html}<pre>--${earlier}--</pre>`;
    const bytes = await message({ text, html });
    const quoted = await parse(bytes);
    const boundary = contentType(quoted).params.boundary!;
    expect(boundary).not.toBe(earlier);
    expect(quoted.text).toBe(text);
    expect(quoted.html).toBe(html);
    expect(quoted.text).not.toContain(boundary);
    expect(quoted.html).not.toContain(boundary);
    expect(await bodyParts(rawOf(bytes), boundary)).toHaveLength(2);
  });
});

describe('a subject from the configuration', () => {
  const CONTROLS = /[\p{Cc}\p{Zl}\p{Zp}]/u;

  it('reaches the Subject header without C1 controls (U+0085) or line/paragraph separators (U+2028)', async () => {
    const settings = DigestSettingsSchema.parse({
      from: { name: 'Grid\u0085News', address: 'digest@news.example.com' },
      postalAddress: '1 Example Street, Berlin',
      subject: 'Grid\u0085News #{number}\u2028{headline}\u2029end\u009b',
    });
    const subject = subjectLine(settings.subject, { number: '12', headline: 'Batteries\u0085win\u2028big' });
    const bytes = await message({ subject, from: settings.from });
    const raw = rawOf(bytes);
    const mail = await parse(bytes);
    expectNoInjectedHeader(raw, mail);
    expect(mail.subject).not.toMatch(CONTROLS);
    expect(mail.subject?.split(/\s+/)).toEqual(['Grid', 'News', '#12', 'Batteries', 'win', 'big', 'end']);
    expect(decodeWords(fieldValues(raw, 'subject')[0]!)).not.toMatch(CONTROLS);
    expect(addresses(mail.from)[0]?.name).not.toMatch(CONTROLS);
  });

  it('is cleaned by buildMime itself, whatever the caller passes', async () => {
    const subject = 'Weekly\u0085digest\u2028#12\u2029\u0080\u009fnews\u0007';
    const bytes = await message({ subject });
    const raw = rawOf(bytes);
    const mail = await parse(bytes);
    expect(mail.subject).not.toMatch(CONTROLS);
    expect(mail.subject?.split(/\s+/).filter(Boolean)).toEqual(['Weekly', 'digest', '#12', 'news']);
    expect(decodeWords(fieldValues(raw, 'subject')[0]!)).not.toMatch(CONTROLS);
  });
});

describe('a transactional message (no list)', () => {
  const { list: _list, unsubscribeUrl: _unsubscribe, ...transactional } = base;
  const LIST_FIELDS = ['list-id', 'list-unsubscribe', 'list-unsubscribe-post'];

  it('has no List-Unsubscribe, List-Unsubscribe-Post or List-Id header', async () => {
    const bytes = await buildMime(transactional);
    const raw = rawOf(bytes);
    for (const name of LIST_FIELDS) expect(fieldValues(raw, name), name).toEqual([]);
    expect(raw.slice(0, raw.indexOf('\r\n\r\n'))).not.toMatch(/^list-/im);
    const mail = await parse(bytes);
    expect(mail.headers.has('list')).toBe(false);
    for (const name of LIST_FIELDS) expect(mail.headers.has(name), name).toBe(false);
  });

  it('writes every other header exactly once, and nothing else', async () => {
    const bytes = await buildMime(transactional);
    const raw = rawOf(bytes);
    const names = [...new Set(headerFields(raw).map((f) => f.name))].sort();
    expect(names).toEqual(EXPECTED_FIELDS.filter((n) => !LIST_FIELDS.includes(n)));
    for (const name of names) expect(fieldValues(raw, name), name).toHaveLength(1);
  });

  it('is the same well-formed multipart/alternative message otherwise', async () => {
    const bytes = await buildMime({ ...transactional, subject: 'Confirm\r\nBcc: evil@example.net' });
    const raw = rawOf(bytes);
    expectWellFormedLines(raw);
    const mail = await parse(bytes);
    expect(contentType(mail).value).toBe('multipart/alternative');
    expect(mail.text).toBe(base.text);
    expect(mail.html).toBe(base.html);
    expect(mail.bcc).toBeUndefined();
    expect(addresses(mail.to)).toEqual([{ name: '', address: base.to }]);
    expect(Buffer.from(await buildMime(transactional)).equals(Buffer.from(await buildMime(transactional)))).toBe(true);
  });

  it.each([
    ['a List-Id without an unsubscribe URL', { ...transactional, list: base.list }],
    ['an unsubscribe URL without a List-Id', { ...transactional, unsubscribeUrl: UNSUBSCRIBE }],
  ])('rejects half a list message: %s', async (_, input) => {
    const compile = vi.spyOn(MailComposer.prototype, 'compile');
    await expect(buildMime(input)).rejects.toThrow(RangeError);
    expect(compile).not.toHaveBeenCalled();
  });

  it('still rejects a bad recipient', async () => {
    await expect(buildMime({ ...transactional, to: 'x@y.com\r\nBcc: evil@z.com' })).rejects.toThrow(RangeError);
  });
});
