import { runRecompute } from '../../../shared/jobs/recompute';
import { retentionCutoffs, RETENTION_JOB, runRetention } from '../../../shared/jobs/retention';
import { buildReport } from '../../../shared/metrics/report';
import type { NormalizeContext } from '../../../shared/normalize/outcome';
import { ingestRecords, type RawRecord } from '../../../shared/pipeline/ingest';
import type { Warehouse } from '../../../shared/warehouse/port';
import { openTempJobSetup, snapshotTables, type TempJobSetup } from '../../helpers/duckdb';
// The entry builders (erasure.test.ts seeds the same kind of log).
import {
  entryText,
  makeMetadataEntry,
  makeRequestEntry,
  makeResponseEntry,
  type JsonObject,
} from '../../helpers/entries';

/** The fixed clock of every run: 2026-03-01. Default policy: content 30, events 400, quarantine 30 days. */
const NOW = new Date('2026-03-01T00:00:00Z');
const DAYS = {
  recent: '2026-02-25', // 4 days old: everything kept
  middle: '2025-12-01', // 90 days: content expired, rows kept
  old: '2024-12-01', // 455 days: rows deleted
} as const;
const USERS = ['alice@company.com', 'bob@company.com'] as const;

/** One user's interaction on a day: request, response with a tool call, code and chat events. */
function interaction(user: string, day: string, n: number): JsonObject[] {
  const ts = `${day}T10:00:0${n}.123456789Z`;
  const labels = { user_id: user, request_id: `req-${user}-${day}-${n}` };
  const id = `${user}-${day}-${n}`;
  const meta = (key: string, fields: JsonObject) =>
    makeMetadataEntry(key, fields, { timestamp: ts, labels: { user_id: user } });
  return [
    makeRequestEntry({
      timestamp: ts,
      labels,
      jsonPayload: {
        taskCompletionRequest: undefined,
        codeCompletionRequest: {
          input_data_context: {
            additional_context: {
              files: [
                {
                  language: 'go',
                  path: `/home/${user}/code/main.go`,
                  segments: [{ content: 'package main\nfunc main() {}' }],
                  state: ['EDITED'],
                },
              ],
            },
          },
        },
      },
    }),
    makeResponseEntry(['Reading it.', 'read_file({"absolute_path":"/home/x/main.go"})'], {
      timestamp: ts,
      labels,
    }),
    meta('codeExposure', { originalRequestId: `c-${id}`, programmingLanguage: 'go' }),
    meta('codeAcceptance', {
      originalRequestId: `c-${id}`,
      programmingLanguage: 'go',
      linesCount: 3 + n,
    }),
    meta('chatExposure', { originalRequestId: `h-${id}`, is_agentic: n % 2 === 0 }),
  ];
}

function fixtureEntries(users: readonly string[] = USERS): JsonObject[] {
  const out: JsonObject[] = [];
  for (const user of users) {
    for (const day of Object.values(DAYS)) {
      out.push(...interaction(user, day, 1), ...interaction(user, day, 2));
    }
  }
  return out;
}

async function ingest(
  w: Warehouse,
  entries: JsonObject[],
  ingestTime: string,
  extra: string[] = [],
) {
  const records: RawRecord[] = [
    ...entries.map((e, i) => ({ text: entryText(e), source: `file:fixture#${i}` })),
    ...extra.map((text, i) => ({ text, source: `file:bad#${i}` })),
  ];
  const context: NormalizeContext = { ingestTime, contentMode: 'full' };
  return ingestRecords(records, w, { context });
}

async function count(w: Warehouse, sql: string): Promise<number> {
  const rows = await w.query<{ n: number }>(sql);
  return Number(rows[0]?.n ?? 0);
}

function changeOf(
  result: Awaited<ReturnType<typeof runRetention>>,
  table: string,
  action: string,
): number {
  return result.changes.find((c) => c.table === table && c.action === action)?.rows ?? 0;
}

/** A quarantined entry (unparseable timestamp) naming a user, as a bad record would. */
function badEntry(user: string): string {
  return JSON.stringify({ logName: 'x', timestamp: 'not-a-time', labels: { user_id: user } });
}

