/**
 * Every sample of the spec (seeds/gemini-for-google-cloud-logs.md), made strict JSON under
 * test/fixtures/spec/, normalized to the row written out here by hand from the spec.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeEntry, normalizeText } from '../../../shared/normalize/normalize';
import type { NormalizeContext, NormalizeOutcome } from '../../../shared/normalize/outcome';

const FIXTURES = join(__dirname, '../../fixtures/spec');
const ctx: NormalizeContext = { ingestTime: '2026-03-04T05:06:07.089Z', contentMode: 'full' };
const INGEST = '2026-03-04T05:06:07.089000Z';

type Fixture = {
  logName: string;
  timestamp: string;
  insertId: string;
  jsonPayload: {
    taskCompletionResponse?: { output: { messages: { content: string }[] } };
    taskCompletionRequest?: { input: { messages: { content: string }[] } };
  };
};

function load(name: string): { text: string; entry: Fixture } {
  const text = readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
  return { text, entry: JSON.parse(text) as Fixture };
}

/** The documented key, computed independently of shared/normalize/entry-key.ts. */
function expectedKey(e: Fixture): string {
  return createHash('sha256')
    .update(`${e.logName}\n${e.timestamp}\n${e.insertId}`)
    .digest('base64url');
}

const REQUEST_LOG = 'projects/my-project-id/logs/cloudaicompanion.googleapis.com%2Frequest';
const RESPONSE_LOG = 'projects/my-project-id/logs/cloudaicompanion.googleapis.com%2Fresponse';
const METADATA_LOG = 'projects/my-project-id/logs/cloudaicompanion.googleapis.com%2Fmetadata';
const RESOURCE = { project_id: 'my-project-id', location: 'global', instance_id: 'default' };

/**
 * Expected rows without entry_key and payload (checked for every fixture below). Each row is
 * written out whole, field by field from its spec sample, so it can be checked against the
 * sample on its own; rows of entries of one interaction share their labels, and so repeat them.
 */
