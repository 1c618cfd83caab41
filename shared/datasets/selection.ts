/**
 * The filter of a curated dataset and the SQL that selects its interactions, written once in
 * BigQuery Standard SQL (shared/sql/render.ts renders it for DuckDB).
 *
 * An interaction is a request entry with a request_id, in the UTC day range [from, to] of its
 * event_timestamp (so BigQuery prunes partitions). Its kind comes from the request:
 * `completion` (code_completion), `generation` (code_generation), and for task_completion
 * `agent` when the request carries tool results, its response tool calls, or a metadata event of
 * its suggestions says Agent Mode; `chat` otherwise. `accepted`: a code or chat acceptance event
 * has originalRequestId = the request_id; `not accepted`: an exposure was logged and no
 * acceptance. Language: a context file or a metadata event of its suggestions in that language
 * (case-insensitive). Sampling orders by FARM_FINGERPRINT(CONCAT(seed, request_id)): the same
 * seed over the same rows gives the same sample (DuckDB uses its own hash: deterministic there
 * too, but a different sample than BigQuery's).
 *
 * Only interactions that still hold content are selected: rows written in metadata-only mode
 * hold none, and rows past content expiry lost theirs; both are counted instead.
 */
import { z } from 'zod';
import type { QueryParams } from '../warehouse/port';

