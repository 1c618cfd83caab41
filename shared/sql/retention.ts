/**
 * The SQL of the retention job (content expiry, row expiry, per-user erasure, audit row), written
 * once in BigQuery Standard SQL (see shared/sql/render.ts for the subset) and built from the table
 * registry: the content columns are the registry's `content` flags, the partition column its
 * `partitionBy`, so a content column added there is expired here without a second list.
 *
 * Every expiry statement filters on the partition column with a TIMESTAMP parameter computed from
 * the job's clock (`@content_cutoff`, `@event_cutoff`, `@quarantine_cutoff`), so BigQuery prunes
 * partitions. The count query of each statement has the very same WHERE, so a dry run reports
 * exactly what the real run changes.
 *
 * Arrays of records with a nested content field nulled, and the audit row's `changes`, are built
 * with named STRUCT constructors (`STRUCT(x AS a, ...)`), which the renderer rewrites for DuckDB.
 */
import {
  RAW_TABLES,
  retentionRunsTable,
  type ColumnDef,
  type RawTableName,
  type TableDef,
} from '../tables/registry';
import type { RetentionPolicy } from '../state/port';

/** Actions of the audit row's `changes` (registry: content_expired, deleted or erased). */
export const RETENTION_ACTIONS = ['content_expired', 'deleted', 'erased'] as const;
export type RetentionAction = (typeof RETENTION_ACTIONS)[number];

/** A statement and the query counting the rows it would change (same WHERE). */
export interface CountedStatement {
  /** `dataset.table` */
  table: string;
  action: RetentionAction;
  /** `SELECT COUNT(*) AS n ...` with the same parameters. */
  countSql: string;
  /** The DML. */
  sql: string;
}

/** Content expiry, with the count of rows it leaves alone because a curated dataset holds them. */
export interface ContentExpiryStatement extends CountedStatement {
  /** `SELECT COUNT(*) AS n ...`: rows past the cutoff with content, kept for datasets; null when none are. */
  keptCountSql: string | null;
}

/** Raw tables whose rows belong to an interaction (a request_id) that a dataset can hold. */
const DATASET_CONTENT_TABLES: readonly RawTableName[] = [
  'requests',
  'responses',
  'metadata_events',
];

/** Membership in any curated dataset, by the row's request_id. */
const IN_DATASET = 'request_id IN (SELECT m.request_id FROM `gca_raw.dataset_members` AS m)';

/**
 * Derived tables holding per-user rows: the metric tables are rebuilt (not just deleted) by
 * erasure; the activity tables (rebuilt by recompute from raw rows) only need the user's rows
 * deleted, since the raw rows they come from are gone.
 */
export const USER_DERIVED_TABLES = [
  'suggestions',
  'acceptance_daily',
  'lines_accepted_daily',
  'interactions',
  'daily_active_users',
] as const;

function qualified(def: TableDef): string {
  return `\`${def.dataset}.${def.name}\``;
}

function partitionColumn(def: TableDef): string {
  if (!def.partitionBy) throw new Error(`${def.dataset}.${def.name} has no partition column`);
  return def.partitionBy;
}

/** The SQL type of a nested scalar field, for typed NULLs. */
function sqlType(c: ColumnDef): string {
  return c.type === 'JSON' ? 'JSON' : c.type;
}

/**
 * A content column nulled: `col = NULL` for a scalar, or the array of records rebuilt with its
 * content fields nulled and its order kept, for a REPEATED RECORD with nested content fields.
 * Returns null for a column without content.
 */
function nulledColumn(c: ColumnDef): { set: string; hasContent: string } | null {
  if (c.content) {
    if (c.mode === 'REPEATED') throw new Error(`repeated content column ${c.name} not supported`);
    return { set: `${c.name} = NULL`, hasContent: `${c.name} IS NOT NULL` };
  }
  const fields = c.fields ?? [];
  const contentFields = fields.filter((f) => f.content);
  if (c.type !== 'RECORD' || contentFields.length === 0) return null;
  if (c.mode !== 'REPEATED' || fields.some((f) => f.type === 'RECORD')) {
    throw new Error(`content inside ${c.name}: only repeated records of scalars are supported`);
  }
  const items = fields
    .map((f) =>
      f.content ? `CAST(NULL AS ${sqlType(f)}) AS ${f.name}` : `f.${f.name} AS ${f.name}`,
    )
    .join(', ');
  const set =
    `${c.name} = ARRAY(SELECT STRUCT(${items}) ` +
    `FROM UNNEST(${c.name}) AS f WITH OFFSET AS pos ORDER BY pos)`;
  const anyContent = contentFields.map((f) => `f.${f.name} IS NOT NULL`).join(' OR ');
  return {
    set,
    hasContent: `EXISTS(SELECT 1 FROM UNNEST(${c.name}) AS f WHERE ${anyContent})`,
  };
}

