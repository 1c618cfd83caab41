/**
 * Input the command cannot use is never reported as success, and its exit codes are those of
 * its help: every input shape a new user meets (a single pretty-printed entry, `jq '.[]'`
 * output, gzip, the wrong file, an empty export, another resource type, a file given as --db),
 * a warehouse in use by another process, figures never computed, usage errors (2) against
 * runtime errors (1), and --version.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openDuckDbWarehouse } from '../../shared/warehouse/duckdb';
import { makeEntry, makeMetadataEntry, makeRequestEntry } from '../helpers/entries';
import { SCREEN_RECORDS } from '../../cli/input-check';
import { runCli } from './run-cli';

let dir: string;
let n = 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-input-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const db = () => join(dir, `w${++n}.duckdb`);

/** Three distinct, valid Gemini entries. */
function entries() {
  return [
    makeRequestEntry({ insertId: 'in-r1' }),
    makeMetadataEntry('codeExposure', { originalRequestId: 's-1' }, { insertId: 'in-m1' }),
    makeMetadataEntry(
      'codeAcceptance',
      { originalRequestId: 's-1', linesCount: 3 },
      { insertId: 'in-m2' },
    ),
  ];
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function rawCounts(path: string): Promise<{ stored: number; quarantined: number }> {
  const w = await openDuckDbWarehouse(path);
  try {
    const [row] = await w.query<{ m: number; r: number; q: number }>(
      'SELECT (SELECT COUNT(*) FROM `gca_raw.metadata_events`) AS m, (SELECT COUNT(*) FROM `gca_raw.requests`) AS r, (SELECT COUNT(*) FROM `gca_raw.quarantine`) AS q',
    );
    return { stored: (row?.m ?? 0) + (row?.r ?? 0), quarantined: row?.q ?? 0 };
  } finally {
    await w.close();
  }
}

async function ingestJson(path: string, target = db()) {
  const run = await runCli(['ingest', path, '--db', target, '--json'], { cwd: dir });
  const counts = run.stdout ? (JSON.parse(run.stdout) as Record<string, number>) : null;
  return { ...run, counts, target };
}

describe('input shapes read as what they are', () => {
  it('a single pretty-printed LogEntry (entry.json) is one stored entry', async () => {
    const [entry] = entries();
    const run = await ingestJson(file('entry.json', JSON.stringify(entry, null, 2)));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.counts).toEqual({
      read: 1,
      normalized: 1,
      duplicates: 0,
      quarantined: 0,
      skipped: 0,
    });
  });

  it("`jq '.[]'` output (pretty objects one after another) is one entry per object", async () => {
    const text = entries()
      .map((e) => JSON.stringify(e, null, 2))
      .join('\n');
    const run = await ingestJson(file('jq.json', text));
    expect(run.code).toBe(0);
    expect(run.counts).toMatchObject({ read: 3, normalized: 3, quarantined: 0 });
  });

  it('stores what GCA_CONTENT_MODE says when --content-mode is not given', async () => {
    const target = db();
    const run = await runCli(
      ['ingest', file('e.json', JSON.stringify(entries())), '--db', target],
      {
        cwd: dir,
        env: { GCA_CONTENT_MODE: 'metadata-only' },
      },
    );
    expect(run.code).toBe(0);
    const w = await openDuckDbWarehouse(target);
    try {
      const rows = await w.query<{ mode: string }>(
        'SELECT content_mode AS mode FROM `gca_raw.requests`',
      );
      expect(rows).toEqual([{ mode: 'metadata-only' }]);
    } finally {
      await w.close();
    }
  });

  it('a gzipped export is read by its magic bytes, whatever its name', async () => {
    const run = await ingestJson(file('logs.json', gzipSync(JSON.stringify(entries(), null, 2))));
    expect(run.code).toBe(0);
    expect(run.counts).toMatchObject({ read: 3, normalized: 3, quarantined: 0 });
    const viaStdin = await runCli(['ingest', '-', '--db', db(), '--json'], {
      cwd: dir,
      stdin: gzipSync(
        entries()
          .map((e) => JSON.stringify(e))
          .join('\n'),
      ),
    });
    expect(viaStdin.code).toBe(0);
    expect(JSON.parse(viaStdin.stdout)).toMatchObject({ read: 3, normalized: 3 });
  });
});

