import { describeError } from '../../../../shared/errors';
import { normalizeEntry } from '../../../../shared/normalize/normalize';
import { makeQuarantineRow } from '../../../../shared/pipeline/ingest';
import { generateSample } from '../../../../cli/sample/generate';
import { REGISTRY } from '../../../../shared/tables/registry';
import {
  BigQueryInsertError,
  BigQueryQueryTimeoutError,
  BigQueryRequestError,
  createBigQueryWarehouse,
  encodeQueryParameters,
  type BigQueryWarehouseOptions,
} from '../../../../shared/warehouse/bigquery';
import type { RawBatch, Warehouse } from '../../../../shared/warehouse/port';
import {
  fakeFields,
  googleError,
  insertErrors,
  startFakeBigQuery,
  type FakeBigQuery,
  type RecordedRequest,
} from '../../../helpers/fake-bigquery';

const INGEST_TIME = '2025-10-08T12:00:00.123456Z';

/** Real rows: sample entries through the real normalizer, plus one quarantine row. */
function sampleBatch(entries = 12): RawBatch {
  const batch: RawBatch = { requests: [], responses: [], metadata_events: [], quarantine: [] };
  for (const entry of generateSample({ seed: 7, entries, duplicateRate: 0, users: 3, days: 1 })) {
    const out = normalizeEntry(entry, { ingestTime: INGEST_TIME, contentMode: 'full' });
    if (out.kind === 'request') batch.requests.push(out.row);
    else if (out.kind === 'response') batch.responses.push(out.row);
    else if (out.kind === 'metadata') batch.metadata_events.push(out.row);
  }
  // The row emulator.test.ts's child process writes too (it cannot import this fixture).
  batch.quarantine.push(
    makeQuarantineRow({
      source: 'pubsub',
      messageId: 'm-1',
      reason: 'invalid_json',
      detail: 'Unexpected token',
      raw: '{not json',
      quarantineTime: '2025-10-08T10:09:52.225165Z',
    }),
  );
  return batch;
}

function emptyBatch(): RawBatch {
  return { requests: [], responses: [], metadata_events: [], quarantine: [] };
}

interface InsertAllBody {
  skipInvalidRows?: boolean;
  ignoreUnknownValues?: boolean;
  rows: { insertId: string; json: Record<string, unknown> }[];
}
const insertBody = (r: RecordedRequest | undefined): InsertAllBody => r?.body as InsertAllBody;
const sentKeys = (r: RecordedRequest | undefined): string[] =>
  insertBody(r).rows.map((row) => row.insertId);

let fake: FakeBigQuery;
beforeEach(async () => {
  fake = await startFakeBigQuery({ projectId: 'gca-test' });
});
afterEach(async () => {
  await fake.close();
});

/** The adapter on the real client pointed at the fake, with fast, bounded retries. */
function warehouse(opts: Partial<BigQueryWarehouseOptions> = {}): Warehouse {
  return createBigQueryWarehouse({
    projectId: fake.projectId,
    bigquery: fake.client({ maxRetries: 2, maxRetryDelayMs: 5 }),
    callTimeoutMs: 5_000,
    sleep: async () => undefined,
    ...opts,
  });
}

