/**
 * The metric SQL (definitions in docs/analysts.md, "What the figures mean"), written once in BigQuery Standard SQL and
 * rendered for DuckDB by ./render.ts. Builders return SQL text; which suggestions a statement
 * touches is a `SuggestionScope`, so incremental, full and per-user rebuilds share one query.
 *
 * Raw tables may hold several rows of one log entry in BigQuery (insertId dedup is best
 * effort), so the SQL dedups on `entry_key` itself.
 */
import { suggestionsTable } from '../tables/registry';

/**
 * Which suggestions a rebuild covers.
 * - `all`: every suggestion with an event. A stored suggestion with no event left is kept: its
 *   events were expired by retention, whose contract keeps derived figures (erasure removes a
 *   user's suggestions through the `users` scope).
 * - `window`: suggestions with an event ingested in (`@since`, `@until`]; with `lookback`,
 *   only events with `event_timestamp >= @min_event_time` are looked at to find them, and the
 *   rebuild reads only inside the horizon (see `horizonFilters`): events with
 *   `event_timestamp >= @rebuild_min_time`, stored rows with `day >= @rebuild_min_day`. A
 *   touched suggestion whose stored row has an event before the horizon is left as stored
 *   (guard): rebuilt from the events inside the horizon it would lose the older ones. A full
 *   rebuild (`all`) handles it.
 * - `users`: suggestions with an event of, or stored for, a user in `@users` (erasure).
 */
export type SuggestionScope =
  { kind: 'all' } | { kind: 'window'; lookback: boolean } | { kind: 'users' };

const SUGGESTION_EVENT_TYPES = `('code_exposure', 'code_acceptance', 'chat_exposure', 'chat_acceptance')`;
const KIND_OF_EVENT = `IF(event_type IN ('code_exposure', 'code_acceptance'), 'code', 'chat')`;
const EXPOSURE_TYPES = `('code_exposure', 'chat_exposure')`;

/** Is the scope bounded by the read horizon (window scope with a lookback)? */
function bounded(scope: SuggestionScope): boolean {
  return scope.kind === 'window' && scope.lookback;
}

/**
 * The guard of a bounded rebuild: keys of stored rows with an event before the horizon. Stored
 * rows inside the horizon's days are checked on their first event times (an acceptance may
 * precede its exposure, and the horizon's first day starts before @rebuild_min_time); with
 * `olderDays`, rows of older days are listed too, reading only the key columns of those
 * partitions: the one read that the horizon does not bound, made only by the insert (see
 * `insertSuggestionsSql`), the one statement that could otherwise corrupt a row.
 */
function guardedKeys(olderDays: boolean): string {
  const inside = `
    SELECT kind, original_request_id FROM \`gca_analytics.suggestions\`
    WHERE day >= @rebuild_min_day
      AND (first_exposure_time < @rebuild_min_time OR first_acceptance_time < @rebuild_min_time)`;
  if (!olderDays) return inside;
  return `${inside}
    UNION ALL
    SELECT kind, original_request_id FROM \`gca_analytics.suggestions\`
    WHERE day < @rebuild_min_day`;
}

/**
 * How the statements of a scope read. `olderDays`: in a bounded scope, whether the guard also
 * looks for stored rows on days before the horizon. Only the insert needs it: the delete only
 * ever sees rows of the horizon's days, and the changes query's counts may then include such a
 * suggestion as touched and added (its day rebuilt for nothing; the insert writes nothing).
 */
export interface ReadOptions {
  olderDays: boolean;
}

