/** Runs the recompute job against the command's warehouse and state store. */
import { runRecompute, type RecomputeResult } from '../shared/jobs/recompute';
import { formatCount } from './report/format';
import { CliError, type CliContext, type CommandDeps } from './context';

/**
 * DuckDB's memory limit for a local recompute (see DuckDbWarehouse.withMemoryLimit): without
 * one, its peak memory grew with the warehouse (a full recompute peaked at 342 MiB after 200k
 * entries, 540 MiB after 400k; the ingest command's, recompute included, at 1.39x from 200k to
 * 400k entries). Under 128, 256 and 512MB a full recompute after 400k entries peaked at 329,
 * 406 and 476 MiB and took 1.60, 1.46 and 1.39 s, against 1.43 s without a limit.
 */
export const RECOMPUTE_MEMORY_LIMIT = '192MB';

/**
 * Recompute (incremental from the watermark, or full). `lookbackDays` (GCA_RECOMPUTE_LOOKBACK_DAYS)
 * bounds the event days an incremental run reads, as for the function.
 */
export async function recomputeLocal(
  ctx: CliContext,
  deps: Pick<CommandDeps, 'warehouse' | 'duckdb' | 'state' | 'stateWhere'>,
  opts: { full: boolean; lookbackDays?: number | null },
): Promise<RecomputeResult> {
  const lookbackDays = opts.full ? null : (opts.lookbackDays ?? null);
  const run = () =>
    runRecompute(
      { warehouse: deps.warehouse, state: deps.state, now: () => ctx.now() },
      { full: opts.full, ...(lookbackDays !== null ? { lookbackDays } : {}) },
    );
  const result = deps.duckdb
    ? await deps.duckdb.withMemoryLimit(RECOMPUTE_MEMORY_LIMIT, run)
    : await run();
  if (result.status === 'locked') {
    throw new CliError(
      `another recompute holds the lease in ${deps.stateWhere}; try again when it has finished`,
    );
  }
  return result;
}

/** One line for the terminal. */
export function describeRecompute(r: RecomputeResult): string {
  const days = r.daysRebuilt;
  const span = days.length === 0 ? '' : ` (${days[0]} .. ${days[days.length - 1]})`;
  return (
    `Recomputed (${r.mode}): ${formatCount(r.touchedSuggestions)} suggestions looked at, ` +
    `${formatCount(r.suggestionsWritten)} written, ${formatCount(r.suggestionsRemoved)} replaced; ` +
    `${formatCount(days.length)} days rebuilt${span}.`
  );
}

/**
 * The line of a command that recomputes after changing raw rows (backfill, quarantine
 * reprocess): the run, or, when another recompute held the lease, the command to run after it.
 */
export function describeRebuild(r: RecomputeResult, rerun: string): string {
  return r.status === 'locked'
    ? `Another recompute holds the lease: run \`${rerun}\` when it is done.`
    : describeRecompute(r);
}