describe('insertRaw', () => {
  it('streams each raw table with insertIds from its key and the rows as normalized', async () => {
    const batch = sampleBatch();
    const result = await warehouse().insertRaw(batch);

    const total =
      batch.requests.length +
      batch.responses.length +
      batch.metadata_events.length +
      batch.quarantine.length;
    expect(result).toEqual({ inserted: total, duplicates: 0, rejected: [] });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      (['requests', 'responses', 'metadata_events', 'quarantine'] as const)
        .filter((t) => batch[t].length > 0)
        .map((t) => `POST /projects/gca-test/datasets/gca_raw/tables/${t}/insertAll`),
    );
    const byTable = (t: string): RecordedRequest | undefined =>
      fake.requestsTo(`/tables/${t}/insertAll`)[0];
    expect(sentKeys(byTable('requests'))).toEqual(batch.requests.map((r) => r.entry_key));
    expect(sentKeys(byTable('metadata_events'))).toEqual(
      batch.metadata_events.map((r) => r.entry_key),
    );
    expect(insertBody(byTable('quarantine'))).toEqual({
      skipInvalidRows: true,
      ignoreUnknownValues: false,
      rows: [{ insertId: batch.quarantine[0]!.quarantine_id, json: batch.quarantine[0] }],
    });
    // The rows go on the wire exactly as normalized (already canonical), JSON text included.
    expect(insertBody(byTable('responses')).rows.map((r) => r.json)).toEqual(batch.responses);
    // No credentials were looked up or sent.
    expect(fake.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('sends TIMESTAMPs as microsecond ISO strings, truncating nanoseconds and offsets', async () => {
    const batch = sampleBatch(3);
    const row = batch.requests[0] ?? batch.metadata_events[0];
    expect(row).toBeDefined();
    const table = batch.requests[0] ? 'requests' : 'metadata_events';
    const edited = {
      ...row!,
      event_timestamp: '2025-10-08T10:09:52.225165428Z',
      receive_timestamp: '2025-10-08T12:09:52.5+02:00',
    };
    await warehouse().insertRaw({ ...emptyBatch(), [table]: [edited] });
    const sent = insertBody(fake.requestsTo(`/tables/${table}/insertAll`)[0]).rows[0]!.json;
    expect(sent.event_timestamp).toBe('2025-10-08T10:09:52.225165Z');
    expect(sent.receive_timestamp).toBe('2025-10-08T10:09:52.500000Z');
    expect(sent.ingest_time).toBe(INGEST_TIME);
  });

  it('batches by rows and by bytes, in order, and rejects a row too large to send', async () => {
    const batch = sampleBatch(40);
    const rows = batch.metadata_events.slice(0, 5);
    expect(rows).toHaveLength(5);
    await warehouse({ maxRowsPerRequest: 2 }).insertRaw({ ...emptyBatch(), metadata_events: rows });
    expect(fake.requests.map(sentKeys)).toEqual([
      rows.slice(0, 2).map((r) => r.entry_key),
      rows.slice(2, 4).map((r) => r.entry_key),
      rows.slice(4).map((r) => r.entry_key),
    ]);

    fake.requests.length = 0;
    const rowBytes = Buffer.byteLength(JSON.stringify({ insertId: 'x', json: rows[0] }));
    const big = { ...rows[4]!, payload: JSON.stringify({ blob: 'x'.repeat(rowBytes * 4) }) };
    const result = await warehouse({ maxBytesPerRequest: rowBytes * 2.5 }).insertRaw({
      ...emptyBatch(),
      metadata_events: [rows[0]!, rows[1]!, big, rows[2]!],
    });
    for (const r of fake.requests) {
      expect(Buffer.byteLength(JSON.stringify(insertBody(r).rows))).toBeLessThan(rowBytes * 2.5);
    }
    expect(fake.requests.flatMap(sentKeys)).toEqual([
      rows[0]!.entry_key,
      rows[1]!.entry_key,
      rows[2]!.entry_key,
    ]);
    expect(fake.requests.length).toBeGreaterThan(1);
    expect(result.inserted).toBe(3);
    expect(result.rejected).toEqual([
      { table: 'metadata_events', key: big.entry_key, detail: expect.stringMatching(/exceeds/) },
    ]);
  });

  it('returns the rows BigQuery calls invalid as rejected, the others as written', async () => {
    const rows = sampleBatch(40).metadata_events.slice(0, 4);
    fake.script(
      { path: /insertAll$/ },
      insertErrors({ index: 1, reason: 'invalid', message: 'Invalid timestamp: bogus' }),
    );
    const result = await warehouse().insertRaw({ ...emptyBatch(), metadata_events: rows });
    expect(result).toEqual({
      inserted: 3,
      duplicates: 0,
      rejected: [
        {
          table: 'metadata_events',
          key: rows[1]!.entry_key,
          detail: 'invalid: Invalid timestamp: bogus',
        },
      ],
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('re-sends only the rows that failed for a retryable reason', async () => {
    const rows = sampleBatch(40).metadata_events.slice(0, 4);
    fake.script(
      { path: /insertAll$/ },
      insertErrors(
        { index: 0, reason: 'invalid' },
        { index: 2, reason: 'backendError' },
        { index: 3, reason: 'stopped' },
      ),
    );
    const result = await warehouse().insertRaw({ ...emptyBatch(), metadata_events: rows });
    expect(fake.requests.map(sentKeys)).toEqual([
      rows.map((r) => r.entry_key),
      [rows[2]!.entry_key, rows[3]!.entry_key],
    ]);
    expect(result.inserted).toBe(3);
    expect(result.rejected.map((r) => r.key)).toEqual([rows[0]!.entry_key]);
  });

  // One test per retried reason, each stating what the caller sees. A row whose table lacks
  // one of its fields is not at fault either: right after a deploy adds a column, BigQuery's
  // streaming backend can call it unknown for a while (shared/errors.ts).
  it.each([
    ['backendError', 'backendError', 'backendError'],
    ['a missing field', 'invalid', 'no such field: new.'],
  ])(
    'throws a transient BigQueryInsertError when rows failing with %s keep failing',
    async (_name, reason, message) => {
      const rows = sampleBatch(40).metadata_events.slice(0, 2);
      const failing = insertErrors({ index: 0, reason, message });
      fake.script({ path: /insertAll$/ }, failing, failing, failing);
      const err: unknown = await warehouse({ maxRowRetries: 2 })
        .insertRaw({ ...emptyBatch(), metadata_events: rows })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BigQueryInsertError);
      expect((err as BigQueryInsertError).keys).toEqual([rows[0]!.entry_key]);
      expect(fake.requests.map(sentKeys)).toEqual([
        rows.map((r) => r.entry_key),
        [rows[0]!.entry_key],
        [rows[0]!.entry_key],
      ]);
      expect(describeError(err).errorClass).toBe('transient');
    },
  );

  it.each([
    [500, 'backendError'],
    [503, 'backendError'],
    [429, 'rateLimitExceeded'],
    [403, 'rateLimitExceeded'],
  ])('retries HTTP %i (%s) twice, then throws it with its status', async (status, reason) => {
    const rows = sampleBatch(40).metadata_events.slice(0, 2);
    const response = { status, body: googleError(status, reason) };
    fake.script({ path: /insertAll$/ }, response, response, response);
    const err: unknown = await warehouse()
      .insertRaw({ ...emptyBatch(), metadata_events: rows })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BigQueryRequestError);
    expect(err).toMatchObject({
      status,
      code: status,
      errors: [{ reason, message: `${reason} (fake)` }],
      operation: 'insertAll into gca_raw.metadata_events',
    });
    expect(fake.requests).toHaveLength(3);
    // The same rows with the same insertIds each time: a retry cannot duplicate.
    expect(new Set(fake.requests.map((r) => sentKeys(r).join()))).toEqual(
      new Set([rows.map((r) => r.entry_key).join()]),
    );
    expect(describeError(err).errorClass).toBe('transient');
  });

  it('does not retry a 403 quotaExceeded itself, and keeps the reason for the classifier', async () => {
    const rows = sampleBatch(40).metadata_events.slice(0, 1);
    fake.script({ path: /insertAll$/ }, { status: 403, body: googleError(403, 'quotaExceeded') });
    const err: unknown = await warehouse()
      .insertRaw({ ...emptyBatch(), metadata_events: rows })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, errors: [{ reason: 'quotaExceeded' }] });
    expect(fake.requests).toHaveLength(1);
    expect(describeError(err).errorClass).toBe('transient');
  });

  it('does not retry a 404 (missing table) and keeps its status', async () => {
    const rows = sampleBatch(40).metadata_events.slice(0, 1);
    fake.script({ path: /insertAll$/ }, { status: 404, body: googleError(404, 'notFound') });
    const err: unknown = await warehouse()
      .insertRaw({ ...emptyBatch(), metadata_events: rows })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'BigQueryRequestError', status: 404, code: 404 });
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up on a request that never answers at the call deadline (ETIMEDOUT)', async () => {
    const rows = sampleBatch(40).metadata_events.slice(0, 1);
    fake.script({ path: /insertAll$/ }, 'hang');
    const err: unknown = await warehouse({ callTimeoutMs: 300 })
      .insertRaw({ ...emptyBatch(), metadata_events: rows })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BigQueryRequestError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', status: null });
    expect(fake.requests).toHaveLength(1);
    expect(describeError(err).errorClass).toBe('transient');
  });

  it('retries a dropped connection, then throws its errno', async () => {
    const rows = sampleBatch(40).metadata_events.slice(0, 1);
    fake.script({ path: /insertAll$/ }, 'reset', 'reset', 'reset');
    const err: unknown = await warehouse()
      .insertRaw({ ...emptyBatch(), metadata_events: rows })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'BigQueryRequestError', code: 'ECONNRESET', status: null });
    expect(fake.requests).toHaveLength(3);
    expect(describeError(err).errorClass).toBe('transient');
  });

  it('sends nothing for an empty batch', async () => {
    expect(await warehouse().insertRaw(emptyBatch())).toEqual({
      inserted: 0,
      duplicates: 0,
      rejected: [],
    });
    expect(fake.requests).toEqual([]);
  });
});

