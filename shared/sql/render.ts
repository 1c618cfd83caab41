/**
 * SQL, once: every query of the project is written in BigQuery Standard SQL and rendered here
 * for the engine that runs it.
 *
 * The supported subset (stay within it; the DuckDB tests run every query through this):
 * - Tables as backticked `` `dataset.table` `` with dataset `gca_raw` or `gca_analytics`
 *   (BigQuery: qualified with the project and the configured dataset names; DuckDB: schemas of
 *   the same names). Other backticked names pass through unqualified.
 * - Named parameters `@name` (DuckDB `$name`). Arrays as `x IN UNNEST(@names)`. Untyped string
 *   parameters compare fine with DATE/TIMESTAMP columns on DuckDB; on BigQuery pass a typed
 *   parameter (`{ type: 'TIMESTAMP', value }`) or write `CAST(@p AS DATE)`.
 * - String literals in single quotes, without quotes or backslashes inside (pass such values as
 *   parameters). Double-quoted strings are refused: DuckDB reads them as identifiers.
 * - `FROM UNNEST(array_expr) AS alias [WITH OFFSET AS pos]` with `alias.field` for arrays of
 *   structs (rewritten for DuckDB), `ARRAY(SELECT ...)`, `ARRAY_LENGTH`, `ARRAY_AGG(x ORDER BY y)`.
 * - Functions common to both: COUNT, COUNTIF, SUM, MIN, MAX, ANY_VALUE, COALESCE, IFNULL, NULLIF,
 *   IF, CASE, DATE(timestamp) (UTC), CAST, ROW_NUMBER / FIRST_VALUE(x IGNORE NULLS) OVER (...),
 *   QUALIFY, WITH, UNION ALL, DELETE, INSERT ... SELECT, CREATE OR REPLACE VIEW,
 *   `IS [NOT] DISTINCT FROM`, `IS TRUE`.
 * - Differences to mind: DuckDB's COUNTIF over only NULLs is NULL (BigQuery: 0), so give it a
 *   condition that is never NULL (`COUNTIF(x IS TRUE)`); BigQuery wants QUALIFY only with a
 *   WHERE, GROUP BY or HAVING in the same SELECT; BigQuery has no bare UNION (use UNION ALL).
 * - Rewritten for DuckDB: `SAFE_CAST` -> `TRY_CAST`, types `INT64` -> BIGINT and `FLOAT64` ->
 *   DOUBLE, `CURRENT_TIMESTAMP()` -> `current_timestamp`, struct constructors
 *   `STRUCT(x AS a, ...)` (every field named) -> `struct_pack(a := x, ...)`.
 * - DuckDB macros (created by the DuckDB adapter's ensureSchema, see DUCKDB_COMPAT_MACROS):
 *   SAFE_DIVIDE, TIMESTAMP_ADD / TIMESTAMP_SUB (with `INTERVAL n UNIT`), UNIX_MICROS,
 *   UNIX_MILLIS, LOGICAL_OR, LOGICAL_AND, FARM_FINGERPRINT (other values than BigQuery's).
 * - Not supported: TIMESTAMP_DIFF / DATE_DIFF / DATE_ADD / FORMAT_* (compute cutoffs in
 *   TypeScript from an injected clock and pass TIMESTAMP parameters; use UNIX_MICROS for
 *   differences), STRUCT constructors with unnamed fields or a type (`STRUCT<...>(...)`),
 *   `SAFE_OFFSET`, `#` comments, scripting.
 */

export type SqlTarget =
  | { engine: 'duckdb' }
  | {
      engine: 'bigquery';
      projectId: string;
      /** Dataset names when they differ from the logical ones (e.g. per environment). */
      datasets?: { gca_raw?: string; gca_analytics?: string };
    };

/** The SQL is outside the supported subset. */
export class SqlRenderError extends Error {
  override readonly name = 'SqlRenderError';
}

type Segment = { kind: 'code' | 'string' | 'comment' | 'ident'; text: string };

