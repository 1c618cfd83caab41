/**
 * `report` with a team mapping, end to end on the hand-made fixture (see fixtures/README.md):
 * ana@example.com is in Payments (seat), ben@example.com in Search (seat), carol@example.com in
 * Search with a seat and no activity. --min-team-size / GCA_MIN_TEAM_SIZE, --no-people, --csv.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ReportSchema, type Report } from '../../shared/metrics/report-schema';
import { runCli } from './run-cli';

const FIXTURE = join(__dirname, 'fixtures', 'tiny-export.jsonl');

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-report-teams-'));
  expect((await runCli(['ingest', FIXTURE, '--db', 'w.duckdb'], { cwd: dir })).code).toBe(0);
  writeFileSync(
    join(dir, 'teams.csv'),
    'user_id,team,seat\nana@example.com,Payments,true\nben@example.com,Search,true\ncarol@example.com,Search,true\n',
  );
  expect(
    (await runCli(['teams', 'import', 'teams.csv', '--db', 'w.duckdb'], { cwd: dir })).code,
  ).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function report(args: string[], env: Record<string, string> = {}): Promise<Report> {
  const run = await runCli(['report', '--db', 'w.duckdb', '--json', ...args], { cwd: dir, env });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return ReportSchema.parse(JSON.parse(run.stdout));
}

describe('report with teams', () => {
  it('pools both one-person teams at the default floor of 5', async () => {
    const r = await report([]);
    expect(Object.keys(r.byTeam)).toEqual(['(small teams)']);
    expect(r.byTeam['(small teams)']).toEqual({ code: r.code, chat: r.chat, total: r.total });
    expect(r.teams.minTeamSize).toBe(5);
  });

  it('shows each team with --min-team-size 1, shaped like byUser entries', async () => {
    const r = await report(['--min-team-size', '1']);
    expect(Object.keys(r.byTeam)).toEqual(['Payments', 'Search']);
    // ana's suggestions (A, C) and ben's (B, D): fixtures/README.md.
    expect(r.byTeam.Payments).toEqual(r.byUser['ana@example.com']);
    expect(r.byTeam.Search).toEqual(r.byUser['ben@example.com']);
    expect(r.engagement.inactiveSeats).toEqual([{ userId: 'carol@example.com', team: 'Search' }]);
    expect(r.engagement.byTeam.Search).toMatchObject({
      activeUsers: 1,
      seats: 2,
      inactiveSeats: 1,
    });
  });

  it('takes the floor from GCA_MIN_TEAM_SIZE, the flag winning, and refuses a bad one', async () => {
    expect(Object.keys((await report([], { GCA_MIN_TEAM_SIZE: '1' })).byTeam)).toEqual([
      'Payments',
      'Search',
    ]);
    expect(
      Object.keys((await report(['--min-team-size', '2'], { GCA_MIN_TEAM_SIZE: '1' })).byTeam),
    ).toEqual(['(small teams)']);
    const bad = await runCli(['report', '--db', 'w.duckdb', '--min-team-size', '0'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min-team-size must be a positive integer, got "0"');
  });

  it('--no-people leaves every individual out of the JSON, the text and the dashboard', async () => {
    const r = await report(['--no-people', '--min-team-size', '1']);
    expect(r.byUser).toEqual({});
    expect(r.engagement.byUser).toEqual({});
    expect(r.engagement.inactiveSeats).toEqual([]);
    expect(r.teams.peopleOmitted).toBe(true);
    expect(r.engagement.byTeam.Search?.inactiveSeats).toBe(1);
    const run = await runCli(
      ['report', '--db', 'w.duckdb', '--no-people', '--html', 'shared.html', '--csv', 'shared-csv'],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('@example.com');
    expect(readFileSync(join(dir, 'shared.html'), 'utf8')).not.toContain('@example.com');
    for (const f of readdirSync(join(dir, 'shared-csv'))) {
      expect([f, readFileSync(join(dir, 'shared-csv', f), 'utf8')]).not.toEqual([
        f,
        expect.stringContaining('@example.com'),
      ]);
    }
  });

  it('--csv writes one CSV per table: headers, ISO days, rates as fractions', async () => {
    const run = await runCli(
      ['report', '--db', 'w.duckdb', '--csv', 'out', '--min-team-size', '1'],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`CSV files written to ${join(dir, 'out')}`);
    const files = readdirSync(join(dir, 'out')).sort();
    expect(files).toEqual(
      [
        'by_agent_mode',
        'by_day',
        'by_ide',
        'by_language',
        'by_team',
        'by_team_day',
        'by_user',
        'daily_active_users',
        'inactive_seats',
        'rows_all_time',
        'summary',
        'team_engagement',
        'user_engagement',
      ].map((n) => `${n}.csv`),
    );
    const text = readFileSync(join(dir, 'out', 'by_day.csv'), 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    // 2025-10-06: code 2 exposed, 1 accepted (fixtures/README.md).
    expect(rows[0]).toMatchObject({
      day: '2025-10-06',
      code_exposed: '2',
      code_accepted: '1',
      code_acceptance_rate: '0.5',
      code_lines_accepted: '5',
    });
    expect(rows[1]).toMatchObject({
      day: '2025-10-07',
      code_exposed: '0',
      code_acceptance_rate: '',
    });
    const seats = parse(readFileSync(join(dir, 'out', 'inactive_seats.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    expect(seats).toEqual([{ user_id: 'carol@example.com', team: 'Search' }]);
  });
});
