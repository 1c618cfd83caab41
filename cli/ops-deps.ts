/**
 * The warehouse and state store the operating commands (backfill, dead-letters, quarantine) work
 * on: `--db PATH` (or GCA_WAREHOUSE=duckdb:PATH) for the local DuckDB file and its state file,
 * else GCA_WAREHOUSE=bigquery / GCA_STATE=firestore with the variables the functions read.
 */
import { ConfigError, parseConfig, type Config } from '../shared/config';
import { createDeps, openState } from '../shared/deps';
import { openLocalStateStore } from '../shared/state/local';
import type { StateStore } from '../shared/state/port';
import type { Warehouse } from '../shared/warehouse/port';
import { CliError, resolveDbPath, statePathFor, type CliContext } from './context';
import { openExistingLocal } from './open-existing';

export interface OpsDeps {
  warehouse: Warehouse;
  state: StateStore;
  /** Where the figures live, for the summary line (a path, or `bigquery:PROJECT`). */
  where: string;
  close(): Promise<void>;
}

function cloudConfig(ctx: CliContext): Config | null {
  const warehouse = ctx.env.GCA_WAREHOUSE;
  if (warehouse !== 'bigquery') return null;
  try {
    return parseConfig({ ...ctx.env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.issues.join('; '), 2);
    throw err;
  }
}

/**
 * Opens the ports for `--db` (local) or the cloud variables; the caller closes them. `existing`:
 * a local warehouse must already exist (a clear error instead of an empty new file).
 */
export async function openOpsDeps(
  ctx: CliContext,
  db: string | undefined,
  opts: { existing?: boolean } = {},
): Promise<OpsDeps> {
  const config = db === undefined ? cloudConfig(ctx) : null;
  if (config) {
    const deps = await createDeps(config);
    return {
      ...deps,
      where: `bigquery:${config.projectId ?? ''}`,
      async close() {
        try {
          await deps.state.close();
        } finally {
          await deps.warehouse.close();
        }
      },
    };
  }
  const path = resolveDbPath(ctx, db);
  const local = opts.existing ? await openExistingLocal(ctx, path) : await ctx.openLocal(path);
  return {
    warehouse: local.warehouse,
    state: local.state,
    where: local.dbPath,
    close: () => local.close(),
  };
}

/**
 * The state store alone (for the erased users, when nothing is written to the warehouse):
 * `<db>.state.json` locally, Firestore when GCA_STATE=firestore.
 */
export async function openOpsState(ctx: CliContext, db: string | undefined): Promise<StateStore> {
  if (db === undefined && ctx.env.GCA_STATE === 'firestore') {
    try {
      return await openState(parseConfig({ ...ctx.env }));
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.issues.join('; '), 2);
      throw err;
    }
  }
  return openLocalStateStore(statePathFor(resolveDbPath(ctx, db)));
}
