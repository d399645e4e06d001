// Judges generated feeds with tools that did not write them: libxml2's RELAX NG validator with the RFC 4287 schema
// (compiled to WebAssembly, so no Java or system package is needed), ajv with a JSON Feed 1.1 schema, and
// fast-xml-parser for well-formedness.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { XMLValidator } from 'fast-xml-parser';
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

/** Errors from an XML well-formedness check; [] when well formed. */
export function wellFormedXmlErrors(xml: string): string[] {
  const result = XMLValidator.validate(xml);
  return result === true ? [] : [`line ${result.err.line}: ${result.err.msg}`];
}
