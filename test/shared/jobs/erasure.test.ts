import { join } from 'node:path';
import { createPseudonymizer } from '../../../shared/content/pseudonymize';
import {
  erasureUserIds,
  isStreamingBufferError,
  processErasureRequests,
} from '../../../shared/jobs/erasure';
import { RECOMPUTE_JOB, runRecompute } from '../../../shared/jobs/recompute';
import { runRetention } from '../../../shared/jobs/retention';
import { buildReport } from '../../../shared/metrics/report';
import { ingestRecords } from '../../../shared/pipeline/ingest';
import { replaceUserTeams } from '../../../shared/teams/store';
import { openLocalStateStore } from '../../../shared/state/local';
import type { StateStore } from '../../../shared/state/port';
import type { QueryParams, Warehouse } from '../../../shared/warehouse/port';
import { openTempWarehouse, snapshotTables, type TempWarehouse } from '../../helpers/duckdb';
// The entry builders (retention.test.ts seeds the same kind of log).
import {
  entryText,
  makeMetadataEntry,
  makeRequestEntry,
  makeResponseEntry,
  type JsonObject,
} from '../../helpers/entries';
import { wrapWarehouse } from '../../helpers/warehouse';

const NOW = new Date('2026-03-01T00:00:00Z');
const ALICE = 'alice@company.com';
const BOB = 'bob@company.com';
const CAROL = 'carol@company.com';
const KEY = 'erasure-test-key-0123456789';
const STREAMING_BUFFER_MESSAGE =
  'UPDATE or DELETE statement over table my-project.gca_raw.responses would affect rows in the streaming buffer, which is not supported';

/** A user's activity on a day; `shared` adds an acceptance of a suggestion exposed to Alice. */
function activity(user: string, day: string, n: number): JsonObject[] {
  const ts = `${day}T0${n}:00:00.5Z`;
  const id = `${user}-${day}-${n}`;
  const labels = { user_id: user, request_id: `req-${id}` };
  const meta = (key: string, fields: JsonObject) =>
    makeMetadataEntry(key, fields, { timestamp: ts, labels: { user_id: user } });
  return [
    makeRequestEntry({ timestamp: ts, labels }),
    makeResponseEntry(['Sure.'], { timestamp: ts, labels }),
    meta('codeExposure', { originalRequestId: `c-${id}`, programmingLanguage: 'python' }),
    meta('codeAcceptance', {
      originalRequestId: `c-${id}`,
      programmingLanguage: 'python',
      linesCount: n + 1,
    }),
    meta('chatExposure', { originalRequestId: `h-${id}` }),
    meta('chatAcceptance', {
      originalRequestId: `h-${id}`,
      programmingLanguage: 'go',
      linesCount: '7',
      interactionType: 'ACCEPT_CODE_BLOCK',
    }),
  ];
}

function entriesOf(users: readonly string[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const user of users) {
    for (const day of ['2026-02-20', '2026-02-26']) {
      out.push(...activity(user, day, 1), ...activity(user, day, 2));
    }
    out.push(...activity(user, '2025-12-15', 3));
  }
  return out;
}

/** A quarantined record (bad timestamp) naming the user, as garbage input might. */
function badRecord(user: string): string {
  return JSON.stringify({ logName: 'x', timestamp: 'never', labels: { user_id: user } });
}

/** The user of a built entry. */
function userOf(entry: JsonObject): unknown {
  return (entry.labels as JsonObject | undefined)?.user_id;
}

/**
 * Ingests the users' entries (built once per call, or given, so two warehouses can get the very
 * same entries) and one quarantined record per user.
 */
async function load(
  w: Warehouse,
  users: readonly string[],
  pseudonymizeUser?: (id: string) => string,
  entries: JsonObject[] = entriesOf(users),
): Promise<void> {
  const records = [
    ...entries
      .filter((e) => users.includes(String(userOf(e))))
      .map((e) => ({ text: entryText(e), source: `file:f#${String(e.insertId)}` })),
    ...users.map((u) => ({ text: badRecord(u), source: `file:bad-${u}` })),
  ];
  await ingestRecords(records, w, {
    context: {
      ingestTime: '2026-02-28T00:00:00.000000Z',
      contentMode: 'scrubbed',
      ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
    },
  });
}

/** The team mapping: each user in Platform, and Bob also in Search after a move (ids as stored). */
async function mapTeams(w: Warehouse, users: readonly string[], id = (u: string) => u) {
  const row = (u: string, team: string, from: string | null, to: string | null) => ({
    userId: id(u),
    team,
    parentTeam: null,
    seat: true,
    from,
    to,
    line: 0,
  });
  const rows = users.flatMap((u) =>
    u === BOB
      ? [row(u, 'Platform', null, '2026-01-31'), row(u, 'Search', '2026-02-01', null)]
      : [row(u, 'Platform', null, null)],
  );
  await replaceUserTeams(w, rows, NOW);
}

