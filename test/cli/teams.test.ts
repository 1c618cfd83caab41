/**
 * `gca-analytics teams import` / `teams list` on a real DuckDB file: validation per line, the
 * mapping replaced whole (a bad file leaves the loaded one untouched), pseudonymized ids.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { runCli } from './run-cli';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-teams-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

async function stored(): Promise<Record<string, unknown>[]> {
  const deps = await openLocalDeps(join(dir, 'w.duckdb'));
  try {
    return await deps.warehouse.query(
      `SELECT user_id, team, parent_team, seat, CAST(from_day AS STRING) AS from_day,
         CAST(to_day AS STRING) AS to_day FROM \`gca_analytics.user_teams\` ORDER BY user_id, from_day NULLS FIRST`,
    );
  } finally {
    await deps.close();
  }
}

const GOOD =
  'user_id,team,parent_team,seat,from,to\n' +
  'alice@x.com,Payments,Platform,true,,2026-01-31\n' +
  'alice@x.com,"Search, EU",Platform,true,2026-02-01,\n' +
  'bob@x.com,Payments,,false,,\n';

describe('teams import', () => {
  it('loads a valid file, and a second import replaces the first', async () => {
    const first = await runCli(['teams', 'import', csv('t.csv', GOOD), '--db', 'w.duckdb'], {
      cwd: dir,
    });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Imported 3 rows: 2 users in 2 teams');
    expect(await stored()).toEqual([
      {
        user_id: 'alice@x.com',
        team: 'Payments',
        parent_team: 'Platform',
        seat: true,
        from_day: null,
        to_day: '2026-01-31',
      },
      {
        user_id: 'alice@x.com',
        team: 'Search, EU',
        parent_team: 'Platform',
        seat: true,
        from_day: '2026-02-01',
        to_day: null,
      },
      {
        user_id: 'bob@x.com',
        team: 'Payments',
        parent_team: null,
        seat: false,
        from_day: null,
        to_day: null,
      },
    ]);
    const second = await runCli(
      [
        'teams',
        'import',
        csv('u.csv', 'user_id,team\ncarol@x.com,Search\n'),
        '--db',
        'w.duckdb',
        '--json',
      ],
      { cwd: dir },
    );
    expect(JSON.parse(second.stdout)).toEqual({ rows: 1, users: 1, teams: 1 });
    expect(await stored()).toEqual([
      expect.objectContaining({ user_id: 'carol@x.com', team: 'Search', seat: true }),
    ]);
    const list = await runCli(['teams', 'list', '--db', 'w.duckdb'], { cwd: dir });
    expect(list.stdout).toMatch(/Search\s+carol@x\.com\s+yes/);
    expect(list.stdout).toContain('1 rows, 1 users, 1 teams');
  });

  it('reports every bad line and leaves the loaded mapping as it was', async () => {
    await runCli(['teams', 'import', csv('t.csv', GOOD), '--db', 'w.duckdb'], { cwd: dir });
    const before = await stored();
    const bad = csv(
      'bad.csv',
      'user_id,team,seat,from,to\n' +
        'dave@x.com,Ops,maybe,,\n' +
        'erin@x.com,Ops,true,2026-02-30,\n' +
        'frank@x.com,Ops,true,2026-03-01,2026-02-01\n' +
        'gina@x.com,Ops,true,2026-01-01,2026-01-31\n' +
        'gina@x.com,Web,true,2026-01-31,\n' +
        ',Ops,true,,\n',
    );
    const run = await runCli(['teams', 'import', bad, '--db', 'w.duckdb'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      'bad.csv:2: seat must be true or false, got "maybe"',
      'bad.csv:3: from must be a day as YYYY-MM-DD, got "2026-02-30"',
      'bad.csv:4: from 2026-03-01 is after to 2026-02-01',
      'bad.csv:6: user gina@x.com is already mapped on overlapping days at line 5',
      'bad.csv:7: user_id is empty',
      'gca-analytics: bad.csv: 5 problem(s); nothing was imported, the mapping is unchanged',
    ]);
    expect(await stored()).toEqual(before);
  });

  it('refuses unknown and missing columns and an empty file', async () => {
    const unknown = await runCli(
      ['teams', 'import', csv('c.csv', 'user_id,squad\na@x.com,Ops\n'), '--db', 'w.duckdb'],
      { cwd: dir },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'c.csv:1: unknown column "squad" (expected user_id, team, parent_team, seat, from, to)',
    );
    expect(unknown.stderr).toContain('c.csv:1: missing column team');
    const empty = await runCli(
      ['teams', 'import', csv('e.csv', 'user_id,team\n'), '--db', 'w.duckdb'],
      { cwd: dir },
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('e.csv: the file has no rows');
  });

  it('stores pseudonyms, never the email, when pseudonymization is on', async () => {
    const key = 'k'.repeat(32);
    const run = await runCli(['teams', 'import', csv('t.csv', GOOD), '--db', 'w.duckdb'], {
      cwd: dir,
      env: { GCA_PSEUDONYMIZE_KEY: key },
    });
    expect(run.code).toBe(0);
    const rows = await stored();
    const p = createPseudonymizer(key);
    expect(rows.map((r) => r.user_id).sort()).toEqual(
      [p('alice@x.com'), p('alice@x.com'), p('bob@x.com')].sort(),
    );
    expect(JSON.stringify(rows)).not.toContain('@x.com');
  });

  it('goes to BigQuery with GCA_WAREHOUSE=bigquery, and says what is missing', async () => {
    const run = await runCli(['teams', 'import', csv('t.csv', GOOD)], {
      cwd: dir,
      env: { GCA_WAREHOUSE: 'bigquery' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('GOOGLE_CLOUD_PROJECT: required with GCA_WAREHOUSE=bigquery');
  });
});
