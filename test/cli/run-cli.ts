/** Runs `gca-analytics` in-process with captured output, a fixed clock and a test directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main, openLocalDeps } from '../../cli/main';
import { DEFAULT_FACTORIES, type DepsFactories } from '../../shared/deps';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  stdin?: string | Buffer;
  now?: Date;
  env?: Record<string, string | undefined>;
  /** How the ports are opened; default the real ones (e.g. BigQuery pointed at a local endpoint). */
  factories?: DepsFactories;
}

export async function runCli(args: string[], opts: RunOptions): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'gca-analytics', ...args], {
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: opts.env ?? {},
    cwd: opts.cwd,
    now: () => opts.now ?? new Date('2025-10-20T12:00:00Z'),
    factories: opts.factories ?? DEFAULT_FACTORIES,
  });
  return { code, stdout, stderr };
}

/** The `n` column of the first row `sql` returns on a local warehouse file (opened, then closed). */
export async function countIn(
  db: string,
  sql: string,
  params: Record<string, string> = {},
): Promise<number> {
  const deps = await openLocalDeps(db);
  try {
    return Number((await deps.warehouse.query<{ n: unknown }>(sql, params))[0]?.n);
  } finally {
    await deps.close();
  }
}

/**
 * A fresh directory for each test of the file or block, removed after it: `dir`, and `db`, the
 * path of a DuckDB file in it (created by the first command that opens it).
 */
export function useTestDir(prefix: string): { readonly dir: string; readonly db: string } {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const current = (): string => {
    if (!dir) throw new Error('the test directory exists only inside hooks and tests');
    return dir;
  };
  return {
    get dir() {
      return current();
    },
    get db() {
      return join(current(), 'w.duckdb');
    },
  };
}