/** A Warehouse that throws BigQuery's streaming-buffer error once for DML matching `match`. */
function failingOnce(w: Warehouse, match: RegExp): Warehouse & { failed: () => boolean } {
  let armed = true;
  const wrapped = wrapWarehouse(w, {
    async execute(sql: string, params?: QueryParams) {
      if (armed && match.test(sql)) {
        armed = false;
        throw new Error(STREAMING_BUFFER_MESSAGE);
      }
      return w.execute(sql, params);
    },
  });
  return { ...wrapped, failed: () => !armed };
}

describe('isStreamingBufferError / erasureUserIds', () => {
  it('recognises the streaming-buffer error, in the message or the error items', () => {
    expect(isStreamingBufferError(new Error(STREAMING_BUFFER_MESSAGE))).toBe(true);
    const wrapped = Object.assign(new Error('Query failed'), {
      errors: [{ reason: 'invalidQuery', message: STREAMING_BUFFER_MESSAGE }],
    });
    expect(isStreamingBufferError(wrapped)).toBe(true);
    expect(isStreamingBufferError(new Error('Exceeded rate limits'))).toBe(false);
  });

  it('maps a raw id through the pseudonymizer and keeps a pseudonym as is', () => {
    const p = createPseudonymizer(KEY);
    expect(erasureUserIds(BOB)).toEqual([BOB]);
    expect(erasureUserIds(BOB, p)).toEqual([p(BOB), BOB]);
    expect(erasureUserIds(p(BOB), p)).toEqual([p(BOB)]);
  });
});

/**
 * The rows Bob's erasure removes from the data `load` writes: 5 interactions x (1 request,
 * 1 response, 4 metadata events), 1 quarantined record, 10 suggestions, the daily rows of his 3
 * days (code python + chat go per day), his 5 interactions, 3 daily_active_users rows and his 2
 * periods of the team mapping.
 */
const BOB_COUNTS = {
  'gca_raw.requests': 5,
  'gca_raw.responses': 5,
  'gca_raw.metadata_events': 20,
  'gca_raw.quarantine': 1,
  'gca_raw.dataset_members': 0,
  'gca_raw.datasets': 0,
  'gca_analytics.user_teams': 2,
  'gca_analytics.suggestions': 10,
  'gca_analytics.acceptance_daily': 6,
  'gca_analytics.lines_accepted_daily': 6,
  'gca_analytics.interactions': 5,
  'gca_analytics.daily_active_users': 3,
};

