// Source → articles: list the source, read every Markdown file (bounded concurrency), parse each on its own.
import pLimit from 'p-limit';
import { type Article, type FieldProblem, parseArticle } from '../core/article.ts';
import type { Storage } from '../storage/port.ts';

export interface Rejection {
  file: string;
  reason: 'invalid' | 'unreadable';
  problems: FieldProblem[];
}

export interface Warning {
  file: string;
  problem: FieldProblem;
}

export interface LoadedArticles {
  read: number;
  articles: Article[];
  rejected: Rejection[];
  warnings: Warning[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function loadArticles(source: Storage, options: { concurrency?: number } = {}): Promise<LoadedArticles> {
  const keys: string[] = [];
  for await (const object of source.list()) if (/\.md$/i.test(object.key)) keys.push(object.key);
  keys.sort();

  const limit = pLimit(options.concurrency ?? 16);
  const results = await Promise.all(
    keys.map((key) =>
      limit(async () => {
        const file = source.displayName(key);
        let bytes: Uint8Array;
        try {
          bytes = await source.read(key);
        } catch (error) {
          const reason = `could not be read (${(error as Error).message})`;
          return { ok: false as const, file, reason: 'unreadable' as const, problems: [{ field: 'file', reason }] };
        }
        let text: string;
        try {
          text = utf8.decode(bytes);
        } catch {
          return {
            ok: false as const,
            file,
            reason: 'invalid' as const,
            problems: [{ field: 'file', reason: 'not valid UTF-8 text' }],
          };
        }
        const parsed = parseArticle({ key, file, source: text });
        return parsed.ok ? parsed : { ...parsed, reason: 'invalid' as const };
      }),
    ),
  );

  const loaded: LoadedArticles = { read: keys.length, articles: [], rejected: [], warnings: [] };
  for (const result of results) {
    if (result.ok) {
      loaded.articles.push(result.article);
      loaded.warnings.push(...result.warnings.map((problem) => ({ file: result.article.file, problem })));
    } else {
      loaded.rejected.push({ file: result.file, reason: result.reason, problems: result.problems });
    }
  }
  return loaded;
}