describe('runRetention on DuckDB with a fixed clock', () => {
  let temp: TempJobSetup;
  const run = (opts: { dryRun?: boolean } = {}) =>
    runRetention({ warehouse: temp.warehouse, state: temp.state, now: () => NOW }, opts);

  beforeEach(async () => {
    temp = await openTempJobSetup();
    // Quarantine: one record 45 days old (deleted), one 2 days old (kept).
    await ingest(temp.warehouse, [], '2026-01-15T00:00:00.000000Z', [badEntry(USERS[0])]);
    await ingest(temp.warehouse, fixtureEntries(), '2026-02-27T00:00:00.000000Z', [
      badEntry(USERS[1]),
    ]);
    await runRecompute({ warehouse: temp.warehouse, state: temp.state, now: () => NOW });
  });
  afterEach(() => temp.cleanup());

  it('computes cutoffs from the clock and the policy', () => {
    expect(retentionCutoffs(NOW, { contentDays: 30, eventDays: 400, quarantineDays: 7 })).toEqual({
      content: '2026-01-30T00:00:00.000000Z',
      event: '2025-01-25T00:00:00.000000Z',
      quarantine: '2026-02-22T00:00:00.000000Z',
    });
  });

  it('content expiry nulls every content column of old rows and leaves every figure unchanged', async () => {
    // No row expiry here, so every figure (views over raw rows included) must stay.
    await temp.state.setRetentionPolicy({ contentDays: 30, eventDays: 3650, quarantineDays: 3650 });
    const before = await snapshotTables(temp.warehouse);
    const reportBefore = await buildReport(temp.warehouse);
    const result = await run();
    expect(result.status).toBe('done');

    // 2 users x 2 interactions on the middle and the old day.
    expect(changeOf(result, 'gca_raw.requests', 'content_expired')).toBe(8);
    expect(changeOf(result, 'gca_raw.responses', 'content_expired')).toBe(8);
    expect(changeOf(result, 'gca_raw.metadata_events', 'content_expired')).toBe(24);
    expect(changeOf(result, 'gca_raw.quarantine', 'content_expired')).toBe(1);
    expect(result.changes.filter((c) => c.action === 'deleted').every((c) => c.rows === 0)).toBe(
      true,
    );
    const w = temp.warehouse;
    const middle = `event_timestamp < TIMESTAMP '2026-01-30 00:00:00+00'`;
    expect(
      await count(
        w,
        `SELECT COUNT(*) AS n FROM \`gca_raw.requests\` WHERE ${middle} AND (prompt_text IS NOT NULL OR payload IS NOT NULL OR EXISTS(SELECT 1 FROM UNNEST(context_files) AS f WHERE f.path IS NOT NULL))`,
      ),
    ).toBe(0);
    expect(
      await count(
        w,
        `SELECT COUNT(*) AS n FROM \`gca_raw.responses\` WHERE ${middle} AND (response_text IS NOT NULL OR payload IS NOT NULL OR EXISTS(SELECT 1 FROM UNNEST(tool_calls) AS t WHERE t.arguments IS NOT NULL))`,
      ),
    ).toBe(0);
    // What is not content stays on the expired rows: sizes, extensions, languages, tool names.
    const expired = await w.query<Record<string, unknown>>(
      `SELECT prompt_chars, context_files FROM \`gca_raw.requests\` WHERE ${middle} LIMIT 1`,
    );
    expect(expired[0]).toEqual({
      prompt_chars: expect.any(Number),
      context_files: [
        { path: null, extension: 'go', language: 'go', states: ['EDITED'], chars: 27 },
      ],
    });
    const tools = await w.query<{ tool_calls: unknown }>(
      `SELECT tool_calls FROM \`gca_raw.responses\` WHERE ${middle} LIMIT 1`,
    );
    expect(tools[0]?.tool_calls).toEqual([{ name: 'read_file', arguments: null }]);
    // Recent rows keep their content.
    expect(
      await count(
        w,
        `SELECT COUNT(*) AS n FROM \`gca_raw.requests\` WHERE event_timestamp >= TIMESTAMP '2026-02-01 00:00:00+00' AND payload IS NOT NULL`,
      ),
    ).toBe(4);

    // Every figure: derived tables and views unchanged, and the report too.
    const after = await snapshotTables(w);
    for (const name of [
      'gca_analytics.suggestions',
      'gca_analytics.acceptance_daily',
      'gca_analytics.lines_accepted_daily',
      'gca_analytics.interactions',
      'gca_analytics.daily_active_users',
    ]) {
      expect({ name, rows: after[name] }).toEqual({ name, rows: before[name] });
    }
    expect(await buildReport(w)).toEqual(reportBefore);
    // A recompute from the expired raw rows gives the same figures (content is never a figure).
    await runRecompute({ warehouse: w, state: temp.state, now: () => NOW }, { full: true });
    expect((await snapshotTables(w))['gca_analytics.acceptance_daily']).toEqual(
      before['gca_analytics.acceptance_daily'],
    );
  });

  it('event and quarantine expiry remove exactly the old rows; derived tables are kept', async () => {
    const w = temp.warehouse;
    const keysBefore = await w.query<{ entry_key: string; old: boolean }>(
      `SELECT entry_key, event_timestamp < TIMESTAMP '2025-01-25 00:00:00+00' AS old FROM \`gca_raw.metadata_events\``,
    );
    const derivedBefore = await snapshotTables(w);
    const result = await run();

    expect(changeOf(result, 'gca_raw.requests', 'deleted')).toBe(4);
    expect(changeOf(result, 'gca_raw.responses', 'deleted')).toBe(4);
    expect(changeOf(result, 'gca_raw.metadata_events', 'deleted')).toBe(12);
    expect(changeOf(result, 'gca_raw.quarantine', 'deleted')).toBe(1);
    const keysAfter = await w.query<{ entry_key: string }>(
      'SELECT entry_key FROM `gca_raw.metadata_events`',
    );
    expect(keysAfter.map((r) => r.entry_key).sort()).toEqual(
      keysBefore
        .filter((r) => !r.old)
        .map((r) => r.entry_key)
        .sort(),
    );
    expect(await count(w, 'SELECT COUNT(*) AS n FROM `gca_raw.requests`')).toBe(8);
    const quarantine = await w.query<{ quarantine_time: string }>(
      'SELECT quarantine_time FROM `gca_raw.quarantine`',
    );
    expect(quarantine).toEqual([{ quarantine_time: '2026-02-27T00:00:00.000000Z' }]);
    const after = await snapshotTables(w);
    for (const t of ['suggestions', 'acceptance_daily', 'lines_accepted_daily']) {
      expect(after[`gca_analytics.${t}`]).toEqual(derivedBefore[`gca_analytics.${t}`]);
    }
    // Neither an incremental nor a full recompute brings back or drops the expired days: a
    // suggestion whose events all expired keeps its row, so its figures stay.
    await runRecompute({ warehouse: w, state: temp.state, now: () => NOW });
    await runRecompute({ warehouse: w, state: temp.state, now: () => NOW }, { full: true });
    const rebuilt = await snapshotTables(w);
    for (const t of ['suggestions', 'acceptance_daily', 'lines_accepted_daily']) {
      expect(rebuilt[`gca_analytics.${t}`]).toEqual(derivedBefore[`gca_analytics.${t}`]);
    }
  });

  it('appends an audit row per run, dry runs included', async () => {
    await run({ dryRun: true });
    const real = await run();
    const rows = await temp.warehouse.query<Record<string, unknown>>(
      'SELECT * FROM `gca_analytics.retention_runs` ORDER BY dry_run DESC',
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ dry_run: true, erasures_done: 0, erasures_pending: 0 });
    expect(rows[1]).toMatchObject({
      run_id: real.runId,
      run_time: '2026-03-01T00:00:00.000000Z',
      dry_run: false,
      erasures_done: 0,
      erasures_pending: 0,
      dataset_content_kept: 0,
    });
    expect(JSON.parse(String(rows[1]?.policy))).toEqual({
      contentDays: 30,
      eventDays: 400,
      quarantineDays: 30,
      keepDatasetContent: true,
    });
    expect(rows[1]?.changes).toEqual(
      real.changes.map((c) => ({ table_name: c.table, action: c.action, rows: c.rows })),
    );
  });

  it('a dry run changes nothing and predicts exactly what the real run changes', async () => {
    await temp.state.requestErasure(USERS[1], NOW);
    const before = await snapshotTables(temp.warehouse);
    const requestsBefore = await temp.state.listErasureRequests();
    const dry = await run({ dryRun: true });
    expect(dry).toMatchObject({
      status: 'done',
      dryRun: true,
      erasuresDone: 0,
      erasuresPending: 1,
    });
    expect(await snapshotTables(temp.warehouse)).toEqual(before);
    expect(await temp.state.listErasureRequests()).toEqual(requestsBefore);

    const real = await run();
    expect(real.erasures[0]?.counts).toEqual(dry.erasures[0]?.counts);
    expect(real.erasures[0]?.counts['gca_raw.requests']).toBe(6);
  });

  it('a dry run without erasures reports exactly the real run`s changes', async () => {
    const dry = await run({ dryRun: true });
    const real = await run();
    expect(dry.changes).toEqual(real.changes);
    expect(real.changes.some((c) => c.rows > 0)).toBe(true);
  });

  it('running retention twice changes nothing the second time', async () => {
    await temp.state.requestErasure(USERS[0], NOW);
    await run();
    const after = await snapshotTables(temp.warehouse);
    const second = await run();
    expect(second.changes.every((c) => c.rows === 0)).toBe(true);
    expect(second.erasures).toEqual([]);
    expect(await snapshotTables(temp.warehouse)).toEqual(after);
  });

  it('uses the policy from the state store over the defaults', async () => {
    await temp.state.setRetentionPolicy({ contentDays: 1, eventDays: 3650, quarantineDays: 3650 });
    const result = await runRetention(
      { warehouse: temp.warehouse, state: temp.state, now: () => NOW },
      { defaults: { contentDays: 30, eventDays: 400, quarantineDays: 30 } },
    );
    expect(result.policy).toEqual({ contentDays: 1, eventDays: 3650, quarantineDays: 3650 });
    expect(changeOf(result, 'gca_raw.requests', 'deleted')).toBe(0);
    // Every day's requests are older than one day: all 12 lose their content.
    expect(changeOf(result, 'gca_raw.requests', 'content_expired')).toBe(12);
    expect(changeOf(result, 'gca_raw.quarantine', 'content_expired')).toBe(2);
  });

  it('does nothing while another run holds the lease', async () => {
    const lease = await temp.state.acquireLease(RETENTION_JOB, 'other', 60_000, NOW);
    expect(lease).not.toBeNull();
    const before = await snapshotTables(temp.warehouse, []);
    const result = await run();
    expect(result.status).toBe('locked');
    expect(await snapshotTables(temp.warehouse, [])).toEqual(before);
  });
});