describe('erasure on DuckDB', () => {
  let a: TempWarehouse;
  let b: TempWarehouse;
  let state: StateStore;
  let stateB: StateStore;

  beforeEach(async () => {
    a = await openTempWarehouse();
    b = await openTempWarehouse();
    state = await openLocalStateStore(join(a.dir, 'state.json'));
    stateB = await openLocalStateStore(join(b.dir, 'state.json'));
  });
  afterEach(async () => {
    await state.close();
    await stateB.close();
    await a.cleanup();
    await b.cleanup();
  });

  it('removes the user everywhere and changes the figures exactly by their share', async () => {
    // A: three users, Bob erased. B: the same data without Bob ever. They must end equal.
    const entries = entriesOf([ALICE, BOB, CAROL]);
    await load(a.warehouse, [ALICE, BOB, CAROL], undefined, entries);
    await load(b.warehouse, [ALICE, CAROL], undefined, entries);
    await mapTeams(a.warehouse, [ALICE, BOB, CAROL]);
    await mapTeams(b.warehouse, [ALICE, CAROL]);
    await runRecompute({ warehouse: a.warehouse, state, now: () => NOW });
    await runRecompute({ warehouse: b.warehouse, state: stateB, now: () => NOW });
    const reportA = await buildReport(a.warehouse);
    expect(reportA.byUser[BOB]).toBeDefined();

    const request = await state.requestErasure(BOB, NOW);
    const result = await runRetention({ warehouse: a.warehouse, state, now: () => NOW });
    await runRetention({ warehouse: b.warehouse, state: stateB, now: () => NOW });

    expect(result).toMatchObject({ erasuresDone: 1, erasuresPending: 0 });
    expect(await snapshotTables(a.warehouse)).toEqual(await snapshotTables(b.warehouse));
    const reportAfter = await buildReport(a.warehouse);
    expect(reportAfter).toEqual(await buildReport(b.warehouse));
    expect(reportAfter.byUser[BOB]).toBeUndefined();
    expect(reportAfter.byUser[ALICE]).toEqual(reportA.byUser[ALICE]);

    // Nowhere: no row of any table or view mentions Bob.
    for (const [name, rows] of Object.entries(await snapshotTables(a.warehouse))) {
      expect({ name, hits: rows.filter((r) => r.includes(BOB)) }).toEqual({ name, hits: [] });
    }

    // 5 interactions x (1 request, 1 response, 4 metadata events), 1 quarantined record,
    // 10 suggestions, and the daily rows of his 3 days (code python + chat go per day); his 5
    // interactions and 3 daily_active_users rows.
    const [done] = await state.listErasureRequests('done');
    expect(done).toMatchObject({ id: request.id, status: 'done', attempts: 1, lastError: null });
    expect(done?.completedAt).toBe(NOW.toISOString());
    expect(done?.counts).toEqual(BOB_COUNTS);
    expect(result.changes).toEqual(
      expect.arrayContaining([
        { table: 'gca_raw.metadata_events', action: 'erased', rows: 20 },
        { table: 'gca_analytics.suggestions', action: 'erased', rows: 10 },
        { table: 'gca_analytics.user_teams', action: 'erased', rows: 2 },
      ]),
    );
  });

  it('a streaming-buffer error keeps the request pending; the next run finishes it', async () => {
    await load(a.warehouse, [ALICE, BOB]);
    await runRecompute({ warehouse: a.warehouse, state, now: () => NOW });
    await state.requestErasure(BOB, NOW);
    const flaky = failingOnce(a.warehouse, /DELETE FROM `gca_raw\.responses`/);

    const first = await runRetention({ warehouse: flaky, state, now: () => NOW });
    expect(flaky.failed()).toBe(true);
    expect(first).toMatchObject({ status: 'done', erasuresDone: 0, erasuresPending: 1 });
    const [pending] = await state.listErasureRequests('pending');
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, completedAt: null });
    expect(pending?.lastError).toMatch(/streaming buffer/);
    // What was deleted before the failure is recorded, not lost.
    expect(pending?.counts).toEqual({ 'gca_raw.metadata_events': 20, 'gca_raw.requests': 5 });
    const audit = await a.warehouse.query<{ erasures_pending: number }>(
      'SELECT erasures_pending FROM `gca_analytics.retention_runs`',
    );
    expect(audit).toEqual([{ erasures_pending: 1 }]);

    const later = new Date(NOW.getTime() + 86_400_000);
    const second = await runRetention({ warehouse: flaky, state, now: () => later });
    expect(second).toMatchObject({ erasuresDone: 1, erasuresPending: 0 });
    const [done] = await state.listErasureRequests('done');
    expect(done).toMatchObject({ attempts: 2, lastError: null });
    // No team mapping in this test.
    expect(done?.counts).toEqual({ ...BOB_COUNTS, 'gca_analytics.user_teams': 0 });
    const left = await a.warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM \`gca_analytics.suggestions\` WHERE user_id = '${BOB}'`,
    );
    expect(left).toEqual([{ n: 0 }]);
  });

  it('erases by raw id when user ids were pseudonymized at ingest', async () => {
    const pseudonymize = createPseudonymizer(KEY);
    await load(a.warehouse, [ALICE, BOB], pseudonymize);
    // teams import maps the ids through the same key.
    await mapTeams(a.warehouse, [ALICE, BOB], pseudonymize);
    await runRecompute({ warehouse: a.warehouse, state, now: () => NOW });
    const users = await a.warehouse.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM `gca_raw.requests` ORDER BY user_id',
    );
    expect(users.map((u) => u.user_id).sort()).toEqual(
      [pseudonymize(ALICE), pseudonymize(BOB)].sort(),
    );

    await state.requestErasure(BOB, NOW);
    const result = await runRetention({
      warehouse: a.warehouse,
      state,
      now: () => NOW,
      pseudonymizeUser: pseudonymize,
    });
    expect(result.erasuresDone).toBe(1);
    const after = await snapshotTables(a.warehouse);
    for (const [name, rows] of Object.entries(after)) {
      const hits = rows.filter((r) => r.includes(pseudonymize(BOB)) || r.includes(BOB));
      expect({ name, hits }).toEqual({ name, hits: [] });
    }
    expect(after['gca_analytics.suggestions']?.length).toBe(10);
    expect(after['gca_analytics.user_teams']?.length).toBe(1);
    const [done] = await state.listErasureRequests('done');
    expect(done?.counts?.['gca_analytics.user_teams']).toBe(2);
  });

  it('leaves requests pending while recompute holds its lease', async () => {
    await load(a.warehouse, [BOB]);
    await state.requestErasure(BOB, NOW);
    const lease = await state.acquireLease(RECOMPUTE_JOB, 'a-recompute', 60_000, NOW);
    expect(lease).not.toBeNull();
    const outcomes = await processErasureRequests({
      warehouse: a.warehouse,
      state,
      now: () => NOW,
    });
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'pending', error: expect.stringMatching(/recompute/) }),
    ]);
    const rows = await a.warehouse.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM `gca_raw.requests`',
    );
    expect(rows).toEqual([{ n: 5 }]);
    expect((await state.listErasureRequests('pending'))[0]?.attempts).toBe(1);
  });
});
