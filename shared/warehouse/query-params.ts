/**
 * The type of a query parameter, decided once for both adapters, so the same call means the same
 * thing on BigQuery and on DuckDB.
 */
import type { QueryParamType, QueryParamValue, QueryParams } from './port';

/**
 * The type of an untyped value: a number is INT64 when it is an integer, else FLOAT64; an array
 * of numbers is ARRAY<INT64> only when every item is an integer, else ARRAY<FLOAT64> (so
 * `[1, 2.5]` keeps its 2.5); a boolean is BOOL; anything else, null and the empty array included,
 * is STRING. Pass `{ type, value }` for another type (TIMESTAMP, DATE, a typed NULL).
 */
export function inferParamType(value: QueryParamValue): QueryParamType {
  if (Array.isArray(value)) {
    const items: readonly (string | number)[] = value;
    if (items.length > 0 && items.every((v) => typeof v === 'number')) {
      return items.every((v) => Number.isInteger(v)) ? 'INT64' : 'FLOAT64';
    }
    return 'STRING';
  }
  if (typeof value === 'number') return Number.isInteger(value) ? 'INT64' : 'FLOAT64';
  if (typeof value === 'boolean') return 'BOOL';
  return 'STRING';
}

/** A parameter as passed (`value` or `{ type, value }`) -> its type and value. */
export function typedParam(raw: QueryParams[string]): {
  type: QueryParamType;
  value: QueryParamValue;
} {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return raw;
  return { type: inferParamType(raw), value: raw };
}