/** The row-expiry cutoff parameter of a raw table. */
function rowCutoffParam(name: RawTableName): string {
  return name === 'quarantine' ? '@quarantine_cutoff' : '@event_cutoff';
}

/**
 * Content expiry of a raw table: every content column (per the registry) nulled in rows older
 * than `@content_cutoff` that still hold some content. The rows, and so every figure, stay.
 * Rows old enough for row expiry are left to it (lower bound), so the counts of a dry run do
 * not depend on the order of the statements. Parameters: content_cutoff and event_cutoff (or
 * quarantine_cutoff for quarantine), TIMESTAMP.
 *
 * With `keepDatasets` (policy keepDatasetContent, on by default), rows of an interaction held by
 * a curated dataset (`gca_raw.dataset_members`, by request_id) keep their content, and
 * `keptCountSql` counts them; quarantine rows belong to no interaction and always expire.
 */
export function contentExpirySql(
  name: RawTableName,
  opts: { keepDatasets?: boolean } = {},
): ContentExpiryStatement {
  const def = RAW_TABLES[name];
  const parts = def.columns.map(nulledColumn).filter((p) => p !== null);
  if (parts.length === 0) throw new Error(`${name} has no content columns`);
  const column = partitionColumn(def);
  const expired =
    `WHERE ${column} < @content_cutoff AND ${column} >= ${rowCutoffParam(name)}\n` +
    `  AND (${parts.map((p) => p.hasContent).join('\n    OR ')})`;
  const keep = opts.keepDatasets === true && DATASET_CONTENT_TABLES.includes(name);
  // request_id may be NULL (it never is in a dataset): NOT IN alone would keep such rows.
  const where = keep ? `${expired}\n  AND (request_id IS NULL OR NOT ${IN_DATASET})` : expired;
  return {
    table: `${def.dataset}.${def.name}`,
    action: 'content_expired',
    countSql: `SELECT COUNT(*) AS n FROM ${qualified(def)}\n${where}`,
    sql: `UPDATE ${qualified(def)}\nSET ${parts.map((p) => p.set).join(',\n  ')}\n${where}`,
    keptCountSql: keep
      ? `SELECT COUNT(*) AS n FROM ${qualified(def)}\n${expired}\n  AND ${IN_DATASET}`
      : null,
  };
}

/**
 * Row expiry of a raw table: rows older than the cutoff deleted. Parameters: event_cutoff
 * (TIMESTAMP) for the log tables, quarantine_cutoff for quarantine.
 */
export function rowExpirySql(name: RawTableName): CountedStatement {
  const def = RAW_TABLES[name];
  const where = `WHERE ${partitionColumn(def)} < ${rowCutoffParam(name)}`;
  return {
    table: `${def.dataset}.${def.name}`,
    action: 'deleted',
    countSql: `SELECT COUNT(*) AS n FROM ${qualified(def)}\n${where}`,
    sql: `DELETE FROM ${qualified(def)}\n${where}`,
  };
}

/**
 * Erasure in a raw table: every row of the users `@users` (ARRAY<STRING>; the raw id and its
 * pseudonym). Quarantine rows have no user column: those whose raw input contains one of
 * `@user_needles` (the ids as JSON strings, quotes included, so `bob` does not match `bobby`)
 * are deleted. No partition filter: a user's rows may sit in any partition.
 */
export function eraseRawSql(name: RawTableName): CountedStatement {
  const def = RAW_TABLES[name];
  const where =
    name === 'quarantine'
      ? 'WHERE raw IS NOT NULL\n  AND EXISTS(SELECT 1 FROM UNNEST(@user_needles) AS needle WHERE STRPOS(raw, needle) > 0)'
      : 'WHERE user_id IN UNNEST(@users)';
  return {
    table: `${def.dataset}.${def.name}`,
    action: 'erased',
    countSql: `SELECT COUNT(*) AS n FROM ${qualified(def)}\n${where}`,
    sql: `DELETE FROM ${qualified(def)}\n${where}`,
  };
}

/**
 * Erasure in a derived table: the users' rows. Run after the affected days were rebuilt from the
 * remaining raw rows (which already removes them); it catches rows of days no suggestion is left
 * in. Parameters: users (ARRAY<STRING>).
 */
