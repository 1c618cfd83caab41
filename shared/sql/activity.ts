/**
 * The activity tables `gca_analytics.interactions` and `gca_analytics.daily_active_users`: what
 * used to be views over the whole raw history, now day-partitioned tables that recompute
 * rebuilds for a range of days (../jobs/recompute.ts). Written once in BigQuery
 * Standard SQL (see ./render.ts).
 *
 * A range rebuild is a DELETE and an INSERT of the days `@first_day`..`@last_day` (DATE
 * parameters: constant filters on the partition column), computed from the raw rows with
 * `@read_from <= event_timestamp < @read_until` (TIMESTAMP parameters on the raw tables'
 * partition column), so both statements read only the partitions of that range. A full rebuild
 * reads every raw row and replaces the days from the first to the last day the raw tables hold;
 * rows of older days (whose raw rows retention has deleted) are kept, as derived figures are.
 *
 * Raw tables may hold several rows of one log entry in BigQuery (insertId dedup is best effort),
 * so the SQL dedups on `entry_key` or picks one row per id itself: a redelivery changes nothing.
 */
import { dailyActiveUsersTable, interactionsTable } from '../tables/registry';

/** The activity tables, in rebuild order. */
export const ACTIVITY_TABLES = ['interactions', 'daily_active_users'] as const;
export type ActivityTable = (typeof ACTIVITY_TABLES)[number];

/** `range`: the raw rows of `@read_from`..`@read_until` only; `all`: every raw row. */
export type ActivityRead = 'range' | 'all';

/**
 * How far apart (in days) the request, response and api_request entries of one request id may
 * be for a range rebuild to get its row right: the rebuild of a touched day covers the days this
 * far around it (the row may sit on any of its entries' days) and reads raw rows this much
 * further (to see all of the id's entries). Real entries of one request are seconds apart; an id
 * spread wider is exact after a full rebuild. A daily_active_users row depends on its own day
 * only (0).
 */
export const ACTIVITY_SPAN_DAYS: Readonly<Record<ActivityTable, number>> = {
  interactions: 1,
  daily_active_users: 0,
};

function readFilter(read: ActivityRead): string {
  return read === 'range'
    ? '\n    AND event_timestamp >= @read_from AND event_timestamp < @read_until'
    : '';
}

/**
 * One row per request_id: the first request, response and api_request entry of the id joined.
 * Attributes come from the request, else the response, else the api_request event. Nested
 * records are read through the one field needed (tool names, context file sizes), so BigQuery
 * bills those leaf columns and not the content fields next to them. `tool_names` is built once,
 * ordered, in `resp` and used as it is (`[]` for an id without a response: REPEATED is never
 * NULL); unnesting it again per row doubled the statement's cost on DuckDB.
 */
function interactionsSelect(read: ActivityRead): string {
  const filter = readFilter(read);
  return `WITH req AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version, request_kind, prompt_chars,
    (SELECT COUNT(cf.chars) FROM UNNEST(context_files) AS cf) AS context_file_count,
    (SELECT COUNT(tr.chars) FROM UNNEST(tool_results) AS tr) AS tool_result_count
  FROM \`gca_raw.requests\`
  WHERE request_id IS NOT NULL${filter}
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
resp AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version, response_kind, response_chars,
    ARRAY(SELECT tc.name FROM UNNEST(tool_calls) AS tc WITH OFFSET AS pos ORDER BY pos)
      AS tool_names
  FROM \`gca_raw.responses\`
  WHERE request_id IS NOT NULL${filter}
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
api AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version
  FROM \`gca_raw.metadata_events\`
  WHERE event_type = 'api_request' AND request_id IS NOT NULL${filter}
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
ids AS (
  SELECT request_id FROM (
    SELECT request_id FROM req
    UNION ALL SELECT request_id FROM resp
    UNION ALL SELECT request_id FROM api
  ) AS all_ids
  GROUP BY request_id
)
SELECT
  ids.request_id AS request_id,
  DATE(COALESCE(req.event_timestamp, resp.event_timestamp, api.event_timestamp)) AS day,
  COALESCE(req.user_id, resp.user_id, api.user_id) AS user_id,
  COALESCE(req.project_id, resp.project_id, api.project_id) AS project_id,
  COALESCE(req.product, resp.product, api.product) AS product,
  COALESCE(req.method, resp.method, api.method) AS method,
  COALESCE(req.client_name, resp.client_name, api.client_name) AS client_name,
  COALESCE(req.client_version, resp.client_version, api.client_version) AS client_version,
  req.request_kind AS request_kind,
  resp.response_kind AS response_kind,
  req.event_timestamp AS request_time,
  resp.event_timestamp AS response_time,
  CAST(UNIX_MICROS(resp.event_timestamp) - UNIX_MICROS(req.event_timestamp) AS FLOAT64) / 1000
    AS latency_ms,
  req.prompt_chars AS prompt_chars,
  resp.response_chars AS response_chars,
  req.context_file_count AS context_file_count,
  req.tool_result_count AS tool_result_count,
  ARRAY_LENGTH(resp.tool_names) AS tool_call_count,
  COALESCE(resp.tool_names, []) AS tool_names,
  api.request_id IS NOT NULL AS has_api_request
FROM ids
LEFT JOIN req ON req.request_id = ids.request_id
LEFT JOIN resp ON resp.request_id = ids.request_id
LEFT JOIN api ON api.request_id = ids.request_id`;
}

