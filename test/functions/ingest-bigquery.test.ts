/**
 * `ingest` in its cloud configuration (GCA_WAREHOUSE=bigquery) against a local endpoint speaking
 * BigQuery's REST calls (test/helpers/fake-bigquery.ts): the real client and adapter, the
 * delivery semantics on BigQuery's own error shapes, and one client reused across invocations.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { parseConfig } from '../../shared/config';
import { createDepsProvider, type DepsProvider } from '../../shared/deps';
import { createLogger } from '../../shared/log';
import { entryKey } from '../../shared/normalize/entry-key';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import {
  fakeWarehouseFor,
  googleError,
  insertErrors,
  startFakeBigQuery,
  type FakeBigQuery,
} from '../helpers/fake-bigquery';
import { captureLines, pushBody } from './helpers';

// The per-test state of a function's test, as ingest.test.ts keeps it.
let fake: FakeBigQuery;
let deps: DepsProvider;
let log: ReturnType<typeof captureLines>;
let opens = 0;
let n = 0;
let target: string;

beforeEach(async () => {
  fake = await startFakeBigQuery();
  log = captureLines();
  opens = 0;
  const config = parseConfig({
    GOOGLE_CLOUD_PROJECT: fake.projectId,
    GCA_RAW_DATASET: 'gca_raw_prod',
    GCA_BQ_LOCATION: 'EU',
  });
  deps = createDepsProvider(config, {
    // As shared/deps.ts builds it, with the fake's client (no credentials, no client retries).
    openWarehouse: async (c) => {
      opens++;
      return fakeWarehouseFor(fake, c);
    },
    openState: () => Promise.reject(new Error('ingest must not open the state store')),
  });
  target = `ingest_bq_${++n}`;
  http(target, createIngestHandler(config, { deps, logger: createLogger({ write: log.write }) }));
});

afterEach(async () => {
  await deps.close();
  await fake.close();
});

const INSERT_METADATA = /\/datasets\/gca_raw_prod\/tables\/metadata_events\/insertAll$/;
const INSERT_QUARANTINE = /\/datasets\/gca_raw_prod\/tables\/quarantine\/insertAll$/;

function message(id: string) {
  const entry = makeMetadataEntry('codeExposure', { originalRequestId: id });
  return { entry, body: pushBody(entryText(entry), id) };
}

it('streams the row with its entry key as insertId, and reuses one client', async () => {
  for (const id of ['b-1', 'b-2', 'b-3']) {
    const { entry, body } = message(id);
    const res = await request(getTestServer(target)).post('/').send(body);
    expect(res.status).toBe(200);
    const sent = fake.requestsTo(INSERT_METADATA).at(-1)?.body as {
      rows: { insertId: string; json: Record<string, unknown> }[];
    };
    expect(sent.rows).toHaveLength(1);
    expect(sent.rows[0]?.insertId).toBe(
      entryKey(String(entry.logName), String(entry.timestamp), String(entry.insertId)),
    );
    expect(sent.rows[0]?.json.original_request_id).toBe(id);
  }
  expect(opens).toBe(1);
});

it.each([
  ['503 backendError', 503, 'backendError', 'http 503'],
  ['429 rateLimitExceeded', 429, 'rateLimitExceeded', 'http 429'],
  ['403 rateLimitExceeded', 403, 'rateLimitExceeded', 'reason rateLimitExceeded'],
])('a BigQuery %s answers 503 so Pub/Sub redelivers', async (_name, code, reason, signal) => {
  fake.script(
    { method: 'POST', path: INSERT_METADATA },
    { status: code, body: googleError(code, reason) },
  );
  const { body } = message('b-4');
  const res = await request(getTestServer(target)).post('/').send(body);
  expect(res.status).toBe(503);
  expect(log.json()[0]).toMatchObject({
    message: 'ingest failed',
    signal,
    errorClass: 'transient',
  });
  // The redelivery goes through and is written.
  const again = await request(getTestServer(target)).post('/').send(body);
  expect(again.status).toBe(200);
  expect(again.body.counts.normalized).toBe(1);
});

it('a connection reset answers 503', async () => {
  fake.script({ method: 'POST', path: INSERT_METADATA }, 'reset');
  const res = await request(getTestServer(target)).post('/').send(message('b-5').body);
  expect(res.status).toBe(503);
  expect(log.json()[0]).toMatchObject({ message: 'ingest failed', errorClass: 'transient' });
});

it('a row BigQuery calls invalid is quarantined and the message acked', async () => {
  fake.script(
    { method: 'POST', path: INSERT_METADATA },
    insertErrors({ index: 0, reason: 'invalid', message: 'Invalid timestamp: x' }),
  );
  const res = await request(getTestServer(target)).post('/').send(message('b-6').body);
  expect(res.status).toBe(200);
  expect(res.body.counts).toMatchObject({ read: 1, normalized: 0, quarantined: 1 });
  const q = fake.requestsTo(INSERT_QUARANTINE)[0]?.body as {
    rows: { json: Record<string, unknown> }[];
  };
  expect(q.rows[0]?.json).toMatchObject({
    reason: 'row_rejected',
    message_id: 'b-6',
    source: 'pubsub',
  });
});
