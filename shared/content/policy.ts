/**
 * The content policy applied to every raw row before it is written (ingest pipeline, issue #6).
 * Which columns hold content comes from the table registry's `content` flags, not from a second
 * hand-kept list: a content column added to the registry is governed here automatically.
 *
 * - `full`: the row unchanged (only `content_mode` set).
 * - `scrubbed` (default): every content string scrubbed of secrets (`[FILTERED]`), JSON content
 *   (payload, tool arguments, and quarantined raw input when it parses as JSON) scrubbed string
 *   by string and kept valid JSON (see `scrubJsonText`).
 * - `metadata-only`: content STRING columns nulled (prompt, preamble, response, context file
 *   paths, quarantine raw); JSON content columns (payload, tool arguments) reduced to a
 *   content-free skeleton (see `skeletonizeJson`). Sizes, kinds, languages, file extensions,
 *   tool names and every non-content column stay.
 */
import type { ContentMode } from './mode';
import { scrubJsonText, scrubSecrets } from './scrub';
import {
  RAW_TABLES,
  type ColumnDef,
  type MetadataEventRow,
  type QuarantineRow,
  type RawTableName,
  type RequestRow,
  type ResponseRow,
} from '../tables/registry';

/** The row type of each raw table the policy governs. */
export interface PolicyRows {
  requests: RequestRow;
  responses: ResponseRow;
  metadata_events: MetadataEventRow;
  quarantine: QuarantineRow;
}

/** What a content column becomes under a mode: a function of its value. */
type Transform = (value: unknown) => unknown;

// ---------------------------------------------------------------------------------------------
// metadata-only: the payload skeleton.

/**
 * String values kept in a metadata-only skeleton, by key: identifiers, enums, client names and
 * languages, never free text. Every other string becomes `[OMITTED:<length>]`.
 */
const SKELETON_KEPT_STRING_KEYS = new Set([
  '@type',
  'clientName',
  'clientVersion',
  'requestId',
  'originalRequestId',
  'programmingLanguage',
  'language',
  'interactionType',
  'author',
  'state',
  'is_agentic',
  'isAgentic',
]);
/** Strings that are numbers or booleans (int64 drift: `"linesCount": "15"`) are not content. */
const SCALAR_STRING = /^(?:-?\d{1,20}(?:\.\d{1,20})?|true|false)$/;
/** Object keys that are plain identifiers are schema; anything else may be content. */
const PLAIN_KEY = /^[@A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Deepest nesting kept in a skeleton. Gemini payloads nest about 8 levels; deeper input (a hostile
 * tool argument) is cut here so neither this walk nor JSON.stringify can overflow the stack.
 */
export const MAX_SKELETON_DEPTH = 128;

function skeletonValue(value: unknown, key: string | undefined, depth: number): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SKELETON_KEPT_STRING_KEYS.has(key)) return value;
    if (SCALAR_STRING.test(value)) return value;
    return `[OMITTED:${value.length}]`;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_SKELETON_DEPTH) return '[OMITTED:nested]';
  if (Array.isArray(value)) return value.map((v) => skeletonValue(v, key, depth + 1));
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    const plain = PLAIN_KEY.test(k);
    out[plain ? k : `[OMITTED_KEY:${n++}]`] = skeletonValue(v, plain ? k : undefined, depth + 1);
  }
  return out;
}

/**
 * Content-free skeleton of serialized JSON: the same keys, nesting, array lengths, numbers and
 * booleans; strings kept only under known metadata keys (ids, client, language, interaction type),
 * numeric strings kept; every other string replaced by `[OMITTED:<length>]`; a key that is not a
 * plain identifier (it could be a file path) replaced by `[OMITTED_KEY:<n>]`. Text that does not
 * parse as JSON yields null. Chosen over nulling the payload so new, unknown payload fields
 * (counts, flags, event kinds) survive for later metrics while no text does.
 */