describe('query and execute', () => {
  const SQL =
    'SELECT user_id, n FROM `gca_raw.metadata_events` WHERE event_timestamp >= @since ' +
    'AND day = @day AND user_id IN UNNEST(@users) AND n > @n AND r < @r AND a = @a ' +
    'AND ids IN UNNEST(@ids) AND x = @nothing AND y = @untyped';

  it('runs a parameterized query job with the rendered SQL and typed parameters', async () => {
    fake.onQuery(() => ({ fields: [], rows: [] }));
    await warehouse({ location: 'EU', labels: { app: 'gca-analytics' } }).query(SQL, {
      since: { type: 'TIMESTAMP', value: '2025-10-08T10:09:52.225165428Z' },
      day: { type: 'DATE', value: '2025-10-08' },
      users: ['alice@example.com', 'bob@example.com'],
      n: 3,
      r: 0.5,
      a: true,
      ids: { type: 'INT64', value: [1, 2] },
      nothing: { type: 'TIMESTAMP', value: null },
      untyped: null,
    });
    const [insert, results] = fake.requests;
    expect(insert?.method).toBe('POST');
    expect(insert?.path).toBe('/projects/gca-test/jobs');
    const body = insert?.body as {
      jobReference: { jobId: string; location: string; projectId: string };
      configuration: Record<string, unknown>;
    };
    expect(body.jobReference).toEqual({
      projectId: 'gca-test',
      jobId: expect.stringMatching(/^gca_/),
      location: 'EU',
    });
    expect(body.configuration).toEqual({
      query: {
        query: SQL.replace('`gca_raw.metadata_events`', '`gca-test.gca_raw.metadata_events`'),
        useLegacySql: false,
        parameterMode: 'NAMED',
        queryParameters: [
          {
            name: 'since',
            parameterType: { type: 'TIMESTAMP' },
            parameterValue: { value: '2025-10-08T10:09:52.225165Z' },
          },
          { name: 'day', parameterType: { type: 'DATE' }, parameterValue: { value: '2025-10-08' } },
          {
            name: 'users',
            parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
            parameterValue: {
              arrayValues: [{ value: 'alice@example.com' }, { value: 'bob@example.com' }],
            },
          },
          { name: 'n', parameterType: { type: 'INT64' }, parameterValue: { value: '3' } },
          { name: 'r', parameterType: { type: 'FLOAT64' }, parameterValue: { value: '0.5' } },
          { name: 'a', parameterType: { type: 'BOOL' }, parameterValue: { value: 'true' } },
          {
            name: 'ids',
            parameterType: { type: 'ARRAY', arrayType: { type: 'INT64' } },
            parameterValue: { arrayValues: [{ value: '1' }, { value: '2' }] },
          },
          { name: 'nothing', parameterType: { type: 'TIMESTAMP' }, parameterValue: {} },
          { name: 'untyped', parameterType: { type: 'STRING' }, parameterValue: {} },
        ],
      },
      jobTimeoutMs: '300000',
      labels: { app: 'gca-analytics' },
    });
    expect(results?.method).toBe('GET');
    expect(results?.path).toBe(`/projects/gca-test/queries/${body.jobReference.jobId}`);
    expect(results?.query).toMatchObject({
      location: 'EU',
      'formatOptions.useInt64Timestamp': 'true',
    });
  });

  it('renders configured dataset names', async () => {
    await warehouse({ datasets: { gca_raw: 'raw_dev', gca_analytics: 'analytics_dev' } }).query(
      'SELECT 1 FROM `gca_raw.requests` JOIN `gca_analytics.suggestions` ON TRUE',
    );
    const config = (fake.requests[0]?.body as { configuration: { query: { query: string } } })
      .configuration;
    expect(config.query.query).toBe(
      'SELECT 1 FROM `gca-test.raw_dev.requests` JOIN `gca-test.analytics_dev.suggestions` ON TRUE',
    );
  });

  it('returns rows in the registry conventions', async () => {
    fake.onQuery(() => ({
      fields: [
        ...fakeFields({
          n: 'INTEGER',
          rate: 'FLOAT',
          ok: 'BOOLEAN',
          t: 'TIMESTAMP',
          day: 'DATE',
          payload: 'JSON',
        }),
        { name: 'tags', type: 'STRING', mode: 'REPEATED' },
        {
          name: 'files',
          type: 'RECORD',
          mode: 'REPEATED',
          fields: fakeFields({ path: 'STRING', chars: 'INTEGER' }),
        },
        { name: 'missing', type: 'STRING' },
      ],
      rows: [
        [
          '42',
          '0.25',
          'true',
          '1759918192225165',
          '2025-10-08',
          '{"a":1}',
          ['x', 'y'],
          [{ path: 'a.ts', chars: '10' }],
          null,
        ],
        ['-1', 'NaN', 'false', '-1', '1969-12-31', null, [], [], null],
      ],
    }));
    const rows = await warehouse().query('SELECT 1');
    expect(rows).toEqual([
      {
        n: 42,
        rate: 0.25,
        ok: true,
        t: '2025-10-08T10:09:52.225165Z',
        day: '2025-10-08',
        payload: '{"a":1}',
        tags: ['x', 'y'],
        files: [{ path: 'a.ts', chars: 10 }],
        missing: null,
      },
      {
        n: -1,
        rate: NaN,
        ok: false,
        t: '1969-12-31T23:59:59.999999Z',
        day: '1969-12-31',
        payload: null,
        tags: [],
        files: [],
        missing: null,
      },
    ]);
  });

  it('polls until the job completes and reads every page', async () => {
    fake.onQuery(() => ({
      fields: [{ name: 'n', type: 'INTEGER' }],
      rows: [['1'], ['2'], ['3'], ['4'], ['5']],
      pendingPolls: 2,
    }));
    const rows = await warehouse({ pageSize: 2 }).query<{ n: number }>('SELECT n');
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    const polls = fake.requestsTo(/\/queries\//, 'GET');
    expect(polls.map((r) => r.query.pageToken ?? null)).toEqual([null, null, null, '2', '4']);
  });

  it('execute returns the number of rows the DML statement affected', async () => {
    fake.onQuery((q) => ({ numDmlAffectedRows: q.query.startsWith('DELETE') ? 7 : 0 }));
    const affected = await warehouse().execute(
      'DELETE FROM `gca_raw.requests` WHERE event_timestamp < @cutoff',
      { cutoff: { type: 'TIMESTAMP', value: '2025-01-01T00:00:00.000000Z' } },
    );
    expect(affected).toBe(7);
  });

  it('throws a job that fails while running with its status and reason', async () => {
    fake.onQuery(() => ({ error: { reason: 'invalidQuery', message: 'Unrecognized name: nope' } }));
    const err: unknown = await warehouse()
      .query('SELECT nope')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'BigQueryRequestError',
      status: 400,
      code: 400,
      errors: [{ reason: 'invalidQuery', message: 'Unrecognized name: nope' }],
    });
    expect((err as BigQueryRequestError).operation).toMatch(/^jobs.getQueryResults gca_/);
  });

  it('throws a job that jobs.insert returns failed with its reason (no HTTP status)', async () => {
    fake.onQuery(() => ({
      error: { reason: 'invalidQuery', message: 'Syntax error' },
      failAtInsert: true,
    }));
    const err: unknown = await warehouse()
      .query('SELEC 1')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'BigQueryRequestError',
      operation: 'jobs.insert',
      status: null,
      errors: [{ reason: 'invalidQuery', message: 'Syntax error' }],
    });
    expect(fake.requestsTo(/\/queries\//)).toEqual([]);
  });

  it('retries a 503 on jobs.insert, then succeeds', async () => {
    fake.script(
      { method: 'POST', path: '/projects/gca-test/jobs' },
      { status: 503, body: googleError(503, 'backendError') },
    );
    fake.onQuery(() => ({ fields: [{ name: 'n', type: 'INTEGER' }], rows: [['1']] }));
    expect(await warehouse().query('SELECT 1 AS n')).toEqual([{ n: 1 }]);
    expect(fake.requestsTo('/projects/gca-test/jobs', 'POST')).toHaveLength(2);
  });

  it('stops polling at the query deadline and cancels the job', async () => {
    fake.onQuery(() => ({ pendingPolls: 1_000_000 }));
    const err: unknown = await warehouse({ queryTimeoutMs: 200, resultsWaitMs: 10 })
      .query('SELECT 1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BigQueryQueryTimeoutError);
    expect(fake.requestsTo(/\/jobs\/[^/]+\/cancel$/, 'POST')).toHaveLength(1);
    expect(describeError(err).errorClass).toBe('transient');
  });

  it('refuses a parameter that is not what its type says, before any request', async () => {
    await expect(
      warehouse().query('SELECT @t', { t: { type: 'TIMESTAMP', value: 'yesterday' } }),
    ).rejects.toThrow(/@t: not a TIMESTAMP/);
    expect(() => encodeQueryParameters({ d: { type: 'DATE', value: '8/10/2025' } })).toThrow(
      /not a DATE/,
    );
    expect(() => encodeQueryParameters({ n: { type: 'INT64', value: 1.5 } })).toThrow(
      /not an INT64/,
    );
    expect(fake.requests).toEqual([]);
  });
});

