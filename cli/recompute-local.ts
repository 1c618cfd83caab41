/** Runs the recompute job against the command's warehouse and state store. */
import { runRecompute, type RecomputeResult } from '../shared/jobs/recompute';
import { formatCount } from './report/format';
import { CliError, type CliContext, type CommandDeps } from './context';

/**
 * DuckDB's memory limit for a local recompute (see DuckDbWarehouse.withMemoryLimit): without
 * one, its peak memory grew with the warehouse (the ingest command's, recompute included, from
 * 532-574 MiB at 200k entries to 778-805 MiB at 400k). A full recompute after 1M entries
 * (1.4 GB of export): 2.6-2.9 s and 840-860 MiB without a limit; under 256MB 3.9 s and 463
 * MiB, under 384MB 3.4 s and 683 MiB; under 192MB it ran out of memory (and ran again without
 * the limit).
 */
export const RECOMPUTE_MEMORY_LIMIT = '256MB';

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