describe('input the command cannot use', () => {
  it('refuses a file that is not an export before writing anything, in one line', async () => {
    const csv = 'timestamp,user,lines\n' + '2025-10-01,alice,3\n'.repeat(50);
    const run = await ingestJson(file('usage.csv', csv));
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^gca-analytics: .*usage\.csv: cannot use it: it looks like text lines that are not JSON \(51 of the first 51 records are not log entries\); nothing was written; accepted: /,
    );
    expect(lines[0]).toContain('JSON Lines');
    expect(await rawCounts(run.target)).toEqual({ stored: 0, quarantined: 0 });
  });

  it('refuses JSON that is not log entries, an empty array, and entries of another resource', async () => {
    const other = await ingestJson(file('other.json', JSON.stringify([{ a: 1 }, { b: 2 }])));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/a JSON array whose elements are not log entries/);

    const empty = await ingestJson(file('empty.json', '[]\n'));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no log entries: the input is an empty JSON array/);

    const foreign = entries().map((e) =>
      makeEntry({ ...e, resource: { type: 'gce_instance', labels: {} } }),
    );
    const skipped = await ingestJson(file('gce.json', JSON.stringify(foreign)));
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toMatch(/3 log entries, none from Gemini Code Assist/);
  });

  it('judges the share of unusable records (threshold: half), before writing or after', async () => {
    const good = entries().map((e) => JSON.stringify(e));
    // 3 entries and 4 bad lines: more than half are not log entries; seen before writing.
    const small = await ingestJson(file('mixed.jsonl', [...good, 'x', 'y', 'z', 'w'].join('\n')));
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(
      /4 of the first 7 records are not log entries\); nothing was written/,
    );
    expect(await rawCounts(small.target)).toEqual({ stored: 0, quarantined: 0 });
    // At most half bad: the bad entries are quarantined and the command succeeds.
    const ok = await ingestJson(file('ok.jsonl', [...good, 'x', 'y', 'z'].join('\n')));
    expect(ok.code).toBe(0);
    expect(ok.counts).toMatchObject({ normalized: 3, quarantined: 3 });
    // Good for the first SCREEN_RECORDS records, then mostly garbage: judged on the totals,
    // after writing, and the line says what was written.
    const many = Array.from({ length: SCREEN_RECORDS }, (_, i) =>
      JSON.stringify(
        makeMetadataEntry('codeExposure', { originalRequestId: `s-${i}` }, { insertId: `m-${i}` }),
      ),
    );
    const bad = Array.from({ length: SCREEN_RECORDS + 10 }, (_, i) => `garbage ${i}`);
    const late = await ingestJson(file('late.jsonl', [...many, ...bad].join('\n')));
    expect(late.code).toBe(1);
    expect(late.counts).toMatchObject({
      normalized: SCREEN_RECORDS,
      quarantined: SCREEN_RECORDS + 10,
    });
    expect(late.stderr).toMatch(
      /1010 of 2010 records are not log entries\); its 1000 usable entries and 1010 quarantine rows were written/,
    );
  });

  it('refuses --db pointing at a file that is not a DuckDB database, before anything is written', async () => {
    const copy = file('copy.json', JSON.stringify(entries()));
    const before = readFileSync(copy);
    const run = await runCli(['ingest', copy, '--db', copy], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/copy\.json is not a DuckDB database .*nothing was written/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(readFileSync(copy)).toEqual(before);
    expect(existsSync(`${copy}.state.json`)).toBe(false);
  });
});

describe('what a new user met', () => {
  it('names the other process when the warehouse is in use, in one line', async () => {
    const path = db();
    const script = `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(path)}).then(() => { process.stdout.write('ready\\n'); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const run = await runCli(
        ['ingest', file('e.json', JSON.stringify(entries())), '--db', path],
        {
          cwd: dir,
        },
      );
      expect(run.code).toBe(1);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `is in use by another process (${process.execPath}, PID ${child.pid})`,
      );
      expect(lines[0]).toContain('wait for it to finish');
      expect(lines[0]).not.toContain('Could not set lock');
    } finally {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    }
  });

  it('says the figures were never computed instead of printing zeros', async () => {
    const path = db();
    const loaded = await runCli(
      ['ingest', file('e.json', JSON.stringify(entries())), '--db', path, '--no-recompute'],
      { cwd: dir },
    );
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toContain('Not recomputed: run `gca-analytics recompute`');
    const report = await runCli(['report', '--db', path], { cwd: dir });
    expect(report.code).toBe(1);
    expect(report.stdout).toBe('');
    expect(report.stderr).toMatch(/were never computed .*run `gca-analytics recompute`/);
    expect((await runCli(['recompute', '--db', path], { cwd: dir })).code).toBe(0);
    const after = await runCli(['report', '--db', path, '--json'], { cwd: dir });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ code: { exposed: 1, accepted: 1 } });
    // Entries ingested after the last recompute: the report says they are missing.
    const more = makeMetadataEntry('codeExposure', { originalRequestId: 's-2' }, { insertId: 'x' });
    await runCli(
      ['ingest', file('m.json', JSON.stringify([more])), '--db', path, '--no-recompute'],
      {
        cwd: dir,
        now: new Date('2025-10-21T00:00:00Z'),
      },
    );
    const stale = await runCli(['report', '--db', path], { cwd: dir });
    expect(stale.code).toBe(0);
    expect(stale.stderr).toMatch(
      /1 events ingested after the last recompute .* are not in these figures/,
    );
  });

  it('exits 2 on usage errors and 1 on runtime errors, in every command', async () => {
    const path = db();
    const usage: string[][] = [
      ['ingest'],
      ['ingest', 'x.json', '--bogus'],
      ['ingest', 'x.json', '--content-mode', 'none'],
      ['report', '--from', '2025-13-01'],
      ['recompute', '--frobnicate'],
      ['retention', '--now', 'yesterday'],
      ['erase-user'],
      ['erasure-requests', '--status', 'maybe'],
      ['frobnicate'],
    ];
    for (const args of usage) {
      const run = await runCli(args, { cwd: dir });
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 2]);
    }
    const runtime: string[][] = [
      ['ingest', 'missing.json', '--db', path],
      ['report', '--db', path],
      ['recompute', '--db', path],
      ['retention', '--db', path],
    ];
    for (const args of runtime) {
      const run = await runCli(args, { cwd: dir });
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 1]);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    // A bad variable is a usage error too.
    const env = await runCli(['report'], { cwd: dir, env: { GCA_WAREHOUSE: 'postgres' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("GCA_WAREHOUSE: expected 'bigquery' or 'duckdb:PATH'");
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });
});
