import { z } from 'zod';
import { MessageSchema } from './request-log';

/**
 * `attribution_context`: the source citations of a response (licence, URL, span). Its inner
 * shape is not documented field by field, so it is kept as sent (an object or a list).
 */
export const AttributionContextSchema = z.union([z.looseObject({}), z.array(z.unknown())]);
export type AttributionContext = z.infer<typeof AttributionContextSchema>;

export const ResponseOutputSchema = z.looseObject({
  messages: z.array(MessageSchema).nullish(),
  attribution_context: AttributionContextSchema.nullish(),
  attributionContext: AttributionContextSchema.nullish(),
});
export type ResponseOutput = z.infer<typeof ResponseOutputSchema>;

// Field lists mirror the spec, one line a field: the log schemas look alike by shape only.
/** The body of any of the three response kinds. `output` may also be plain text. */
export const ResponseBodySchema = z.looseObject({
  output: z.union([ResponseOutputSchema, z.string()]).nullish(),
  attribution_context: AttributionContextSchema.nullish(),
  attributionContext: AttributionContextSchema.nullish(),
});
export type ResponseBody = z.infer<typeof ResponseBodySchema>;

export const RESPONSE_KINDS = {
  taskCompletionResponse: 'task_completion',
  codeCompletionResponse: 'code_completion',
  codeGenerationResponse: 'code_generation',
} as const;
export type ResponseKind = (typeof RESPONSE_KINDS)[keyof typeof RESPONSE_KINDS] | 'unknown';

/**
 * `jsonPayload` of a response log entry (`@type` ...logging.v1.ResponseLog): model output
 * messages (agent tool calls among them) and citations. Unknown keys are kept.
 */
export const ResponseLogSchema = z.looseObject({
  '@type': z.string().nullish(),
  taskCompletionResponse: ResponseBodySchema.nullish(),
  codeCompletionResponse: ResponseBodySchema.nullish(),
  codeGenerationResponse: ResponseBodySchema.nullish(),
  attribution_context: AttributionContextSchema.nullish(),
  attributionContext: AttributionContextSchema.nullish(),
});
export type ResponseLog = z.infer<typeof ResponseLogSchema>;