function touchedCte(scope: SuggestionScope, read: ReadOptions): string {
  const fromEvents = (filter: string): string => `
    SELECT ${KIND_OF_EVENT} AS kind, original_request_id
    FROM \`gca_raw.metadata_events\`
    WHERE event_type IN ${SUGGESTION_EVENT_TYPES} AND original_request_id IS NOT NULL${filter}`;
  switch (scope.kind) {
    case 'all':
      return `touched AS (
  SELECT kind, original_request_id FROM (${fromEvents('')}
  ) AS keys
  GROUP BY kind, original_request_id
)`;
    case 'window': {
      const lookback = scope.lookback ? '\n      AND event_timestamp >= @min_event_time' : '';
      // A composite-key NOT IN rather than a correlated NOT EXISTS (see the delete's comment);
      // both columns are REQUIRED, so the key is never NULL.
      const guard = scope.lookback
        ? `
  WHERE CONCAT(kind, ':', original_request_id) NOT IN (
    SELECT CONCAT(kind, ':', original_request_id) FROM (${guardedKeys(read.olderDays)}
    ) AS guarded
  )`
        : '';
      return `touched AS (
  SELECT kind, original_request_id FROM (${fromEvents(
    `${lookback}\n      AND ingest_time > @since AND ingest_time <= @until`,
  )}
  ) AS keys${guard}
  GROUP BY kind, original_request_id
)`;
    }
    case 'users':
      return `touched AS (
  SELECT kind, original_request_id FROM (${fromEvents('\n      AND user_id IN UNNEST(@users)')}
    UNION ALL
    SELECT kind, original_request_id FROM \`gca_analytics.suggestions\`
    WHERE user_id IN UNNEST(@users)
  ) AS keys
  GROUP BY kind, original_request_id
)`;
  }
}

/**
 * Extra WHERE conditions of a bounded scope: on the events read (`m`) and on stored rows
 * (`alias`), constant filters on the partition columns that BigQuery prunes on.
 */
function eventsHorizon(scope: SuggestionScope): string {
  return bounded(scope) ? '\n      AND m.event_timestamp >= @rebuild_min_time' : '';
}
function storedHorizon(scope: SuggestionScope, alias?: string): string {
  return bounded(scope) ? `${alias ? `${alias}.` : ''}day >= @rebuild_min_day AND ` : '';
}

/** Attribute order: the primary event first (pos 1), then the others in time order. */
const ATTRIBUTE_WINDOW = `OVER (PARTITION BY kind, original_request_id
      ORDER BY IF(pos = 1, 0, 1), event_timestamp, entry_key
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)`;

/**
 * CTEs `touched`, `events` (deduplicated events of the touched suggestions), `ranked`,
 * `attributed` and `new_rows` (one suggestions row per touched suggestion with events).
 * `@now` is written to updated_at.
 */
export function newSuggestionsCtes(
  scope: SuggestionScope,
  read: ReadOptions = { olderDays: false },
): string {
  return `${touchedCte(scope, read)},
events AS (
  SELECT * FROM (
    SELECT IF(m.event_type IN ('code_exposure', 'code_acceptance'), 'code', 'chat') AS kind,
      m.original_request_id, m.entry_key, m.event_timestamp,
      m.user_id, m.programming_language, m.client_name, m.product, m.lines_count,
      m.comment_lines_count, m.is_agentic, m.event_type IN ${EXPOSURE_TYPES} AS is_exposure,
      ROW_NUMBER() OVER (PARTITION BY m.entry_key ORDER BY m.ingest_time) AS copy_number
    FROM \`gca_raw.metadata_events\` AS m
    WHERE m.event_type IN ${SUGGESTION_EVENT_TYPES} AND m.original_request_id IS NOT NULL${eventsHorizon(scope)}
      AND EXISTS (
        SELECT 1 FROM touched AS t
        WHERE t.original_request_id = m.original_request_id
          AND t.kind = IF(m.event_type IN ('code_exposure', 'code_acceptance'), 'code', 'chat')
      )
  ) AS e
  WHERE copy_number = 1
),
ranked AS (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY kind, original_request_id
      ORDER BY IF(is_exposure, 0, 1), event_timestamp, entry_key) AS pos
  FROM events
),
attributed AS (
  SELECT *,
    FIRST_VALUE(NULLIF(user_id, '') IGNORE NULLS) ${ATTRIBUTE_WINDOW} AS attr_user_id,
    FIRST_VALUE(NULLIF(programming_language, '') IGNORE NULLS) ${ATTRIBUTE_WINDOW} AS attr_language,
    FIRST_VALUE(NULLIF(client_name, '') IGNORE NULLS) ${ATTRIBUTE_WINDOW} AS attr_client_name,
    FIRST_VALUE(NULLIF(product, '') IGNORE NULLS) ${ATTRIBUTE_WINDOW} AS attr_product
  FROM ranked
),
new_rows AS (
  SELECT
    original_request_id,
    DATE(MIN(IF(pos = 1, event_timestamp, NULL))) AS day,
    kind,
    MAX(attr_user_id) AS user_id,
    COALESCE(MAX(attr_language), 'unknown') AS programming_language,
    MAX(attr_client_name) AS client_name,
    MAX(attr_product) AS product,
    COUNTIF(is_agentic IS TRUE) > 0 AS is_agentic,
    COUNTIF(is_exposure) > 0 AS exposed,
    COUNTIF(NOT is_exposure) > 0 AS accepted,
    COALESCE(MAX(IF(is_exposure, NULL, lines_count)), 0) AS lines_accepted,
    COALESCE(MAX(IF(is_exposure, NULL, comment_lines_count)), 0) AS comment_lines_accepted,
    MIN(IF(is_exposure, event_timestamp, NULL)) AS first_exposure_time,
    MIN(IF(is_exposure, NULL, event_timestamp)) AS first_acceptance_time,
    COUNTIF(is_exposure) AS exposure_events,
    COUNTIF(NOT is_exposure) AS acceptance_events,
    @now AS updated_at
  FROM attributed
  GROUP BY kind, original_request_id
)`;
}

