import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_KEYS } from '../../infra/config';
import { rebuildActivity } from '../../shared/jobs/recompute';
import { renderSql } from '../../shared/sql/render';
import { parseTeamMapping } from '../../shared/teams/mapping';
import { replaceUserTeams } from '../../shared/teams/store';
import type { QueryParams, Warehouse } from '../../shared/warehouse/port';
import { extractDocQueries } from '../helpers/doc-queries';
import { openTempWarehouse, type TempWarehouse } from '../helpers/duckdb';
import { batchOf, makeMetadataEvent, makeRequest } from '../helpers/metadata-events';

const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'analysts.md'), 'utf8');

const QUERIES = extractDocQueries(DOC);

const date = (value: string) => ({ type: 'DATE' as const, value });

// ---------------------------------------------------------------------------------------------
// The fixture. Teams (gca_analytics.user_teams, loaded as `teams import` does): alice and bob in
// platform, carol in payments, dave in none; hank in payments with a seat and no activity; ivan
// in platform without a seat; gina in platform until 2025-09-30.
//
// acceptance_daily / lines_accepted_daily (day, kind, user, language, IDE, agentic):
//   1 2025-09-30 code alice python  VSCode   no : exposed 10 accepted 5       lines 20
//   2 2025-10-01 code alice python  VSCode   no : exposed 8  accepted 4 (1 orphan) lines 10
//   3 2025-10-01 chat bob   go      IntelliJ yes: exposed 2  accepted 2       lines 30
//   4 2025-10-02 code bob   python  IntelliJ no : exposed 6  accepted 3       lines 6
//   5 2025-10-03 chat carol python  VSCode   no : exposed 1  accepted 1       lines 7
//   6 2025-10-03 code dave  go      VSCode   yes: exposed 2  accepted 2       lines 4
//   7 2025-10-01 chat bob   unknown IntelliJ yes: exposed 2  accepted 0       (no lines row)
//   8 2025-10-03 chat carol unknown VSCode   no : exposed 4  accepted 0       (no lines row)
// As in real data, chat exposures carry no language: an accepted chat response takes its
// acceptance's language (rows 3, 5: every exposed one accepted), an unaccepted one is `unknown`
// (rows 7, 8). lines_accepted_daily has only groups with an accepted suggestion.
// Activity (daily_active_users, from raw requests and one metadata event):
//   alice 10-01, 10-02, 10-20; bob 09-20, 10-02; carol 10-03, 10-16; dave 10-03 (event);
//   erin 10-05; frank 10-25; gina 09-10.

type Group = [string, 'code' | 'chat', string, string, string, boolean];
const ROWS: [Group, number, number, number, number][] = [
  [['2025-09-30', 'code', 'alice', 'python', 'VSCode', false], 10, 5, 0, 20],
  [['2025-10-01', 'code', 'alice', 'python', 'VSCode', false], 8, 4, 1, 10],
  [['2025-10-01', 'chat', 'bob', 'go', 'IntelliJ', true], 2, 2, 0, 30],
  [['2025-10-02', 'code', 'bob', 'python', 'IntelliJ', false], 6, 3, 0, 6],
  [['2025-10-03', 'chat', 'carol', 'python', 'VSCode', false], 1, 1, 0, 7],
  [['2025-10-03', 'code', 'dave', 'go', 'VSCode', true], 2, 2, 0, 4],
  [['2025-10-01', 'chat', 'bob', 'unknown', 'IntelliJ', true], 2, 0, 0, 0],
  [['2025-10-03', 'chat', 'carol', 'unknown', 'VSCode', false], 4, 0, 0, 0],
];

const ACTIVITY: [string, string][] = [
  ['alice', '2025-10-01'],
  ['alice', '2025-10-02'],
  ['alice', '2025-10-20'],
  ['bob', '2025-09-20'],
  ['bob', '2025-10-02'],
  ['carol', '2025-10-03'],
  ['carol', '2025-10-16'],
  ['erin', '2025-10-05'],
  ['frank', '2025-10-25'],
  ['gina', '2025-09-10'],
];

const email = (name: string) => `${name}@example.com`;

