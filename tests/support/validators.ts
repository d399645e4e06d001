// Judges generated feeds with tools that did not write them: libxml2's RELAX NG validator with the RFC 4287 schema
// (compiled to WebAssembly, so no Java or system package is needed), ajv with a JSON Feed 1.1 schema, and libxml2 again
// for well-formedness with namespaces (fast-xml-parser's XMLValidator is too lenient: see validators.test.ts).
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { validateXML } from 'xmllint-wasm';

const atomSchema = readFileSync(new URL('./schemas/atom.rng', import.meta.url), 'utf8');
const jsonFeedSchema = JSON.parse(readFileSync(new URL('./schemas/jsonfeed-1.1.schema.json', import.meta.url), 'utf8'));

/** Errors from validating an Atom document against RFC 4287's RELAX NG schema; [] when valid. */
export async function validateAtom(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'feed.atom', contents: xml }],
    schema: [atomSchema],
    extension: 'relaxng',
  });
  return result.errors.map((error) => error.rawMessage);
}

// strictRequired off: the schema lists `required` inside `anyOf` ("content_html or content_text"), which is intended.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);
const checkJsonFeed = ajv.compile(jsonFeedSchema);

/** Errors like `/items/0/id: must be string` from validating against JSON Feed 1.1; [] when valid. */
export function validateJsonFeed(json: string): string[] {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (checkJsonFeed(document)) return [];
  return (checkJsonFeed.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
  );
}

const STRICT_FILE = 'document.xml';

/**
 * Errors like `line 3: namespace error : Namespace prefix media on content is not defined` from libxml2 parsing the
 * document with namespaces on; [] when it is well formed and namespace-well-formed.
 */
export async function strictXmlErrors(xml: string): Promise<string[]> {
  // No schema: xmllint runs as `xmllint --noout document.xml`, a plain parse.
  const result = await validateXML({ xml: [{ fileName: STRICT_FILE, contents: xml }], schema: [] });
  // xmllint exits 0 after a namespace error (an undeclared prefix) and only prints it, so `valid` and `errors` miss it:
  // every message printed counts. Each message is a `document.xml:LINE: ...` line followed by an excerpt and a caret.
  const messages = result.rawOutput
    .split('\n')
    .filter((line) => line.startsWith(`${STRICT_FILE}:`))
    .map((line) => line.replace(/^[^:]+:(\d+): /, 'line $1: '));
  if (messages.length > 0) return messages;
  const output = result.rawOutput.trim();
  return result.valid && output === '' ? [] : [output || 'xmllint rejected the document without a message'];
}

/**
 * The document as libxml2 parsed it, in canonical XML (C14N): every character reference decoded, and only `&amp;`,
 * `&lt;`, `&gt;`, `&quot;` and whitespace references written back. A simple parser can read this form exactly, so tests
 * compare what a strict parser saw, whichever references the writer chose.
 */
export async function canonicalXml(xml: string): Promise<string> {
  const result = await validateXML({ xml, normalization: 'c14n' });
  if (result.rawOutput.trim() !== '') throw new Error(`libxml2 rejected the document: ${result.rawOutput}`);
  return result.normalized;
}
