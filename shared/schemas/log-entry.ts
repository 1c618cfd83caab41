import { z } from 'zod';

/** The resource type of every Gemini for Google Cloud log entry; other types are skipped. */
export const GEMINI_RESOURCE_TYPE = 'cloudaicompanion.googleapis.com/Instance';

/**
 * `resource.labels` of a Gemini entry. Label maps are spelled out key by key rather than as a
 * z.record: a record costs several times more to validate (measured), and these keys are what
 * the rows read; other labels pass through (loose).
 */
export const ResourceLabelsSchema = z.looseObject({
  resource_container: z.string().nullish(),
  location: z.string().nullish(),
  instance_id: z.string().nullish(),
});
export type ResourceLabels = z.infer<typeof ResourceLabelsSchema>;

export const MonitoredResourceSchema = z.looseObject({
  type: z.string(),
  labels: ResourceLabelsSchema.nullish(),
});

/**
 * `labels` of a Gemini entry. Metadata entries lack `request_id` (their id is
 * `jsonPayload.requestId`) and, in older clients, `client_name`/`client_version`.
 *
 * Field lists mirror the LogEntry reference, one line a field: alike other schemas by shape only.
 */
export const EntryLabelsSchema = z.looseObject({
  user_id: z.string().nullish(),
  product: z.string().nullish(),
  method: z.string().nullish(),
  request_id: z.string().nullish(),
  client_name: z.string().nullish(),
  client_version: z.string().nullish(),
});
export type EntryLabels = z.infer<typeof EntryLabelsSchema>;
export type MonitoredResource = z.infer<typeof MonitoredResourceSchema>;

/**
 * The Cloud Logging LogEntry envelope, as `gcloud logging read --format=json`, the Logging API and
 * a log sink to Pub/Sub write it. Loose: unknown keys (httpRequest, trace, ...) are kept.
 * Timestamps stay strings here; normalization parses them (they may carry nanoseconds).
 * `jsonPayload` is validated by the payload schema of its log (request-log, response-log,
 * metadata-log), so it is only required to be an object here.
 */
export const LogEntrySchema = z.looseObject({
  logName: z.string().min(1),
  timestamp: z.string(),
  receiveTimestamp: z.string().nullish(),
  insertId: z.string().nullish(),
  severity: z.string().nullish(),
  resource: MonitoredResourceSchema.nullish(),
  labels: EntryLabelsSchema.nullish(),
  jsonPayload: z.looseObject({ '@type': z.unknown().optional() }).nullish(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** The three logs Gemini writes, by the last segment of `logName`. */
export const GEMINI_LOGS = ['request', 'response', 'metadata'] as const;
export type GeminiLog = (typeof GEMINI_LOGS)[number];

/** `@type` of the payload of each log. */
export const PAYLOAD_TYPES: Record<GeminiLog, string> = {
  request: 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.RequestLog',
  response: 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.ResponseLog',
  metadata: 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.MetadataLog',
};