async function loadFixture(w: Warehouse): Promise<void> {
  for (const [
    [day, kind, user, lang, client, agentic],
    exposed,
    accepted,
    orphans,
    lines,
  ] of ROWS) {
    const group = {
      day: date(day),
      kind,
      user_id: email(user),
      lang,
      client,
      agentic,
    };
    await w.execute(
      `INSERT INTO \`gca_analytics.acceptance_daily\` (day, kind, user_id, programming_language,
         client_name, product, is_agentic, suggestions, exposed, accepted, orphan_acceptances,
         acceptance_rate, updated_at)
       VALUES (@day, @kind, @user_id, @lang, @client, 'code_assist', @agentic, @suggestions,
         @exposed, @accepted, @orphans, @rate, @updated_at)`,
      {
        ...group,
        suggestions: exposed + orphans,
        exposed,
        accepted,
        orphans,
        rate: accepted / exposed,
        updated_at: { type: 'TIMESTAMP', value: '2025-11-01T00:00:00.000000Z' },
      },
    );
    if (accepted === 0) continue;
    await w.execute(
      `INSERT INTO \`gca_analytics.lines_accepted_daily\` (day, kind, user_id, programming_language,
         client_name, product, is_agentic, accepted, lines_accepted, comment_lines_accepted,
         updated_at)
       VALUES (@day, @kind, @user_id, @lang, @client, 'code_assist', @agentic, @accepted, @lines,
         0, @updated_at)`,
      {
        ...group,
        accepted,
        lines,
        updated_at: { type: 'TIMESTAMP', value: '2025-11-01T00:00:00.000000Z' },
      },
    );
  }
  await w.insertRaw(
    batchOf({
      requests: ACTIVITY.map(([user, day], i) =>
        makeRequest({ request_id: `q${i}`, at: `${day}T12:00:00Z`, user_id: email(user) }),
      ),
      metadata_events: [
        makeMetadataEvent({
          type: 'code_exposure',
          id: 's-dave',
          at: '2025-10-03T09:00:00Z',
          user: email('dave'),
        }),
      ],
    }),
  );
  // daily_active_users is a table recompute builds from the raw rows (the daily tables above
  // are written by hand, so only the activity tables are rebuilt).
  await rebuildActivity(w, 'full');
}

const TEAMS = `user_id,team,seat,from,to
alice@example.com,platform,true,,
bob@example.com,platform,true,,
carol@example.com,payments,true,,
hank@example.com,payments,true,,
ivan@example.com,platform,false,,
gina@example.com,platform,true,,2025-09-30
`;

let temp: TempWarehouse;

beforeAll(async () => {
  temp = await openTempWarehouse();
  await loadFixture(temp.warehouse);
  await replaceUserTeams(temp.warehouse, parseTeamMapping(TEAMS), new Date('2025-11-01T00:00:00Z'));
});

afterAll(async () => {
  await temp?.cleanup();
});

async function run(name: string, params: QueryParams): Promise<Record<string, unknown>[]> {
  const q = QUERIES.get(name);
  if (!q) throw new Error(`docs/analysts.md has no query ${name}`);
  // The parameters the doc announces are exactly the ones the SQL uses (outside string literals).
  const code = q.sql.replace(/'[^']*'/g, "''");
  expect([...new Set([...code.matchAll(/@(\w+)/g)].map((m) => m[1]))].sort()).toEqual(
    [...q.params].sort(),
  );
  expect(Object.keys(params).sort()).toEqual([...q.params].sort());
  expect(() => renderSql(q.sql, { engine: 'duckdb' })).not.toThrow();
  expect(renderSql(q.sql, { engine: 'bigquery', projectId: 'acme' })).toContain(
    '`acme.gca_analytics.',
  );
  return temp.warehouse.query(q.sql, params);
}

const OCTOBER = { from_day: date('2025-10-01'), to_day: date('2025-10-31') };

