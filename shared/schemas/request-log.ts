import { z } from 'zod';

/** One message of a conversation: `{author: "USER" | "MODEL" | ..., content}`. */
export const MessageSchema = z.looseObject({
  author: z.string().nullish(),
  content: z.string().nullish(),
});
export type Message = z.infer<typeof MessageSchema>;

export const SegmentSchema = z.looseObject({
  content: z.string().nullish(),
});
export type Segment = z.infer<typeof SegmentSchema>;

/** File states arrive as a list (`["EDITED"]`); a lone string is accepted as a list of one. */
export const FileStatesSchema = z.union([z.array(z.string()), z.string()]);
export type FileStates = z.infer<typeof FileStatesSchema>;

/** A file the IDE sent as context: path, language, text segments (prefix/suffix) and states. */
export const ContextFileSchema = z.looseObject({
  path: z.string().nullish(),
  language: z.string().nullish(),
  segments: z.array(SegmentSchema).nullish(),
  state: FileStatesSchema.nullish(),
  /** Camel-case / plural spellings seen from proto JSON writers. */
  states: FileStatesSchema.nullish(),
});
export type ContextFile = z.infer<typeof ContextFileSchema>;

const AdditionalContextSchema = z.looseObject({
  files: z.array(ContextFileSchema).nullish(),
});

/** `input_data_context`; proto JSON may also write `additionalContext`. */
export const InputDataContextSchema = z.looseObject({
  additional_context: AdditionalContextSchema.nullish(),
  additionalContext: AdditionalContextSchema.nullish(),
});
export type InputDataContext = z.infer<typeof InputDataContextSchema>;

export const RequestInputSchema = z.looseObject({
  messages: z.array(MessageSchema).nullish(),
  preamble: z.string().nullish(),
});
export type RequestInput = z.infer<typeof RequestInputSchema>;

// Field lists mirror the spec, one line a field: the log schemas look alike by shape only.
/** The body of any of the three request kinds: chat input, IDE context, or both. */
export const RequestBodySchema = z.looseObject({
  input: RequestInputSchema.nullish(),
  input_data_context: InputDataContextSchema.nullish(),
  inputDataContext: InputDataContextSchema.nullish(),
});
export type RequestBody = z.infer<typeof RequestBodySchema>;

/** The request kinds, keyed by their payload field. */
export const REQUEST_KINDS = {
  taskCompletionRequest: 'task_completion',
  codeCompletionRequest: 'code_completion',
  codeGenerationRequest: 'code_generation',
} as const;
export type RequestKind = (typeof REQUEST_KINDS)[keyof typeof REQUEST_KINDS] | 'unknown';

/**
 * `jsonPayload` of a request log entry (`@type` ...logging.v1.RequestLog): chat and agent
 * prompts (`taskCompletionRequest`), inline completion (`codeCompletionRequest`) and manual
 * generation (`codeGenerationRequest`) prompts. Unknown keys are kept.
 */
export const RequestLogSchema = z.looseObject({
  '@type': z.string().nullish(),
  taskCompletionRequest: RequestBodySchema.nullish(),
  codeCompletionRequest: RequestBodySchema.nullish(),
  codeGenerationRequest: RequestBodySchema.nullish(),
});
export type RequestLog = z.infer<typeof RequestLogSchema>;
