/**
 * Query results: the REST `f`/`v` rows of `jobs.getQueryResults` -> the registry's JS
 * conventions (TIMESTAMP as microsecond ISO text, numbers as numbers, DATE and JSON as text).
 */
import { z } from 'zod';
import { microsToIso } from '../../normalize/time';

interface RestField {
  name: string;
  type: string;
  mode?: string | undefined;
  fields?: RestField[] | undefined;
}

const RestFieldSchema: z.ZodType<RestField> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.string(),
    mode: z.string().optional(),
    fields: z.array(RestFieldSchema).optional(),
  }),
);

const RestRowSchema = z.object({ f: z.array(z.object({ v: z.unknown() })) });

/** `jobs.getQueryResults` response (the parts the adapter reads). */
export const QueryResultsResponseSchema = z.object({
  jobComplete: z.boolean().optional(),
  schema: z.object({ fields: z.array(RestFieldSchema).optional() }).optional(),
  rows: z.array(RestRowSchema).optional(),
  pageToken: z.string().optional(),
  numDmlAffectedRows: z.string().optional(),
  totalRows: z.string().optional(),
});
export type QueryResultsResponse = z.infer<typeof QueryResultsResponseSchema>;

function decodeScalar(field: RestField, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (field.type) {
    case 'RECORD':
    case 'STRUCT':
      return decodeRecord(field.fields ?? [], v);
    case 'INTEGER':
    case 'INT64':
    case 'FLOAT':
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return Number(v);
    case 'BOOLEAN':
    case 'BOOL':
      return v === true || v === 'true';
    case 'TIMESTAMP': {
      const text = String(v);
      // formatOptions.useInt64Timestamp=true: integer microseconds; else float seconds.
      if (/^-?\d+$/.test(text)) return microsToIso(BigInt(text));
      return microsToIso(BigInt(Math.round(Number(text) * 1e6)));
    }
    default:
      // STRING, JSON (text, the registry's convention), DATE, DATETIME, TIME, BYTES (base64).
      return String(v);
  }
}

function decodeRecord(fields: readonly RestField[], v: unknown): Record<string, unknown> {
  const cells = RestRowSchema.parse(v).f;
  const out: Record<string, unknown> = {};
  fields.forEach((field, i) => {
    const cell = cells[i]?.v ?? null;
    if (field.mode === 'REPEATED') {
      out[field.name] = Array.isArray(cell)
        ? cell.map((item: unknown) => decodeScalar(field, (item as { v?: unknown } | null)?.v))
        : [];
    } else {
      out[field.name] = decodeScalar(field, cell);
    }
  });
  return out;
}

/** Rows of a results page as plain objects: TIMESTAMP as microsecond ISO, numbers as numbers. */
export function decodeQueryRows(response: QueryResultsResponse): Record<string, unknown>[] {
  const fields = response.schema?.fields ?? [];
  return (response.rows ?? []).map((row) => decodeRecord(fields, row));
}
