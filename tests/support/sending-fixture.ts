// What a sender test starts from: an issue prepared in a digest state bucket (its copy, as the preparer writes it),
// two confirmed subscribers in a fresh subscriber table, and a fresh send ledger, all on the stand-ins.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { issueArticlesKey } from '../../functions/pipeline/digest-state.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { makeArticle } from './article.ts';
import { newSubscriberTable, testDocumentClient } from './dynamo.ts';
import { newLedgerTable } from './ledger.ts';

export async function preparedIssueToSend(options: {
  issueId?: string;
  number?: number;
  title: string;
  label: string;
}) {
  const issueId = options.issueId ?? '2026-W48';
  const s3 = testS3Client();
  const state = await newBucket(s3, 'digest-state');
  const copy = {
    format: 1,
    issue: {
      id: issueId,
      number: options.number ?? 1,
      dueAt: '2026-11-23T06:00:00.000Z',
      since: '2026-11-16T06:00:00.000Z',
    },
    articles: [makeArticle('a', { title: options.title })],
  };
  await s3.send(new PutObjectCommand({ Bucket: state, Key: issueArticlesKey(issueId), Body: JSON.stringify(copy) }));
  const documents = testDocumentClient();
  const [subscribers, ledger] = await Promise.all([newSubscriberTable(documents), newLedgerTable(documents)]);
  const store = new DynamoSubscriberStore(documents, subscribers);
  const run = Date.now();
  const addresses = [`${options.label}-a-${run}@example.com`, `${options.label}-b-${run}@example.com`];
  const at = new Date('2026-11-20T00:00:00Z');
  for (const address of addresses) {
    const subscriber = { address, status: 'confirmed' as const, topics: [], consent: { at, source: 'form' } };
    await store.save({ ...subscriber, createdAt: at, updatedAt: at, softBounces: 0, version: 1 }, undefined);
  }
  return { s3, state, documents, subscribers, ledger, store, addresses };
}
