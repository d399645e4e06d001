// The core is pure: it imports nothing that does I/O or reads the clock, so it can be tested and reasoned about alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = new URL('../../functions/core/', import.meta.url).pathname;
const files = readdirSync(CORE, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
const FORBIDDEN_IMPORT =
  /^(node:|fs$|path$|os$|child_process$|@aws-sdk\/|\.\.\/(\.\.\/)*(storage|pipeline|handlers|mail)\b)/;

describe.each(files)('functions/core/%s', (file) => {
  const source = readFileSync(join(CORE, file), 'utf8');
  const imports = [...source.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');

  it('imports no AWS SDK, file system, process or adapter module', () => {
    expect(imports.filter((spec) => FORBIDDEN_IMPORT.test(spec))).toEqual([]);
  });

  it('never reads the clock or randomness', () => {
    expect(source).not.toMatch(/Date\.now\(|new Date\(\)|Math\.random\(|process\.env/);
  });
});

it('the purity check sees the core files', () => {
  expect(files).toContain('article.ts');
  expect(files.length).toBeGreaterThan(10);
});

// MJML is compiled once, at build time (scripts/build-templates.ts): nothing a Lambda or the CLI loads imports it,
// so no bundle carries its 68 MB and no run pays its second-long start.
const FUNCTIONS = new URL('../../functions/', import.meta.url).pathname;
const everyModule = readdirSync(FUNCTIONS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

it('no module under functions/ imports mjml', () => {
  const importing = everyModule.filter((file) =>
    /\bfrom\s+['"]mjml|import\(\s*['"]mjml|require\(\s*['"]mjml/.test(readFileSync(join(FUNCTIONS, file), 'utf8')),
  );
  expect(everyModule).toContain('mail/digest-message.ts');
  expect(importing).toEqual([]);
});
