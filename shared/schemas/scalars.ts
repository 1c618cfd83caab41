import { z } from 'zod';

/*
 * Scalars as they drift on the wire. These schemas validate without transforming: a zod
 * transform costs a pipe per value (about 1 us each, measured), which on the ingest hot path is
 * as much as parsing a small entry. Normalization converts the validated value (toInt64, toBool).
 */

/**
 * An int64 as sent. Protobuf JSON writes int64 as a decimal string, yet some clients send
 * numbers (`"linesCount":"15"` and `"linesCount":2` both occur). Only non-negative safe integers:
 * a count that is negative or fractional is wrong data.
 */
export const Int64Schema = z.union([
  z.int().nonnegative(),
  z.string().regex(/^\s*\d{1,15}\s*$/, 'expected a decimal integer'),
]);
export type Int64 = z.infer<typeof Int64Schema>;

/** The number of a validated Int64 (a string of at most 15 digits is a safe integer). */
export function toInt64(value: Int64): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A boolean, also sent as the strings "true" / "false" by some clients. */
export const WireBoolSchema = z.union([z.boolean(), z.enum(['true', 'false', 'TRUE', 'FALSE'])]);
export type WireBool = z.infer<typeof WireBoolSchema>;

/** The boolean of a validated WireBool. */
export function toBool(value: WireBool): boolean {
  return typeof value === 'boolean' ? value : value.toLowerCase() === 'true';
}
