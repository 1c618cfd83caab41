/**
 * Builders of Gemini for Google Cloud log entries for tests: a realistic base per log (shaped
 * like the spec's samples) and overrides merged deeply, where `undefined` deletes a key.
 *
 *   makeEntry({ log: 'metadata', labels: { request_id: undefined } })
 *   makeMetadataEntry('chatAcceptance', { linesCount: '15', is_agentic: true })
 *   makeRequestEntry({ jsonPayload: { taskCompletionRequest: { input: { messages: [...] } } } })
 *
 * Each call gets a fresh insertId (`test-1`, `test-2`, ...), so built entries never collide on
 * their dedup key unless a test says so.
 */

export type JsonObject = { [key: string]: unknown };
export type GeminiLogName = 'request' | 'response' | 'metadata';

export const PROJECT_ID = 'my-project-id';
export const USER_ID = 'user@company.com';
// Spelled out, not imported: fixtures state the wire format independently of the code under test.
export const RESOURCE_TYPE = 'cloudaicompanion.googleapis.com/Instance';
export const PAYLOAD_TYPE: Record<GeminiLogName, string> = {
  request: 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.RequestLog',
  response: 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.ResponseLog',
  metadata: 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.MetadataLog',
};

let counter = 0;

/** Restarts the insertId counter (for tests that compare built entries across runs). */
export function resetEntryCounter(): void {
  counter = 0;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, anything else replaces, `undefined` deletes. */
export function mergeDeep(base: JsonObject, overrides: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergeDeep(out[k] as JsonObject, v);
    else out[k] = v;
  }
  return out;
}

export function logNameOf(log: GeminiLogName, projectId = PROJECT_ID): string {
  return `projects/${projectId}/logs/cloudaicompanion.googleapis.com%2F${log}`;
}

function basePayload(log: GeminiLogName): JsonObject {
  switch (log) {
    case 'request':
      return {
        '@type': PAYLOAD_TYPE.request,
        taskCompletionRequest: {
          input: { messages: [{ author: 'USER', content: 'Write a unit test' }], preamble: '' },
        },
      };
    case 'response':
      return {
        '@type': PAYLOAD_TYPE.response,
        taskCompletionResponse: {
          output: { messages: [{ author: 'MODEL', content: 'Here is a test.' }] },
        },
      };
    case 'metadata':
      return {
        '@type': PAYLOAD_TYPE.metadata,
        clientName: 'CloudCodeVscode',
        clientVersion: '1.93.1',
        requestId: 'event-0001',
        codeExposure: { originalRequestId: 'suggestion-0001', programmingLanguage: 'python' },
      };
  }
}

/**
 * A log entry of `log` (default `metadata`, a codeExposure) with `overrides` merged deeply.
 * Request and response entries carry `labels.request_id`; metadata entries do not (as in
 * production, where the id is `jsonPayload.requestId`).
 */
export function makeEntry(overrides: JsonObject & { log?: GeminiLogName } = {}): JsonObject {
  const { log = 'metadata', ...rest } = overrides;
  counter++;
  const labels: JsonObject = {
    product: 'code_assist',
    user_id: USER_ID,
    method: log === 'metadata' ? 'Export.Metrics' : 'CompleteTask',
  };
  if (log !== 'metadata') {
    labels.request_id = 'req-0001';
    labels.client_name = 'cloudcode_cli';
    labels.client_version = 'unknown';
  }
  const base: JsonObject = {
    insertId: `test-${counter}`,
    jsonPayload: basePayload(log),
    resource: {
      type: RESOURCE_TYPE,
      labels: { resource_container: PROJECT_ID, instance_id: 'default', location: 'global' },
    },
    timestamp: '2025-10-08T10:09:52.225165428Z',
    severity: 'INFO',
    labels,
    logName: logNameOf(log),
    receiveTimestamp: '2025-10-08T10:09:52.581787548Z',
  };
  return mergeDeep(base, rest);
}

/** A request entry; `overrides` as for makeEntry. */
export function makeRequestEntry(overrides: JsonObject = {}): JsonObject {
  return makeEntry({ ...overrides, log: 'request' });
}

/** A response entry whose output messages are `contents` (MODEL messages). */
export function makeResponseEntry(contents: string[], overrides: JsonObject = {}): JsonObject {
  const messages = contents.map((content) => ({ author: 'MODEL', content }));
  const entry = makeEntry({ ...overrides, log: 'response' });
  const payload = entry.jsonPayload as JsonObject;
  payload.taskCompletionResponse = { output: { messages } };
  return mergeDeep(
    entry,
    isObject(overrides.jsonPayload) ? { jsonPayload: overrides.jsonPayload } : {},
  );
}

/** The metadata event kinds of the spec. */
export type MetadataEventKey =
  'codeExposure' | 'codeAcceptance' | 'chatExposure' | 'chatAcceptance' | 'apiRequest';

/**
 * A metadata entry holding exactly one event `key` with `fields` (no default codeExposure);
 * `key` may be any string, for unknown future kinds.
 */
export function makeMetadataEntry(
  key: MetadataEventKey | (string & {}),
  fields: JsonObject = {},
  overrides: JsonObject = {},
): JsonObject {
  const entry = makeEntry({ ...overrides, log: 'metadata' });
  const payload = { ...(entry.jsonPayload as JsonObject) };
  delete payload.codeExposure;
  payload[key] = fields;
  entry.jsonPayload = isObject(overrides.jsonPayload)
    ? mergeDeep(payload, overrides.jsonPayload)
    : payload;
  return entry;
}

/** The entry as one line of JSON text (what readers and Pub/Sub deliver). */
export function entryText(entry: unknown): string {
  return JSON.stringify(entry);
}

/**
 * One interaction of `user` at 10:00 UTC on `day`: a request, an exposure of a go suggestion and
 * its acceptance (4 lines), with ids derived from user and day.
 */
export function interactionEntries(user: string, day: string): JsonObject[] {
  const timestamp = `${day}T10:00:00Z`;
  const id = `${user}-${day}`;
  return [
    makeRequestEntry({ timestamp, labels: { user_id: user, request_id: `r-${id}` } }),
    makeMetadataEntry(
      'codeExposure',
      { originalRequestId: `s-${id}`, programmingLanguage: 'go' },
      { timestamp, labels: { user_id: user } },
    ),
    makeMetadataEntry(
      'codeAcceptance',
      { originalRequestId: `s-${id}`, programmingLanguage: 'go', linesCount: 4 },
      { timestamp, labels: { user_id: user } },
    ),
  ];
}
