/**
 * The `recompute` target on functions-framework's test server in local mode: body validation,
 * a run, a held lease, a transient state-store failure, one summary line per invocation.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { GoogleError, Status } from 'google-gax';
import request from 'supertest';
import { createRecomputeHandler } from '../../functions/handlers/recompute';
import { createDepsProvider, DEFAULT_FACTORIES, type DepsProvider } from '../../shared/deps';
import { RECOMPUTE_JOB } from '../../shared/jobs/recompute';
import { createLogger } from '../../shared/log';
import { openLocalStateStore } from '../../shared/state/local';
import { makeMetadataEntry } from '../helpers/entries';
import { captureLines, ingestEntries, makeLocalSetup, type LocalSetup } from './helpers';

const NOW = new Date('2025-10-09T12:00:00.000Z');

let setup: LocalSetup;
let deps: DepsProvider;
let log: ReturnType<typeof captureLines>;
let failLease = false;
let n = 0;
let target: string;

beforeEach(async () => {
  setup = makeLocalSetup();
  log = captureLines();
  failLease = false;
  deps = createDepsProvider(setup.config, {
    ...DEFAULT_FACTORIES,
    openState: async (config) => {
      const real = await DEFAULT_FACTORIES.openState(config);
      return {
        ...real,
        acquireLease: (...args) => {
          if (!failLease) return real.acquireLease(...args);
          const err = new GoogleError('10 ABORTED: Too much contention on these documents.');
          err.code = Status.ABORTED;
          return Promise.reject(err);
        },
      };
    },
  });
  // Each test registers its own target (functions-framework keeps the first of a name).
  target = `recompute_test_${++n}`;
  http(
    target,
    createRecomputeHandler(setup.config, {
      deps,
      now: () => NOW,
      logger: createLogger({ write: log.write }),
    }),
  );
  // Two exposures and one acceptance on 2025-10-08.
  await ingestEntries(
    setup,
    [
      makeMetadataEntry('codeExposure', { originalRequestId: 's1', programmingLanguage: 'go' }),
      makeMetadataEntry('codeExposure', { originalRequestId: 's2', programmingLanguage: 'go' }),
      makeMetadataEntry('codeAcceptance', {
        originalRequestId: 's1',
        programmingLanguage: 'go',
        linesCount: 4,
      }),
    ],
    { ingestTime: '2025-10-09T11:00:00.000Z', contentMode: 'scrubbed' },
  );
});

// The lifecycle of every job target's test (as retention.test.ts): each file reads on its own.
afterEach(async () => {
  await deps.close();
  setup.cleanup();
});

const post = () => request(getTestServer(target)).post('/');

describe('recompute', () => {
  it('runs with no body (as Cloud Scheduler calls it): a first run is full, then incremental', async () => {
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      status: 'ok',
      mode: 'full',
      touchedSuggestions: 2,
      suggestionsRemoved: 0,
      suggestionsWritten: 2,
      daysRebuilt: ['2025-10-08'],
      activityRanges: ['2025-10-08..2025-10-08'],
      watermark: '2025-10-09T12:00:00.000000Z',
    });
    const second = await post().set('content-type', 'application/json').send('{}');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'ok', mode: 'incremental', suggestionsWritten: 0 });
    const w = await DEFAULT_FACTORIES.openWarehouse(setup.config);
    try {
      const rows = await w.query<{ exposed: number; accepted: number; lines: number }>(
        'SELECT SUM(exposed) AS exposed, SUM(accepted) AS accepted, SUM(lines_accepted) AS lines FROM `gca_analytics.suggestions`',
      );
      expect(rows).toEqual([{ exposed: 2, accepted: 1, lines: 4 }]);
    } finally {
      await w.close();
    }
  });

  it('accepts {"full": true} and {"lookbackDays": N}', async () => {
    await post().send({ lookbackDays: 3 }).expect(200);
    const full = await post().send({ full: true });
    expect(full.status).toBe(200);
    expect(full.body.mode).toBe('full');
  });

  it('logs exactly one summary line per invocation, days as a count and range', async () => {
    await post().expect(200);
    expect(log.json()).toEqual([
      {
        severity: 'INFO',
        message: 'recompute done',
        component: 'recompute',
        status: 'ok',
        httpStatus: 200,
        result: {
          mode: 'full',
          touchedSuggestions: 2,
          suggestionsRemoved: 0,
          suggestionsWritten: 2,
          daysRebuilt: 1,
          firstDay: '2025-10-08',
          lastDay: '2025-10-08',
          activityRanges: ['2025-10-08..2025-10-08'],
          watermark: '2025-10-09T12:00:00.000000Z',
        },
        latencyMs: expect.any(Number),
      },
    ]);
  });

  it.each([
    ['a wrong type', { full: 'yes' }, 'full: '],
    ['a window out of range', { lookbackDays: 0 }, 'lookbackDays: '],
    ['an unknown key', { dryRun: true }, 'dryRun'],
    [
      'full with a window',
      { full: true, lookbackDays: 3 },
      'full and lookbackDays exclude each other',
    ],
    ['an array', [1], '(body): '],
  ])('refuses %s with 400 and a clear message', async (_name, body, expected) => {
    const res = await post().send(body);
    expect(res.status).toBe(400);
    expect(res.body.status).toBe('error');
    expect(res.body.error).toContain('bad request body: ');
    expect(res.body.error).toContain(expected);
    expect(log.json()).toMatchObject([
      { severity: 'WARNING', status: 'rejected', httpStatus: 400 },
    ]);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const res = await post().set('content-type', 'text/plain').send('full please');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad request body: the request body is not JSON');
  });

  it('refuses GET with 405', async () => {
    const res = await request(getTestServer(target)).get('/');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('answers 200 {"status":"locked"} when another run holds the lease', async () => {
    const state = await openLocalStateStore(setup.statePath);
    const lease = await state.acquireLease(RECOMPUTE_JOB, 'other-run', 60_000, NOW);
    expect(lease).not.toBeNull();
    try {
      const res = await post();
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'locked' });
      expect(log.json()[0]).toMatchObject({ status: 'locked', httpStatus: 200 });
    } finally {
      await state.close();
    }
  });

  it('answers 503 on a transient failure (Firestore contention), so Scheduler retries', async () => {
    failLease = true;
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'error', retryable: true });
    expect(log.json()[0]).toMatchObject({
      severity: 'ERROR',
      status: 'failed',
      httpStatus: 503,
      errorClass: 'transient',
      signal: 'grpc 10',
    });
  });
});
