/**
 * Exports a curated dataset as JSON Lines, streamed: members are read a page at a time (keyset
 * pagination on request_id), their rows fetched for that page only (request_id IN UNNEST(@ids)
 * within the page's time range, so BigQuery prunes partitions), and each line is written before
 * the next page is read. A dataset of any size is never held in memory.
 *
 * Formats:
 * - `batch`: the input file of a Gemini Batch API job, one `{"key": REQUEST_ID, "request":
 *   GenerateContentRequest}` per interaction. The request is built from the stored request
 *   payload only, nothing invented: each input message becomes a content turn (author USER ->
 *   role `user`, MODEL -> `model`, its text as one part, tool results as the text logged), the
 *   preamble becomes `systemInstruction`, and the segments of the IDE's context files (a code
 *   completion's prefix and suffix, open files) become the parts of a first `user` turn, in the
 *   order logged. No model, generation config or tools are added: the job gives the model.
 * - `pairs`: for evaluation tools, one object per interaction with the prompt (preamble,
 *   messages, context files with their segments), the original response (text, tool calls,
 *   citations) and metadata (user, IDE, times, kinds, content mode, tool results, suggestions
 *   with their acceptance).
 *
 * Text is exported as stored: scrubbed rows carry `[FILTERED]` where a secret was. Interactions
 * that cannot be exported are skipped and counted by reason: rows written in metadata-only mode
 * (no text), content expired, rows gone (row expiry), a request with no turn to send (batch), or
 * a message author the Batch API has no role for (batch).
 */
import { toMicrosIso } from '../normalize/time';
import { RequestLogSchema, type ContextFile, type RequestBody } from '../schemas/request-log';
import type { Warehouse } from '../warehouse/port';
import { parseJsonColumn } from './show';

