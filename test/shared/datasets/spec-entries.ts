/**
 * The spec's samples (test/fixtures/spec) as one JSON Lines export for the datasets and show
 * tests: the chat request, the code completion with file context, the two agent turns (tool
 * calls, then tool results), their api_request metadata, a chat exposure and acceptance pointed
 * at the first agent turn (originalRequestId = its request_id), so it has an accepted suggestion,
 * and a code exposure (python) of the completion, never accepted.
 * The chat and completion samples share one request_id and insertId in the spec: the completion
 * gets its own here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SPEC = join(__dirname, '..', '..', 'fixtures', 'spec');

type Json = Record<string, unknown>;

export function spec(name: string): Json {
  return JSON.parse(readFileSync(join(SPEC, `${name}.json`), 'utf8')) as Json;
}

export const CHAT_ID = '4ea1e265-ea5d-4d11-b3c8-39bad9c96326';
export const COMPLETION_ID = 'c0mp1e7e-0000-4000-8000-000000000001';
export const AGENT1_ID = 'e60facb1485b17b7';
export const AGENT2_ID = '4b66a582bad9cf2c';

function relabel(entry: Json, requestId: string, insertId: string): Json {
  const labels = { ...(entry.labels as Json), request_id: requestId };
  return { ...entry, labels, insertId };
}

function pointAt(entry: Json, key: string, originalRequestId: string, timestamp: string): Json {
  const payload = entry.jsonPayload as Json;
  return {
    ...entry,
    timestamp,
    jsonPayload: { ...payload, [key]: { ...(payload[key] as Json), originalRequestId } },
  };
}

/** Every entry, one JSON object per line. */
export function specExportLines(): string {
  const entries = [
    spec('request-chat'),
    relabel(spec('request-code-completion'), COMPLETION_ID, 'completion-1'),
    spec('agent1-request'),
    spec('agent1-response'),
    spec('agent1-metadata'),
    spec('agent2-request'),
    spec('agent2-response'),
    spec('agent2-metadata'),
    pointAt(spec('metadata-chat-exposure'), 'chatExposure', AGENT1_ID, '2025-10-08T10:09:53Z'),
    pointAt(spec('metadata-chat-acceptance'), 'chatAcceptance', AGENT1_ID, '2025-10-08T10:10:30Z'),
    // The completion was shown, never accepted.
    pointAt(spec('metadata-code-exposure'), 'codeExposure', COMPLETION_ID, '2023-11-03T23:27:32Z'),
  ];
  return entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
