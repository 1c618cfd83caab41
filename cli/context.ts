/**
 * What every subcommand gets: injectable I/O, environment, working directory and clock (so tests
 * run the command in-process), and one way to open the warehouse and state store.
 *
 * A subcommand is a module in cli/commands/ exporting
 *   `register(program: Command, ctx: CliContext): void`
 * which adds its Command with `.description()`, options and an async `.action()`. An action
 * prints through `ctx.out` / `ctx.err`, throws `CliError` for a clear one-line failure (exit 2
 * for a usage error: a bad option, argument or variable; 1 for anything that went wrong at run
 * time), or sets `ctx.exitCode` for a soft failure; main turns both into the exit code.
 *
 * Opening the ports (cli/open.ts):
 *   addDbOption(cmd).action(async (flags) => {
 *     const deps = await ctx.open({ db: flags.db, existing: true });
 *     try { ... deps.warehouse ... deps.state ... ctx.out(`Warehouse: ${deps.where}`) }
 *     finally { await deps.close(); }
 *   });
 * `open` follows the environment as the functions do (GCA_WAREHOUSE=bigquery with
 * GOOGLE_CLOUD_PROJECT, GCA_RAW_DATASET, GCA_ANALYTICS_DATASET, GCA_BQ_LOCATION;
 * GCA_STATE=firestore with GCA_FIRESTORE_DATABASE, GCA_FIRESTORE_COLLECTION), defaulting to
 * ./gca-analytics.duckdb and its `<db>.state.json`; `--db PATH` is the local shorthand and may
 * not be combined with GCA_WAREHOUSE (a usage error).
 */
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ConfigError,
  parseEnv,
  PRIVACY_ENV,
  type ConfigOf,
  type EnvPart,
  stateEnv,
  warehouseEnv,
  type StateConfig,
  type WarehouseConfig,
} from '../shared/config';
import type { ContentMode } from '../shared/content/mode';
import type { NormalizeContext } from '../shared/normalize/outcome';
import { toMicrosIso } from '../shared/normalize/time';
import type { StateStore } from '../shared/state/port';
import type { DuckDbWarehouse } from '../shared/warehouse/duckdb';
import type { Warehouse } from '../shared/warehouse/port';

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
export interface LocalDeps extends CommandDeps {
  warehouse: DuckDbWarehouse;
  duckdb: DuckDbWarehouse;
  /** Absolute path of the DuckDB file. */
  dbPath: string;
  /** Absolute path of the state file, `<db>.state.json`. */
  statePath: string;
}

