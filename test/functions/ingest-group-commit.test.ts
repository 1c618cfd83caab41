/**
 * Group commit in `ingest` (shared/pipeline/group-commit.ts): concurrent requests to the target
 * on functions-framework's test server share their warehouse writes. In the cloud configuration
 * against the local BigQuery endpoint (test/helpers/fake-bigquery.ts: the real client and
 * adapter), and in local mode against a real DuckDB file.
 */
import type { Server } from 'node:http';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { parseConfig } from '../../shared/config';
import { createDepsProvider, DEFAULT_FACTORIES, type DepsProvider } from '../../shared/deps';
import { createLogger } from '../../shared/log';
import { entryKey } from '../../shared/normalize/entry-key';
import type { GroupCommitLimits } from '../../shared/pipeline/group-commit';
import { createBigQueryWarehouse } from '../../shared/warehouse/bigquery';
import { entryText, makeMetadataEntry, makeRequestEntry } from '../helpers/entries';
import {
  googleError,
  insertErrors,
  startFakeBigQuery,
  type FakeBigQuery,
} from '../helpers/fake-bigquery';
import { factoriesWrapping, serviceUnavailable, wrapWarehouse } from '../helpers/warehouse';
import { captureLines, makeLocalSetup, pushBody, rawTableCounts } from './helpers';

const INSERT_METADATA = /\/tables\/metadata_events\/insertAll$/;
const INSERT_REQUESTS = /\/tables\/requests\/insertAll$/;
const INSERT_QUARANTINE = /\/tables\/quarantine\/insertAll$/;

interface SentRows {
  rows: { insertId: string; json: Record<string, unknown> }[];
}

let n = 0;

/** A message whose entry is a metadata event, with its entry key (= BigQuery insertId). */
function message(id: string, entry = makeMetadataEntry('codeExposure', { originalRequestId: id })) {
  return {
    id,
    key: entryKey(String(entry.logName), String(entry.timestamp), String(entry.insertId)),
    body: pushBody(entryText(entry), id),
  };
}

/** POSTs every body at once (concurrent invocations of one instance). */
function postAll(server: Server, bodies: unknown[]) {
  return Promise.all(
    bodies.map((b) =>
      request(server)
        .post('/')
        .send(b as object),
    ),
  );
}

