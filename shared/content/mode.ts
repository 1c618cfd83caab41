/** What of prompts and responses is stored. See docs and issue #6. */
export const CONTENT_MODES = ['full', 'scrubbed', 'metadata-only'] as const;
export type ContentMode = (typeof CONTENT_MODES)[number];
/** Scrubbed by default: text is kept for debugging, with secrets replaced by [FILTERED]. */
export const DEFAULT_CONTENT_MODE: ContentMode = 'scrubbed';