// An `as const` tuple and its union type, TypeScript's idiom for a name list (as infra/bundle.ts's
// function names): alike by shape only.
export const EXPORT_FORMATS = ['batch', 'pairs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const SKIP_REASONS = [
  'metadata_only',
  'no_content',
  'missing',
  'no_turns',
  'unmapped_author',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ExportResult {
  written: number;
  skipped: Record<SkipReason, number>;
}

/** Members read per page: 2,000 halves the time of 500 on DuckDB (fewer scans), memory stays bounded. */
export const EXPORT_PAGE_SIZE = 2000;

type Row = Record<string, unknown>;

/** Members after `@after`, in request_id order; the page size is a validated integer. */
function pageSql(pageSize: number): string {
  return `SELECT request_id, request_time
FROM \`gca_raw.dataset_members\`
WHERE dataset_name = @name AND request_id > @after
ORDER BY request_id
LIMIT ${pageSize}`;
}

/** One row per request_id (the earliest entry): BigQuery may hold a redelivered entry twice. */
const ONE_PER_REQUEST =
  'QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1';

const REQUESTS_SQL = `SELECT request_id, event_timestamp, request_kind, content_mode, payload,
  user_id, client_name, client_version, product, method, project_id, context_files, tool_results
FROM \`gca_raw.requests\`
WHERE request_id IN UNNEST(@ids) AND event_timestamp >= @min_ts AND event_timestamp < @max_ts
${ONE_PER_REQUEST}`;

const RESPONSES_SQL = `SELECT request_id, event_timestamp, response_kind, content_mode,
  response_text, tool_calls, attribution, payload
FROM \`gca_raw.responses\`
WHERE request_id IN UNNEST(@ids) AND event_timestamp >= @min_ts AND event_timestamp < @max_ts
${ONE_PER_REQUEST}`;

const SUGGESTIONS_SQL = `SELECT original_request_id, kind, programming_language, exposed, accepted,
  lines_accepted, is_agentic
FROM \`gca_analytics.suggestions\`
WHERE original_request_id IN UNNEST(@ids)
ORDER BY original_request_id, kind`;

const DAY_MS = 86_400_000;

function shiftDays(ts: string, days: number): string {
  return toMicrosIso(new Date(Date.parse(ts) + days * DAY_MS));
}

/** A line writer; resolve when the line may be followed by the next (backpressure). */
export type LineSink = (line: string) => Promise<void>;

/** The body of whichever request kind the payload holds. */
function requestBody(payload: unknown): RequestBody | null {
  const parsed = RequestLogSchema.safeParse(payload);
  if (!parsed.success) return null;
  const p = parsed.data;
  return p.taskCompletionRequest ?? p.codeGenerationRequest ?? p.codeCompletionRequest ?? null;
}

function contextFilesOf(body: RequestBody): ContextFile[] {
  const ctx = body.input_data_context ?? body.inputDataContext;
  return (ctx?.additional_context ?? ctx?.additionalContext)?.files ?? [];
}

const ROLE: Record<string, 'user' | 'model'> = { USER: 'user', MODEL: 'model' };

interface Content {
  role: 'user' | 'model';
  parts: { text: string }[];
}

/** The GenerateContentRequest of a request body, or why there is none. */
export function batchRequestOf(
  body: RequestBody,
): { request: Record<string, unknown> } | { skip: SkipReason } {
  const contents: Content[] = [];
  const segments = contextFilesOf(body).flatMap((f) =>
    (f.segments ?? []).map((s) => s.content ?? '').filter((t) => t !== ''),
  );
  if (segments.length > 0)
    contents.push({ role: 'user', parts: segments.map((text) => ({ text })) });
  for (const m of body.input?.messages ?? []) {
    if (!m.content) continue;
    const role = ROLE[(m.author ?? '').toUpperCase()];
    if (!role) return { skip: 'unmapped_author' };
    contents.push({ role, parts: [{ text: m.content }] });
  }
  if (!contents.some((c) => c.role === 'user')) return { skip: 'no_turns' };
  const request: Record<string, unknown> = { contents };
  const preamble = body.input?.preamble;
  if (preamble) request.systemInstruction = { parts: [{ text: preamble }] };
  return { request };
}

/** Microseconds since the epoch of a TIMESTAMP text (Date keeps milliseconds only). */
function micros(ts: string): number {
  const fraction = /\.(\d+)/.exec(ts)?.[1] ?? '';
  const whole = Date.parse(`${ts.slice(0, 19)}Z`);
  return whole * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

function statesOf(states: string | string[] | null | undefined): string[] {
  if (states === null || states === undefined) return [];
  return Array.isArray(states) ? states : [states];
}

function pairOf(
  requestId: string,
  req: Row,
  body: RequestBody,
  resp: Row | undefined,
  suggestions: Row[],
) {
  const files = contextFilesOf(body).map((f) => ({
    path: f.path ?? null,
    language: f.language ?? null,
    states: statesOf(f.state ?? f.states),
    segments: (f.segments ?? []).map((s) => s.content ?? ''),
  }));
  const requestTime = String(req.event_timestamp);
  const responseTime = resp ? String(resp.event_timestamp) : null;
  return {
    request_id: requestId,
    prompt: {
      preamble: body.input?.preamble ?? null,
      messages: (body.input?.messages ?? []).map((m) => ({
        author: m.author ?? null,
        content: m.content ?? null,
      })),
      context_files: files,
    },
    response: resp
      ? {
          text: resp.response_text ?? null,
          tool_calls: (Array.isArray(resp.tool_calls) ? (resp.tool_calls as Row[]) : []).map(
            (t) => ({ name: String(t.name), arguments: parseJsonColumn(t.arguments) }),
          ),
          citations: parseJsonColumn(resp.attribution),
        }
      : null,
    metadata: {
      request_kind: String(req.request_kind),
      response_kind: resp ? String(resp.response_kind) : null,
      content_mode: String(req.content_mode),
      user_id: req.user_id ?? null,
      project_id: req.project_id ?? null,
      product: req.product ?? null,
      method: req.method ?? null,
      client_name: req.client_name ?? null,
      client_version: req.client_version ?? null,
      request_time: requestTime,
      response_time: responseTime,
      latency_ms:
        responseTime === null ? null : (micros(responseTime) - micros(requestTime)) / 1000,
      tool_results: Array.isArray(req.tool_results) ? req.tool_results : [],
      suggestions: suggestions.map((s) => ({
        kind: String(s.kind),
        programming_language: String(s.programming_language),
        exposed: s.exposed === true,
        accepted: s.accepted === true,
        lines_accepted: Number(s.lines_accepted ?? 0),
        is_agentic: s.is_agentic === true,
      })),
    },
  };
}

/**
 * Writes the dataset `name` to `sink` in `format`, a page of `pageSize` members at a time, and
 * counts what it wrote and skipped. An unknown name exports nothing: check it with getDataset.
 */
export async function exportDataset(
  warehouse: Warehouse,
  name: string,
  format: ExportFormat,
  sink: LineSink,
  opts: { pageSize?: number } = {},
): Promise<ExportResult> {
  const pageSize = opts.pageSize ?? EXPORT_PAGE_SIZE;
  if (!(Number.isSafeInteger(pageSize) && pageSize > 0)) throw new RangeError('invalid page size');
  const result: ExportResult = {
    written: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
  };
  let after = '';
  for (;;) {
    const page = await warehouse.query<Row>(pageSql(pageSize), { name, after });
    if (page.length === 0) break;
    const ids = page.map((m) => String(m.request_id));
    after = ids[ids.length - 1] ?? after;
    const times = page
      .map((m) => (m.request_time === null ? null : String(m.request_time)))
      .filter((t): t is string => t !== null)
      .sort();
    // The page's time range (a response may be logged a little after its request).
    const params = {
      ids,
      min_ts: {
        type: 'TIMESTAMP' as const,
        value: shiftDays(times[0] ?? '1970-01-01T00:00:00Z', -1),
      },
      max_ts: {
        type: 'TIMESTAMP' as const,
        value: shiftDays(times[times.length - 1] ?? '9999-12-30T00:00:00Z', 2),
      },
    };
    const requests = new Map(
      (await warehouse.query<Row>(REQUESTS_SQL, params)).map((r) => [String(r.request_id), r]),
    );
    const responses =
      format === 'pairs'
        ? new Map(
            (await warehouse.query<Row>(RESPONSES_SQL, params)).map((r) => [
              String(r.request_id),
              r,
            ]),
          )
        : new Map<string, Row>();
    const suggestions = new Map<string, Row[]>();
    if (format === 'pairs') {
      for (const s of await warehouse.query<Row>(SUGGESTIONS_SQL, { ids })) {
        const id = String(s.original_request_id);
        suggestions.set(id, [...(suggestions.get(id) ?? []), s]);
      }
    }
    for (const id of ids) {
      const req = requests.get(id);
      let skip: SkipReason | null = null;
      let line: string | null = null;
      if (!req) skip = 'missing';
      else if (req.content_mode === 'metadata-only') skip = 'metadata_only';
      else {
        const body = requestBody(parseJsonColumn(req.payload));
        if (!body) skip = 'no_content';
        else if (format === 'batch') {
          const built = batchRequestOf(body);
          if ('skip' in built) skip = built.skip;
          else line = JSON.stringify({ key: id, request: built.request });
        } else {
          line = JSON.stringify(
            pairOf(id, req, body, responses.get(id), suggestions.get(id) ?? []),
          );
        }
      }
      if (line !== null) {
        await sink(line);
        result.written += 1;
      } else if (skip !== null) {
        result.skipped[skip] += 1;
      }
    }
    if (page.length < pageSize) break;
  }
  return result;
}