export function eraseDerivedSql(name: (typeof USER_DERIVED_TABLES)[number]): CountedStatement {
  return eraseUserRowsSql(`gca_analytics.${name}`);
}

/** Count and delete the rows of `table` whose user_id is in `@users`. */
function eraseUserRowsSql(table: string): CountedStatement {
  const where = 'WHERE user_id IN UNNEST(@users)';
  return {
    table,
    action: 'erased',
    countSql: `SELECT COUNT(*) AS n FROM \`${table}\`\n${where}`,
    sql: `DELETE FROM \`${table}\`\n${where}`,
  };
}

/**
 * Erasure in the curated datasets: the users' interactions leave every dataset (members carry
 * the user id they were stored with). Parameters: users (ARRAY<STRING>).
 */
export function eraseDatasetMembersSql(): CountedStatement {
  return eraseUserRowsSql('gca_raw.dataset_members');
}

/**
 * Erasure in the curated datasets' list: a dataset whose filter names one of the users
 * (`datasets create --user`) held only that user's interactions, whose members the erasure
 * removes (eraseDatasetMembersSql), and its filter keeps the user's id: it goes whole. Matched
 * by `@user_filters`, the filter's own text for each id (`"user":"bob@x.com"`, as the stored
 * filter_json writes it), so an id equal to another field's value (a team, say) matches
 * nothing. A user named only in a dataset's free-text description is not matched. Parameters:
 * user_filters (ARRAY<STRING>).
 */
export function eraseUserDatasetsSql(): CountedStatement {
  const table = 'gca_raw.datasets';
  const where =
    'WHERE EXISTS(SELECT 1 FROM UNNEST(@user_filters) AS needle WHERE STRPOS(filter_json, needle) > 0)';
  return {
    table,
    action: 'erased',
    countSql: `SELECT COUNT(*) AS n FROM \`${table}\`\n${where}`,
    sql: `DELETE FROM \`${table}\`\n${where}`,
  };
}

/**
 * Erasure in the team mapping (`gca-analytics teams import`): the users' periods in teams.
 * The mapping holds the ids as stored (pseudonyms when pseudonymization is on, mapped through
 * the same key as the raw rows), so the same `users` match. Parameters: users (ARRAY<STRING>).
 */
export function eraseUserTeamsSql(): CountedStatement {
  return eraseUserRowsSql('gca_analytics.user_teams');
}

/** One entry of the audit row's `changes`. */
export interface RetentionChange {
  /** `dataset.table` */
  table: string;
  action: RetentionAction;
  rows: number;
}

const TABLE_NAME = /^gca_(?:raw|analytics)\.[a-z_]+$/;

/**
 * The audit INSERT into `gca_analytics.retention_runs`. The policy and the changes are inlined as
 * literals (validated integers, registry table names and the action enum: nothing a caller can
 * inject); the run id, time, dry-run flag and counts are parameters: run_id (STRING),
 * run_time (TIMESTAMP), dry_run (BOOL), erasures_done, erasures_pending, dataset_content_kept
 * (INT64).
 */
export function insertRetentionRunSql(
  policy: RetentionPolicy,
  changes: readonly RetentionChange[],
): string {
  for (const c of changes) {
    if (!TABLE_NAME.test(c.table) || !RETENTION_ACTIONS.includes(c.action)) {
      throw new Error(`invalid retention change ${c.table} ${c.action}`);
    }
    if (!Number.isSafeInteger(c.rows) || c.rows < 0) throw new Error(`invalid row count ${c.rows}`);
  }
  const nums = [policy.contentDays, policy.eventDays, policy.quarantineDays];
  if (!nums.every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error('invalid policy');
  const policyJson = JSON.stringify({
    contentDays: policy.contentDays,
    eventDays: policy.eventDays,
    quarantineDays: policy.quarantineDays,
    keepDatasetContent: policy.keepDatasetContent !== false,
  });
  const structs = changes.map(
    (c) => `STRUCT('${c.table}' AS table_name, '${c.action}' AS action, ${c.rows} AS \`rows\`)`,
  );
  const columns = retentionRunsTable.columns.map((c) => c.name);
  return (
    `INSERT INTO \`gca_analytics.retention_runs\` (${columns.join(', ')})\n` +
    `SELECT @run_id, @run_time, @dry_run, JSON '${policyJson}',\n` +
    `  [${structs.join(',\n   ')}],\n` +
    `  @erasures_done, @erasures_pending, @dataset_content_kept`
  );
}
