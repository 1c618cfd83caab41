/** Runs `gca-analytics` in-process with captured output, a fixed clock and a test directory. */
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
