import { z } from 'zod';

/**
 * Scalars as they drift on the wire. Protobuf JSON writes int64 as a string, yet some clients
 * send numbers (`"linesCount":"15"` and `"linesCount":2` both occur): accept both, output a
 * number. Only safe, non-negative integers: a count that is negative or fractional is wrong data.
 */
export const Int64Schema = z
  .union([z.number(), z.string().regex(/^\s*\d{1,16}\s*$/, 'expected a decimal integer')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.trim())))
  .refine((n) => Number.isSafeInteger(n) && n >= 0, 'expected a non-negative integer');
export type Int64 = z.infer<typeof Int64Schema>;

/** A boolean, also sent as the strings "true" / "false" by some clients. */
export const WireBoolSchema = z.union([
  z.boolean(),
  z
    .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'])
    .transform((v) => v.toLowerCase() === 'true'),
]);
export type WireBool = z.infer<typeof WireBoolSchema>;

/**
 * A label value. Cloud Logging labels are strings; numbers and booleans are turned into strings
 * rather than rejecting the entry, and null means absent.
 */
export const LabelValueSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .transform((v) => (v === null ? null : String(v)));

/** A label map: `labels` and `resource.labels` of a LogEntry. */
export const LabelsSchema = z.record(z.string(), LabelValueSchema);
export type Labels = z.infer<typeof LabelsSchema>;
