/**
 * Structured logs as Cloud Logging parses them from stdout: one JSON object per line with
 * `severity` and `message`, the other keys landing in `jsonPayload`. Log lines carry ids, counts
 * and latencies, never prompt or response text: keys that name content are dropped here as a
 * second line of defence, whatever a caller passes.
 */
import type { LogLevel } from './config';
import { REGISTRY, type ColumnDef } from './tables/registry';

export type Severity = LogLevel;

/** A value a log field may hold: JSON, without functions or class instances. */
export type LogValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly LogValue[]
  | { readonly [key: string]: LogValue };
export type LogFields = Record<string, LogValue>;

export interface Logger {
  /** Writes a line if `severity` is at or above the logger's level. */
  log(severity: Severity, message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * The one summary line of an invocation: written whatever the level, because alerts and
   * dashboards count on it.
   */
  summary(severity: Severity, message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields on every line, e.g. `{ component: 'ingest' }`. */
  fields?: LogFields;
  /** Where lines go; stdout by default (Cloud Functions forward it to Cloud Logging). */
  write?: (line: string) => void;
}

function contentColumnNames(columns: readonly ColumnDef[], out: Set<string>): void {
  for (const column of columns) {
    if (column.content) out.add(column.name);
    if (column.fields) contentColumnNames(column.fields, out);
  }
}

/**
 * Keys never written to a log: every content column of the registry (prompt_text,
 * response_text, raw, payload, ...) and the wire names that hold content.
 */
export const CONTENT_KEYS: ReadonlySet<string> = (() => {
  const keys = new Set<string>([
    'jsonPayload',
    'protoPayload',
    'textPayload',
    'data',
    'body',
    'prompt',
    'response',
    'text',
  ]);
  for (const table of REGISTRY) contentColumnNames(table.columns, keys);
  return keys;
})();

const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };

/** Drops content keys at any depth and bounds strings, so a log line stays small and clean. */
function sanitize(value: LogValue, depth: number): LogValue {
  if (typeof value === 'string') return value.length > 1000 ? `${value.slice(0, 1000)}...` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 5) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v: LogValue) => sanitize(v, depth + 1));
  const out: Record<string, LogValue> = {};
  for (const [key, v] of Object.entries(value as Record<string, LogValue>)) {
    if (CONTENT_KEYS.has(key)) continue;
    out[key] = sanitize(v, depth + 1);
  }
  return out;
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'INFO';
  const base = options.fields ?? {};
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const emit = (severity: Severity, message: string, fields: LogFields = {}): void => {
    const clean = sanitize({ ...base, ...fields }, 0) as Record<string, LogValue>;
    // A field cannot forge the severity or the message.
    delete clean.severity;
    delete clean.message;
    write(JSON.stringify({ severity, message, ...clean }));
  };
  const log = (severity: Severity, message: string, fields?: LogFields): void => {
    if (RANK[severity] >= RANK[level]) emit(severity, message, fields);
  };
  return {
    log,
    debug: (m, f) => log('DEBUG', m, f),
    info: (m, f) => log('INFO', m, f),
    warning: (m, f) => log('WARNING', m, f),
    error: (m, f) => log('ERROR', m, f),
    summary: emit,
    child: (fields) => createLogger({ level, write, fields: { ...base, ...fields } }),
  };
}
