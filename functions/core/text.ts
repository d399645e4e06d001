// Plain-text hygiene shared by every output: what may enter an XML, HTML or JSON document, and how long text is cut.

// Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates): one stray byte would make a feed unreadable.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text as it may appear in any output: well-formed Unicode, no characters XML forbids, outer whitespace trimmed. */
export function cleanText(value: string): string {
  return withoutForbiddenChars(value).trim();
}

/** Removes what no XML document may contain; everything else is kept as it is. */
export function withoutForbiddenChars(value: string): string {
  return value.toWellFormed().replace(NOT_XML_CHAR, '');
}

/** Single-line text: runs of whitespace (including line breaks) become one space. */
export function cleanLine(value: string): string {
  return cleanText(value).replace(/\s+/g, ' ');
}

/**
 * Cuts text to at most `max` characters at a word boundary and marks the cut with an ellipsis.
 * Counts code points, so an emoji or a CJK character is never split in half.
 */
export function truncateAtWord(value: string, max: number): string {
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
