/**
 * What every subcommand gets: injectable I/O, environment, working directory and clock (so tests
 * run the command in-process), and one way to open the local warehouse and state store.
 *
 * A subcommand is a module in cli/commands/ exporting
 *   `register(program: Command, ctx: CliContext): void`
 * which adds its Command with `.description()`, options and an async `.action()`. An action
 * prints through `ctx.out` / `ctx.err`, throws `CliError` for a clear one-line failure, or sets
 * `ctx.exitCode` for a soft failure; main turns both into the process exit code.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import type { StateStore } from '../shared/state/port';
import type { DuckDbWarehouse } from '../shared/warehouse/duckdb';

/** A stream we can print to (process.stdout, or a test's buffer). */
export interface OutputStream {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: OutputStream;
  stderr: OutputStream;
  /** stdout is a terminal (not piped): progress bars and colours are allowed. */
  stdoutIsTTY: boolean;
  /** stderr is a terminal: where the progress bar is drawn. */
  stderrIsTTY: boolean;
}

/** The local warehouse and state store behind `--db PATH`. */
export interface LocalDeps {
  warehouse: DuckDbWarehouse;
  state: StateStore;
  /** Absolute path of the DuckDB file. */
  dbPath: string;
  /** Absolute path of the state file, `<db>.state.json`. */
  statePath: string;
  /** Closes both. Safe to call twice. */
  close(): Promise<void>;
}

export interface CliContext {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (files, --db, --html) resolve against this. */
  readonly cwd: string;
  /** The clock: ingest_time, lease times, report "now". */
  now(): Date;
  /** Writes `text` and a newline to stdout. */
  out(text: string): void;
  /** Writes `text` and a newline to stderr. */
  err(text: string): void;
  /** Opens the DuckDB warehouse (schema ensured) and `<db>.state.json` for a `--db` value. */
  openLocal(db: string): Promise<LocalDeps>;
  /**
   * The compiled worker script that prepares ingest batches on other cores
   * (cli/ingest-worker.ts), or null to prepare them in process (when running from sources).
   */
  readonly ingestWorkerScript: string | null;
  /** Exit code of the run; 0 unless an action sets it (or throws). */
  exitCode: number;
}

/** A failure the user can fix: printed as one line `gca-analytics: MESSAGE`, exit `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError;
}

export const DEFAULT_DB = './gca-analytics.duckdb';

/** The local state file that goes with a DuckDB file. */
export function statePathFor(dbPath: string): string {
  return `${dbPath}.state.json`;
}

/** Resolves a user-given path against the context's working directory. */
export function resolvePath(ctx: Pick<CliContext, 'cwd'>, path: string): string {
  return isAbsolute(path) ? path : resolve(ctx.cwd, path);
}

/**
 * The DuckDB path for `--db`: the option when given, else `GCA_WAREHOUSE=duckdb:PATH` when set,
 * else ./gca-analytics.duckdb.
 */
export function resolveDbPath(
  ctx: Pick<CliContext, 'cwd' | 'env'>,
  option: string | undefined,
): string {
  if (option) return resolvePath(ctx, option);
  const fromEnv = ctx.env.GCA_WAREHOUSE;
  if (fromEnv?.startsWith('duckdb:') && fromEnv.length > 'duckdb:'.length) {
    return resolvePath(ctx, fromEnv.slice('duckdb:'.length));
  }
  return resolvePath(ctx, DEFAULT_DB);
}

/** Adds the shared `--db PATH` option (no commander default, so GCA_WAREHOUSE can apply). */
export function addDbOption(command: Command): Command {
  return command.option(
    '--db <path>',
    `DuckDB file (default: $GCA_WAREHOUSE=duckdb:PATH, else ${DEFAULT_DB}); state in <db>.state.json`,
  );
}