/**
 * One row per user and UTC day with any request or metadata event. Suggestions are counted on
 * the day of the exposure or acceptance event (activity), not on the suggestion's day.
 */
function dailyActiveUsersSelect(read: ActivityRead): string {
  const filter = readFilter(read);
  return `WITH activity AS (
  SELECT DATE(event_timestamp) AS day, user_id, entry_key, TRUE AS is_request,
    CAST(NULL AS STRING) AS suggestion, FALSE AS is_exposure, FALSE AS is_acceptance
  FROM \`gca_raw.requests\`
  WHERE user_id IS NOT NULL${filter}
  UNION ALL
  SELECT DATE(event_timestamp) AS day, user_id, entry_key, FALSE AS is_request,
    IF(original_request_id IS NULL, NULL,
      CONCAT(IF(event_type IN ('code_exposure', 'code_acceptance'), 'code', 'chat'), ':',
        original_request_id)) AS suggestion,
    event_type IN ('code_exposure', 'chat_exposure') AS is_exposure,
    event_type IN ('code_acceptance', 'chat_acceptance') AS is_acceptance
  FROM \`gca_raw.metadata_events\`
  WHERE user_id IS NOT NULL${filter}
)
SELECT
  day,
  user_id,
  COUNT(DISTINCT IF(is_request, entry_key, NULL)) AS requests,
  COUNT(DISTINCT IF(is_exposure, suggestion, NULL)) AS suggestions_exposed,
  COUNT(DISTINCT IF(is_acceptance, suggestion, NULL)) AS suggestions_accepted
FROM activity
GROUP BY day, user_id`;
}

const DEFS = { interactions: interactionsTable, daily_active_users: dailyActiveUsersTable };

/** Deletes the rows of `@first_day`..`@last_day` (DATE) of an activity table. */
export function deleteActivitySql(table: ActivityTable): string {
  return `DELETE FROM \`gca_analytics.${table}\` WHERE day >= @first_day AND day <= @last_day`;
}

/**
 * Inserts the rows of `@first_day`..`@last_day` of an activity table computed from the raw
 * rows (`range`: those of `@read_from`..`@read_until`, which must reach ACTIVITY_SPAN_DAYS
 * beyond the days; `all`: every raw row). Run after `deleteActivitySql` of the same days.
 */
export function insertActivitySql(table: ActivityTable, read: ActivityRead): string {
  const cols = DEFS[table].columns.map((c) => c.name);
  const select = table === 'interactions' ? interactionsSelect(read) : dailyActiveUsersSelect(read);
  return `INSERT INTO \`gca_analytics.${table}\` (${cols.join(', ')})
SELECT ${cols.map((c) => `r.${c}`).join(', ')}
FROM (
${select}
) AS r
WHERE r.day >= @first_day AND r.day <= @last_day`;
}

/**
 * The UTC days (`day`, DATE) of the raw rows ingested in (`@since`, `@until`] (with `lookback`,
 * only rows with `event_timestamp >= @min_event_time`, so the scan stays in those partitions):
 * the days whose activity rows a run may have to change.
 */
export function touchedActivityDaysSql(lookback: boolean): string {
  const where = `ingest_time > @since AND ingest_time <= @until${
    lookback ? ' AND event_timestamp >= @min_event_time' : ''
  }`;
  return `SELECT day FROM (
  SELECT DATE(event_timestamp) AS day FROM \`gca_raw.requests\` WHERE ${where}
  UNION ALL
  SELECT DATE(event_timestamp) AS day FROM \`gca_raw.responses\` WHERE ${where}
  UNION ALL
  SELECT DATE(event_timestamp) AS day FROM \`gca_raw.metadata_events\` WHERE ${where}
) AS touched
GROUP BY day
ORDER BY day`;
}

/** The first and last UTC day (`first_day`, `last_day`; null when empty) of every raw row. */
export const RAW_DAY_EXTENT_SQL = `SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM (
  SELECT DATE(MIN(event_timestamp)) AS day FROM \`gca_raw.requests\`
  UNION ALL
  SELECT DATE(MAX(event_timestamp)) AS day FROM \`gca_raw.requests\`
  UNION ALL
  SELECT DATE(MIN(event_timestamp)) AS day FROM \`gca_raw.responses\`
  UNION ALL
  SELECT DATE(MAX(event_timestamp)) AS day FROM \`gca_raw.responses\`
  UNION ALL
  SELECT DATE(MIN(event_timestamp)) AS day FROM \`gca_raw.metadata_events\`
  UNION ALL
  SELECT DATE(MAX(event_timestamp)) AS day FROM \`gca_raw.metadata_events\`
) AS extent`;
