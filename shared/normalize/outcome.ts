import type { ContentMode } from '../content/mode';
import type {
  MetadataEventRow,
  QuarantineReason,
  RequestRow,
  ResponseRow,
} from '../tables/registry';

export const SKIP_REASONS = ['foreign_resource'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Exactly one of these per log entry: a row, skipped (counted, not stored) or quarantined. */
export type NormalizeOutcome =
  | { kind: 'request'; row: RequestRow }
  | { kind: 'response'; row: ResponseRow }
  | { kind: 'metadata'; row: MetadataEventRow }
  | { kind: 'skipped'; reason: SkipReason; detail: string }
  | { kind: 'quarantined'; reason: QuarantineReason; detail: string; insertId: string | null };

export interface NormalizeContext {
  /** ISO timestamp written to ingest_time. */
  ingestTime: string;
  contentMode: ContentMode;
  /** Maps user_id to a pseudonym when pseudonymization is on (issue #6). */
  pseudonymizeUser?: (userId: string) => string;
}

/** Counts of one ingest run. Conservation: read = normalized + duplicates + quarantined + skipped. */
export interface IngestCounts {
  read: number;
  normalized: number;
  duplicates: number;
  quarantined: number;
  skipped: number;
}
