/**
 * One interaction, whole: the request (kind, user, IDE, context files, prompt text under the
 * content mode it was stored with), the response (text, tool calls with arguments, citations), the
 * metadata events of the same request (api_request events carry its id in `request_id`; exposures
 * and acceptances of the suggestions it produced carry it in `original_request_id`), the folded
 * suggestions (gca_analytics.suggestions) and the curated datasets holding it.
 *
 * Only the Warehouse port's `query` is used, with SQL written once in BigQuery Standard SQL, so
 * the same code reads DuckDB locally and BigQuery in the cloud. Rows redelivered to BigQuery (its
 * insertId dedup is best effort) are read once: one row per entry_key.
 */
import type { Warehouse } from '../warehouse/port';

export interface ContextFileView {
  path: string | null;
  extension: string | null;
  language: string | null;
  states: string[];
  chars: number;
}

export interface ToolCallView {
  name: string;
  /** Parsed JSON arguments; null when expired, metadata-only or not JSON. */
  arguments: unknown;
}

export interface RequestView {
  time: string;
  kind: string;
  userId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  product: string | null;
  method: string | null;
  projectId: string | null;
  contentMode: string;
  promptText: string | null;
  preamble: string | null;
  messageCount: number;
  promptChars: number;
  contextFiles: ContextFileView[];
  toolResults: { name: string; chars: number }[];
}

export interface ResponseView {
  time: string;
  kind: string;
  contentMode: string;
  text: string | null;
  messageCount: number;
  responseChars: number;
  toolCalls: ToolCallView[];
  /** attribution_context as stored (citations), or null. */
  citations: unknown;
}

export interface MetadataEventView {
  time: string;
  eventType: string;
  /** The metadata entry's own id (jsonPayload.requestId). */
  eventId: string | null;
  originalRequestId: string | null;
  programmingLanguage: string | null;
  linesCount: number | null;
  interactionType: string | null;
  isAgentic: boolean | null;
  clientName: string | null;
}

export interface SuggestionView {
  kind: string;
  day: string;
  programmingLanguage: string;
  exposed: boolean;
  accepted: boolean;
  linesAccepted: number;
  firstExposureTime: string | null;
  firstAcceptanceTime: string | null;
  isAgentic: boolean;
}

/** Everything stored about one request_id. */
export interface InteractionView {
  requestId: string;
  /** Null when no request entry is stored (only a response or events). */
  request: RequestView | null;
  response: ResponseView | null;
  events: MetadataEventView[];
  suggestions: SuggestionView[];
  /** Names of the curated datasets holding this interaction. */
  datasets: string[];
}

/** One row per entry_key (BigQuery may hold a redelivered entry twice). */
const ONE_PER_ENTRY = 'QUALIFY ROW_NUMBER() OVER (PARTITION BY entry_key ORDER BY ingest_time) = 1';

const REQUEST_SQL = `SELECT event_timestamp, request_kind, user_id, client_name, client_version,
  product, method, project_id, content_mode, prompt_text, preamble, message_count, prompt_chars,
  context_files, tool_results
FROM \`gca_raw.requests\`
WHERE request_id = @request_id
${ONE_PER_ENTRY}
ORDER BY event_timestamp
LIMIT 1`;

const RESPONSE_SQL = `SELECT event_timestamp, response_kind, content_mode, response_text,
  message_count, response_chars, tool_calls, attribution
FROM \`gca_raw.responses\`
WHERE request_id = @request_id
${ONE_PER_ENTRY}
ORDER BY event_timestamp
LIMIT 1`;

const EVENTS_SQL = `SELECT event_timestamp, event_type, event_id, original_request_id,
  programming_language, lines_count, interaction_type, is_agentic, client_name, entry_key
FROM \`gca_raw.metadata_events\`
WHERE request_id = @request_id OR original_request_id = @request_id
${ONE_PER_ENTRY}
ORDER BY event_timestamp, entry_key`;

