/**
 * `interactions` and `daily_active_users` were views of `gca_analytics` over the whole raw history
 * (BigQuery cannot prune partitions through a view, so every query read all of `gca_raw`); they are
 * day-partitioned tables that recompute maintains (./activity.ts). The project creates no view.
 *
 * Names of the former views: a local warehouse created before still has them as views, which the
 * DuckDB adapter drops before creating the tables (`CREATE TABLE IF NOT EXISTS` would leave the
 * view in place).
 */
export const FORMER_VIEWS = ['gca_analytics.interactions', 'gca_analytics.daily_active_users'];