/** The ports a command works through, wherever they are (DuckDB or BigQuery, file or Firestore). */
export interface CommandDeps {
  warehouse: Warehouse;
  state: StateStore;
  /** The same warehouse when it is a local DuckDB file (ingest sizes its batches for it), else null. */
  duckdb: DuckDbWarehouse | null;
  /** Where the figures are, for messages: the DuckDB file, or `BigQuery PROJECT (RAW, ANALYTICS; LOCATION)`. */
  where: string;
  /** Where the state is, for messages: the state file, or `Firestore PROJECT/DATABASE/COLLECTION`. */
  stateWhere: string;
  /** The configuration the ports were opened from (project, datasets, ...). */
  config: WarehouseConfig & StateConfig;
  /** Closes both. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** The command's `--db` value, if given. */
  db?: string | undefined;
  /**
   * The warehouse must hold data already (report, recompute, retention, erase-user): a local
   * file that does not exist is a clear error instead of a new empty warehouse. Default false.
   */
  existing?: boolean;
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
  /**
   * Opens the warehouse and state store the environment or `--db` name (see the module
   * comment). Throws CliError: exit 2 for a conflicting or bad configuration, 1 when the
   * warehouse is in use by another process, missing (`existing`), or not a DuckDB file.
   */
  open(opts?: OpenOptions): Promise<CommandDeps>;
  /**
   * Opens a local DuckDB file and `<db>.state.json` (`resolveDbPath(ctx, flags.db)`): the
   * previous API, kept for commands that only run locally; prefer `open`.
   */
  openLocal(db: string): Promise<LocalDeps>;
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

/** An integer flag of at least `min` (undefined when not given), or a usage error naming it. */
export function wholeNumberFlag(
  name: string,
  value: string | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(
      `${name} must be a whole number of at least ${min}, not ${JSON.stringify(value)}`,
      2,
    );
  }
  return n;
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
 * The DuckDB path for `--db`, for commands that only run locally: the option when given, else
 * `GCA_WAREHOUSE=duckdb:PATH` when set, else ./gca-analytics.duckdb. A usage error (CliError,
 * exit 2) when GCA_WAREHOUSE names BigQuery (the command would otherwise write a local file
 * silently), when both --db and GCA_WAREHOUSE are given, or when the variable is malformed.
 */
export function resolveDbPath(
  ctx: Pick<CliContext, 'cwd' | 'env'>,
  option: string | undefined,
): string {
  const config = resolveTargets(ctx, option);
  if (config.warehouse.kind !== 'duckdb') {
    throw new CliError(
      'this command works on a local DuckDB warehouse only, and GCA_WAREHOUSE=bigquery is set; unset GCA_WAREHOUSE (--db PATH names another local file)',
      2,
    );
  }
  return config.warehouse.path;
}

/** Adds the shared `--db PATH` option (no commander default, so GCA_WAREHOUSE can apply). */
export function addDbOption(command: Command): Command {
  return command.option(
    '--db <path>',
    `local DuckDB file, state in <db>.state.json (default: $GCA_WAREHOUSE, else ${DEFAULT_DB}; not with GCA_WAREHOUSE)`,
  );
}

/**
 * The parts of the environment a command uses (shared/config.ts), parsed; a bad variable is a
 * usage error (exit 2) naming it. Variables of other parts are not read.
 */
export function commandEnv<const P extends readonly EnvPart<object>[]>(
  ctx: Pick<CliContext, 'env'>,
  parts: P,
): ConfigOf<P> {
  try {
    return parseEnv(parts, ctx.env);
  } catch (err) {
    if (err instanceof ConfigError) throw configUsageError(err);
    throw err;
  }
}

/** A ConfigError as a usage error naming each bad variable. */
export function configUsageError(err: ConfigError, what = 'the environment'): CliError {
  return new CliError(`${what} is not valid: ${err.issues.join('; ')}`, 2);
}

/**
 * The warehouse and state store a command uses: `--db PATH` (local shorthand for
 * GCA_WAREHOUSE=duckdb:PATH GCA_STATE=local:PATH.state.json), else the environment as the
 * functions read it, except that an unset GCA_WAREHOUSE means ./gca-analytics.duckdb and an unset
 * GCA_STATE means the state file beside a DuckDB warehouse (Firestore beside BigQuery). Local
 * paths are resolved against the working directory. Throws CliError (exit 2) for --db together
 * with GCA_WAREHOUSE or GCA_STATE, or a bad variable.
 */
export function resolveTargets(
  ctx: Pick<CliContext, 'cwd' | 'env'>,
  db: string | undefined,
): WarehouseConfig & StateConfig {
  let env = ctx.env;
  if (db !== undefined) {
    for (const name of ['GCA_WAREHOUSE', 'GCA_STATE'] as const) {
      const set = env[name]?.trim();
      if (set) {
        throw new CliError(
          `--db and ${name}=${set} both say where the data is; give one of them (--db PATH stands for GCA_WAREHOUSE=duckdb:PATH with its state in PATH.state.json)`,
          2,
        );
      }
    }
    env = { ...env, GCA_WAREHOUSE: `duckdb:${db}` };
  }
  try {
    const w = parseEnv([warehouseEnv(`duckdb:${DEFAULT_DB}`)], env);
    const warehouse =
      w.warehouse.kind === 'duckdb'
        ? { kind: 'duckdb' as const, path: resolvePath(ctx, w.warehouse.path) }
        : w.warehouse;
    const stateFallback =
      warehouse.kind === 'duckdb' ? `local:${statePathFor(warehouse.path)}` : 'firestore';
    const s = parseEnv([stateEnv(stateFallback)], env);
    const state =
      s.state.kind === 'local'
        ? { kind: 'local' as const, path: resolvePath(ctx, s.state.path) }
        : s.state;
    return { ...w, ...s, warehouse, state };
  } catch (err) {
    if (err instanceof ConfigError) throw configUsageError(err);
    throw err;
  }
}

/**
 * The normalize context of a command that writes raw rows now (backfill, quarantine reprocess):
 * ingest time from the command's clock, content mode from its flag or else GCA_CONTENT_MODE.
 */
export function writeContext(
  ctx: CliContext,
  contentMode: ContentMode | undefined,
  pseudonymizeUser?: (userId: string) => string,
): NormalizeContext {
  return {
    ingestTime: toMicrosIso(ctx.now()),
    contentMode: contentMode ?? commandEnv(ctx, [PRIVACY_ENV]).contentMode,
    ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
  };
}