const SUGGESTIONS_SQL = `SELECT kind, CAST(day AS STRING) AS day, programming_language, exposed,
  accepted, lines_accepted, first_exposure_time, first_acceptance_time, is_agentic
FROM \`gca_analytics.suggestions\`
WHERE original_request_id = @request_id
ORDER BY kind`;

const DATASETS_SQL = `SELECT DISTINCT dataset_name
FROM \`gca_raw.dataset_members\`
WHERE request_id = @request_id
ORDER BY dataset_name`;

type Row = Record<string, unknown>;

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
function num(v: unknown): number {
  return Number(v ?? 0);
}
function arr(v: unknown): Row[] {
  return Array.isArray(v) ? (v as Row[]) : [];
}

/** A JSON column value (text) parsed; the text itself when it does not parse. */
export function parseJsonColumn(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

// One mapper per table, from its row to its view: they look alike by shape (a field per
// column), each reads its own table's columns.
function requestView(r: Row): RequestView {
  return {
    time: String(r.event_timestamp),
    kind: String(r.request_kind),
    userId: str(r.user_id),
    clientName: str(r.client_name),
    clientVersion: str(r.client_version),
    product: str(r.product),
    method: str(r.method),
    projectId: str(r.project_id),
    contentMode: String(r.content_mode),
    promptText: str(r.prompt_text),
    preamble: str(r.preamble),
    messageCount: num(r.message_count),
    promptChars: num(r.prompt_chars),
    contextFiles: arr(r.context_files).map((f) => ({
      path: str(f.path),
      extension: str(f.extension),
      language: str(f.language),
      states: Array.isArray(f.states) ? f.states.map(String) : [],
      chars: num(f.chars),
    })),
    toolResults: arr(r.tool_results).map((t) => ({ name: String(t.name), chars: num(t.chars) })),
  };
}

function responseView(r: Row): ResponseView {
  return {
    time: String(r.event_timestamp),
    kind: String(r.response_kind),
    contentMode: String(r.content_mode),
    text: str(r.response_text),
    messageCount: num(r.message_count),
    responseChars: num(r.response_chars),
    toolCalls: arr(r.tool_calls).map((t) => ({
      name: String(t.name),
      arguments: parseJsonColumn(t.arguments),
    })),
    citations: parseJsonColumn(r.attribution),
  };
}

function eventView(r: Row): MetadataEventView {
  return {
    time: String(r.event_timestamp),
    eventType: String(r.event_type),
    eventId: str(r.event_id),
    originalRequestId: str(r.original_request_id),
    programmingLanguage: str(r.programming_language),
    linesCount: r.lines_count === null || r.lines_count === undefined ? null : num(r.lines_count),
    interactionType: str(r.interaction_type),
    isAgentic: r.is_agentic === null || r.is_agentic === undefined ? null : r.is_agentic === true,
    clientName: str(r.client_name),
  };
}

function suggestionView(r: Row): SuggestionView {
  return {
    kind: String(r.kind),
    day: String(r.day),
    programmingLanguage: String(r.programming_language),
    exposed: r.exposed === true,
    accepted: r.accepted === true,
    linesAccepted: num(r.lines_accepted),
    firstExposureTime: str(r.first_exposure_time),
    firstAcceptanceTime: str(r.first_acceptance_time),
    isAgentic: r.is_agentic === true,
  };
}

/**
 * Reads everything stored about `requestId`; null when no request, response or metadata event
 * carries it (an unknown id, or one removed by row expiry or erasure).
 */
export async function showInteraction(
  warehouse: Warehouse,
  requestId: string,
): Promise<InteractionView | null> {
  const params = { request_id: requestId };
  const [requests, responses, events] = [
    await warehouse.query<Row>(REQUEST_SQL, params),
    await warehouse.query<Row>(RESPONSE_SQL, params),
    await warehouse.query<Row>(EVENTS_SQL, params),
  ];
  if (requests.length === 0 && responses.length === 0 && events.length === 0) return null;
  const suggestions = await warehouse.query<Row>(SUGGESTIONS_SQL, params);
  const datasets = await warehouse.query<Row>(DATASETS_SQL, params);
  return {
    requestId,
    request: requests[0] ? requestView(requests[0]) : null,
    response: responses[0] ? responseView(responses[0]) : null,
    events: events.map(eventView),
    suggestions: suggestions.map(suggestionView),
    datasets: datasets.map((d) => String(d.dataset_name)),
  };
}

/** What a content column shows when it holds nothing: why, from the row's content mode. */
function absentContent(contentMode: string): string {
  return contentMode === 'metadata-only'
    ? '(not stored: content mode metadata-only)'
    : '(none, or expired by retention)';
}

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** The interaction as text for a terminal. */
export function renderInteractionText(v: InteractionView): string {
  const lines: string[] = [`Interaction ${v.requestId}`];
  const r = v.request;
  lines.push('', 'Request');
  if (!r) lines.push('  (no request entry stored)');
  else {
    lines.push(
      `  time          ${r.time}`,
      `  kind          ${r.kind}`,
      `  user          ${r.userId ?? '-'}`,
      `  IDE           ${r.clientName ?? '-'} ${r.clientVersion ?? ''}`.trimEnd(),
      `  product       ${r.product ?? '-'} (${r.method ?? '-'})`,
      `  content mode  ${r.contentMode}`,
      `  messages      ${r.messageCount} (${r.promptChars} chars)`,
    );
    if (r.contextFiles.length > 0) {
      lines.push('  context files');
      for (const f of r.contextFiles) {
        const name = f.path ?? `(path not stored) .${f.extension ?? '?'}`;
        const states = f.states.length > 0 ? ` [${f.states.join(', ')}]` : '';
        lines.push(`    ${name}  ${f.language ?? '-'}${states}  ${f.chars} chars`);
      }
    }
    if (r.toolResults.length > 0) {
      lines.push('  tool results');
      for (const t of r.toolResults) lines.push(`    ${t.name}  ${t.chars} chars`);
    }
    if (r.preamble) lines.push('  preamble', indent(r.preamble));
    lines.push('  prompt', indent(r.promptText ?? absentContent(r.contentMode)));
  }
  const s = v.response;
  lines.push('', 'Response');
  if (!s) lines.push('  (no response entry stored)');
  else {
    lines.push(
      `  time          ${s.time}`,
      `  kind          ${s.kind}`,
      `  messages      ${s.messageCount} (${s.responseChars} chars)`,
      '  text',
      indent(s.text ?? absentContent(s.contentMode)),
    );
    if (s.toolCalls.length > 0) {
      lines.push('  tool calls');
      for (const t of s.toolCalls) {
        const args =
          t.arguments === null ? absentContent(s.contentMode) : JSON.stringify(t.arguments);
        lines.push(`    ${t.name}(${args})`);
      }
    }
    if (s.citations !== null) lines.push('  citations', indent(JSON.stringify(s.citations)));
  }
  lines.push('', `Metadata events (${v.events.length})`);
  for (const e of v.events) {
    const detail = [
      e.programmingLanguage,
      e.linesCount !== null ? `${e.linesCount} lines` : null,
      e.interactionType,
      e.isAgentic ? 'agent' : null,
    ].filter((x) => x !== null && x !== '');
    lines.push(`  ${e.time}  ${e.eventType}${detail.length ? `  ${detail.join(', ')}` : ''}`);
  }
  lines.push('', `Suggestions (${v.suggestions.length})`);
  for (const g of v.suggestions) {
    const state = g.accepted
      ? `accepted, ${g.linesAccepted} lines`
      : g.exposed
        ? 'shown, not accepted'
        : 'not shown';
    lines.push(
      `  ${g.kind}  ${g.day}  ${g.programmingLanguage}  ${state}${g.isAgentic ? '  (agent)' : ''}`,
    );
  }
  if (v.datasets.length > 0) lines.push('', `Datasets: ${v.datasets.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