describe('group commit on BigQuery', () => {
  let fake: FakeBigQuery;
  let deps: DepsProvider;
  let log: ReturnType<typeof captureLines>;
  let opens: number;

  beforeEach(async () => {
    fake = await startFakeBigQuery();
    log = captureLines();
    opens = 0;
  });

  afterEach(async () => {
    await deps.close();
    await fake.close();
  });

  /** The ingest target with `limits`; the adapter splits requests at `maxRowsPerRequest`. */
  function serve(limits: Partial<GroupCommitLimits>, maxRowsPerRequest = 500): Server {
    const config = parseConfig({ GOOGLE_CLOUD_PROJECT: fake.projectId });
    deps = createDepsProvider(config, {
      openWarehouse: async (c) => {
        opens++;
        return createBigQueryWarehouse({
          projectId: c.projectId ?? '',
          datasets: { gca_raw: c.rawDataset, gca_analytics: c.analyticsDataset },
          bigquery: fake.client({ maxRetries: 0 }),
          maxRowsPerRequest,
          sleep: async () => undefined,
        });
      },
      openState: () => Promise.reject(new Error('ingest must not open the state store')),
    });
    const target = `ingest_gc_${++n}`;
    http(
      target,
      createIngestHandler(config, {
        deps,
        logger: createLogger({ write: log.write }),
        groupCommit: limits,
      }),
    );
    return getTestServer(target);
  }

  it('writes the rows of concurrent requests together, insertIds the entry keys', async () => {
    const server = serve({ delayMs: 300 });
    const messages = Array.from({ length: 20 }, (_, i) => message(`g-${i}`));
    const answers = await postAll(
      server,
      messages.map((m) => m.body),
    );
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'ok',
        messageId: `g-${i}`,
        counts: { read: 1, normalized: 1, duplicates: 0, quarantined: 0, skipped: 0 },
      });
    }
    const writes = fake.requestsTo(INSERT_METADATA);
    // Fewer writes than requests: gathered (all 20 in one when they arrive within 300 ms).
    expect(writes.length).toBeLessThan(20);
    const sent = writes.flatMap((w) => (w.body as SentRows).rows);
    expect(sent.map((r) => r.insertId).sort()).toEqual(messages.map((m) => m.key).sort());
    expect(opens).toBe(1);
    // One summary line per flush, counting every message.
    const lines = log.json();
    expect(lines.length).toBe(writes.length);
    const read = lines.reduce((s, l) => s + (l.counts as { read: number }).read, 0);
    expect(read).toBe(20);
  });

  it('flushes when the group reaches maxRows, without waiting for the delay', async () => {
    // A delay far longer than the test's timeout: only the row limit can write these.
    const server = serve({ delayMs: 1_000, maxRows: 4 });
    const messages = Array.from({ length: 8 }, (_, i) => message(`r-${i}`));
    const answers = await postAll(
      server,
      messages.map((m) => m.body),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const sizes = fake.requestsTo(INSERT_METADATA).map((w) => (w.body as SentRows).rows.length);
    expect(sizes).toEqual([4, 4]);
  });

  it('writes a message alone once the delay has passed (never held longer)', async () => {
    const delayMs = 400;
    const server = serve({ delayMs });
    const { body, key } = message('alone');
    const started = performance.now();
    const res = await request(server).post('/').send(body);
    const waited = performance.now() - started;
    expect(res.status).toBe(200);
    // No other request came to fill the group: the timer wrote it, after the delay...
    expect(waited).toBeGreaterThanOrEqual(delayMs - 5);
    // ...and not held for another (the bound is loose for a loaded machine; a message left
    // waiting for company would never be answered at all).
    expect(waited).toBeLessThan(delayMs + 5_000);
    const writes = fake.requestsTo(INSERT_METADATA);
    expect(writes.map((w) => (w.body as SentRows).rows.map((r) => r.insertId))).toEqual([[key]]);
  });

  it('once a write has ended, a group as large as the requests it served is written without waiting for the delay', async () => {
    // The delay is long enough that a group written before it is unmistakable on any machine.
    const delayMs = 3_000;
    const server = serve({ delayMs });
    const rounds = [4, 4, 2].map((size, r) =>
      Array.from({ length: size }, (_, i) => message(`e-${r}-${i}`)),
    );
    const flushes: Record<string, unknown>[] = [];
    for (const round of rounds) {
      const answers = await postAll(
        server,
        round.map((m) => m.body),
      );
      expect(answers.map((a) => a.status)).toEqual(round.map(() => 200));
      flushes.push(...log.json().slice(flushes.length));
    }
    // One write per round: the first waits for the delay (nothing is known of the load yet);
    // the second holds as many requests as the first write answered (the slots Pub/Sub
    // refills), so it is complete and written at once; the third is smaller than that and
    // waits for the delay, no longer.
    expect(flushes.map((f) => f.messages)).toEqual([4, 4, 2]);
    const waited = flushes.map((f) => f.latencyMs as number);
    expect(waited[0]).toBeGreaterThanOrEqual(delayMs - 5);
    expect(waited[1]).toBeLessThan(delayMs / 2);
    expect(waited[2]).toBeGreaterThanOrEqual(delayMs - 5);
    expect(waited[2]).toBeLessThan(delayMs + 5_000);
    const sent = fake
      .requestsTo(INSERT_METADATA)
      .map((w) => (w.body as SentRows).rows.map((r) => r.insertId).sort());
    expect(sent).toEqual(rounds.map((round) => round.map((m) => m.key).sort()));
  }, 30_000);

  it('at one request at a time, each message is written at once after the first', async () => {
    const delayMs = 3_000;
    const server = serve({ delayMs });
    const messages = Array.from({ length: 3 }, (_, i) => message(`one-${i}`));
    for (const m of messages)
      expect((await request(server).post('/').send(m.body)).status).toBe(200);
    const waited = log.json().map((f) => f.latencyMs as number);
    expect(waited).toHaveLength(3);
    expect(waited[0]).toBeGreaterThanOrEqual(delayMs - 5);
    // The last write served one request: a group of one is complete.
    expect(waited[1]).toBeLessThan(delayMs / 2);
    expect(waited[2]).toBeLessThan(delayMs / 2);
  }, 30_000);

  it('a transient failure of the shared write fails every request in it; the redelivery writes the same keys', async () => {
    const server = serve({ delayMs: 300 });
    fake.script(
      { method: 'POST', path: INSERT_METADATA },
      { status: 503, body: googleError(503, 'backendError') },
    );
    const messages = Array.from({ length: 6 }, (_, i) => message(`t-${i}`));
    const first = await postAll(
      server,
      messages.map((m) => m.body),
    );
    expect(first.map((a) => a.status)).toEqual(Array(6).fill(503));
    for (const res of first) expect(res.body).toMatchObject({ status: 'error', retryable: true });
    expect(log.json().at(-1)).toMatchObject({
      message: 'ingest failed',
      failed: 6,
      signal: 'http 503',
      httpStatus: 503,
    });
    // Pub/Sub redelivers: every message is written, under the same insertIds.
    const again = await postAll(
      server,
      messages.map((m) => m.body),
    );
    expect(again.map((a) => a.status)).toEqual(Array(6).fill(200));
    const [failed, ...retried] = fake.requestsTo(INSERT_METADATA);
    const keys = (w: unknown) => (w as SentRows).rows.map((r) => r.insertId).sort();
    expect(keys(failed?.body)).toEqual(messages.map((m) => m.key).sort());
    expect(retried.flatMap((w) => keys(w.body)).sort()).toEqual(messages.map((m) => m.key).sort());
  });

  it('a connection dropped in the middle of a flush fails every request of it; rows written before it are rewritten under the same keys', async () => {
    // 12 rows, 4 per insertAll request: the second request of the flush loses its connection
    // after the first was stored.
    const server = serve({ delayMs: 300 }, 4);
    fake.script({ method: 'POST', path: INSERT_METADATA }, { status: 200, body: {} }, 'reset');
    const messages = Array.from({ length: 12 }, (_, i) => message(`c-${i}`));
    const first = await postAll(
      server,
      messages.map((m) => m.body),
    );
    expect(first.map((a) => a.status)).toEqual(Array(12).fill(503));
    const before = fake.requestsTo(INSERT_METADATA);
    expect(before).toHaveLength(2);
    const landed = (before[0]?.body as SentRows).rows.map((r) => r.insertId);
    expect(landed).toHaveLength(4);
    const again = await postAll(
      server,
      messages.map((m) => m.body),
    );
    expect(again.map((a) => a.status)).toEqual(Array(12).fill(200));
    const rewritten = fake
      .requestsTo(INSERT_METADATA)
      .slice(2)
      .flatMap((w) => (w.body as SentRows).rows.map((r) => r.insertId));
    // Every key again, each once: BigQuery's insertId dedup keeps one row of the 4 that landed.
    expect(rewritten.sort()).toEqual(messages.map((m) => m.key).sort());
    for (const key of landed) expect(rewritten).toContain(key);
  });

  it('a row BigQuery calls invalid quarantines that row only, for the request it came from', async () => {
    const server = serve({ delayMs: 300 });
    // As BigQuery answers a request with one invalid row: the others are `stopped`, not
    // written; the adapter sends them again.
    fake.script(
      { method: 'POST', path: INSERT_METADATA },
      insertErrors(
        { index: 0, reason: 'stopped' },
        { index: 1, reason: 'stopped' },
        { index: 2, reason: 'invalid', message: 'Invalid timestamp: x' },
        { index: 3, reason: 'stopped' },
        { index: 4, reason: 'stopped' },
      ),
    );
    const messages = Array.from({ length: 5 }, (_, i) => message(`i-${i}`));
    const answers = await postAll(
      server,
      messages.map((m) => m.body),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
    const firstWrite = fake.requestsTo(INSERT_METADATA)[0]?.body as SentRows;
    const invalidId = String(firstWrite.rows[2]?.json.original_request_id);
    for (const res of answers) {
      const quarantined = res.body.messageId === invalidId ? 1 : 0;
      expect(res.body.counts).toEqual({
        read: 1,
        normalized: 1 - quarantined,
        duplicates: 0,
        quarantined,
        skipped: 0,
      });
    }
    const q = fake.requestsTo(INSERT_QUARANTINE).flatMap((w) => (w.body as SentRows).rows);
    expect(q.map((r) => [r.json.reason, r.json.message_id])).toEqual([['row_rejected', invalidId]]);
    // The 4 stopped rows were sent again and written.
    expect((fake.requestsTo(INSERT_METADATA)[1]?.body as SentRows).rows).toHaveLength(4);
  });

  it('a whole-write refusal (413) is retried request by request: only the request at fault is quarantined', async () => {
    const server = serve({ delayMs: 300 });
    const big = message('big', makeRequestEntry());
    const small = [message('s-0'), message('s-1')];
    // The group's requests write (413), then each request alone: `big` is refused again.
    fake.script(
      { method: 'POST', path: INSERT_REQUESTS },
      { status: 413, body: googleError(413, 'payloadTooLarge') },
      { status: 413, body: googleError(413, 'payloadTooLarge') },
    );
    const answers = await postAll(server, [big.body, ...small.map((m) => m.body)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0]?.body.counts).toMatchObject({ read: 1, normalized: 0, quarantined: 1 });
    expect(answers[1]?.body.counts).toMatchObject({ read: 1, normalized: 1, quarantined: 0 });
    expect(answers[2]?.body.counts).toMatchObject({ read: 1, normalized: 1, quarantined: 0 });
    const q = fake.requestsTo(INSERT_QUARANTINE).flatMap((w) => (w.body as SentRows).rows);
    expect(q.map((r) => [r.json.reason, r.json.message_id])).toEqual([['too_large', 'big']]);
  });

  it('a message that cannot be decoded is quarantined in the same group as the good ones', async () => {
    const server = serve({ delayMs: 300 });
    const good = [message('ok-0'), message('ok-1')];
    const bad = { message: { data: '!!not base64!!', messageId: 'bad-1' } };
    const answers = await postAll(server, [good[0]?.body, bad, good[1]?.body]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[1]?.body).toMatchObject({ messageId: 'bad-1', counts: { quarantined: 1 } });
    expect(fake.requestsTo(INSERT_METADATA)).toHaveLength(1);
    const q = fake.requestsTo(INSERT_QUARANTINE).flatMap((w) => (w.body as SentRows).rows);
    expect(q.map((r) => [r.json.reason, r.json.message_id])).toEqual([
      ['invalid_message', 'bad-1'],
    ]);
  });

  it('the same entry twice in one group: if its row is refused and its quarantine row cannot be written, both requests fail', async () => {
    const server = serve({ delayMs: 300 });
    const m = message('twice-refused');
    const unavailable = { status: 503, body: googleError(503, 'backendError') };
    fake.script(
      { method: 'POST', path: INSERT_METADATA },
      insertErrors({ index: 0, reason: 'invalid', message: 'Invalid timestamp: x' }),
    );
    fake.script({ method: 'POST', path: INSERT_QUARANTINE }, unavailable, unavailable, unavailable);
    // One message delivered twice at once: acking either copy settles it, so neither may be
    // acked while its entry is stored nowhere.
    const answers = await postAll(server, [m.body, m.body]);
    expect(answers.map((a) => a.status)).toEqual([503, 503]);
    expect(fake.requestsTo(INSERT_QUARANTINE).length).toBeGreaterThan(0);
  });

  it('the same entry twice in one group is written once, a duplicate for the second', async () => {
    const server = serve({ delayMs: 300 });
    const m = message('twice');
    const answers = await postAll(server, [m.body, m.body]);
    const counts = answers.map((a) => a.body.counts as { normalized: number; duplicates: number });
    expect(counts.map((c) => c.normalized).sort()).toEqual([0, 1]);
    expect(counts.map((c) => c.duplicates).sort()).toEqual([0, 1]);
    const sent = fake.requestsTo(INSERT_METADATA).flatMap((w) => (w.body as SentRows).rows);
    expect(sent.map((r) => r.insertId)).toEqual([m.key]);
  });
});

