// Build step: MJML templates → functions/mail/generated/templates.ts (pre-rendered HTML and text fragments of each
// message: the digest and the confirmation of a sign-up).
// Runs before npm start, test, typecheck, bench and preview; does nothing when templates/ and this script are
// unchanged. Nothing at run time imports mjml: Lambdas only escape values and join fragments.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompiledTemplate, slotsOf, splitFragments, tokensOf } from '../functions/mail/template.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATES = join(ROOT, 'templates');
const OUTPUT = join(ROOT, 'functions/mail/generated/templates.ts');

/**
 * Each message the code assembles: its MJML and text templates, the blocks the code fills (a template that lacks one,
 * or has one the code does not know, fails the build, named), the constants it becomes in the generated module and
 * the keys of its tokens in TOKENS.
 */
interface MessageTemplates {
  mjml: string;
  text: string;
  /** `DIGEST` → `DIGEST_HTML`, `DIGEST_TEXT`. */
  constant: string;
  tokenKeys: { html: string; text: string };
  expected: { html: readonly string[]; text: readonly string[] };
}

const MESSAGES: readonly MessageTemplates[] = [
  {
    // Filled by functions/mail/digest-message.ts.
    mjml: 'digest.mjml',
    text: 'digest.txt',
    constant: 'DIGEST',
    tokenKeys: { html: 'html', text: 'text' },
    expected: {
      html: [
        'stories',
        'stories.heading',
        'stories.story',
        'stories.story.picture',
        'stories.story.pictureUnsized',
        'stories.story.related',
        'stories.story.related.link',
        'stories.story.related.link.by',
        'stories.brief',
        'stories.brief.thumb',
        'stories.brief.thumbUnsized',
        'stories.brief.related',
        'stories.brief.related.link',
        'stories.brief.related.link.by',
        'stories.more',
        'stories.nothing',
        'mailFooter',
        'webFooter',
      ],
      text: [
        'stories',
        'stories.heading',
        'stories.story',
        'stories.story.related',
        'stories.story.related.link',
        'stories.story.related.link.by',
        'stories.more',
        'stories.nothing',
        'mailFooter',
      ],
    },
  },
  {
    // Filled by functions/mail/confirm-message.ts.
    mjml: 'confirm.mjml',
    text: 'confirm.txt',
    constant: 'CONFIRM',
    tokenKeys: { html: 'confirmHtml', text: 'confirmText' },
    expected: {
      html: ['topics', 'topics.topic', 'everyTopic'],
      text: ['topics', 'topics.topic', 'everyTopic'],
    },
  },
];

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function inputHash(): Promise<string> {
  const hash = createHash('sha256');
  const mjmlVersion = JSON.parse(await readFile(join(ROOT, 'node_modules/mjml/package.json'), 'utf8')).version;
  hash.update(`mjml ${mjmlVersion}\n`);
  for (const file of [...(await filesBelow(TEMPLATES)), fileURLToPath(import.meta.url)]) {
    hash.update(`${relative(ROOT, file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function check(template: CompiledTemplate, expected: readonly string[]): void {
  const missing = expected.filter((path) => !(path in template.fragments));
  const unknown = Object.keys(template.fragments).filter((path) => !expected.includes(path));
  const problems = [
    ...missing.map((p) => `no {{#${p.split('.').at(-1)}}} block at ${p}`),
    ...unknown.map((p) => `{{#${p.split('.').at(-1)}}} at ${p} is not filled by the code`),
  ];
  for (const [path, body] of Object.entries(template.fragments)) {
    for (const slot of slotsOf(body)) {
      if (!(`${path}.${slot}` in template.fragments)) problems.push(`${path} has a stray slot {{>${slot}}}`);
    }
  }
  if (problems.length > 0) throw new Error(`templates/${template.source}:\n  ${problems.join('\n  ')}`);
}

async function renderMjml(file: string): Promise<string> {
  const { default: mjml2html } = await import('mjml');
  const source = await readFile(file, 'utf8');
  const result = await mjml2html(source, {
    filePath: file,
    validationLevel: 'strict',
    minify: true,
    // The CSS minifier is not installable next to this mjml (see ../shared/notes/toolchain.md).
    minifyOptions: { minifyCss: false },
    keepComments: false,
    // mjml 5 ignores mj-include unless told, and then only below includePath.
    ignoreIncludes: false,
    includePath: TEMPLATES,
  });
  return result.html;
}

export async function buildTemplates(options: { force?: boolean } = {}): Promise<'built' | 'unchanged'> {
  const hash = await inputHash();
  const current = await readFile(OUTPUT, 'utf8').catch(() => '');
  if (!options.force && current.includes(`TEMPLATES_HASH = '${hash}'`)) return 'unchanged';

  const tokens = (t: CompiledTemplate) =>
    Object.fromEntries([['', tokensOf(t.root)], ...Object.entries(t.fragments).map(([p, f]) => [p, tokensOf(f)])]);
  const constants: string[] = [];
  const tokensByKey: Record<string, Record<string, string[]>> = {};
  for (const message of MESSAGES) {
    const html = splitFragments(await renderMjml(join(TEMPLATES, message.mjml)), message.mjml);
    const text = splitFragments(await readFile(join(TEMPLATES, message.text), 'utf8'), message.text);
    check(html, message.expected.html);
    check(text, message.expected.text);
    constants.push(
      `export const ${message.constant}_HTML: CompiledTemplate = ${JSON.stringify(html)};`,
      `export const ${message.constant}_TEXT: CompiledTemplate = ${JSON.stringify(text)};`,
    );
    tokensByKey[message.tokenKeys.html] = tokens(html);
    tokensByKey[message.tokenKeys.text] = tokens(text);
  }

  const body = `// Generated by scripts/build-templates.ts from templates/: do not edit, run npm run build:templates.
import type { CompiledTemplate } from '../template.ts';

export const TEMPLATES_HASH = '${hash}';

${constants.join('\n\n')}

/** The {{value}} tokens of each fragment ('' is the root) by template (html, text: the digest), for tests. */
export const TOKENS: Record<string, Record<string, string[]>> = ${JSON.stringify(tokensByKey)};
`;
  await mkdir(dirname(OUTPUT), { recursive: true });
  const temporary = `${OUTPUT}.${process.pid}.tmp`;
  await writeFile(temporary, body);
  await rename(temporary, OUTPUT);
  return 'built';
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  try {
    const result = await buildTemplates({ force: process.argv.includes('--force') });
    if (result === 'built') {
      console.error(`templates compiled in ${Math.round(performance.now() - started)} ms → ${relative(ROOT, OUTPUT)}`);
    }
  } catch (error) {
    console.error(`Cannot compile the templates: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
