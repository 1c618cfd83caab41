/**
 * Views of `gca_analytics`, written once in BigQuery Standard SQL (see ./render.ts), which the
 * adapters and the Pulumi program create generically. There are none today: `interactions` and
 * `daily_active_users`, which were views over the whole raw history (BigQuery cannot prune
 * partitions through them, so every query read all of `gca_raw`), are day-partitioned tables
 * that recompute maintains (./activity.ts). A view added here must be a `kind: 'view'` entry of
 * the registry, and should read only the partitions its queries need.
 */
import type { TableDef } from '../tables/registry';

export interface ViewDef {
  table: TableDef;
  /** The view's SELECT (BigQuery dialect): what a BigQuery view resource's `query` holds. */
  select: string;
  /** `CREATE OR REPLACE VIEW` of the select, for engines where DDL creates it (DuckDB). */
  ddl: string;
}

/** Every view of the registry with its SQL, in creation order. */
export const VIEWS: readonly ViewDef[] = [];

/**
 * Names of the former views, now tables: a local warehouse created before still has them as
 * views, which the DuckDB adapter drops before creating the tables (`CREATE TABLE IF NOT
 * EXISTS` would leave the view in place).
 */
export const FORMER_VIEWS = ['gca_analytics.interactions', 'gca_analytics.daily_active_users'];
