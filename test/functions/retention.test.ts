/**
 * The `retention` target on functions-framework's test server in local mode: a dry run, a run
 * (row expiry, content expiry, an erasure request), a held lease, body validation, one summary
 * line per invocation.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createRetentionHandler } from '../../functions/handlers/retention';
import { createDepsProvider, DEFAULT_FACTORIES, type DepsProvider } from '../../shared/deps';
import { RETENTION_JOB } from '../../shared/jobs/retention';
import { createLogger } from '../../shared/log';
import { openLocalStateStore } from '../../shared/state/local';
import { makeRequestEntry } from '../helpers/entries';
import { captureLines, ingestEntries, makeLocalSetup, type LocalSetup } from './helpers';

const NOW = new Date('2025-12-01T00:00:00.000Z');
const OLD = '2024-06-01T10:00:00.000000Z'; // older than the 400-day event retention
const MID = '2025-10-01T10:00:00.000000Z'; // older than 30 days of content, younger than 400
const NEW = '2025-11-30T10:00:00.000000Z';

let setup: LocalSetup;
let deps: DepsProvider;
let log: ReturnType<typeof captureLines>;
let n = 0;
let target: string;

async function rows(): Promise<{ user_id: string; prompt: string | null; t: string }[]> {
  const w = await DEFAULT_FACTORIES.openWarehouse(setup.config);
  try {
    return await w.query(
      'SELECT user_id, prompt_text AS prompt, event_timestamp AS t FROM `gca_raw.requests` ORDER BY event_timestamp',
    );
  } finally {
    await w.close();
  }
}

beforeEach(async () => {
  setup = makeLocalSetup({ GCA_CONTENT_MODE: 'full' });
  log = captureLines();
  deps = createDepsProvider(setup.config);
  // Each test registers its own target (functions-framework keeps the first of a name).
  target = `retention_test_${++n}`;
  http(
    target,
    createRetentionHandler(setup.config, {
      deps,
      now: () => NOW,
      logger: createLogger({ write: log.write }),
    }),
  );
  const prompt = (text: string) => ({
    jsonPayload: {
      taskCompletionRequest: { input: { messages: [{ author: 'USER', content: text }] } },
    },
  });
  const entries = [
    makeRequestEntry({ timestamp: OLD, receiveTimestamp: OLD, ...prompt('old prompt') }),
    makeRequestEntry({ timestamp: MID, receiveTimestamp: MID, ...prompt('mid prompt') }),
    makeRequestEntry({ timestamp: NEW, receiveTimestamp: NEW, ...prompt('new prompt') }),
    makeRequestEntry({
      timestamp: NEW,
      receiveTimestamp: NEW,
      labels: { user_id: 'leaver@company.com' },
      ...prompt('leaver prompt'),
    }),
  ];
  await ingestEntries(setup, entries, { ingestTime: NEW, contentMode: 'full' });
});

// The lifecycle of every job target's test (as recompute.test.ts): each file reads on its own.
afterEach(async () => {
  await deps.close();
  setup.cleanup();
});

const post = () => request(getTestServer(target)).post('/');

describe('retention', () => {
  it('a dry run counts what would change and changes nothing', async () => {
    const before = await rows();
    const res = await post().send({ dryRun: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      dryRun: true,
      policy: { contentDays: 30, eventDays: 400, quarantineDays: 30 },
      cutoffs: { event: '2024-10-27T00:00:00.000000Z', content: '2025-11-01T00:00:00.000000Z' },
    });
    expect(res.body.changes).toEqual(
      expect.arrayContaining([
        { table: 'gca_raw.requests', action: 'deleted', rows: 1 },
        { table: 'gca_raw.requests', action: 'content_expired', rows: 1 },
      ]),
    );
    expect(await rows()).toEqual(before);
  });

  it('expires rows and content, and processes a pending erasure request', async () => {
    const state = await openLocalStateStore(setup.statePath);
    await state.requestErasure('leaver@company.com', NOW);
    await state.close();
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      dryRun: false,
      erasuresDone: 1,
      erasuresPending: 0,
    });
    expect(res.body.erasures).toEqual([
      { id: expect.any(String), status: 'done', error: null, attempts: 1 },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('leaver@company.com');
    expect(await rows()).toEqual([
      { user_id: 'user@company.com', prompt: null, t: MID },
      { user_id: 'user@company.com', prompt: 'new prompt', t: NEW },
    ]);
    const line = log.json();
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({
      severity: 'INFO',
      message: 'retention done',
      component: 'retention',
      status: 'ok',
      httpStatus: 200,
      result: { dryRun: false, erasuresDone: 1, erasuresPending: 0 },
    });
    expect(log.lines[0]).not.toContain('leaver@company.com');
  });

  it('uses the GCA_*_DAYS defaults when the state store has no policy', async () => {
    const short = makeLocalSetup({ GCA_EVENT_DAYS: '5', GCA_CONTENT_DAYS: '2' });
    try {
      const name = `${target}_short`;
      const shortDeps = createDepsProvider(short.config);
      http(
        name,
        createRetentionHandler(short.config, {
          deps: shortDeps,
          now: () => NOW,
          logger: createLogger({ write: () => undefined }),
        }),
      );
      const res = await request(getTestServer(name)).post('/').send({ dryRun: true });
      expect(res.body.policy).toEqual({ contentDays: 2, eventDays: 5, quarantineDays: 30 });
      await shortDeps.close();
    } finally {
      short.cleanup();
    }
  });

  it('answers 200 {"status":"locked"} when another run holds the lease', async () => {
    const state = await openLocalStateStore(setup.statePath);
    await state.acquireLease(RETENTION_JOB, 'other', 60_000, NOW);
    await state.close();
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'locked' });
    expect((await rows()).length).toBe(4);
  });

  it.each([
    ['a policy override', { eventDays: 1 }, 'eventDays'],
    ['a wrong type', { dryRun: 'yes' }, 'dryRun: '],
  ])('refuses %s with 400', async (_name, body, expected) => {
    const res = await post().send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(expected);
    expect((await rows()).length).toBe(4);
  });
});
