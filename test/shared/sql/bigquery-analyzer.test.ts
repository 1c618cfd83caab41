/**
 * Every BigQuery statement the project sends, checked by GoogleSQL's own analyzer (ZetaSQL)
 * against a catalog generated from the table registry, with the parameter types the BigQuery
 * adapter sends. The other SQL tests run the same text rendered for DuckDB; this one holds it to
 * BigQuery's grammar, names and types, so a function DuckDB has and BigQuery lacks, or a type
 * BigQuery would refuse, fails here rather than in production.
 *
 * The statements are recorded, not listed by hand: the jobs (recompute full and incremental with
 * a lookback, retention with content expiry, row expiry and erasure, the report, the team
 * mapping, curated datasets, quarantine listing and reprocessing) run on DuckDB
 * through a warehouse that records each (sql, params) pair it is given, which is exactly what the
 * BigQuery adapter would receive; each is then rendered and its parameters encoded by the
 * adapter's own functions and analyzed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createDataset,
  deleteDataset,
  getDataset,
  listDatasets,
} from '../../../shared/datasets/store';
import { exportDataset } from '../../../shared/datasets/export';
import { showInteraction } from '../../../shared/datasets/show';
import { runRecompute } from '../../../shared/jobs/recompute';
import { listQuarantine, reprocessQuarantine } from '../../../shared/ops/quarantine';
import { listUserTeams, replaceUserTeams } from '../../../shared/teams/store';
import { runRetention } from '../../../shared/jobs/retention';
import { buildReport } from '../../../shared/metrics/report';
import { renderSql, type SqlTarget } from '../../../shared/sql/render';
import { openLocalStateStore } from '../../../shared/state/local';
import { encodeQueryParameters } from '../../../shared/warehouse/bigquery';
import type { QueryParams, Warehouse } from '../../../shared/warehouse/port';
import { openTempWarehouse, type TempWarehouse } from '../../helpers/duckdb';
import { extractDocQueries } from '../../helpers/doc-queries';
import {
  batchOf,
  makeRequest,
  makeResponse,
  makeMetadataEvent,
  makeQuarantine,
} from '../../helpers/metadata-events';
import { startBigQueryAnalyzer, type BigQueryAnalyzer } from '../../helpers/zetasql';

const PROJECT = 'gca-test-project';
const TARGET: SqlTarget = { engine: 'bigquery', projectId: PROJECT };

interface Recorded {
  sql: string;
  params: QueryParams;
}

/** A warehouse that records every statement it is asked to run, then runs it on `inner`. */
function recording(inner: Warehouse, log: Recorded[]): Warehouse {
  return {
    engine: inner.engine,
    ensureSchema: () => inner.ensureSchema(),
    insertRaw: (batch) => inner.insertRaw(batch),
    query: (sql, params) => {
      log.push({ sql, params: params ?? {} });
      return inner.query(sql, params);
    },
    execute: (sql, params) => {
      log.push({ sql, params: params ?? {} });
      return inner.execute(sql, params);
    },
    close: () => inner.close(),
  };
}

const DAY = 86_400_000;

/** Runs every job over a small history (old enough for expiry) and returns what they sent. */
async function recordJobStatements(temp: TempWarehouse): Promise<Recorded[]> {
  const log: Recorded[] = [];
  const warehouse = recording(temp.warehouse, log);
  const state = await openLocalStateStore(join(temp.dir, 'state.json'));
  try {
    const now = new Date('2026-06-30T12:00:00Z');
    const at = (daysAgo: number): string => new Date(now.getTime() - daysAgo * DAY).toISOString();
    const users = ['alice@example.com', 'bob@example.com'];
    const parts = [500, 45, 3, 1].flatMap((daysAgo, i) => {
      const user = users[i % 2] ?? 'alice@example.com';
      const id = `req-${daysAgo}`;
      return [
        { type: 'code_exposure' as const, id, at: at(daysAgo), user, language: 'python', lines: 4 },
        { type: 'code_acceptance' as const, id, at: at(daysAgo - 0.5), user, lines: 4 },
        { type: 'chat_exposure' as const, id: `chat-${daysAgo}`, at: at(daysAgo), user },
      ];
    });
    await warehouse.insertRaw(
      batchOf({
        metadata_events: parts.map(makeMetadataEvent),
        requests: [makeRequest({ request_id: 'req-45', at: at(45), user_id: 'alice@example.com' })],
        responses: [
          makeResponse({ request_id: 'req-45', at: at(45), user_id: 'alice@example.com' }),
        ],
      }),
    );
    const clock = () => now;
    // The team mapping first, so the report's team statements see a user with a team.
    await replaceUserTeams(
      warehouse,
      [
        {
          userId: 'alice@example.com',
          team: 'platform',
          parentTeam: 'eng',
          seat: true,
          from: null,
          to: null,
          line: 2,
        },
        {
          userId: 'bob@example.com',
          team: 'payments',
          parentTeam: null,
          seat: false,
          from: '2026-01-01',
          to: '2026-12-31',
          line: 3,
        },
      ],
      now,
    );
    await listUserTeams(warehouse);
    await runRecompute({ warehouse, state, now: clock }, { full: true });
    // An incremental run with a lookback: the bounded statements BigQuery runs hourly.
    await warehouse.insertRaw(
      batchOf({
        metadata_events: [
          makeMetadataEvent({
            type: 'code_acceptance',
            id: 'req-3',
            at: at(0.1),
            ingestedAt: at(0.05),
            user: 'bob@example.com',
            lines: 6,
          }),
        ],
      }),
    );
    await runRecompute(
      { warehouse, state, now: () => new Date(now.getTime() + 3_600_000) },
      { lookbackDays: 14 },
    );
    await buildReport(warehouse, { from: '2026-06-01', to: '2026-06-30' });
    await buildReport(warehouse, {});
    // Curated datasets: every filter, sampling, show and both export formats.
    const day = (daysAgo: number) => at(daysAgo).slice(0, 10);
    // Nothing matches every filter at once: the statements are what this is about.
    await expect(
      createDataset(warehouse, {
        name: 'everything',
        description: 'all filters',
        filter: {
          from: day(60),
          to: day(0),
          user: 'alice@example.com',
          team: 'platform',
          language: 'python',
          kind: 'chat',
          accepted: true,
          withToolCalls: true,
          sample: 10,
          seed: 's',
        },
        now,
      }),
    ).rejects.toThrow(/no interaction matches/);
    await expect(
      createDataset(warehouse, {
        name: 'never-accepted',
        filter: { from: day(60), to: day(0), accepted: false },
        now,
      }),
    ).rejects.toThrow(/no interaction matches/);
    for (const replace of [false, true]) {
      await createDataset(warehouse, {
        name: 'plain',
        filter: { from: day(60), to: day(0) },
        replace,
        now,
      });
    }
    await listDatasets(warehouse);
    await getDataset(warehouse, 'plain');
    await showInteraction(warehouse, 'req-45');
    for (const format of ['batch', 'pairs'] as const) {
      await exportDataset(warehouse, 'plain', format, async () => {});
    }
    await deleteDataset(warehouse, 'plain');
    // Quarantine: listing by reason and days, and reprocessing (what normalizes moves).
    await warehouse.insertRaw(batchOf({ quarantine: [makeQuarantine()] }));
    await listQuarantine(warehouse, { reason: 'invalid_json', from: day(2), to: day(0) });
    const context = { ingestTime: now.toISOString(), contentMode: 'scrubbed' as const };
    await reprocessQuarantine(warehouse, { context, dryRun: true });
    await reprocessQuarantine(warehouse, { context });
    await state.requestErasure('bob@example.com', now);
    await runRetention({ warehouse, state, now: clock }, { dryRun: true });
    await runRetention({ warehouse, state, now: clock });
  } finally {
    await state.close();
  }
  return log;
}

