/**
 * The table registry: the one description of every table (and view) the pipeline writes.
 * BigQuery schema JSON, DuckDB DDL, the data dictionary, Pulumi tables, LookML checks and the
 * TypeScript row types are all derived from it, so a renamed column cannot drift silently.
 */

export const COLUMN_TYPES = [
  'STRING',
  'INT64',
  'FLOAT64',
  'BOOL',
  'TIMESTAMP',
  'DATE',
  'JSON',
  'RECORD',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export const COLUMN_MODES = ['NULLABLE', 'REQUIRED', 'REPEATED'] as const;
export type ColumnMode = (typeof COLUMN_MODES)[number];

export const DATASETS = ['gca_raw', 'gca_analytics'] as const;
export type Dataset = (typeof DATASETS)[number];

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly mode: ColumnMode;
  readonly description: string;
  /** RECORD only: the nested fields. */
  readonly fields?: readonly ColumnDef[];
  /**
   * Holds user content (prompt, response, code, file paths, tool arguments). Content columns are
   * governed by the content policy, nulled by content expiry, and never reach `gca_analytics`.
   */
  readonly content?: boolean;
}

export interface TableDef {
  readonly dataset: Dataset;
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ColumnDef[];
  /** Day partitioning on a TIMESTAMP or DATE column . */
  readonly partitionBy?: string;
  readonly clusterBy?: readonly string[];
  /** Columns that identify a row; the dedup key for raw tables. */
  readonly key: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Row types derived from the definitions.

type ScalarOf<T extends ColumnType> = T extends 'STRING' | 'TIMESTAMP' | 'DATE' | 'JSON'
  ? string
  : T extends 'INT64' | 'FLOAT64'
    ? number
    : T extends 'BOOL'
      ? boolean
      : never;

type ValueOf<C extends ColumnDef> = C extends {
  type: 'RECORD';
  fields: infer F extends readonly ColumnDef[];
}
  ? RowOfColumns<F>
  : ScalarOf<C['type']>;

type WithMode<C extends ColumnDef, V> = C['mode'] extends 'REPEATED'
  ? V[]
  : C['mode'] extends 'REQUIRED'
    ? V
    : V | null;

/** The row type of a column list: STRING/TIMESTAMP/DATE/JSON are strings, numbers are numbers. */
export type RowOfColumns<Cs extends readonly ColumnDef[]> = {
  [C in Cs[number] as C['name']]: WithMode<C, ValueOf<C>>;
};
export type RowOf<T extends { columns: readonly ColumnDef[] }> = RowOfColumns<T['columns']>;

// ---------------------------------------------------------------------------------------------
// Builders that keep literal types, so RowOf<> knows every column.
//
// The column lists below are data, one `col(name, type, mode, description)` after another, read
// table by table: a duplicate finder sees runs of the same shape in them (other names, other
// descriptions), which is what a schema looks like. Columns that really are shared (the entry
// envelope, the group of the daily tables, updated_at) are defined once and spread.

function col<
  const N extends string,
  const T extends Exclude<ColumnType, 'RECORD'>,
  const M extends ColumnMode,
>(
  name: N,
  type: T,
  mode: M,
  description: string,
  opts: { content?: boolean } = {},
): { name: N; type: T; mode: M; description: string; content?: boolean } {
  return { name, type, mode, description, ...opts };
}

function record<const N extends string, const M extends ColumnMode, const F extends ColumnDef[]>(
  name: N,
  mode: M,
  description: string,
  fields: F,
  opts: { content?: boolean } = {},
): { name: N; type: 'RECORD'; mode: M; description: string; fields: F; content?: boolean } {
  return { name, type: 'RECORD', mode, description, fields, ...opts };
}

function defineTable<const T extends TableDef>(def: T): T {
  return def;
}

// ---------------------------------------------------------------------------------------------
// gca_raw: one row per log entry.

/** Columns every raw log-entry table shares: identity, time and labels. */
const ENTRY_COLUMNS = [
  col(
    'entry_key',
    'STRING',
    'REQUIRED',
    'Dedup key of the log entry: base64url SHA-256 of (logName, timestamp as sent, insertId). ' +
      'Also the BigQuery insertId. A redelivered entry has the same key.',
  ),
  col('log_name', 'STRING', 'REQUIRED', 'LogEntry.logName.'),
  col('insert_id', 'STRING', 'NULLABLE', 'LogEntry.insertId.'),
  col(
    'event_timestamp',
    'TIMESTAMP',
    'REQUIRED',
    'LogEntry.timestamp, truncated to microseconds. Partition column.',
  ),
  col('receive_timestamp', 'TIMESTAMP', 'NULLABLE', 'LogEntry.receiveTimestamp.'),
  col(
    'ingest_time',
    'TIMESTAMP',
    'REQUIRED',
    'When the pipeline wrote the row; drives incremental recompute.',
  ),
  col(
    'project_id',
    'STRING',
    'NULLABLE',
    'resource.labels.resource_container: the project where Gemini was used.',
  ),
  col('location', 'STRING', 'NULLABLE', 'resource.labels.location.'),
  col('instance_id', 'STRING', 'NULLABLE', 'resource.labels.instance_id.'),
  col(
    'user_id',
    'STRING',
    'NULLABLE',
    'labels.user_id: the user (an email, or a keyed pseudonym when pseudonymization is on).',
  ),
  col('product', 'STRING', 'NULLABLE', 'labels.product: code_assist, cloud_assist or unknown.'),
  col(
    'method',
    'STRING',
    'NULLABLE',
    'labels.method: CompleteTask, GenerateCode, CompleteCode, Export.Metrics.',
  ),
  col(
    'client_name',
    'STRING',
    'NULLABLE',
    'The IDE or client: labels.client_name, else jsonPayload.clientName.',
  ),
  col(
    'client_version',
    'STRING',
    'NULLABLE',
    'labels.client_version, else jsonPayload.clientVersion.',
  ),
  col(
    'request_id',
    'STRING',
    'NULLABLE',
    'labels.request_id; on metadata entries (which lack it) jsonPayload.requestId. Joins requests, responses and api_request events.',
  ),
] as const;

const CONTENT_MODE = col(
  'content_mode',
  'STRING',
  'REQUIRED',
  'Content policy applied when the row was written: full, scrubbed or metadata-only.',
);

const PAYLOAD = col(
  'payload',
  'JSON',
  'NULLABLE',
  'The whole jsonPayload as received (unknown keys included), under the content policy.',
  { content: true },
);

export const requestsTable = defineTable({
  dataset: 'gca_raw',
  name: 'requests',
  description: 'One row per request log entry (prompts and IDE context).',
  columns: [
    ...ENTRY_COLUMNS,
    col(
      'request_kind',
      'STRING',
      'REQUIRED',
      'task_completion (chat and agent), code_completion (inline), code_generation, or unknown.',
    ),
    col('prompt_text', 'STRING', 'NULLABLE', 'The user messages, joined by blank lines.', {
      content: true,
    }),
    col('preamble', 'STRING', 'NULLABLE', 'input.preamble.', { content: true }),
    col('message_count', 'INT64', 'REQUIRED', 'Number of input messages.'),
    col('prompt_chars', 'INT64', 'REQUIRED', 'Characters of prompt text and context segments.'),
    record('context_files', 'REPEATED', 'Files the IDE sent as context.', [
      col('path', 'STRING', 'NULLABLE', 'File path.', { content: true }),
      col('extension', 'STRING', 'NULLABLE', 'File extension of the path, e.g. go.'),
      col('language', 'STRING', 'NULLABLE', 'Language the IDE reported.'),
      col('states', 'STRING', 'REPEATED', 'File states, e.g. EDITED, RECENTLY_OPENED.'),
      col('chars', 'INT64', 'REQUIRED', 'Characters of the file segments sent.'),
    ]),
    record(
      'tool_results',
      'REPEATED',
      'Tool results the client sent back to an agent (FunctionResponse{name: ...} messages).',
      [
        col('name', 'STRING', 'REQUIRED', 'Tool name, e.g. read_file.'),
        col('chars', 'INT64', 'REQUIRED', 'Characters of the tool result.'),
      ],
    ),
    PAYLOAD,
    CONTENT_MODE,
  ],
  partitionBy: 'event_timestamp',
  clusterBy: ['user_id', 'request_id'],
  key: ['entry_key'],
});

export const responsesTable = defineTable({
  dataset: 'gca_raw',
  name: 'responses',
  description: 'One row per response log entry (model output, agent tool calls, citations).',
  columns: [
    ...ENTRY_COLUMNS,
    col(
      'response_kind',
      'STRING',
      'REQUIRED',
      'task_completion, code_completion, code_generation, or unknown.',
    ),
    col('response_text', 'STRING', 'NULLABLE', 'Model messages that are not tool calls.', {
      content: true,
    }),
    col('message_count', 'INT64', 'REQUIRED', 'Number of output messages.'),
    col('response_chars', 'INT64', 'REQUIRED', 'Characters of all output messages.'),
    record(
      'tool_calls',
      'REPEATED',
      'Agent tool calls parsed from messages like read_file({...}).',
      [
        col('name', 'STRING', 'REQUIRED', 'Tool name, e.g. read_file, replace.'),
        col('arguments', 'JSON', 'NULLABLE', 'Tool arguments as JSON.', { content: true }),
      ],
    ),
    col(
      'attribution',
      'JSON',
      'NULLABLE',
      'attribution_context: source citations (licence, URL, span).',
    ),
    PAYLOAD,
    CONTENT_MODE,
  ],
  partitionBy: 'event_timestamp',
  clusterBy: ['user_id', 'request_id'],
  key: ['entry_key'],
});

export const METADATA_EVENT_TYPES = [
  'code_exposure',
  'code_acceptance',
  'chat_exposure',
  'chat_acceptance',
  'api_request',
  'unknown',
] as const;
export type MetadataEventType = (typeof METADATA_EVENT_TYPES)[number];

export const metadataEventsTable = defineTable({
  dataset: 'gca_raw',
  name: 'metadata_events',
  description:
    'One row per metadata log entry: exposures and acceptances of code and chat suggestions, agent API requests.',
  columns: [
    ...ENTRY_COLUMNS,
    col('event_id', 'STRING', 'NULLABLE', 'jsonPayload.requestId of the metadata entry.'),
    col(
      'event_type',
      'STRING',
      'REQUIRED',
      'code_exposure, code_acceptance, chat_exposure, chat_acceptance, api_request, or unknown.',
    ),
    col(
      'original_request_id',
      'STRING',
      'NULLABLE',
      'originalRequestId: links an exposure to its acceptances (the suggestion id).',
    ),
    col('programming_language', 'STRING', 'NULLABLE', 'programmingLanguage, e.g. python.'),
    col(
      'lines_count',
      'INT64',
      'NULLABLE',
      'linesCount of an acceptance (sent as string or number).',
    ),
    col('comment_lines_count', 'INT64', 'NULLABLE', 'commentLinesCount of a code acceptance.'),
    col('interaction_type', 'STRING', 'NULLABLE', 'interactionType, e.g. ACCEPT_CODE_BLOCK.'),
    col(
      'is_agentic',
      'BOOL',
      'NULLABLE',
      'is_agentic / isAgentic: the event came from Agent Mode.',
    ),
    PAYLOAD,
  ],
  partitionBy: 'event_timestamp',
  clusterBy: ['event_type', 'original_request_id', 'user_id'],
  key: ['entry_key'],
});

export const QUARANTINE_REASONS = [
  'invalid_json',
  'not_an_object',
  'invalid_envelope',
  'invalid_timestamp',
  'unknown_log',
  'type_mismatch',
  'invalid_payload',
  'too_large',
  'invalid_message',
  'row_rejected',
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export const quarantineTable = defineTable({
  dataset: 'gca_raw',
  name: 'quarantine',
  description:
    'Input that could not be understood, kept with the reason instead of being dropped. Never retried.',
  columns: [
    col(
      'quarantine_id',
      'STRING',
      'REQUIRED',
      'Deterministic id (hash of source position or message id, reason and raw), so a redelivery is stored once.',
    ),
    col(
      'quarantine_time',
      'TIMESTAMP',
      'REQUIRED',
      'When the input was quarantined. Partition column.',
    ),
    col(
      'source',
      'STRING',
      'REQUIRED',
      'Where it came from: pubsub, or file:NAME#RECORD for a local export.',
    ),
    col('message_id', 'STRING', 'NULLABLE', 'Pub/Sub message id, when it came from Pub/Sub.'),
    col('insert_id', 'STRING', 'NULLABLE', 'LogEntry.insertId, when one could be read.'),
    col(
      'reason',
      'STRING',
      'REQUIRED',
      'Stable reason code: ' + QUARANTINE_REASONS.join(', ') + '.',
    ),
    col('detail', 'STRING', 'NULLABLE', 'Human-readable detail: which field, what was wrong.'),
    col('raw', 'STRING', 'NULLABLE', 'The input, truncated, under the content policy.', {
      content: true,
    }),
    col('raw_bytes', 'INT64', 'REQUIRED', 'Size of the whole input in bytes.'),
  ],
  partitionBy: 'quarantine_time',
  clusterBy: ['reason'],
  key: ['quarantine_id'],
});

// ---------------------------------------------------------------------------------------------
// gca_raw: curated datasets of interactions. They live beside the content they point at (never in
// gca_analytics), so only principals who may read content can read or change them.

export const datasetsTable = defineTable({
  dataset: 'gca_raw',
  name: 'datasets',
  description:
    'Curated datasets of interactions (gca-analytics datasets create): one row per dataset, with the filter that selected its members.',
  columns: [
    col('dataset_name', 'STRING', 'REQUIRED', 'Name of the dataset, unique.'),
    col('description', 'STRING', 'NULLABLE', 'What the dataset is for, as given.'),
    col(
      'filter_json',
      'STRING',
      'REQUIRED',
      'The selection as JSON text: from, to, user, language, kind, accepted, withToolCalls, sample, seed.',
    ),
    col(
      'created_at',
      'TIMESTAMP',
      'REQUIRED',
      'When the dataset was created (or replaced). Partition column.',
    ),
    col('member_count', 'INT64', 'REQUIRED', 'Interactions selected at creation.'),
  ],
  // Day-partitioned like every table of the registry (the stack creates them all alike).
  partitionBy: 'created_at',
  key: ['dataset_name'],
});

export const datasetMembersTable = defineTable({
  dataset: 'gca_raw',
  name: 'dataset_members',
  description:
    "One row per interaction (request_id) of a curated dataset. Retention keeps the content of these interactions past content expiry (policy keepDatasetContent); erasure deletes a user's rows.",
  columns: [
    col('dataset_name', 'STRING', 'REQUIRED', 'The dataset (gca_raw.datasets.dataset_name).'),
    col('request_id', 'STRING', 'REQUIRED', 'The interaction: request_id of its request entry.'),
    col(
      'user_id',
      'STRING',
      'NULLABLE',
      'User of the interaction, as stored in the raw tables; erasure deletes by it.',
    ),
    col('request_time', 'TIMESTAMP', 'NULLABLE', 'event_timestamp of the request entry.'),
    col(
      'added_at',
      'TIMESTAMP',
      'REQUIRED',
      'When the interaction was added to the dataset. Partition column.',
    ),
  ],
  partitionBy: 'added_at',
  clusterBy: ['dataset_name', 'request_id'],
  key: ['dataset_name', 'request_id'],
});

// ---------------------------------------------------------------------------------------------
// gca_analytics: figures without content, for analysts and Looker.

const UPDATED_AT = col('updated_at', 'TIMESTAMP', 'REQUIRED', 'When recompute last wrote the row.');

/** The group of a suggestion: each row of the daily tables is one group on one day. */
const GROUP_COLUMNS = [
  col(
    'day',
    'DATE',
    'REQUIRED',
    'UTC day of the suggestion (its first exposure, else acceptance).',
  ),
  col('kind', 'STRING', 'REQUIRED', 'code or chat.'),
  col('user_id', 'STRING', 'NULLABLE', 'User of the suggestion.'),
  col(
    'programming_language',
    'STRING',
    'REQUIRED',
    'Language of the suggestion; unknown when no event gave one.',
  ),
  col('client_name', 'STRING', 'NULLABLE', 'IDE or client of the suggestion.'),
  col('product', 'STRING', 'NULLABLE', 'Product label, e.g. code_assist.'),
  col(
    'is_agentic',
    'BOOL',
    'REQUIRED',
    'True when any event of the suggestion came from Agent Mode.',
  ),
] as const;
/** How the suggestion tables are clustered: the filters analysts use most. */
const GROUP_CLUSTER = ['kind', 'user_id', 'programming_language'];
/** The key of a daily table: its group. */
const GROUP_KEY = GROUP_COLUMNS.map((c) => c.name);

export const suggestionsTable = defineTable({
  dataset: 'gca_analytics',
  name: 'suggestions',
  description:
    'One row per suggestion: (kind, original_request_id) with its exposures and acceptances folded together.',
  columns: [
    col('original_request_id', 'STRING', 'REQUIRED', 'The suggestion id (originalRequestId).'),
    ...GROUP_COLUMNS,
    col('exposed', 'BOOL', 'REQUIRED', 'At least one exposure event.'),
    col('accepted', 'BOOL', 'REQUIRED', 'At least one acceptance event.'),
    col(
      'lines_accepted',
      'INT64',
      'REQUIRED',
      'MAX(lines_count) over acceptance events; 0 if none.',
    ),
    col(
      'comment_lines_accepted',
      'INT64',
      'REQUIRED',
      'MAX(comment_lines_count) over acceptance events; 0 if none.',
    ),
    col('first_exposure_time', 'TIMESTAMP', 'NULLABLE', 'Earliest exposure event.'),
    col('first_acceptance_time', 'TIMESTAMP', 'NULLABLE', 'Earliest acceptance event.'),
    col('exposure_events', 'INT64', 'REQUIRED', 'Distinct exposure log entries.'),
    col('acceptance_events', 'INT64', 'REQUIRED', 'Distinct acceptance log entries.'),
    UPDATED_AT,
  ],
  partitionBy: 'day',
  clusterBy: GROUP_CLUSTER,
  key: ['kind', 'original_request_id'],
});

export const acceptanceDailyTable = defineTable({
  dataset: 'gca_analytics',
  name: 'acceptance_daily',
  description:
    'Suggestions exposed and accepted per day and group. Rates add up: sum(accepted) / sum(exposed) over any slice.',
  columns: [
    ...GROUP_COLUMNS,
    col('suggestions', 'INT64', 'REQUIRED', 'Suggestions in the group (exposed or accepted).'),
    col('exposed', 'INT64', 'REQUIRED', 'Suggestions with at least one exposure.'),
    col('accepted', 'INT64', 'REQUIRED', 'Suggestions with at least one acceptance.'),
    col(
      'orphan_acceptances',
      'INT64',
      'REQUIRED',
      'Accepted suggestions with no exposure logged (counted in accepted, as the spec does).',
    ),
    col(
      'acceptance_rate',
      'FLOAT64',
      'NULLABLE',
      'accepted / exposed for this row; null with no exposures. Re-aggregate with sums, never average it.',
    ),
    UPDATED_AT,
  ],
  partitionBy: 'day',
  clusterBy: GROUP_CLUSTER,
  key: GROUP_KEY,
});

export const linesAcceptedDailyTable = defineTable({
  dataset: 'gca_analytics',
  name: 'lines_accepted_daily',
  description:
    'Lines accepted per day and group: the sum over accepted suggestions of their max linesCount.',
  columns: [
    ...GROUP_COLUMNS,
    col('accepted', 'INT64', 'REQUIRED', 'Accepted suggestions.'),
    col('lines_accepted', 'INT64', 'REQUIRED', 'Sum of lines_accepted of the suggestions.'),
    col(
      'comment_lines_accepted',
      'INT64',
      'REQUIRED',
      'Sum of comment_lines_accepted of the suggestions.',
    ),
    UPDATED_AT,
  ],
  partitionBy: 'day',
  clusterBy: GROUP_CLUSTER,
  key: GROUP_KEY,
});

export const retentionRunsTable = defineTable({
  dataset: 'gca_analytics',
  name: 'retention_runs',
  description: 'Audit: one row per retention run (or dry run), with what it changed per table.',
  columns: [
    col('run_id', 'STRING', 'REQUIRED', 'Unique id of the run.'),
    col('run_time', 'TIMESTAMP', 'REQUIRED', 'When the run started (its clock). Partition column.'),
    col('dry_run', 'BOOL', 'REQUIRED', 'True when nothing was changed.'),
    col(
      'policy',
      'JSON',
      'REQUIRED',
      'The policy applied: contentDays, eventDays, quarantineDays.',
    ),
    record('changes', 'REPEATED', 'Rows changed (or that would change) per table and action.', [
      col('table_name', 'STRING', 'REQUIRED', 'dataset.table'),
      col('action', 'STRING', 'REQUIRED', 'content_expired, deleted or erased.'),
      col('rows', 'INT64', 'REQUIRED', 'Rows affected.'),
    ]),
    col('erasures_done', 'INT64', 'REQUIRED', 'Erasure requests completed in this run.'),
    col('erasures_pending', 'INT64', 'REQUIRED', 'Erasure requests left pending for the next run.'),
    col(
      'dataset_content_kept',
      'INT64',
      'NULLABLE',
      'Raw rows past content expiry whose content was kept (or would be, in a dry run) because they belong to a curated dataset; null in runs before datasets existed.',
    ),
  ],
  partitionBy: 'run_time',
  key: ['run_id'],
});

export const userTeamsTable = defineTable({
  dataset: 'gca_analytics',
  name: 'user_teams',
  description:
    'User to team mapping loaded by `gca-analytics teams import`: a suggestion belongs to the team of its user on its day. Replaced whole at each import.',
  columns: [
    col(
      'user_id',
      'STRING',
      'REQUIRED',
      'User as in the other tables: pseudonymized with the same key when pseudonymization is on.',
    ),
    col('team', 'STRING', 'REQUIRED', 'Team name.'),
    col('parent_team', 'STRING', 'NULLABLE', 'Parent team (department, group), if given.'),
    col(
      'seat',
      'BOOL',
      'REQUIRED',
      'The user holds a Gemini Code Assist licence in this period (true unless the file says false).',
    ),
    col('from_day', 'DATE', 'NULLABLE', 'First day of the period (inclusive); null: from always.'),
    col('to_day', 'DATE', 'NULLABLE', 'Last day of the period (inclusive); null: still current.'),
    col(
      'imported_at',
      'TIMESTAMP',
      'REQUIRED',
      'When the import that wrote the row ran. Partition column (every table is day-partitioned; an import writes one day).',
    ),
  ],
  partitionBy: 'imported_at',
  clusterBy: ['user_id'],
  key: ['user_id', 'from_day'],
});

export const interactionsTable = defineTable({
  dataset: 'gca_analytics',
  name: 'interactions',
  description:
    'One row per request_id: request, response and api_request metadata joined. Sizes, latency and tool calls; no content. ' +
    'Rebuilt by recompute for the days touched since its last run.',
  columns: [
    col('request_id', 'STRING', 'REQUIRED', 'labels.request_id.'),
    col('day', 'DATE', 'REQUIRED', 'UTC day of the request (else response, else api_request).'),
    col('user_id', 'STRING', 'NULLABLE', 'User.'),
    col('project_id', 'STRING', 'NULLABLE', 'Project where Gemini was used.'),
    col('product', 'STRING', 'NULLABLE', 'Product label.'),
    col('method', 'STRING', 'NULLABLE', 'CompleteTask, GenerateCode, CompleteCode.'),
    col('client_name', 'STRING', 'NULLABLE', 'IDE or client.'),
    col('client_version', 'STRING', 'NULLABLE', 'IDE or client version.'),
    col('request_kind', 'STRING', 'NULLABLE', 'Kind of the request payload.'),
    col('response_kind', 'STRING', 'NULLABLE', 'Kind of the response payload.'),
    col('request_time', 'TIMESTAMP', 'NULLABLE', 'Timestamp of the request entry.'),
    col('response_time', 'TIMESTAMP', 'NULLABLE', 'Timestamp of the response entry.'),
    col(
      'latency_ms',
      'FLOAT64',
      'NULLABLE',
      'response_time - request_time in milliseconds; null unless both are logged.',
    ),
    col('prompt_chars', 'INT64', 'NULLABLE', 'Characters of the prompt and context.'),
    col('response_chars', 'INT64', 'NULLABLE', 'Characters of the response.'),
    col('context_file_count', 'INT64', 'NULLABLE', 'Context files sent.'),
    col('tool_result_count', 'INT64', 'NULLABLE', 'Tool results sent back in the request.'),
    col('tool_call_count', 'INT64', 'NULLABLE', 'Tool calls in the response.'),
    col('tool_names', 'STRING', 'REPEATED', 'Names of the tools called, in order.'),
    col('has_api_request', 'BOOL', 'REQUIRED', 'An api_request metadata event was logged.'),
  ],
  partitionBy: 'day',
  clusterBy: ['user_id', 'method', 'client_name'],
  key: ['request_id'],
});

export const dailyActiveUsersTable = defineTable({
  dataset: 'gca_analytics',
  name: 'daily_active_users',
  description:
    'One row per user and UTC day with any request or metadata event. COUNT(DISTINCT user_id) gives active users over any range. ' +
    'Rebuilt by recompute for the days touched since its last run.',
  columns: [
    col('day', 'DATE', 'REQUIRED', 'UTC day.'),
    col('user_id', 'STRING', 'REQUIRED', 'User.'),
    col('requests', 'INT64', 'REQUIRED', 'Request entries of the user that day.'),
    col(
      'suggestions_exposed',
      'INT64',
      'REQUIRED',
      'Distinct suggestions exposed to the user that day.',
    ),
    col(
      'suggestions_accepted',
      'INT64',
      'REQUIRED',
      'Distinct suggestions the user accepted that day.',
    ),
  ],
  partitionBy: 'day',
  clusterBy: ['user_id'],
  key: ['day', 'user_id'],
});

/** Every table, in creation order. */
export const REGISTRY: readonly TableDef[] = [
  requestsTable,
  responsesTable,
  metadataEventsTable,
  quarantineTable,
  datasetsTable,
  datasetMembersTable,
  suggestionsTable,
  acceptanceDailyTable,
  linesAcceptedDailyTable,
  retentionRunsTable,
  userTeamsTable,
  interactionsTable,
  dailyActiveUsersTable,
];

export type RequestRow = RowOf<typeof requestsTable>;
export type ResponseRow = RowOf<typeof responsesTable>;
export type MetadataEventRow = RowOf<typeof metadataEventsTable>;
export type QuarantineRow = RowOf<typeof quarantineTable>;
export type DatasetRow = RowOf<typeof datasetsTable>;
export type DatasetMemberRow = RowOf<typeof datasetMembersTable>;
export type SuggestionRow = RowOf<typeof suggestionsTable>;
export type AcceptanceDailyRow = RowOf<typeof acceptanceDailyTable>;
export type LinesAcceptedDailyRow = RowOf<typeof linesAcceptedDailyTable>;
export type RetentionRunRow = RowOf<typeof retentionRunsTable>;
export type UserTeamRow = RowOf<typeof userTeamsTable>;
export type InteractionRow = RowOf<typeof interactionsTable>;
export type DailyActiveUserRow = RowOf<typeof dailyActiveUsersTable>;

/** The raw tables the ingest path writes, keyed as the warehouse port names them. */
export const RAW_TABLES = {
  requests: requestsTable,
  responses: responsesTable,
  metadata_events: metadataEventsTable,
  quarantine: quarantineTable,
} as const;
export type RawTableName = keyof typeof RAW_TABLES;

/** Finds a table or view by `dataset.name`; throws on an unknown name. */
export function getTable(qualifiedName: string): TableDef {
  const found = REGISTRY.find((t) => `${t.dataset}.${t.name}` === qualifiedName);
  if (!found) throw new Error(`unknown table ${qualifiedName}`);
  return found;
}
