// Plain-text hygiene shared by every output: what may enter an XML, HTML or JSON document, and how long text is cut.

// Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates): one stray byte would make a feed unreadable.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

// Characters that show nothing on their own: whitespace, controls, format characters (zero-width space, word joiner,
// byte order mark, bidi marks), combining marks with no base, variation selectors, tag characters, and the few letters
// and symbols that render blank (Hangul fillers, the blank Braille pattern).
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0\u2800\u{E0000}-\u{E007F}]*$/u;

/** Whether a person would see anything at all: text made only of invisible characters counts as empty. */
export function hasVisibleText(value: string): boolean {
  return !INVISIBLE.test(value);
}

/**
 * Text as it may appear in any output: well-formed Unicode, no characters XML forbids, outer whitespace trimmed;
 * empty when nothing in it is visible.
 */
export function cleanText(value: string): string {
  const cleaned = withoutForbiddenChars(value).trim();
  return hasVisibleText(cleaned) ? cleaned : '';
}

const HAS_NOT_XML_CHAR = new RegExp(NOT_XML_CHAR.source, 'u');

/** Removes what no XML document may contain; everything else is kept as it is (and not copied: feeds call it often). */
export function withoutForbiddenChars(value: string): string {
  const wellFormed = value.isWellFormed() ? value : value.toWellFormed();
  return HAS_NOT_XML_CHAR.test(wellFormed) ? wellFormed.replace(NOT_XML_CHAR, '') : wellFormed;
}

/** Single-line text: runs of whitespace (including line breaks) become one space. */
export function cleanLine(value: string): string {
  const cleaned = cleanText(value);
  // Most lines have single spaces only: nothing to replace, nothing copied.
  return /[^\S ]| {2}/.test(cleaned) ? cleaned.replace(/\s+/g, ' ') : cleaned;
}

/**
 * The longest start of `value` that fits in `maxUnits` UTF-16 code units without splitting a character: a surrogate
 * pair is kept whole or left out whole, so the result is always well-formed.
 */
export function cutToUnits(value: string, maxUnits: number): string {
  if (value.length <= maxUnits) return value;
  const end = /[\uD800-\uDBFF]/.test(value[maxUnits - 1] ?? '') ? maxUnits - 1 : maxUnits;
  return value.slice(0, end);
}

/** `value` shortened to at most `max` characters (code points), marked with an ellipsis when cut: for messages. */
export function abbreviate(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : value;
}

/**
 * Cuts text to at most `max` characters at a word boundary and marks the cut with an ellipsis.
 * Counts code points, so an emoji or a CJK character is never split in half.
 */
export function truncateAtWord(value: string, max: number): string {
  if (value.length <= max) return value; // no more characters than UTF-16 units
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  const head = chars.slice(0, max - 1).join('');
  // When the cut lands inside a word, back up to the previous space, unless that would drop more than half the text
  // (one very long word, or CJK text without spaces): then cut where it stands.
  const cutInsideWord = !/\s/.test(chars[max - 1] ?? ' ');
  const lastSpace = head.search(/\s\S*$/);
  const cut = cutInsideWord && lastSpace > head.length / 2 ? head.slice(0, lastSpace) : head;
  return `${cut.replace(/[\s.,;:!?-]+$/u, '')}…`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Shows a value briefly in a message (`"high"`, `1.5`, `a list`); long text is cut so an error line stays readable. */
export function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  // Invisible characters are spelled out, or a message would show `got ""` for a value that is not empty.
  return abbreviate(text, 60).replace(
    /[\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/** A name (a file path) on one line: control characters and line separators spelled out, so no name forges a line. */
export function printable(name: string): string {
  return name.replace(
    /[\p{Cc}\u2028\u2029]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
