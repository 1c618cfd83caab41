/**
 * The `ingest` target on functions-framework's own test server, in local mode (real DuckDB file,
 * real local state file): every body kind Pub/Sub sends, poison messages, a transient warehouse
 * failure and redelivery.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { installJsonErrorAnswers } from '../../functions/handlers/framework-errors';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { startupGroupCommit } from '../../functions/handlers/startup';
import { ConfigError } from '../../shared/config';
import { DEFAULT_GROUP_COMMIT } from '../../shared/pipeline/group-commit';
import { createDepsProvider, DEFAULT_FACTORIES, type DepsProvider } from '../../shared/deps';
import { createLogger } from '../../shared/log';
import type { Warehouse } from '../../shared/warehouse/port';
import { isPseudonym } from '../../shared/content/pseudonymize';
import { entryText, makeMetadataEntry, makeRequestEntry, USER_ID } from '../helpers/entries';
import { factoriesWrapping, serviceUnavailable, wrapWarehouse } from '../helpers/warehouse';
import {
  binaryCloudEventHeaders,
  captureLines,
  makeLocalSetup,
  PUBLISH_TIME,
  pushBody,
  rawTableCounts,
  structuredCloudEvent,
  type LocalSetup,
} from './helpers';

/** Opens `path` in another Node process (DuckDB locks the file per process) until stopped. */
async function holdDuckDbFile(path: string): Promise<{ stop(): Promise<void> }> {
  const script = `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(path)}).then(() => { process.stdout.write('ready\\n'); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the holder process did not open the file')),
      20_000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the holder process exited with ${code}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

const NOW = new Date('2025-10-08T12:00:00.000Z');

// The per-test state of a function's test, as ingest-bigquery.test.ts keeps it.
let setup: LocalSetup;
let deps: DepsProvider;
let log: ReturnType<typeof captureLines>;
/** Inserts to fail before the real warehouse is called, as BigQuery's 503 would. */
let failNextInserts = 0;
let targetCounter = 0;
let target: string;

/** A warehouse whose insertRaw fails while `failNextInserts` > 0 (a 503 from the service). */
function flaky(warehouse: Warehouse): Warehouse {
  return wrapWarehouse(warehouse, {
    insertRaw: async (batch) => {
      if (failNextInserts > 0) {
        failNextInserts--;
        throw serviceUnavailable();
      }
      return warehouse.insertRaw(batch);
    },
  });
}

beforeEach(() => {
  setup = makeLocalSetup();
  failNextInserts = 0;
  log = captureLines();
  deps = createDepsProvider(setup.config, factoriesWrapping(flaky));
  // A fresh target per test: functions-framework's registry is global to the process.
  // Each test registers its own target (functions-framework keeps the first of a name), as the
  // other targets' tests do.
  target = `ingest_test_${++targetCounter}`;
  http(
    target,
    createIngestHandler(setup.config, {
      deps,
      now: () => NOW,
      logger: createLogger({ write: log.write }),
    }),
  );
});

afterEach(async () => {
  await deps.close();
  setup.cleanup();
});

const server = () => getTestServer(target);

describe('ingest: body kinds', () => {
  it('writes a push body and answers 200 with the counts', async () => {
    const entry = makeMetadataEntry('codeExposure', { originalRequestId: 's-1' });
    const res = await request(server())
      .post('/')
      .send(pushBody(entryText(entry), 'm-1'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      messageId: 'm-1',
      counts: { read: 1, normalized: 1, duplicates: 0, quarantined: 0, skipped: 0 },
    });
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1, quarantine: 0 });
  });

  it('writes a structured-mode CloudEvent', async () => {
    const entry = makeRequestEntry();
    const res = await request(server())
      .post('/')
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(structuredCloudEvent(entryText(entry), 'm-2')));
    expect(res.status).toBe(200);
    expect(res.body.messageId).toBe('m-2');
    expect(res.body.counts.normalized).toBe(1);
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ requests: 1 });
  });

  it('writes a binary-mode CloudEvent (ce-* headers, push body)', async () => {
    const entry = makeMetadataEntry('chatExposure', { originalRequestId: 'c-1' });
    const res = await request(server())
      .post('/')
      .set(binaryCloudEventHeaders('m-3'))
      .send(pushBody(entryText(entry), 'm-3'));
    expect(res.status).toBe(200);
    expect(res.body.counts.normalized).toBe(1);
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1 });
  });

  it('logs one summary line for a message written alone, without content', async () => {
    const entry = makeRequestEntry({
      jsonPayload: {
        taskCompletionRequest: {
          input: { messages: [{ author: 'USER', content: 'PROMPT-TEXT-MARKER' }] },
        },
      },
    });
    await request(server())
      .post('/')
      .send(pushBody(entryText(entry), 'm-4'))
      .expect(200);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).not.toContain('PROMPT-TEXT-MARKER');
    const line = log.json()[0];
    expect(line).toEqual({
      severity: 'INFO',
      message: 'ingest done',
      component: 'ingest',
      messageId: 'm-4',
      counts: { read: 1, normalized: 1, duplicates: 0, quarantined: 0, skipped: 0 },
      writes: 1,
      rows: 1,
      // NOW (the injected clock) minus the message's publishTime.
      publishAgeMs: NOW.getTime() - Date.parse(PUBLISH_TIME),
      latencyMs: expect.any(Number),
    });
  });
});

// A target configured for the case, as ingestUnder below builds one; here the summary line is
// what is checked, not the stored rows, so the case builds its own (alike by shape only).
describe('ingest: trace', () => {
  it.each([
    ['x-cloud-trace-context', '0123456789abcdef0123456789abcdef/123;o=1'],
    ['traceparent', '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01'],
  ])('links the summary line to the request trace (%s)', async (header, value) => {
    const traced = makeLocalSetup({ GOOGLE_CLOUD_PROJECT: 'acme' });
    const tracedDeps = createDepsProvider(traced.config);
    try {
      const name = `${target}_trace_${header}`;
      http(
        name,
        createIngestHandler(traced.config, {
          deps: tracedDeps,
          logger: createLogger({ write: log.write }),
        }),
      );
      const body = pushBody(entryText(makeMetadataEntry('codeExposure', {})), 't-1');
      await request(getTestServer(name)).post('/').set(header, value).send(body).expect(200);
      expect(log.json()[0]).toMatchObject({
        message: 'ingest done',
        'logging.googleapis.com/trace': 'projects/acme/traces/0123456789abcdef0123456789abcdef',
      });
    } finally {
      await tracedDeps.close();
      traced.cleanup();
    }
  });
});

/**
 * Posts one push of `entry` to an ingest target configured with `env`, then runs `sql` on what
 * it stored: the privacy settings are read from the configuration, so each case gets its own.
 */
async function ingestUnder<T extends object>(
  env: Record<string, string>,
  suffix: string,
  entry: unknown,
  messageId: string,
  sql: string,
): Promise<T[]> {
  const configured = makeLocalSetup(env);
  const configuredDeps = createDepsProvider(configured.config);
  try {
    const name = `${target}_${suffix}`;
    http(
      name,
      createIngestHandler(configured.config, {
        deps: configuredDeps,
        logger: createLogger({ write: log.write }),
      }),
    );
    await request(getTestServer(name))
      .post('/')
      .send(pushBody(entryText(entry), messageId))
      .expect(200);
    await configuredDeps.close();
    const w = await DEFAULT_FACTORIES.openWarehouse(configured.config);
    try {
      return await w.query<T>(sql);
    } finally {
      await w.close();
    }
  } finally {
    configured.cleanup();
  }
}

describe('ingest: privacy', () => {
  it('pseudonymizes user ids when GCA_PSEUDONYMIZE_KEY is set', async () => {
    const rows = await ingestUnder<{ user_id: string }>(
      { GCA_PSEUDONYMIZE_KEY: 'a-test-key-of-enough-bytes' },
      'keyed',
      makeMetadataEntry('codeExposure', { originalRequestId: 'k-1' }),
      'k-1',
      'SELECT user_id FROM `gca_raw.metadata_events`',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.user_id).not.toBe(USER_ID);
    expect(isPseudonym(rows[0]?.user_id ?? '')).toBe(true);
  });

  it('stores content under the configured content mode (metadata-only keeps no prompt)', async () => {
    const rows = await ingestUnder<{ prompt_text: string | null; content_mode: string }>(
      { GCA_CONTENT_MODE: 'metadata-only' },
      'meta',
      makeRequestEntry({
        jsonPayload: {
          taskCompletionRequest: {
            input: { messages: [{ author: 'USER', content: 'SECRET-PROMPT' }] },
          },
        },
      }),
      'c-1',
      'SELECT prompt_text, content_mode FROM `gca_raw.requests`',
    );
    expect(rows).toEqual([{ prompt_text: null, content_mode: 'metadata-only' }]);
  });
});

describe('ingest: delivery semantics', () => {
  it('refuses a GET with 405 and stores nothing', async () => {
    const res = await request(server()).get('/');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    // The warehouse was never even opened.
    expect(existsSync(setup.dbPath)).toBe(false);
    expect(log.json()).toMatchObject([{ message: 'ingest rejected', httpStatus: 405 }]);
  });

  it('a redelivered message changes nothing', async () => {
    const body = pushBody(
      entryText(makeMetadataEntry('codeAcceptance', { originalRequestId: 's' })),
      'm-5',
    );
    await request(server()).post('/').send(body).expect(200);
    const again = await request(server()).post('/').send(body).expect(200);
    expect(again.body.counts).toEqual({
      read: 1,
      normalized: 0,
      duplicates: 1,
      quarantined: 0,
      skipped: 0,
    });
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1 });
  });

  it.each([
    [
      'data that is not base64',
      { message: { data: '!!not base64!!', messageId: 'p-1' } },
      'invalid_message',
    ],
    [
      'a message without data',
      { message: { messageId: 'p-2', attributes: { a: 'b' } } },
      'invalid_message',
    ],
    ['a body that is not a push body', { hello: 'world' }, 'invalid_message'],
    ['data that is not JSON', pushBody('this is not json', 'p-3'), 'invalid_json'],
    [
      'an entry of a log that is not a Gemini log',
      pushBody(
        entryText(makeMetadataEntry('codeExposure', {}, { logName: 'projects/p/logs/other' })),
        'p-4',
      ),
      'unknown_log',
    ],
  ])('%s: quarantined and acked with 200, stored once', async (_name, body, reason) => {
    const first = await request(server()).post('/').send(body);
    expect(first.status).toBe(200);
    const second = await request(server()).post('/').send(body);
    expect(second.status).toBe(200);
    expect(first.body.counts).toMatchObject({ read: 1, quarantined: 1 });
    expect(second.body.counts).toMatchObject({ read: 1, quarantined: 0, duplicates: 1 });
    expect(await rawTableCounts(setup.dbPath)).toEqual({
      requests: 0,
      responses: 0,
      metadata_events: 0,
      quarantine: 1,
    });
    const w = await DEFAULT_FACTORIES.openWarehouse(setup.config);
    try {
      const rows = await w.query<{ reason: string; source: string }>(
        'SELECT reason, source FROM `gca_raw.quarantine`',
      );
      expect(rows).toEqual([{ reason, source: 'pubsub' }]);
    } finally {
      await w.close();
    }
    const summaries = log.json();
    expect(summaries.map((l) => l.severity)).toEqual(['WARNING', 'INFO']);
    expect(summaries[0]).toMatchObject({ message: 'ingest done', counts: { quarantined: 1 } });
  });

  it('an entry of another resource type is skipped, acked and not stored', async () => {
    const entry = makeMetadataEntry('codeExposure', {}, { resource: { type: 'gce_instance' } });
    const res = await request(server())
      .post('/')
      .send(pushBody(entryText(entry), 'p-5'));
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({
      read: 1,
      normalized: 0,
      duplicates: 0,
      quarantined: 0,
      skipped: 1,
    });
    expect(await rawTableCounts(setup.dbPath)).toEqual({
      requests: 0,
      responses: 0,
      metadata_events: 0,
      quarantine: 0,
    });
  });

  it('a transient warehouse failure answers 503 (redeliver), then the redelivery writes once', async () => {
    const body = pushBody(
      entryText(makeMetadataEntry('codeExposure', { originalRequestId: 't' })),
      'm-6',
    );
    failNextInserts = 1;
    const failed = await request(server()).post('/').send(body);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ status: 'error', messageId: 'm-6', retryable: true });
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 0 });
    const retried = await request(server()).post('/').send(body);
    expect(retried.status).toBe(200);
    expect(retried.body.counts.normalized).toBe(1);
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1 });
    const lines = log.json();
    expect(lines.map((l) => [l.severity, l.message])).toEqual([
      ['WARNING', 'ingest failed'],
      ['INFO', 'ingest done'],
    ]);
    expect(lines[0]).toMatchObject({ status: 'retry', httpStatus: 503, signal: 'http 503' });
  });

  it('a DuckDB file held by another process is transient: 503, then written once it is free', async () => {
    // Create the schema first, then let another process hold the file, as a CLI run would.
    await (await DEFAULT_FACTORIES.openWarehouse(setup.config)).close();
    const holder = await holdDuckDbFile(setup.dbPath);
    const body = pushBody(entryText(makeMetadataEntry('codeExposure', {})), 'm-7');
    try {
      const res = await request(server()).post('/').send(body);
      expect(res.status).toBe(503);
      expect(log.json()[0]).toMatchObject({ message: 'ingest failed', signal: 'duckdb lock' });
    } finally {
      await holder.stop();
    }
    await request(server()).post('/').send(body).expect(200);
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1 });
  });

  it('a permanent refusal of the whole message by the warehouse quarantines it (acked)', async () => {
    const refusing = createDepsProvider(
      setup.config,
      factoriesWrapping((real) =>
        wrapWarehouse(real, {
          insertRaw: async (batch) => {
            if (batch.quarantine.length === 0) {
              throw Object.assign(new Error('Request payload size exceeds the limit'), {
                code: 413,
              });
            }
            return real.insertRaw(batch);
          },
        }),
      ),
    );
    const name = `${target}_refusing`;
    http(
      name,
      createIngestHandler(setup.config, {
        deps: refusing,
        logger: createLogger({ write: log.write }),
      }),
    );
    const body = pushBody(entryText(makeMetadataEntry('codeExposure', {})), 'm-8');
    const res = await request(getTestServer(name)).post('/').send(body);
    expect(res.status).toBe(200);
    expect(res.body.counts).toMatchObject({ read: 1, quarantined: 1, normalized: 0 });
    await refusing.close();
    const w = await DEFAULT_FACTORIES.openWarehouse(setup.config);
    try {
      const rows = await w.query<{ reason: string; message_id: string }>(
        'SELECT reason, message_id FROM `gca_raw.quarantine`',
      );
      expect(rows).toEqual([{ reason: 'too_large', message_id: 'm-8' }]);
    } finally {
      await w.close();
    }
  });
});

describe('ingest: bodies functions-framework cannot parse', () => {
  it.each([
    [
      'broken JSON',
      'application/json',
      '{"message": {"data": "abc"',
      400,
      'the request body is not valid JSON (Content-Type says JSON)',
    ],
    [
      'an unsupported charset',
      'application/json; charset=klingon',
      '{}',
      415,
      'the request body has an unsupported charset',
    ],
  ])(
    '%s: a JSON answer naming the problem, no HTML, no stack, one log line',
    async (_name, type, body, status, error) => {
      installJsonErrorAnswers(createLogger({ write: log.write }));
      const res = await request(server()).post('/').set('content-type', type).send(body);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ status: 'error', error });
      expect(res.text).not.toMatch(/<html|node_modules|Error:|\bat /i);
      expect(log.json()).toMatchObject([
        { message: 'request rejected', component: 'http', httpStatus: status, error },
      ]);
      // Nothing reached the function: nothing was stored or quarantined.
      expect(existsSync(setup.dbPath)).toBe(false);
    },
  );
});

describe('ingest: group commit variables', () => {
  it('reads GCA_INGEST_FLUSH_* and refuses a bad value at start-up, naming it', () => {
    expect(
      startupGroupCommit({ GCA_INGEST_FLUSH_MS: '5', GCA_INGEST_FLUSH_ROWS: '' }, () => {}),
    ).toEqual({ ...DEFAULT_GROUP_COMMIT, delayMs: 5 });
    const lines: string[] = [];
    expect(() =>
      startupGroupCommit({ GCA_INGEST_FLUSH_ROWS: '60000', GCA_INGEST_FLUSH_BYTES: 'lots' }, (l) =>
        lines.push(l),
      ),
    ).toThrow(ConfigError);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      severity: 'ERROR',
      issues: [
        'GCA_INGEST_FLUSH_ROWS: expected an integer from 1 to 50000 (got "60000")',
        'GCA_INGEST_FLUSH_BYTES: expected an integer from 1000 to 10000000 (got "lots")',
      ],
    });
  });
});
