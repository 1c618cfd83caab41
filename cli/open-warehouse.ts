/**
 * The warehouse of a read-or-curate command (show, datasets): BigQuery when GCA_WAREHOUSE is
 * `bigquery` and no --db is given (GOOGLE_CLOUD_PROJECT, GCA_RAW_DATASET, ... as for the
 * functions), else the local DuckDB file, which must exist. One function, so these commands
 * switch to the generic opener of cli/context.ts in one place.
 */
import { ConfigError, parseConfig } from '../shared/config';
import { openWarehouse } from '../shared/deps';
import type { Warehouse } from '../shared/warehouse/port';
import { CliError, resolveDbPath, type CliContext } from './context';
import { openExistingLocal } from './open-existing';

export interface OpenedWarehouse {
  warehouse: Warehouse;
  /** Where it is, for messages: a file path or `BigQuery project`. */
  where: string;
  close(): Promise<void>;
}

export async function openCommandWarehouse(
  ctx: CliContext,
  db: string | undefined,
): Promise<OpenedWarehouse> {
  if (db === undefined && ctx.env.GCA_WAREHOUSE === 'bigquery') {
    let config;
    try {
      config = parseConfig({
        GCA_WAREHOUSE: 'bigquery',
        GCA_STATE: 'local:unused',
        GOOGLE_CLOUD_PROJECT: ctx.env.GOOGLE_CLOUD_PROJECT,
        GCP_PROJECT: ctx.env.GCP_PROJECT,
        GCA_RAW_DATASET: ctx.env.GCA_RAW_DATASET,
        GCA_ANALYTICS_DATASET: ctx.env.GCA_ANALYTICS_DATASET,
        GCA_BQ_LOCATION: ctx.env.GCA_BQ_LOCATION,
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        throw new CliError(`the warehouse is not configured: ${err.issues.join('; ')}`, 2);
      }
      throw err;
    }
    const warehouse = await openWarehouse(config);
    return {
      warehouse,
      where: `BigQuery ${config.projectId ?? '?'}`,
      close: () => warehouse.close(),
    };
  }
  const local = await openExistingLocal(ctx, resolveDbPath(ctx, db));
  return { warehouse: local.warehouse, where: local.dbPath, close: () => local.close() };
}