export function skeletonizeJson(json: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch {
    return null;
  }
  return JSON.stringify(skeletonValue(parsed, undefined, 0));
}

// ---------------------------------------------------------------------------------------------
// Transforms per mode and column type.

// One transform per column kind (string, JSON text): the same three modes, another scrubber.
function stringTransform(mode: ContentMode): Transform | null {
  switch (mode) {
    case 'full':
      return null;
    case 'scrubbed':
      return (v) => (typeof v === 'string' ? scrubSecrets(v) : v);
    case 'metadata-only':
      return () => null;
  }
}

function jsonTransform(mode: ContentMode): Transform | null {
  switch (mode) {
    case 'full':
      return null;
    case 'scrubbed':
      return (v) => (typeof v === 'string' ? scrubJsonText(v) : v);
    case 'metadata-only':
      return (v) => (typeof v === 'string' ? skeletonizeJson(v) : null);
  }
}

/**
 * Quarantined raw input: a STRING column, but mostly a log entry's JSON text, whose escaping would
 * hide secrets from the text scrubber. Under `scrubbed` it is scrubbed as JSON when it parses;
 * `scrubJsonText` scrubs any other text as text, exactly as `scrubSecrets` does.
 */
const QUARANTINE_RAW = RAW_TABLES.quarantine.columns.find((c) => c.name === 'raw');

function transformFor(column: ColumnDef, mode: ContentMode): Transform | null {
  if (column.type === 'JSON') return jsonTransform(mode);
  if (column === QUARANTINE_RAW && mode === 'scrubbed') return jsonTransform(mode);
  return stringTransform(mode);
}

/** Applies the policy to one column value (scalar, repeated scalar, record or repeated record). */
function applyColumn(column: ColumnDef, value: unknown, mode: ContentMode): unknown {
  if (value === null || value === undefined) return value;
  if (column.type === 'RECORD') {
    const fields = column.fields ?? [];
    const applyRecord = (rec: unknown): unknown =>
      rec !== null && typeof rec === 'object' ? applyColumns(fields, rec, mode) : rec;
    return Array.isArray(value) ? value.map(applyRecord) : applyRecord(value);
  }
  if (!column.content) return value;
  const transform = transformFor(column, mode);
  if (!transform) return value;
  return Array.isArray(value) ? value.map(transform) : transform(value);
}

/** True when a column or one of its nested fields holds content. */
function hasContent(column: ColumnDef): boolean {
  return column.content === true || (column.fields ?? []).some(hasContent);
}

function applyColumns(columns: readonly ColumnDef[], row: object, mode: ContentMode): object {
  const out: Record<string, unknown> = { ...row };
  for (const column of columns) {
    if (!hasContent(column) || !(column.name in out)) continue;
    out[column.name] = applyColumn(column, out[column.name], mode);
  }
  return out;
}

/**
 * Applies content mode `mode` to a raw row of `table` and returns a new row (the input is not
 * modified). Sets `content_mode` where the table has that column. Columns are chosen by the
 * registry's `content` flags, so every content column of every raw table is covered.
 */
export function applyContentPolicy<K extends RawTableName>(
  table: K,
  row: PolicyRows[K],
  mode: ContentMode,
): PolicyRows[K] {
  const def = RAW_TABLES[table];
  const out = applyColumns(def.columns, row, mode) as Record<string, unknown>;
  if (def.columns.some((c) => c.name === 'content_mode')) out.content_mode = mode;
  return out as PolicyRows[K];
}

/** The content columns of a raw table as dotted paths (`context_files.path`), from the registry. */
export function contentColumnPaths(table: RawTableName): string[] {
  const walk = (cols: readonly ColumnDef[], prefix: string): string[] =>
    cols.flatMap((c) =>
      c.content ? [prefix + c.name] : walk(c.fields ?? [], `${prefix}${c.name}.`),
    );
  return walk(RAW_TABLES[table].columns, '');
}