/** Splits SQL into code, string literals, comments and backticked identifiers. */
function scan(sql: string): Segment[] {
  const out: Segment[] = [];
  let code = '';
  let i = 0;
  const flush = (): void => {
    if (code) out.push({ kind: 'code', text: code });
    code = '';
  };
  const readUntil = (close: string, from: number, what: string): number => {
    const end = sql.indexOf(close, from);
    if (end < 0) throw new SqlRenderError(`unterminated ${what} at offset ${from - 1}`);
    return end;
  };
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === "'") {
      const end = readUntil("'", i + 1, 'string');
      if (sql.slice(i + 1, end).includes('\\')) {
        throw new SqlRenderError(
          'backslashes in string literals are not supported: use a parameter',
        );
      }
      flush();
      out.push({ kind: 'string', text: sql.slice(i, end + 1) });
      i = end + 1;
    } else if (ch === '"') {
      throw new SqlRenderError('double-quoted strings are not supported: use single quotes');
    } else if (ch === '`') {
      const end = readUntil('`', i + 1, 'backticked name');
      flush();
      out.push({ kind: 'ident', text: sql.slice(i + 1, end) });
      i = end + 1;
    } else if (ch === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl < 0 ? sql.length : nl;
      flush();
      out.push({ kind: 'comment', text: sql.slice(i, end) });
      i = end;
    } else if (ch === '/' && next === '*') {
      const end = readUntil('*/', i + 2, 'comment');
      flush();
      out.push({ kind: 'comment', text: sql.slice(i, end + 2) });
      i = end + 2;
    } else if (ch === '#') {
      throw new SqlRenderError('# comments are not supported: use --');
    } else {
      code += ch;
      i += 1;
    }
  }
  flush();
  return out;
}

const SIMPLE_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOGICAL_DATASETS = ['gca_raw', 'gca_analytics'] as const;

function renderIdentDuckDb(name: string): string {
  return name
    .split('.')
    .map((part) => (SIMPLE_IDENT.test(part) ? part : `"${part.replace(/"/g, '""')}"`))
    .join('.');
}

function renderIdentBigQuery(
  name: string,
  target: Extract<SqlTarget, { engine: 'bigquery' }>,
): string {
  const parts = name.split('.');
  const dataset = parts[0];
  if (parts.length === 2 && (LOGICAL_DATASETS as readonly string[]).includes(dataset ?? '')) {
    const mapped = target.datasets?.[dataset as (typeof LOGICAL_DATASETS)[number]] ?? dataset;
    return `\`${target.projectId}.${mapped}.${parts[1]}\``;
  }
  return `\`${name}\``;
}

/** Index of the parenthesis closing the one at `open`, or -1. */
function matchParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Rewrites each call the global regex `re` finds (its match ends at the call's opening
 * parenthesis): `rewrite` gets the indexes of both parentheses and returns the text
 * replacing the call from its start up to `end`, or null to keep the call as it is. `what` names
 * the call in the error for unbalanced parentheses.
 */
function rewriteCalls(
  text: string,
  re: RegExp,
  what: string,
  rewrite: (open: number, close: number) => { text: string; end: number } | null,
): string {
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const open = m.index + m[0].length - 1;
    const close = matchParen(text, open);
    if (close < 0) throw new SqlRenderError(`unbalanced parentheses after ${what}`);
    const replaced = rewrite(open, close);
    if (!replaced) continue;
    out += text.slice(last, m.index) + replaced.text;
    last = replaced.end;
    re.lastIndex = last;
  }
  return out + text.slice(last);
}

/**
 * BigQuery's `FROM UNNEST(arr) AS a [WITH OFFSET AS o]` makes `a` the element; DuckDB makes `a`
 * a table whose column is `unnest`. Rewrite to a subquery whose column is `a`.
 */
