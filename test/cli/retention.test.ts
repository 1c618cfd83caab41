import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { register as registerEraseUser } from '../../cli/commands/erase-user';
import { parseNow, register as registerRetention } from '../../cli/commands/retention';
import { isCliError, type CliContext } from '../../cli/context';
import { openLocalDeps } from '../../cli/main';
import { openCommandDeps } from '../../cli/open';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { runRecompute } from '../../shared/jobs/recompute';
import type { RetentionResult } from '../../shared/jobs/retention';
import { ingestRecords } from '../../shared/pipeline/ingest';
import type { ErasureRequest } from '../../shared/state/port';
import { entryText, interactionEntries } from '../helpers/entries';
import { countIn, useTestDir } from './run-cli';

const NOW = '2026-03-01T00:00:00Z';
const KEY = 'cli-test-pseudonymize-key-0123';

/** Runs the two commands in-process (registered on a bare program, as main does). */
async function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    io: {
      stdin: Readable.from([]),
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdoutIsTTY: false,
      stderrIsTTY: false,
    },
    env,
    cwd,
    now: () => new Date('2026-03-02T00:00:00Z'),
    out: (t) => void (stdout += `${t}\n`),
    err: (t) => void (stderr += `${t}\n`),
    open: (opts) => openCommandDeps({ cwd, env }, opts),
    openLocal: (db) => openLocalDeps(db),
    exitCode: 0,
  };
  const program = new Command().exitOverride().configureOutput({
    writeOut: (s) => void (stdout += s),
    writeErr: (s) => void (stderr += s),
  });
  registerRetention(program, ctx);
  registerEraseUser(program, ctx);
  for (const c of program.commands) c.exitOverride();
  let code = 0;
  try {
    await program.parseAsync(['node', 'gca-analytics', ...args]);
    code = ctx.exitCode;
  } catch (err) {
    if (isCliError(err)) {
      stderr += `gca-analytics: ${err.message}\n`;
      code = err.exitCode;
    } else if (err instanceof CommanderError) code = err.exitCode;
    else throw err;
  }
  return { code, stdout, stderr };
}

/** A local db: Alice and Bob on a recent, a 90-day-old and a 500-day-old day; recomputed. */
async function seed(db: string, pseudonymizeUser?: (id: string) => string): Promise<void> {
  const deps = await openLocalDeps(db);
  try {
    const all = ['alice@x.com', 'bob@x.com'].flatMap((u) =>
      ['2026-02-27', '2025-12-01', '2024-10-17'].flatMap((d) => interactionEntries(u, d)),
    );
    await ingestRecords(
      all.map((e, i) => ({ text: entryText(e), source: `file:seed#${i}` })),
      deps.warehouse,
      {
        context: {
          ingestTime: '2026-02-28T00:00:00.000000Z',
          contentMode: 'full',
          ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
        },
      },
    );
    await runRecompute({
      warehouse: deps.warehouse,
      state: deps.state,
      now: () => new Date(NOW),
    });
  } finally {
    await deps.close();
  }
}