const SUGGESTION_COLUMNS = suggestionsTable.columns.map((c) => c.name);
/** Columns that make two suggestion rows the same figures (updated_at aside). */
const COMPARED_COLUMNS = SUGGESTION_COLUMNS.filter((c) => c !== 'updated_at');

function sameRow(a: string, b: string): string {
  return COMPARED_COLUMNS.map((c) => `${a}.${c} IS NOT DISTINCT FROM ${b}.${c}`).join(
    '\n      AND ',
  );
}

/**
 * Rows `change` ('touched' | 'removed' | 'added'), `day`, `n`: how many suggestions of each day
 * the rebuild of the scope would remove (stored row differs or has no events left) or add
 * (new or different row). Nothing to change -> only the 'touched' row.
 */
export function suggestionChangesSql(scope: SuggestionScope): string {
  return `WITH ${newSuggestionsCtes(scope)},
old_rows AS (
  SELECT s.* FROM \`gca_analytics.suggestions\` AS s
  WHERE ${storedHorizon(scope, 's')}EXISTS (
    SELECT 1 FROM touched AS t
    WHERE t.kind = s.kind AND t.original_request_id = s.original_request_id
  )
),
removed AS (
  SELECT o.day FROM old_rows AS o
  WHERE NOT EXISTS (
    SELECT 1 FROM new_rows AS n
    WHERE ${sameRow('n', 'o')}
  )
),
added AS (
  SELECT n.day FROM new_rows AS n
  WHERE NOT EXISTS (
    SELECT 1 FROM old_rows AS o
    WHERE ${sameRow('n', 'o')}
  )
)
SELECT 'touched' AS change, CAST(NULL AS DATE) AS day, COUNT(*) AS n FROM touched
UNION ALL
SELECT 'removed' AS change, day, COUNT(*) AS n FROM removed GROUP BY day
UNION ALL
SELECT 'added' AS change, day, COUNT(*) AS n FROM added GROUP BY day`;
}

/**
 * Deletes the stored suggestions of the scope whose rebuilt row differs or is gone. An
 * uncorrelated `IN (subquery)` on a composite key string: both engines plan it as a semi-join
 * (DuckDB fails on a correlated EXISTS holding these CTEs). In a bounded scope it only reads
 * and deletes rows of the horizon's days, so its guard needs no older days: a key stored on an
 * older day has no row here (one row per key) and nothing of it is deleted.
 */
