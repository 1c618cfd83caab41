/**
 * End-to-end: the real command (in-process), DuckDB files in a temp directory, the hand-made
 * fixture export (figures computed by hand, see fixtures/README.md) and generated samples.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportSchema, type Report } from '../../shared/metrics/report-schema';
import { writeSampleFile } from '../../cli/sample/generate';
import { runCli } from './run-cli';

const FIXTURE = join(__dirname, 'fixtures', 'tiny-export.jsonl');
const COUNT_KEYS = ['read', 'normalized', 'duplicates', 'quarantined', 'skipped'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parseOne(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

async function reportJson(db: string, ...extra: string[]): Promise<Report> {
  const run = await runCli(['report', '--db', db, '--json', ...extra], { cwd: dir });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return ReportSchema.parse(parseOne(run.stdout));
}

const fig = (exposed: number, accepted: number, rate: number | null, lines: number) => ({
  exposed,
  accepted,
  acceptanceRate: rate,
  linesAccepted: lines,
});

describe('gca-analytics --help', () => {
  it('lists every subcommand, and each has its own help', async () => {
    const run = await runCli(['--help'], { cwd: dir });
    expect(run.code).toBe(0);
    const section = run.stdout.split('Commands:\n')[1]?.split('\n\n')[0] ?? '';
    const listed = [...section.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
    for (const name of ['ingest', 'recompute', 'report', 'demo']) expect(listed).toContain(name);
    for (const name of listed.filter((n) => n !== 'help')) {
      const sub = await runCli([name ?? '', '--help'], { cwd: dir });
      expect([name, sub.code]).toEqual([name, 0]);
      expect(sub.stdout).toContain(`Usage: gca-analytics ${name}`);
    }
  });

  it('rejects an unknown subcommand with a non-zero exit', async () => {
    const run = await runCli(['frobnicate'], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('unknown command');
  });
});

describe('ingest and report on the hand-made fixture', () => {
  const db = () => join(dir, 'tiny.duckdb');

  it('prints exactly one JSON object with conserved counts, exit 0 despite quarantine', async () => {
    const run = await runCli(['ingest', FIXTURE, '--db', db(), '--json'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const counts = parseOne(run.stdout);
    expect(Object.keys(counts)).toEqual(COUNT_KEYS);
    expect(counts).toEqual({ read: 13, normalized: 10, duplicates: 1, quarantined: 1, skipped: 1 });
  });

  it('reports the hand-computed figures', async () => {
    const r = await reportJson(db());
    expect(r.code).toEqual(fig(2, 2, 1, 7));
    expect(r.chat).toEqual(fig(1, 1, 1, 10));
    expect(r.total).toEqual(fig(3, 3, 1, 17));
    expect(r.orphanAcceptances).toBe(1);
    expect(r.rows).toEqual({ requests: 1, responses: 1, metadataEvents: 8, quarantined: 1 });
    // The late chat acceptance counts on its exposure's day.
    expect(r.byDay['2025-10-06']?.code).toEqual(fig(2, 1, 0.5, 5));
    expect(r.byDay['2025-10-06']?.chat).toEqual(fig(1, 1, 1, 10));
    expect(r.byDay['2025-10-07']?.code).toEqual(fig(0, 1, null, 2));
    expect(r.byAgentMode.agent.chat).toEqual(fig(1, 1, 1, 10));
    expect(r.byUser['ben@example.com']?.code).toEqual(fig(1, 1, 1, 2));
    expect(r.byLanguage['go']?.code).toEqual(fig(1, 1, 1, 2));
  });

  it('filters by day', async () => {
    const first = await reportJson(db(), '--to', '2025-10-06');
    expect(first.total).toEqual(fig(3, 2, 2 / 3, 15));
    expect(Object.keys(first.byDay)).toEqual(['2025-10-06']);
    const second = await reportJson(db(), '--from', '2025-10-07', '--to', '2025-10-07');
    expect(second.total).toEqual(fig(0, 1, null, 2));
    const none = await reportJson(db(), '--from', '2025-11-01');
    expect(none.total).toEqual(fig(0, 0, null, 0));
  });

  it('leaves every figure unchanged when the same export is ingested again', async () => {
    const before = await reportJson(db());
    const run = await runCli(['ingest', FIXTURE, '--db', db(), '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    // The broken line's quarantine row is keyed too: already stored, so a duplicate now.
    expect(parseOne(run.stdout)).toEqual({
      read: 13,
      normalized: 0,
      duplicates: 12,
      quarantined: 0,
      skipped: 1,
    });
    expect(await reportJson(db())).toEqual(before);
  });

  it('prints the terminal tables by default and writes the HTML page on request', async () => {
    const run = await runCli(['report', '--db', db(), '--html', 'tiny.html'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Total +3 +3 +100\.0% +17$/m);
    expect(run.stdout).toContain(`Dashboard written to ${join(dir, 'tiny.html')}`);
    expect(readFileSync(join(dir, 'tiny.html'), 'utf8')).toContain('ben@example.com');
  });

  it('rejects a malformed or reversed day range with one line', async () => {
    for (const args of [
      ['--from', '2025-10-32'],
      ['--to', 'yesterday'],
      ['--from', '2025-10-08', '--to', '2025-10-01'],
    ]) {
      const run = await runCli(['report', '--db', db(), ...args], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^gca-analytics: --(from|to) /);
    }
  });

  it('recomputes on demand, fully or not, without changing the figures', async () => {
    const before = await reportJson(db());
    for (const args of [[], ['--full']]) {
      const run = await runCli(['recompute', '--db', db(), ...args], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Recomputed \((full|incremental)\)/);
    }
    expect(await reportJson(db())).toEqual(before);
  });
});

describe('errors', () => {
  it('fails with one clear line for a missing file, before creating anything', async () => {
    const db = join(dir, 'never.duckdb');
    const run = await runCli(['ingest', FIXTURE, 'missing.json', '--db', db, '--json'], {
      cwd: dir,
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('gca-analytics: cannot read missing.json: no such file\n');
    expect(existsSync(db)).toBe(false);
  });

  it('fails with one clear line for a directory', async () => {
    const run = await runCli(['ingest', dir, '--db', join(dir, 'never.duckdb')], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toBe(`gca-analytics: cannot read ${dir}: is a directory\n`);
  });

  it('says how to start when the warehouse does not exist', async () => {
    for (const cmd of ['report', 'recompute']) {
      const run = await runCli([cmd, '--db', 'nowhere.duckdb'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^gca-analytics: no warehouse at .*nowhere\.duckdb; run/);
      expect(existsSync(join(dir, 'nowhere.duckdb'))).toBe(false);
    }
  });
});

describe('generated exports', () => {
  const file = () => join(dir, 'sample.json');
  beforeAll(async () => {
    await writeSampleFile(file(), {
      seed: 11,
      entries: 1500,
      users: 6,
      days: 4,
      foreignRate: 0.02,
      malformedRate: 0.02,
    });
  });

  it('conserves every entry of a gcloud array, and reads stdin the same way', async () => {
    const fromFile = await runCli(['ingest', file(), '--db', join(dir, 'f.duckdb'), '--json'], {
      cwd: dir,
    });
    expect(fromFile.code).toBe(0);
    const counts = parseOne(fromFile.stdout) as Record<string, number>;
    expect(counts.read).toBe(1500);
    expect(counts.normalized! + counts.duplicates! + counts.quarantined! + counts.skipped!).toBe(
      1500,
    );
    expect(counts.duplicates).toBeGreaterThan(0);
    expect(counts.quarantined).toBeGreaterThan(0);
    expect(counts.skipped).toBeGreaterThan(0);

    const fromStdin = await runCli(['ingest', '-', '--db', join(dir, 's.duckdb'), '--json'], {
      cwd: dir,
      stdin: readFileSync(file()),
    });
    expect(fromStdin.code).toBe(0);
    expect(parseOne(fromStdin.stdout)).toEqual(counts);
    expect(await reportJson(join(dir, 's.duckdb'))).toEqual(
      await reportJson(join(dir, 'f.duckdb')),
    );
  });

  it('takes JSON Lines on stdin and prints a readable summary without --json', async () => {
    const jsonl = join(dir, 'sample.jsonl');
    await writeSampleFile(jsonl, { seed: 12, entries: 200, format: 'jsonl' });
    const run = await runCli(['ingest', '-', '--db', join(dir, 'l.duckdb')], {
      cwd: dir,
      stdin: readFileSync(jsonl),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Read 200 entries: \d+ stored, \d+ duplicates/);
    expect(run.stdout).toMatch(/^Recomputed /m);
  });

  it('uses GCA_WAREHOUSE=duckdb:PATH when --db is not given', async () => {
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, readFileSync(FIXTURE));
    const run = await runCli(['ingest', small, '--json'], {
      cwd: dir,
      env: { GCA_WAREHOUSE: 'duckdb:env.duckdb' },
    });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, 'env.duckdb'))).toBe(true);
    expect(existsSync(join(dir, 'env.duckdb.state.json'))).toBe(true);
  });

  it('pseudonymizes user ids at ingest when GCA_PSEUDONYMIZE_KEY is set', async () => {
    const db = join(dir, 'pseudo.duckdb');
    const env = { GCA_PSEUDONYMIZE_KEY: 'k'.repeat(64) };
    const run = await runCli(['ingest', FIXTURE, '--db', db, '--json'], { cwd: dir, env });
    expect(run.code).toBe(0);
    const users = Object.keys((await reportJson(db)).byUser);
    expect(users).toHaveLength(2);
    for (const user of users) expect(user).not.toContain('@');
  });
});