describe('gca-analytics retention / erase-user', () => {
  const tmp = useTestDir('gca-cli-retention-');

  it('dry run reports per table and changes nothing; the real run then does it', async () => {
    await seed(tmp.db);
    const dry = await run(
      ['retention', '--db', tmp.db, '--now', NOW, '--dry-run', '--json'],
      tmp.dir,
    );
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout) as RetentionResult;
    expect(planned.dryRun).toBe(true);
    const change = (r: RetentionResult, table: string, action: string) =>
      r.changes.find((c) => c.table === table && c.action === action)?.rows;
    expect(change(planned, 'gca_raw.metadata_events', 'deleted')).toBe(4);
    expect(change(planned, 'gca_raw.requests', 'content_expired')).toBe(2);
    expect(await countIn(tmp.db, 'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`')).toBe(12);

    const real = await run(['retention', '--db', tmp.db, '--now', NOW, '--json'], tmp.dir);
    expect(real.code).toBe(0);
    expect((JSON.parse(real.stdout) as RetentionResult).changes).toEqual(planned.changes);
    expect(await countIn(tmp.db, 'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`')).toBe(8);
    expect(await countIn(tmp.db, 'SELECT COUNT(*) AS n FROM `gca_analytics.retention_runs`')).toBe(
      2,
    );
  });

  it('prints a table in text mode and uses GCA_*_DAYS as defaults', async () => {
    await seed(tmp.db);
    const out = await run(['retention', '--db', tmp.db, '--now', NOW], tmp.dir, {
      GCA_EVENT_DAYS: '3650',
      GCA_CONTENT_DAYS: '1',
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('content 1 days, events 3650 days, quarantine 30 days');
    expect(out.stdout).toMatch(/gca_raw\.requests\s+content_expired\s+6\n/);
    expect(out.stdout).toMatch(/gca_raw\.requests\s+deleted\s+0\n/);
  });

  it('erase-user erases at once and prints the counts', async () => {
    await seed(tmp.db);
    const out = await run(['erase-user', 'bob@x.com', '--db', tmp.db, '--json'], tmp.dir);
    expect(out.code).toBe(0);
    const request = JSON.parse(out.stdout) as ErasureRequest;
    expect(request).toMatchObject({ userId: 'bob@x.com', status: 'done', attempts: 1 });
    expect(request.counts).toMatchObject({
      'gca_raw.requests': 3,
      'gca_raw.metadata_events': 6,
      'gca_analytics.suggestions': 3,
    });
    expect(
      await countIn(
        tmp.db,
        "SELECT COUNT(*) AS n FROM `gca_raw.requests` WHERE user_id = 'bob@x.com'",
      ),
    ).toBe(0);
    const text = await run(['erase-user', 'bob@x.com', '--db', tmp.db], tmp.dir);
    expect(text.stdout).toMatch(/^Erased bob@x\.com:\n/);
    expect(text.stdout).toMatch(/gca_raw\.requests\s+0\n/);
  });

  it('erase-user maps the id through the key file when ids were pseudonymized', async () => {
    const pseudonymize = createPseudonymizer(KEY);
    await seed(tmp.db, pseudonymize);
    writeFileSync(join(tmp.dir, 'key.txt'), `${KEY}\n`);
    const out = await run(
      ['erase-user', 'bob@x.com', '--db', tmp.db, '--pseudonymize-key-file', 'key.txt', '--json'],
      tmp.dir,
    );
    expect(out.code).toBe(0);
    expect((JSON.parse(out.stdout) as ErasureRequest).counts?.['gca_raw.requests']).toBe(3);
    expect(
      await countIn(
        tmp.db,
        `SELECT COUNT(*) AS n FROM \`gca_raw.requests\` WHERE user_id = '${pseudonymize('bob@x.com')}'`,
      ),
    ).toBe(0);
    expect(await countIn(tmp.db, 'SELECT COUNT(*) AS n FROM `gca_raw.requests`')).toBe(3);
    // The same through the environment variable.
    const env = await run(['erase-user', 'alice@x.com', '--db', tmp.db, '--json'], tmp.dir, {
      GCA_PSEUDONYMIZE_KEY: KEY,
    });
    expect((JSON.parse(env.stdout) as ErasureRequest).counts?.['gca_raw.requests']).toBe(3);
  });

  it('fails clearly on a bad --now, a missing db, an unreadable key file', async () => {
    expect(() => parseNow('yesterday')).toThrow(/ISO-8601/);
    expect(parseNow('2026-03-01').toISOString()).toBe('2026-03-01T00:00:00.000Z');
    const badNow = await run(['retention', '--db', tmp.db, '--now', 'soon'], tmp.dir);
    expect(badNow.code).toBe(2);
    const missing = await run(['retention', '--db', tmp.db], tmp.dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no warehouse at');
    await seed(tmp.db);
    const noKey = await run(
      ['erase-user', 'bob@x.com', '--db', tmp.db, '--pseudonymize-key-file', 'nope'],
      tmp.dir,
    );
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('cannot read the pseudonymization key file');
    const shortKey = await run(['erase-user', 'bob@x.com', '--db', tmp.db], tmp.dir, {
      GCA_PSEUDONYMIZE_KEY: 'short',
    });
    expect(shortKey.code).toBe(2);
    expect(shortKey.stderr).not.toContain('short\n');
  });
});