describe('ensureSchema', () => {
  it('creates missing datasets, tables (schema, partitioning, clustering) and views', async () => {
    await warehouse({ location: 'EU' }).ensureSchema();
    const created = fake.requests.filter((r) => r.method === 'POST');
    expect(created.filter((r) => r.path.endsWith('/datasets')).map((r) => r.body)).toEqual([
      { datasetReference: { datasetId: 'gca_raw' }, location: 'EU', projectId: 'gca-test' },
      { datasetReference: { datasetId: 'gca_analytics' }, location: 'EU', projectId: 'gca-test' },
    ]);
    const tables = created.filter((r) => r.path.endsWith('/tables'));
    expect(tables.map((r) => r.path.split('/')[4])).toEqual(REGISTRY.map((t) => t.dataset));
    const requests = fake.resources.get('gca_raw.requests') as {
      schema: { fields: { name: string; type: string; mode: string }[] };
      timePartitioning: unknown;
      clustering: unknown;
    };
    expect(requests.schema.fields.find((f) => f.name === 'event_timestamp')).toMatchObject({
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
    });
    expect(requests.timePartitioning).toEqual({ type: 'DAY', field: 'event_timestamp' });
    expect(requests.clustering).toEqual({ fields: expect.arrayContaining(['user_id']) });
    // The former views are day-partitioned tables now (recompute maintains them).
    const interactions = fake.resources.get('gca_analytics.interactions') as {
      view?: unknown;
      timePartitioning: unknown;
    };
    expect(interactions.view).toBeUndefined();
    expect(interactions.timePartitioning).toEqual({ type: 'DAY', field: 'day' });
  });

  it('is idempotent: a second run only looks', async () => {
    const wh = warehouse();
    await wh.ensureSchema();
    fake.requests.length = 0;
    await wh.ensureSchema();
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(fake.requests).toHaveLength(2 + REGISTRY.length);
  });
});
