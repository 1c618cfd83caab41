/** Runs the recompute job against the command's warehouse and state store. */
import { RECOMPUTE_ENV, recomputeLookbackFor } from '../shared/config';
import type { RecomputeResult } from '../shared/jobs/recompute';
import { rebuildTouchedDays, type TouchedRebuild } from '../shared/ops/rebuild';
import { formatCount } from './report/format';
import { CliError, commandEnv, type CliContext, type CommandDeps } from './context';

/**
 * DuckDB's memory limit for a local recompute (see DuckDbWarehouse.withMemoryLimit): without
 * one, its peak memory grew with the warehouse (the ingest command's, recompute included, from
 * 532-574 MiB at 200k entries to 778-805 MiB at 400k). A full recompute after 1M entries
 * (1.4 GB of export): 2.6-2.9 s and 840-860 MiB without a limit; under 256MB 3.9 s and 463
 * MiB, under 384MB 3.4 s and 683 MiB; under 192MB it ran out of memory (and ran again without
 * the limit).
 */
export const RECOMPUTE_MEMORY_LIMIT = '256MB';

/** Runs `recompute` (a recompute job) under RECOMPUTE_MEMORY_LIMIT when the warehouse is DuckDB. */
function underRecomputeLimit<T>(
  deps: Pick<CommandDeps, 'duckdb'>,
  recompute: () => Promise<T>,
): Promise<T> {
  return deps.duckdb ? deps.duckdb.withMemoryLimit(RECOMPUTE_MEMORY_LIMIT, recompute) : recompute();
}

/**
 * After an operating command wrote rows of `days` (backfill, quarantine reprocess): rebuilds
 * their figures (rebuildTouchedDays) with the configured lookback, under the local memory limit.
 */
export function rebuildTouched(
  ctx: CliContext,
  deps: Pick<CommandDeps, 'warehouse' | 'duckdb' | 'state' | 'config'>,
  days: readonly string[],
): Promise<TouchedRebuild> {
  const lookbackDays = recomputeLookbackFor(
    deps.config.warehouse,
    commandEnv(ctx, [RECOMPUTE_ENV]).recomputeLookbackDays,
  );
  return underRecomputeLimit(deps, () =>
    rebuildTouchedDays(
      { warehouse: deps.warehouse, state: deps.state, now: () => ctx.now() },
      days,
      { lookbackDays },
    ),
  );
}

/**
 * Recompute (incremental from the watermark, or full). `lookbackDays` (GCA_RECOMPUTE_LOOKBACK_DAYS)
 * bounds the event days an incremental run reads, as for the function; given the event `days`
 * just written (ingest), the run is full when an incremental one would not reach them
 * (rebuildTouchedDays).
 */
export async function recomputeLocal(
  ctx: CliContext,
  deps: Pick<CommandDeps, 'warehouse' | 'duckdb' | 'state' | 'stateWhere'>,
  opts: { full: boolean; lookbackDays?: number | null; days?: readonly string[] },
): Promise<RecomputeResult> {
  const { result } = await underRecomputeLimit(deps, () =>
    rebuildTouchedDays(
      { warehouse: deps.warehouse, state: deps.state, now: () => ctx.now() },
      opts.days ?? [],
      { lookbackDays: opts.lookbackDays ?? null, forceFull: opts.full },
    ),
  );
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