function rewriteUnnestAliases(text: string): string {
  return rewriteCalls(text, /\bUNNEST\s*\(/gi, 'UNNEST', (open, close) => {
    const alias = /^\s+AS\s+([A-Za-z_]\w*)(\s+WITH\s+OFFSET(?:\s+AS\s+([A-Za-z_]\w*))?)?/i.exec(
      text.slice(close + 1),
    );
    if (!alias) return null;
    const expr = text.slice(open + 1, close);
    const name = alias[1] ?? '';
    const offset = alias[2]
      ? `, generate_subscripts(${expr}, 1) - 1 AS ${alias[3] ?? 'offset'}`
      : '';
    return {
      text: `(SELECT UNNEST(${expr}) AS ${name}${offset}) AS ${name}__unnest`,
      end: close + 1 + alias[0].length,
    };
  });
}

/** Splits on commas outside parentheses and brackets (strings are placeholders by now). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * BigQuery's struct constructor `STRUCT(expr AS name, ...)` -> DuckDB's
 * `struct_pack(name := expr, ...)`, nested ones too. Every field must be named (`AS name`):
 * DuckDB needs the names.
 */
function rewriteStructs(text: string): string {
  return rewriteCalls(text, /(?<![\w.])STRUCT\s*\(/gi, 'STRUCT', (open, close) => {
    const fields = splitTopLevel(text.slice(open + 1, close)).map((item) => {
      const named = /^([\s\S]*\S)\s+AS\s+([A-Za-z_]\w*|"(?:[^"]|"")+")\s*$/i.exec(item.trim());
      if (!named) throw new SqlRenderError(`STRUCT field without a name: ${item.trim()}`);
      return `${named[2]} := ${rewriteStructs(named[1] ?? '')}`;
    });
    return { text: `struct_pack(${fields.join(', ')})`, end: close + 1 };
  });
}

/**
 * Two correlated subqueries over an array column, as DuckDB list functions evaluated per row
 * instead of a subquery DuckDB decorrelates into joins (that form took ~4x the CPU of the
 * interactions rebuild, shared/sql/activity.ts, on 200k entries):
 * `(SELECT COUNT(a.f) FROM UNNEST(col) AS a)` -> how many elements have a non-null `f` (0 for a
 * NULL array), and `ARRAY(SELECT a.f FROM UNNEST(col) AS a WITH OFFSET AS o ORDER BY o)` -> the
 * `f` of each element in order (`[]` for a NULL array).
 */
function rewriteArrayFieldSubqueries(text: string): string {
  return text
    .replace(
      /\(\s*SELECT\s+COUNT\s*\(\s*(\w+)\.(\w+)\s*\)\s+FROM\s+UNNEST\s*\(\s*([\w.]+)\s*\)\s+AS\s+\1\s*\)/gi,
      (_m, a: string, f: string, col: string) =>
        `COALESCE(len(list_filter(${col}, ${a} -> ${a}.${f} IS NOT NULL)), 0)`,
    )
    .replace(
      /\bARRAY\s*\(\s*SELECT\s+(\w+)\.(\w+)\s+FROM\s+UNNEST\s*\(\s*([\w.]+)\s*\)\s+AS\s+\1\s+WITH\s+OFFSET\s+AS\s+(\w+)\s+ORDER\s+BY\s+\4\s*\)/gi,
      (_m, a: string, f: string, col: string) =>
        `COALESCE(list_transform(${col}, ${a} -> ${a}.${f}), [])`,
    );
}

function rewriteCodeForDuckDb(code: string): string {
  let text = rewriteStructs(code);
  text = text.replace(/\bIN\s+UNNEST\s*\(\s*@(\w+)\s*\)/gi, 'IN (SELECT UNNEST($$$1))');
  text = rewriteArrayFieldSubqueries(text);
  text = rewriteUnnestAliases(text);
  text = text.replace(/@(\w+)/g, '$$$1');
  text = text.replace(/\bSAFE_CAST\s*\(/gi, 'TRY_CAST(');
  text = text.replace(/\bCURRENT_TIMESTAMP\s*\(\s*\)/gi, 'current_timestamp');
  text = text.replace(/(?<![.\w])INT64\b/gi, 'BIGINT');
  text = text.replace(/(?<![.\w])FLOAT64\b/gi, 'DOUBLE');
  return text;
}

/**
 * Renders SQL written in BigQuery Standard SQL (the subset above) for an engine.
 * Throws SqlRenderError for SQL outside the subset the renderer can see.
 */
export function renderSql(sql: string, target: SqlTarget): string {
  const segments = scan(sql);
  if (target.engine === 'bigquery') {
    return segments
      .map((s) => (s.kind === 'ident' ? renderIdentBigQuery(s.text, target) : s.text))
      .join('');
  }
  // Strings and comments become placeholders so rewrites (which may span several code
  // segments, e.g. UNNEST(...) around a literal) never touch their contents.
  const kept: string[] = [];
  const code = segments
    .map((s) => {
      if (s.kind === 'code') return s.text;
      if (s.kind === 'ident') return renderIdentDuckDb(s.text);
      kept.push(s.text);
      return `\uE000${kept.length - 1}\uE000`;
    })
    .join('');
  return rewriteCodeForDuckDb(code).replace(/\uE000(\d+)\uE000/g, (_m, n: string) => {
    return kept[Number(n)] ?? '';
  });
}

/**
 * DuckDB macros standing in for BigQuery functions DuckDB lacks, created by the DuckDB adapter's
 * `ensureSchema`. Created in `main`, which DuckDB searches from every schema.
 */
export const DUCKDB_COMPAT_MACROS: readonly string[] = [
  // SAFE_DIVIDE: null instead of a division error; DuckDB's `/` on integers is a double already.
  'CREATE OR REPLACE MACRO main.safe_divide(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a / b END',
  'CREATE OR REPLACE MACRO main.timestamp_sub(t, i) AS t - i',
  'CREATE OR REPLACE MACRO main.timestamp_add(t, i) AS t + i',
  'CREATE OR REPLACE MACRO main.unix_micros(t) AS epoch_us(t)',
  'CREATE OR REPLACE MACRO main.unix_millis(t) AS epoch_ms(t)',
  'CREATE OR REPLACE MACRO main.logical_or(x) AS bool_or(x)',
  'CREATE OR REPLACE MACRO main.logical_and(x) AS bool_and(x)',
  // FARM_FINGERPRINT (deterministic sampling): DuckDB's own 64-bit hash, deterministic but with
  // other values than BigQuery's, so a seeded sample is stable per engine, not across engines.
  'CREATE OR REPLACE MACRO main.farm_fingerprint(s) AS hash(s)',
];