const EXPECTED: Record<string, { kind: NormalizeOutcome['kind']; row: Record<string, unknown> }> = {
  'request-chat': {
    kind: 'request',
    row: {
      log_name: REQUEST_LOG,
      insert_id: '654581e30003b19e340bbd96',
      event_timestamp: '2023-11-03T23:27:31.242078Z',
      receive_timestamp: '2023-11-03T23:27:31.255648Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: null,
      client_name: null,
      client_version: null,
      request_id: '4ea1e265-ea5d-4d11-b3c8-39bad9c96326',
      request_kind: 'task_completion',
      prompt_text: 'What are some best practices to save cost on my Google Cloud bill?',
      preamble: '',
      message_count: 1,
      prompt_chars: 66,
      context_files: [],
      tool_results: [],
      content_mode: 'full',
    },
  },
  'request-code-completion': {
    kind: 'request',
    row: {
      log_name: REQUEST_LOG,
      insert_id: '654581e30003b19e340bbd96',
      event_timestamp: '2023-11-03T23:27:31.242078Z',
      receive_timestamp: '2023-11-03T23:27:31.255648Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: null,
      client_name: null,
      client_version: null,
      request_id: '4ea1e265-ea5d-4d11-b3c8-39bad9c96326',
      request_kind: 'code_completion',
      prompt_text: null,
      preamble: null,
      message_count: 0,
      // "...Prefix Text..." (17) + "...Suffix Text..." (17) + "...File Text..." (15)
      prompt_chars: 49,
      context_files: [
        {
          path: '{/path/to/../current-file.go',
          extension: 'go',
          language: 'go',
          states: ['EDITED'],
          chars: 34,
        },
        {
          path: '/path/to/../recent-file.go',
          extension: 'go',
          language: 'go',
          states: ['RECENTLY_OPENED'],
          chars: 15,
        },
      ],
      tool_results: [],
      content_mode: 'full',
    },
  },
  // The labels of the agent samples: the same in every entry of an interaction (see above).
  'agent1-request': {
    kind: 'request',
    row: {
      log_name: REQUEST_LOG,
      insert_id: 'qe9xxub2r',
      event_timestamp: '2025-10-08T10:09:52.225165Z',
      receive_timestamp: '2025-10-08T10:09:52.581787Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'CompleteTask',
      client_name: 'cloudcode_cli',
      client_version: 'unknown',
      request_id: 'e60facb1485b17b7',
      request_kind: 'task_completion',
      prompt_text:
        'hi can you add one test here\nCurrent File Path:\n```cpp\n/usr/local/google/home/pdec/test.cpp\n```\n\n',
      preamble: '',
      message_count: 1,
      prompt_chars: 97,
      context_files: [],
      tool_results: [],
      content_mode: 'full',
    },
  },
  'agent1-response': {
    kind: 'response',
    row: {
      log_name: RESPONSE_LOG,
      insert_id: 'qe9xxub2t',
      event_timestamp: '2025-10-08T10:09:52.227354Z',
      receive_timestamp: '2025-10-08T10:09:52.581787Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'CompleteTask',
      client_name: 'cloudcode_cli',
      client_version: 'unknown',
      request_id: 'e60facb1485b17b7',
      response_kind: 'task_completion',
      message_count: 4,
      // 206 + 264 + 80 + 67 characters.
      response_chars: 617,
      tool_calls: [
        {
          name: 'read_file',
          arguments: '{"absolute_path":"/usr/local/google/home/pdec/test.cpp"}',
        },
      ],
      attribution: null,
      content_mode: 'full',
    },
  },
  'agent1-metadata': {
    kind: 'metadata',
    row: {
      log_name: METADATA_LOG,
      insert_id: 'qe9xxub2s',
      event_timestamp: '2025-10-08T10:09:52.226420Z',
      receive_timestamp: '2025-10-08T10:09:52.581787Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'CompleteTask',
      client_name: 'cloudcode_cli',
      client_version: 'unknown',
      request_id: 'e60facb1485b17b7',
      event_id: 'e60facb1485b17b7',
      event_type: 'api_request',
      original_request_id: null,
      programming_language: null,
      lines_count: null,
      comment_lines_count: null,
      interaction_type: null,
      is_agentic: null,
    },
  },
  'agent2-request': {
    kind: 'request',
    row: {
      log_name: REQUEST_LOG,
      insert_id: '4qvt8nb2k',
      event_timestamp: '2025-10-08T10:10:03.457717Z',
      receive_timestamp: '2025-10-08T10:10:03.606059Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'CompleteTask',
      client_name: 'cloudcode_cli',
      client_version: 'unknown',
      request_id: '4b66a582bad9cf2c',
      request_kind: 'task_completion',
      // The only message is a tool result: no prompt text, one tool result.
      prompt_text: null,
      preamble: '',
      message_count: 1,
      prompt_chars: 4165,
      context_files: [],
      // 4165 - 'FunctionResponse{name: read_file, response: '.length (44) - the closing brace.
      tool_results: [{ name: 'read_file', chars: 4120 }],
      content_mode: 'full',
    },
  },
  'agent2-response': {
    kind: 'response',
    row: {
      log_name: RESPONSE_LOG,
      insert_id: '4qvt8nb2m',
      event_timestamp: '2025-10-08T10:10:03.461137Z',
      receive_timestamp: '2025-10-08T10:10:03.606059Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'CompleteTask',
      client_name: 'cloudcode_cli',
      client_version: 'unknown',
      request_id: '4b66a582bad9cf2c',
      response_kind: 'task_completion',
      message_count: 5,
      response_chars: 1938,
      attribution: null,
      content_mode: 'full',
    },
  },
  'agent2-metadata': {
    kind: 'metadata',
    row: {
      log_name: METADATA_LOG,
      insert_id: '4qvt8nb2l',
      event_timestamp: '2025-10-08T10:10:03.459902Z',
      receive_timestamp: '2025-10-08T10:10:03.606059Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'CompleteTask',
      client_name: 'cloudcode_cli',
      client_version: 'unknown',
      request_id: '4b66a582bad9cf2c',
      event_id: '4b66a582bad9cf2c',
      event_type: 'api_request',
      original_request_id: null,
      programming_language: null,
      lines_count: null,
      comment_lines_count: null,
      interaction_type: null,
      is_agentic: null,
    },
  },
  'metadata-code-exposure': {
    kind: 'metadata',
    row: {
      log_name: METADATA_LOG,
      insert_id: 'whfrqgc1gj',
      event_timestamp: '2025-02-03T23:34:35.021564Z',
      receive_timestamp: '2025-02-03T23:34:35.662837Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'Export.Metrics',
      client_name: 'CloudCodeVscode',
      client_version: '1.93.1',
      request_id: '0c5178fe-446f-4ab6-b996-520dec100cf8',
      event_id: '0c5178fe-446f-4ab6-b996-520dec100cf8',
      event_type: 'code_exposure',
      original_request_id: 'cac019824a0b25ba',
      programming_language: 'python',
      lines_count: null,
      comment_lines_count: null,
      interaction_type: null,
      is_agentic: null,
    },
  },
  'metadata-code-acceptance': {
    kind: 'metadata',
    row: {
      log_name: METADATA_LOG,
      insert_id: 'whfrqgc1gk',
      event_timestamp: '2025-02-03T23:34:36.778692Z',
      receive_timestamp: '2025-02-03T23:34:37.632662Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'Export.Metrics',
      client_name: 'CloudCodeVscode',
      client_version: '1.93.1',
      request_id: 'ddf11040-c315-452e-b7cd-928c3f97984e',
      event_id: 'ddf11040-c315-452e-b7cd-928c3f97984e',
      event_type: 'code_acceptance',
      original_request_id: 'cac019824a0b25ba',
      programming_language: 'python',
      lines_count: 2,
      comment_lines_count: null,
      interaction_type: null,
      is_agentic: null,
    },
  },
  'metadata-chat-acceptance': {
    kind: 'metadata',
    row: {
      log_name: METADATA_LOG,
      insert_id: '1oru1grbow',
      event_timestamp: '2025-08-25T09:34:01.240377Z',
      receive_timestamp: '2025-08-25T09:34:01.704925Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'Export.Metrics',
      client_name: 'CloudCodeVscode',
      client_version: '1.103.2',
      request_id: '32a0b0b8c967d8e8',
      event_id: '32a0b0b8c967d8e8',
      event_type: 'chat_acceptance',
      original_request_id: '75f7c41e63162567',
      programming_language: 'go',
      // Sent as the string "15".
      lines_count: 15,
      comment_lines_count: null,
      interaction_type: 'ACCEPT_CODE_BLOCK',
      is_agentic: null,
    },
  },
  'metadata-chat-exposure': {
    kind: 'metadata',
    row: {
      log_name: METADATA_LOG,
      insert_id: '3diaj2c208',
      event_timestamp: '2025-02-03T23:34:35.021564Z',
      receive_timestamp: '2025-02-03T23:34:35.662837Z',
      ingest_time: INGEST,
      ...RESOURCE,
      user_id: 'user@company.com',
      product: 'code_assist',
      method: 'Export.Metrics',
      client_name: 'CloudCodeVscode',
      client_version: '1.93.1',
      request_id: '0c5178fe-446f-4ab6-b996-520dec100cf8',
      event_id: '0c5178fe-446f-4ab6-b996-520dec100cf8',
      event_type: 'chat_exposure',
      original_request_id: 'cac019824a0b25ba',
      programming_language: null,
      lines_count: null,
      comment_lines_count: null,
      interaction_type: null,
      is_agentic: null,
    },
  },
};

