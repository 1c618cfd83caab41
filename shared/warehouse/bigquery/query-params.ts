/** Query parameters as the BigQuery REST API takes them (`QueryParameter`). */
import { tryMicrosIso } from '../../normalize/time';
import type { QueryParamType, QueryParams } from '../port';
import { typedParam } from '../query-params';

/** A BigQuery REST `QueryParameter`. */
export interface RestQueryParameter {
  name: string;
  parameterType: { type: QueryParamType | 'ARRAY'; arrayType?: { type: QueryParamType } };
  /** No `value` is SQL NULL (as the Java client sends it; the REST type has no null). */
  parameterValue: { value?: string; arrayValues?: { value: string }[] };
}

function paramScalar(name: string, type: QueryParamType, value: string | number | boolean): string {
  switch (type) {
    case 'TIMESTAMP': {
      const iso = typeof value === 'string' ? tryMicrosIso(value) : null;
      if (iso === null) throw new Error(`parameter @${name}: not a TIMESTAMP: ${String(value)}`);
      return iso;
    }
    case 'DATE':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        throw new Error(`parameter @${name}: not a DATE (YYYY-MM-DD): ${String(value)}`);
      }
      return value;
    case 'INT64':
      if (!Number.isInteger(Number(value))) {
        throw new Error(`parameter @${name}: not an INT64: ${String(value)}`);
      }
      return String(Number(value));
    case 'FLOAT64':
      return String(Number(value));
    case 'BOOL':
      return value === true || value === 'true' ? 'true' : 'false';
    case 'STRING':
      return String(value);
  }
}

/**
 * Named query parameters with explicit types (untyped ones per shared/warehouse/query-params.ts),
 * encoded as strings as the REST API defines them. Built here rather than by the client's
 * `params`/`types`, which sends a string TIMESTAMP or DATE parameter with no value at all
 * (`parameterValue: {}`, as in googleapis/nodejs-bigquery#392) and fails on a null or empty
 * array (googleapis/nodejs-bigquery#400).
 */
export function encodeQueryParameters(params: QueryParams): RestQueryParameter[] {
  return Object.entries(params).map(([name, raw]) => {
    const { type, value } = typedParam(raw);
    if (Array.isArray(value)) {
      const items: readonly (string | number)[] = value;
      return {
        name,
        parameterType: { type: 'ARRAY', arrayType: { type } },
        parameterValue: { arrayValues: items.map((v) => ({ value: paramScalar(name, type, v) })) },
      };
    }
    return {
      name,
      parameterType: { type },
      parameterValue: value === null ? {} : { value: paramScalar(name, type, value) },
    };
  });
}
