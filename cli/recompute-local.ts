/** Runs the recompute job against the local warehouse and state store. */
import { runRecompute, type RecomputeResult } from '../shared/jobs/recompute';
import { formatCount } from '../shared/report/format';
import { CliError, type CliContext, type LocalDeps } from './context';

/** Recompute on the local warehouse (incremental from the watermark, or full). */
export async function recomputeLocal(
  ctx: CliContext,
  deps: LocalDeps,
  opts: { full: boolean },
): Promise<RecomputeResult> {
  const result = await runRecompute(
    { warehouse: deps.warehouse, state: deps.state, now: () => ctx.now() },
    { full: opts.full },
  );
  if (result.status === 'locked') {
    throw new CliError(
      `another recompute holds the lease in ${deps.statePath}; try again when it has finished`,
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