describe('docs/analysts.md queries', () => {
  it('has the queries, each in the supported SQL subset and on gca_analytics only', () => {
    expect([...QUERIES.keys()].sort()).toEqual(
      [
        'acceptance-by-team',
        'engagement-by-team',
        'inactive-seats',
        'agent-vs-not',
        'language-this-month',
        'lines-per-active-user',
        'stopped-users',
      ].sort(),
    );
    for (const q of QUERIES.values()) {
      expect(q.sql).not.toMatch(/gca_raw/);
      // Rates are ratios of sums, never an average of the per-row rate.
      expect(q.sql).not.toMatch(/AVG\s*\(|acceptance_rate\s*\)/i);
    }
  });

  it('acceptance by team', async () => {
    const rows = await run('acceptance-by-team', OCTOBER);
    // Each documented query's expected rows, hand-computed and written out.
    expect(rows).toEqual([
      {
        team: '(no team)',
        code_acceptance_rate: 1,
        chat_acceptance_rate: null,
        acceptance_rate: 1,
        exposed: 2,
        accepted: 2,
        lines_accepted: 4,
      },
      {
        team: 'payments',
        code_acceptance_rate: null,
        chat_acceptance_rate: 0.2,
        acceptance_rate: 0.2,
        exposed: 5,
        accepted: 1,
        lines_accepted: 7,
      },
      // alice + bob: code exposed 8 + 6, accepted 4 + 3; chat 2 of 2 + 2 (rows 3, 7); lines
      // 10 + 30 + 6.
      {
        team: 'platform',
        code_acceptance_rate: 0.5,
        chat_acceptance_rate: 0.5,
        acceptance_rate: 0.5,
        exposed: 18,
        accepted: 9,
        lines_accepted: 46,
      },
    ]);
  });

  // Each query's expected rows are written out in full, hand-computed from the fixture, so a
  // reader checks them against the doc: the tests look alike by shape only.
  it('engagement by team', async () => {
    const rows = await run('engagement-by-team', OCTOBER);
    expect(rows).toEqual([
      // dave (10-03, accepted 2), erin (10-05), frank (10-25): only dave engaged.
      {
        team: '(no team)',
        active_users: 3,
        engaged_users: 1,
        active_user_days: 3,
        accepted: 2,
        accepted_per_active_user: 2 / 3,
        last_active_day: '2025-10-25',
      },
      // carol: 10-03 and 10-16, accepted 1 (row 5).
      {
        team: 'payments',
        active_users: 1,
        engaged_users: 1,
        active_user_days: 2,
        accepted: 1,
        accepted_per_active_user: 1,
        last_active_day: '2025-10-16',
      },
      // alice: 10-01, 10-02, 10-20, accepted 4 (row 2); bob: 10-02, accepted 2 + 3 (rows 3, 4).
      {
        team: 'platform',
        active_users: 2,
        engaged_users: 2,
        active_user_days: 4,
        accepted: 9,
        accepted_per_active_user: 4.5,
        last_active_day: '2025-10-20',
      },
    ]);
  });

  it('inactive seat holders', async () => {
    // hank never used it; ivan holds no seat; gina's period ended before October.
    expect(await run('inactive-seats', OCTOBER)).toEqual([
      { team: 'payments', user_id: 'hank@example.com' },
    ]);
    // In September only bob (09-20) and gina (09-10) were active; gina's seat counts then.
    expect(
      await run('inactive-seats', { from_day: date('2025-09-01'), to_day: date('2025-09-30') }),
    ).toEqual([
      { team: 'payments', user_id: 'carol@example.com' },
      { team: 'payments', user_id: 'hank@example.com' },
      { team: 'platform', user_id: 'alice@example.com' },
    ]);
  });

  it('acceptance by language this month: code rate, chat accepted and lines only', async () => {
    const rows = await run('language-this-month', { month_start: date('2025-10-01') });
    // September (row 1) left out. python: code rows 2 + 4, chat row 5; go: code row 6, chat
    // row 3. unknown holds only unaccepted chat (rows 7, 8): no code exposure, no chat
    // acceptance, so it is left out. A total rate here would have said go 4/4 = 100 %.
    expect(rows).toEqual([
      {
        language: 'python',
        code_exposed: 14,
        code_accepted: 7,
        code_acceptance_rate: 0.5,
        code_lines_accepted: 16,
        chat_accepted: 1,
        chat_lines_accepted: 7,
      },
      {
        language: 'go',
        code_exposed: 2,
        code_accepted: 2,
        code_acceptance_rate: 1,
        code_lines_accepted: 4,
        chat_accepted: 2,
        chat_lines_accepted: 30,
      },
    ]);
    // No chat or total rate by language: chat exposures carry no language.
    for (const row of rows)
      expect(Object.keys(row).filter((k) => /rate/.test(k))).toEqual(['code_acceptance_rate']);
  });

  it('agent mode vs not', async () => {
    const rows = await run('agent-vs-not', OCTOBER);
    // Each documented query's expected rows, hand-computed and written out.
    expect(rows).toEqual([
      {
        mode: 'agent',
        kind: 'chat',
        exposed: 4,
        accepted: 2,
        acceptance_rate: 0.5,
        lines_accepted: 30,
      },
      {
        mode: 'agent',
        kind: 'code',
        exposed: 2,
        accepted: 2,
        acceptance_rate: 1,
        lines_accepted: 4,
      },
      {
        mode: 'not agent',
        kind: 'chat',
        exposed: 5,
        accepted: 1,
        acceptance_rate: 0.2,
        lines_accepted: 7,
      },
      {
        mode: 'not agent',
        kind: 'code',
        exposed: 14,
        accepted: 7,
        acceptance_rate: 0.5,
        lines_accepted: 16,
      },
    ]);
  });

  // Expected rows written out in full, as every query's test here (alike by shape only).
  it('lines accepted per active user (distinct users over the range)', async () => {
    const rows = await run('lines-per-active-user', OCTOBER);
    // Lines 10 + 30 + 6 + 7 + 4; active in October: alice, bob, carol, dave, erin, frank.
    expect(rows).toEqual([{ lines_accepted: 57, active_users: 6, lines_per_active_user: 9.5 }]);
  });

  it('users who stopped using it', async () => {
    const rows = await run('stopped-users', {
      previous_start: date('2025-09-17'),
      recent_start: date('2025-10-15'),
      as_of: date('2025-10-29'),
    });
    // alice (10-20), carol (10-16) came back; frank is new; gina left before the window.
    expect(rows).toEqual([
      { user_id: 'bob@example.com', active_days: 2, last_active_day: '2025-10-02' },
      { user_id: 'dave@example.com', active_days: 1, last_active_day: '2025-10-03' },
      { user_id: 'erin@example.com', active_days: 1, last_active_day: '2025-10-05' },
    ]);
  });
});

describe('docs/analysts.md Looker section', () => {
  it('names the Pulumi config key the infra program reads for the Looker principal', () => {
    const keys = [...DOC.matchAll(/gca-analytics:([A-Za-z]+)/g)].map((m) => m[1]);
    expect(keys).toContain('lookerPrincipals');
    for (const k of keys) expect(STACK_KEYS).toContain(k);
  });
});
