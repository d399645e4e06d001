import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slugify } from '../../functions/core/slug.ts';

// A character outside the Basic Multilingual Plane (CJK Extension B): one letter, two UTF-16 units.
const ASTRAL = '\u{20000}';

const inRange = (first: number, last: number) =>
  fc.integer({ min: first, max: last }).map((codePoint) => String.fromCodePoint(codePoint));

/** One code point from the scripts that break naive slug code: astral, combining, right-to-left, CJK, Hangul, ASCII. */
const anyScript = fc.oneof(
  inRange(0x20000, 0x2a6df), // CJK Extension B letters (astral)
  inRange(0x1f600, 0x1f64f), // emoji (astral symbols)
  inRange(0x1d400, 0x1d7ff), // mathematical letters and digits (astral, NFKD folds them to ASCII)
  inRange(0x0300, 0x036f), // combining diacritical marks
  inRange(0x0590, 0x05ff), // Hebrew (right-to-left, with its points)
  inRange(0x0600, 0x06ff), // Arabic (right-to-left, with format characters and marks)
  inRange(0x4e00, 0x9fff), // CJK unified ideographs
  inRange(0xac00, 0xd7a3), // Hangul syllables (NFKD splits each into two or three letters)
  inRange(0x20, 0x7e), // printable ASCII
);

describe('slugify', () => {
  it.each([
    ['AI in Healthcare', 'ai-in-healthcare'],
    ['Énergie', 'energie'],
    ['人工知能', '人工知能'],
    ['!!!', ''],
  ])('slugs %j as %j', (label, slug) => {
    expect(slugify(label)).toBe(slug);
  });

  it('cuts before a character that would be split at 80 units, so `a` and 40 astral letters keep 39 of them', () => {
    const slug = slugify(`a${ASTRAL.repeat(40)}`);
    expect(slug.isWellFormed()).toBe(true);
    expect(slug).toBe(`a${ASTRAL.repeat(39)}`);
    expect(slug).toHaveLength(79);
  });

  it('keeps the first 80 letters of a long ASCII label, as slugs always have', () => {
    const letters = 'abcdefghijklmnopqrstuvwxy'.repeat(4);
    expect(slugify(letters)).toBe(letters.slice(0, 80));
  });

  it('drops the hyphen a cut at 80 units leaves at the end', () => {
    expect(slugify('Word '.repeat(20))).toBe(`${'word-'.repeat(15)}word`);
  });

  it('keeps 80 units of a long label in the Basic Multilingual Plane, accented or CJK', () => {
    expect(slugify('é'.repeat(90))).toBe('e'.repeat(80));
    expect(slugify('知'.repeat(90))).toBe('知'.repeat(80));
  });

  it('gives a well-formed slug of at most 80 units and 240 UTF-8 bytes, without outer hyphens, that slugs to itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyScript, maxLength: 160, size: 'max' }), (label) => {
        const slug = slugify(label);
        expect(slug.isWellFormed()).toBe(true);
        expect(slug.length).toBeLessThanOrEqual(80);
        expect(Buffer.byteLength(slug, 'utf8')).toBeLessThanOrEqual(240);
        expect(slug).not.toMatch(/^-|-$/);
        expect(slugify(slug)).toBe(slug);
      }),
      { numRuns: 1000 },
    );
  });
});
