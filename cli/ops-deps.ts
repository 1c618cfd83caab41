/**
 * The warehouse and state store the operating commands (backfill, dead-letters, quarantine) work
 * on: `ctx.open` (cli/context.ts), i.e. `--db PATH` for a local DuckDB file and its state file,
 * else GCA_WAREHOUSE / GCA_STATE as the functions read them (BigQuery, Firestore).
 */
import { openState } from '../shared/deps';
import type { StateStore } from '../shared/state/port';
import { resolveTargets, type CliContext, type CommandDeps } from './context';

/** Opens both ports; `existing`: a local warehouse must already exist. The caller closes them. */
export function openOpsDeps(
  ctx: CliContext,
  db: string | undefined,
  opts: { existing?: boolean } = {},
): Promise<CommandDeps> {
  return ctx.open({ db, existing: opts.existing === true });
}

/**
 * The state store alone (for the erased users, when nothing is written to the warehouse): the
 * state file beside `--db` or the default DuckDB file, else GCA_STATE (Firestore).
 */
export function openOpsState(ctx: CliContext, db: string | undefined): Promise<StateStore> {
  return openState(resolveTargets(ctx, db));
}
