import { z } from 'zod';
import type { MetadataEventType } from '../tables/registry';
import { Int64Schema, WireBoolSchema } from './scalars';

/**
 * The fields any metadata event may carry. One schema for all kinds, loose, so a field moving
 * from one kind to another (or a new kind) is still read. `is_agentic` and `isAgentic` both occur.
 *
 * Field lists mirror the spec, one line a field: the log schemas look alike by shape only.
 */
export const MetadataEventBodySchema = z.looseObject({
  originalRequestId: z.string().nullish(),
  programmingLanguage: z.string().nullish(),
  linesCount: Int64Schema.nullish(),
  commentLinesCount: Int64Schema.nullish(),
  interactionType: z.string().nullish(),
  is_agentic: WireBoolSchema.nullish(),
  isAgentic: WireBoolSchema.nullish(),
});
export type MetadataEventBody = z.infer<typeof MetadataEventBodySchema>;

/** The known event kinds, keyed by their payload field, in the order they are looked for. */
export const METADATA_EVENT_KINDS = {
  codeExposure: 'code_exposure',
  codeAcceptance: 'code_acceptance',
  chatExposure: 'chat_exposure',
  chatAcceptance: 'chat_acceptance',
  apiRequest: 'api_request',
} as const satisfies Record<string, MetadataEventType>;
export type MetadataEventKey = keyof typeof METADATA_EVENT_KINDS;

/** Payload keys that are not an event kind: the envelope of every metadata payload. */
export const METADATA_COMMON_KEYS = ['@type', 'clientName', 'clientVersion', 'requestId'] as const;

/**
 * `jsonPayload` of a metadata log entry (`@type` ...logging.v1.MetadataLog): one event
 * (codeExposure, codeAcceptance, chatExposure, chatAcceptance, apiRequest, or a kind not known
 * yet, kept in the loose rest) plus the client and the event's own id (`requestId`).
 */
export const MetadataLogSchema = z.looseObject({
  '@type': z.string().nullish(),
  clientName: z.string().nullish(),
  clientVersion: z.string().nullish(),
  requestId: z.string().nullish(),
  codeExposure: MetadataEventBodySchema.nullish(),
  codeAcceptance: MetadataEventBodySchema.nullish(),
  chatExposure: MetadataEventBodySchema.nullish(),
  chatAcceptance: MetadataEventBodySchema.nullish(),
  apiRequest: MetadataEventBodySchema.nullish(),
});
export type MetadataLog = z.infer<typeof MetadataLogSchema>;