/** Distinct statements by text and parameter types (the values do not change the analysis). */
function distinct(statements: readonly Recorded[]): Recorded[] {
  const seen = new Map<string, Recorded>();
  for (const s of statements) {
    const types = encodeQueryParameters(s.params).map(
      (p) => `${p.name}:${JSON.stringify(p.parameterType)}`,
    );
    seen.set(`${s.sql}\n${types.sort().join(',')}`, s);
  }
  return [...seen.values()];
}

describe('BigQuery SQL, checked by GoogleSQL’s analyzer', () => {
  let analyzer: BigQueryAnalyzer;
  let temp: TempWarehouse;

  beforeAll(async () => {
    analyzer = await startBigQueryAnalyzer({ projectId: PROJECT });
    temp = await openTempWarehouse();
  }, 120_000);
  afterAll(async () => {
    await temp?.cleanup();
    await analyzer?.close();
  });

  const check = async (sql: string, params: QueryParams = {}): Promise<string | null> =>
    analyzer.analyze(renderSql(sql, TARGET), encodeQueryParameters(params));

  it('accepts every statement the jobs and commands send: recompute, retention, erasure, report, teams, datasets, quarantine', async () => {
    const statements = distinct(await recordJobStatements(temp));
    // Full and bounded recompute, the daily rebuilds, expiry, erasure and report queries.
    expect(statements.length).toBeGreaterThan(60);
    const failures: string[] = [];
    for (const s of statements) {
      const error = await check(s.sql, s.params);
      if (error) failures.push(`${error}\n  in: ${s.sql.trim().slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('accepts every ready query in docs/analysts.md, with its parameters', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'analysts.md'), 'utf8');
    const queries = extractDocQueries(doc);
    expect(queries.size).toBeGreaterThan(3);
    // The docs' parameters are days (DATE) unless named otherwise here.
    const typeOf = (name: string): QueryParams[string] =>
      /user|team|language|ide/.test(name)
        ? { type: 'STRING', value: 'x' }
        : { type: 'DATE', value: '2026-01-01' };
    for (const [name, q] of queries) {
      const params = Object.fromEntries(q.params.map((p) => [p, typeOf(p)]));
      expect({ name, error: await check(q.sql, params) }).toEqual({ name, error: null });
    }
  });

  // The analyzer must be able to say no: each of these is valid DuckDB or plausible SQL that
  // BigQuery would refuse.
  it.each([
    ['an unknown column', 'SELECT no_such_column FROM `gca_raw.requests`', {}, /Unrecognized name/],
    [
      'a function BigQuery lacks (DuckDB’s strftime)',
      "SELECT strftime(event_timestamp, '%Y') FROM `gca_raw.requests`",
      {},
      /Function not found: strftime/,
    ],
    [
      'a type mismatch on insert',
      'INSERT INTO `gca_analytics.retention_runs` (run_time) SELECT event_type FROM `gca_raw.metadata_events`',
      {},
      /cannot be inserted into column run_time/,
    ],
    [
      'a parameter of the wrong type',
      'SELECT COUNT(*) FROM `gca_raw.metadata_events` WHERE lines_count > @n',
      { n: 'ten' },
      /No matching signature/,
    ],
    ['an unknown table', 'SELECT 1 FROM `gca_raw.no_such_table`', {}, /Table not found/],
  ] as const)('rejects %s', async (_what, sql, params, expected) => {
    expect(await check(sql, params)).toMatch(expected);
  });
});
