/**
 * Whether the figures `report` reads were computed: the metric tables are written by recompute
 * only, so after `ingest --no-recompute` (or on a warehouse no recompute has run on) they hold
 * nothing, or less than the raw tables, and a report would print zeros as if they were figures.
 */
import { RECOMPUTE_JOB } from '../shared/jobs/recompute';
import { formatCount } from './report/format';
import { CliError, type CliContext, type CommandDeps } from './context';

/**
 * Throws a CliError (exit 1) when no recompute has ever run on the warehouse; on a local
 * warehouse, warns on stderr when entries were ingested after the last recompute. (On BigQuery
 * that count would scan the raw table on every report; the hourly recompute keeps it current.)
 */
export async function checkFiguresComputed(
  ctx: Pick<CliContext, 'err'>,
  deps: Pick<CommandDeps, 'state' | 'duckdb' | 'where'>,
): Promise<void> {
  const watermark = await deps.state.getWatermark(RECOMPUTE_JOB);
  if (watermark === null) {
    throw new CliError(
      `the figures in ${deps.where} were never computed (no recompute has run, e.g. after \`ingest --no-recompute\`); run \`gca-analytics recompute\`, then report again`,
    );
  }
  if (deps.duckdb === null) return;
  const rows = await deps.duckdb.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events` WHERE ingest_time > @since',
    { since: { type: 'TIMESTAMP', value: watermark } },
  );
  const pending = rows[0]?.n ?? 0;
  if (pending > 0) {
    ctx.err(
      `gca-analytics: ${formatCount(pending)} events ingested after the last recompute (${watermark}) are not in these figures; run \`gca-analytics recompute\``,
    );
  }
}