export const DATASET_KINDS = ['chat', 'completion', 'generation', 'agent'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/** Dataset names: letters, digits, `_`, `-`, `.`; they are also file-name friendly. */
export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** The filter, as stored (JSON) in gca_raw.datasets.filter_json. */
export const DatasetFilterSchema = z.object({
  from: DAY,
  to: DAY,
  user: z.string().min(1).optional(),
  team: z.string().min(1).optional(),
  language: z.string().min(1).optional(),
  kind: z.enum(DATASET_KINDS).optional(),
  /** true: accepted; false: shown and never accepted; absent: either. */
  accepted: z.boolean().optional(),
  withToolCalls: z.boolean().optional(),
  sample: z.number().int().positive().optional(),
  seed: z.string().optional(),
});
export type DatasetFilter = z.infer<typeof DatasetFilterSchema>;

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` -> the TIMESTAMP parameter text of its midnight UTC, `days` later. */
function midnight(day: string, days = 0): string {
  const t = new Date(`${day}T00:00:00.000Z`).getTime() + days * DAY_MS;
  return new Date(t).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface SelectionSql {
  /** `SELECT COUNT(*) AS matched, COUNTIF(...) AS metadata_only, COUNTIF(...) AS expired`. */
  countSql: string;
  /** `SELECT request_id, user_id, request_time` of the members, in a stable order. */
  selectSql: string;
  params: QueryParams;
}

/** The SQL selecting the members of a dataset with `filter`. */
export function selectionSql(filter: DatasetFilter): SelectionSql {
  const params: QueryParams = {
    from_ts: { type: 'TIMESTAMP', value: midnight(filter.from) },
    to_ts: { type: 'TIMESTAMP', value: midnight(filter.to, 1) },
    // Responses and events of a request may be logged a little after it; acceptances days later.
    response_to_ts: { type: 'TIMESTAMP', value: midnight(filter.to, 2) },
  };
  const requestWhere = [
    'event_timestamp >= @from_ts',
    'event_timestamp < @to_ts',
    'request_id IS NOT NULL',
  ];
  if (filter.user !== undefined) {
    requestWhere.push('user_id = @user');
    params.user = filter.user;
  }
  if (filter.team !== undefined) {
    // The team of the user on the request's day (gca_analytics.user_teams periods; a null end
    // is open), as the team figures count it; a parent team selects its teams too.
    requestWhere.push(`EXISTS(
      SELECT 1 FROM \`gca_analytics.user_teams\` AS t
      WHERE t.user_id = r.user_id AND (t.team = @team OR t.parent_team = @team)
        AND (t.from_day IS NULL OR t.from_day <= DATE(r.event_timestamp))
        AND (t.to_day IS NULL OR DATE(r.event_timestamp) <= t.to_day))`);
    params.team = filter.team;
  }
  const languageOfFile =
    filter.language !== undefined
      ? 'EXISTS(SELECT 1 FROM UNNEST(context_files) AS f WHERE LOWER(f.language) = LOWER(@language))'
      : 'FALSE';
  const languageOfEvent =
    filter.language !== undefined ? 'LOWER(programming_language) = LOWER(@language)' : 'FALSE';
  if (filter.language !== undefined) params.language = filter.language;

  const cte = `WITH req_rows AS (
  SELECT request_id, user_id, event_timestamp, request_kind, content_mode,
    payload IS NOT NULL AS has_content,
    COALESCE(ARRAY_LENGTH(tool_results), 0) > 0 AS has_tool_results,
    ${languageOfFile} AS language_match
  FROM \`gca_raw.requests\` AS r
  WHERE ${requestWhere.join('\n    AND ')}
),
req AS (
  SELECT request_id, ANY_VALUE(user_id) AS user_id, MIN(event_timestamp) AS request_time,
    ANY_VALUE(request_kind) AS request_kind,
    LOGICAL_OR(content_mode = 'metadata-only') AS metadata_only,
    LOGICAL_OR(has_content) AS has_content,
    LOGICAL_OR(has_tool_results) AS has_tool_results,
    LOGICAL_OR(language_match) AS language_match
  FROM req_rows
  GROUP BY request_id
),
resp AS (
  SELECT request_id, LOGICAL_OR(COALESCE(ARRAY_LENGTH(tool_calls), 0) > 0) AS has_tool_calls
  FROM \`gca_raw.responses\`
  WHERE event_timestamp >= @from_ts AND event_timestamp < @response_to_ts
    AND request_id IN (SELECT request_id FROM req)
  GROUP BY request_id
),
ev AS (
  SELECT original_request_id AS request_id,
    LOGICAL_OR(event_type IN ('code_acceptance', 'chat_acceptance')) AS accepted,
    LOGICAL_OR(event_type IN ('code_exposure', 'chat_exposure')) AS exposed,
    LOGICAL_OR(is_agentic IS TRUE) AS agentic,
    LOGICAL_OR(${languageOfEvent}) AS language_match
  FROM \`gca_raw.metadata_events\`
  WHERE event_timestamp >= @from_ts
    AND original_request_id IN (SELECT request_id FROM req)
  GROUP BY original_request_id
),
matched AS (
  SELECT req.request_id, req.user_id, req.request_time, req.metadata_only, req.has_content
  FROM req
  LEFT JOIN resp ON resp.request_id = req.request_id
  LEFT JOIN ev ON ev.request_id = req.request_id
  WHERE ${matchConditions(filter).join('\n    AND ')}
)`;
  const countSql = `${cte}
SELECT COUNT(*) AS matched,
  COUNTIF(metadata_only IS TRUE) AS metadata_only,
  COUNTIF(metadata_only IS NOT TRUE AND has_content IS NOT TRUE) AS expired
FROM matched`;
  const curatable = 'WHERE metadata_only IS NOT TRUE AND has_content IS TRUE';
  let selectSql: string;
  if (filter.sample !== undefined) {
    params.seed = filter.seed ?? '';
    // Validated positive integer (schema), inlined: LIMIT takes no parameter on every engine.
    selectSql = `${cte}
SELECT request_id, user_id, request_time
FROM matched
${curatable}
ORDER BY FARM_FINGERPRINT(CONCAT(@seed, request_id)), request_id
LIMIT ${Math.trunc(filter.sample)}`;
  } else {
    selectSql = `${cte}
SELECT request_id, user_id, request_time
FROM matched
${curatable}
ORDER BY request_id`;
  }
  return { countSql, selectSql, params };
}

const AGENT = '(req.has_tool_results IS TRUE OR resp.has_tool_calls IS TRUE OR ev.agentic IS TRUE)';

function matchConditions(filter: DatasetFilter): string[] {
  const where = ['TRUE'];
  switch (filter.kind) {
    case 'completion':
      where.push("req.request_kind = 'code_completion'");
      break;
    case 'generation':
      where.push("req.request_kind = 'code_generation'");
      break;
    case 'agent':
      where.push(`req.request_kind = 'task_completion' AND ${AGENT}`);
      break;
    case 'chat':
      where.push(`req.request_kind = 'task_completion' AND NOT ${AGENT}`);
      break;
    case undefined:
      break;
  }
  if (filter.language !== undefined) {
    where.push('(req.language_match IS TRUE OR ev.language_match IS TRUE)');
  }
  if (filter.accepted === true) where.push('ev.accepted IS TRUE');
  if (filter.accepted === false) where.push('ev.exposed IS TRUE AND ev.accepted IS NOT TRUE');
  if (filter.withToolCalls === true) where.push('resp.has_tool_calls IS TRUE');
  return where;
}