describe('spec samples', () => {
  it.each(Object.keys(EXPECTED))('%s normalizes to its expected row', (name) => {
    const { text, entry } = load(name);
    const expected = EXPECTED[name];
    for (const outcome of [normalizeText(text, ctx), normalizeEntry(entry, ctx)]) {
      expect(outcome.kind).toBe(expected?.kind);
      if (!('row' in outcome)) throw new Error(`not a row: ${JSON.stringify(outcome)}`);
      const { payload, entry_key, ...rest } = outcome.row;
      expect(entry_key).toBe(expectedKey(entry));
      // The whole payload is kept as received, unknown keys included.
      expect(JSON.parse(payload ?? 'null')).toEqual(entry.jsonPayload);
      const fields = { ...rest } as Record<string, unknown>;
      // Long agent texts are checked against the fixture's own messages below.
      if (name === 'agent1-response' || name === 'agent2-response') delete fields.response_text;
      if (name === 'agent2-response') delete fields.tool_calls;
      expect(fields).toEqual(expected?.row);
    }
  });

  it('keeps the agent response prose apart from its tool call', () => {
    for (const name of ['agent1-response', 'agent2-response']) {
      const { text, entry } = load(name);
      const messages = entry.jsonPayload.taskCompletionResponse?.output.messages ?? [];
      const outcome = normalizeText(text, ctx);
      if (outcome.kind !== 'response') throw new Error(outcome.kind);
      const prose = messages.slice(0, -1).map((m) => m.content);
      expect(outcome.row.response_text).toBe(prose.join('\n\n'));
    }
  });

  it('parses the replace tool call of the second agent response', () => {
    const { text } = load('agent2-response');
    const outcome = normalizeText(text, ctx);
    if (outcome.kind !== 'response') throw new Error(outcome.kind);
    expect(outcome.row.tool_calls).toHaveLength(1);
    const call = outcome.row.tool_calls[0];
    expect(call?.name).toBe('replace');
    const args = JSON.parse(call?.arguments ?? '{}') as Record<string, string>;
    expect(Object.keys(args)).toEqual(['file_path', 'instruction', 'new_string', 'old_string']);
    expect(args.file_path).toBe('/usr/local/google/home/pdec/test.cpp');
    expect(args.new_string).toContain('// Test lcm with 12 and 18');
  });
});
