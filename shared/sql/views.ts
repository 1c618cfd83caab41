/**
 * The `gca_analytics` views, written once in BigQuery Standard SQL (see ./render.ts). Raw tables
 * may hold several rows of one log entry in BigQuery (insertId dedup is best effort), so every
 * view dedups on `entry_key` or picks one row per id itself.
 */
import { dailyActiveUsersView, interactionsView, type TableDef } from '../tables/registry';

/**
 * One row per request_id: the first request, response and api_request entry of the id joined.
 * Attributes come from the request, else the response, else the api_request event.
 */
export const INTERACTIONS_SELECT = `
WITH req AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version, request_kind, prompt_chars,
    ARRAY_LENGTH(context_files) AS context_file_count,
    ARRAY_LENGTH(tool_results) AS tool_result_count
  FROM \`gca_raw.requests\`
  WHERE request_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
resp AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version, response_kind, response_chars, tool_calls
  FROM \`gca_raw.responses\`
  WHERE request_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
api AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version
  FROM \`gca_raw.metadata_events\`
  WHERE event_type = 'api_request' AND request_id IS NOT NULL
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
  ARRAY_LENGTH(resp.tool_calls) AS tool_call_count,
  ARRAY(SELECT tc.name FROM UNNEST(resp.tool_calls) AS tc WITH OFFSET AS pos ORDER BY pos)
    AS tool_names,
  api.request_id IS NOT NULL AS has_api_request
FROM ids
LEFT JOIN req ON req.request_id = ids.request_id
LEFT JOIN resp ON resp.request_id = ids.request_id
LEFT JOIN api ON api.request_id = ids.request_id
`;

/**
 * One row per user and UTC day with any request or metadata event. Suggestions are counted on
 * the day of the exposure or acceptance event (activity), not on the suggestion's day.
 */
export const DAILY_ACTIVE_USERS_SELECT = `
WITH activity AS (
  SELECT DATE(event_timestamp) AS day, user_id, entry_key, TRUE AS is_request,
    CAST(NULL AS STRING) AS suggestion, FALSE AS is_exposure, FALSE AS is_acceptance
  FROM \`gca_raw.requests\`
  WHERE user_id IS NOT NULL
  UNION ALL
  SELECT DATE(event_timestamp) AS day, user_id, entry_key, FALSE AS is_request,
    IF(original_request_id IS NULL, NULL,
      CONCAT(IF(event_type IN ('code_exposure', 'code_acceptance'), 'code', 'chat'), ':',
        original_request_id)) AS suggestion,
    event_type IN ('code_exposure', 'chat_exposure') AS is_exposure,
    event_type IN ('code_acceptance', 'chat_acceptance') AS is_acceptance
  FROM \`gca_raw.metadata_events\`
  WHERE user_id IS NOT NULL
)
SELECT
  day,
  user_id,
  COUNT(DISTINCT IF(is_request, entry_key, NULL)) AS requests,
  COUNT(DISTINCT IF(is_exposure, suggestion, NULL)) AS suggestions_exposed,
  COUNT(DISTINCT IF(is_acceptance, suggestion, NULL)) AS suggestions_accepted
FROM activity
GROUP BY day, user_id
`;

export interface ViewDef {
  table: TableDef;
  /** The view's SELECT (BigQuery dialect): what a BigQuery view resource's `query` holds. */
  select: string;
  /** `CREATE OR REPLACE VIEW` of the select, for engines where DDL creates it (DuckDB). */
  ddl: string;
}

function view(table: TableDef, select: string): ViewDef {
  return {
    table,
    select,
    ddl: `CREATE OR REPLACE VIEW \`${table.dataset}.${table.name}\` AS ${select.trim()}`,
  };
}

/** Every view of the registry with its SQL, in creation order. */
export const VIEWS: readonly ViewDef[] = [
  view(interactionsView, INTERACTIONS_SELECT),
  view(dailyActiveUsersView, DAILY_ACTIVE_USERS_SELECT),
];