describe('group commit on DuckDB (local mode)', () => {
  it('gathers concurrent requests into one open of the file, with exact per-request counts', async () => {
    const setup = makeLocalSetup();
    let opens = 0;
    const deps = createDepsProvider(setup.config, {
      ...DEFAULT_FACTORIES,
      openWarehouse: async (config) => {
        opens++;
        return DEFAULT_FACTORIES.openWarehouse(config);
      },
    });
    try {
      const target = `ingest_gc_duckdb_${++n}`;
      const log = captureLines();
      http(
        target,
        createIngestHandler(setup.config, {
          deps,
          groupCommit: { delayMs: 300 },
          logger: createLogger({ write: log.write }),
        }),
      );
      const server = getTestServer(target);
      const messages = Array.from({ length: 10 }, (_, i) => message(`d-${i}`));
      // The first message is also delivered twice in the group (a racing redelivery).
      const answers = await postAll(server, [...messages.map((m) => m.body), messages[0]?.body]);
      expect(answers.map((a) => a.status)).toEqual(Array(11).fill(200));
      const counts = answers.map((a) => a.body.counts as Record<string, number>);
      const total = (k: string) => counts.reduce((s, c) => s + (c[k] ?? 0), 0);
      expect([total('normalized'), total('duplicates')]).toEqual([10, 1]);
      expect(opens).toBeLessThan(11);
      expect(log.json()[0]).toMatchObject({ message: 'ingest done', messages: 11 });
      // A later redelivery of one of them: its own count says duplicate.
      const again = await request(server).post('/').send(messages[3]?.body);
      expect(again.body.counts).toMatchObject({ normalized: 0, duplicates: 1 });
      await deps.close();
      expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 10 });
    } finally {
      await deps.close();
      setup.cleanup();
    }
  });
});

describe('group commit on DuckDB: writes are per request', () => {
  it("a request whose own write fails answers 503 alone; the group's others are written", async () => {
    const setup = makeLocalSetup();
    const deps = createDepsProvider(
      setup.config,
      factoriesWrapping((real) =>
        wrapWarehouse(real, {
          insertRaw: async (batch) => {
            if (batch.metadata_events.some((r) => r.original_request_id === 'dx-1')) {
              throw serviceUnavailable();
            }
            return real.insertRaw(batch);
          },
        }),
      ),
    );
    try {
      const target = `ingest_gc_duckdb_${++n}`;
      http(
        target,
        createIngestHandler(setup.config, {
          deps,
          groupCommit: { delayMs: 300 },
          logger: createLogger({ write: () => undefined }),
        }),
      );
      const messages = [message('dx-0'), message('dx-1'), message('dx-2')];
      const answers = await postAll(
        getTestServer(target),
        messages.map((m) => m.body),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 503, 200]);
      await deps.close();
      expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 2 });
    } finally {
      await deps.close();
      setup.cleanup();
    }
  });
});