export function deleteChangedSuggestionsSql(scope: SuggestionScope): string {
  return `DELETE FROM \`gca_analytics.suggestions\`
WHERE ${storedHorizon(scope)}CONCAT(kind, ':', original_request_id) IN (
  WITH ${newSuggestionsCtes(scope)}
  SELECT CONCAT(o.kind, ':', o.original_request_id)
  FROM \`gca_analytics.suggestions\` AS o
  JOIN touched AS t ON t.kind = o.kind AND t.original_request_id = o.original_request_id
  WHERE ${storedHorizon(scope, 'o')}NOT EXISTS (
    SELECT 1 FROM new_rows AS n
    WHERE ${sameRow('n', 'o')}
  )
)`;
}

/**
 * Inserts the rebuilt suggestions of the scope that are not stored (run after the delete). In
 * a bounded scope a key stored on a day before the horizon is not touched (the guard reads the
 * key columns of those days), so the existence check reads only the horizon's days.
 */
export function insertSuggestionsSql(scope: SuggestionScope): string {
  const cols = SUGGESTION_COLUMNS.join(', ');
  return `INSERT INTO \`gca_analytics.suggestions\` (${cols})
WITH ${newSuggestionsCtes(scope, { olderDays: true })}
SELECT ${SUGGESTION_COLUMNS.map((c) => `n.${c}`).join(', ')}
FROM new_rows AS n
WHERE NOT EXISTS (
  SELECT 1 FROM \`gca_analytics.suggestions\` AS s
  WHERE ${storedHorizon(scope, 's')}s.kind = n.kind AND s.original_request_id = n.original_request_id
)`;
}

export const DAILY_TABLES = ['acceptance_daily', 'lines_accepted_daily'] as const;
export type DailyTable = (typeof DAILY_TABLES)[number];

const GROUP_BY = 'day, kind, user_id, programming_language, client_name, product, is_agentic';

/**
 * `param`: the days in `@days` (ARRAY<DATE>), with their range `@first_day`..`@last_day` as a
 * plain constant filter on the partition column, so pruning does not depend on BigQuery
 * pruning on an array parameter.
 */
function daysFilter(days: 'all' | 'param'): string {
  return days === 'all'
    ? 'TRUE'
    : 'day >= @first_day AND day <= @last_day AND day IN UNNEST(@days)';
}

/**
 * Deletes the rows of a daily table for `@days` (an ARRAY<DATE> parameter, with its first and
 * last day in `@first_day`, `@last_day`), or all rows.
 */
export function deleteDailySql(table: DailyTable, days: 'all' | 'param'): string {
  return `DELETE FROM \`gca_analytics.${table}\` WHERE ${daysFilter(days)}`;
}

/**
 * Rebuilds a daily table's rows for `@days` (with `@first_day`, `@last_day`; or all days) from
 * the suggestions; `@now`.
 */
export function insertDailySql(table: DailyTable, days: 'all' | 'param'): string {
  if (table === 'acceptance_daily') {
    return `INSERT INTO \`gca_analytics.acceptance_daily\` (${GROUP_BY}, suggestions, exposed,
  accepted, orphan_acceptances, acceptance_rate, updated_at)
SELECT ${GROUP_BY},
  COUNT(*) AS suggestions,
  COUNTIF(exposed) AS exposed,
  COUNTIF(accepted) AS accepted,
  COUNTIF(accepted AND NOT exposed) AS orphan_acceptances,
  SAFE_DIVIDE(COUNTIF(accepted), COUNTIF(exposed)) AS acceptance_rate,
  @now AS updated_at
FROM \`gca_analytics.suggestions\`
WHERE ${daysFilter(days)}
GROUP BY ${GROUP_BY}`;
  }
  return `INSERT INTO \`gca_analytics.lines_accepted_daily\` (${GROUP_BY}, accepted, lines_accepted,
  comment_lines_accepted, updated_at)
SELECT ${GROUP_BY},
  COUNT(*) AS accepted,
  SUM(lines_accepted) AS lines_accepted,
  SUM(comment_lines_accepted) AS comment_lines_accepted,
  @now AS updated_at
FROM \`gca_analytics.suggestions\`
WHERE accepted AND ${daysFilter(days)}
GROUP BY ${GROUP_BY}`;
}
