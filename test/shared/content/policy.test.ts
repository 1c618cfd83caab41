import fc from 'fast-check';
import {
  applyContentPolicy,
  contentColumnPaths,
  skeletonizeJson,
} from '../../../shared/content/policy';
import { CONTENT_MODES } from '../../../shared/content/mode';
import type {
  MetadataEventRow,
  QuarantineRow,
  RequestRow,
  ResponseRow,
} from '../../../shared/tables/registry';

const GITHUB_TOKEN = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const AWS_KEY = 'AKIA' + 'IOSFODNN7EXAMPLE';

// Spec rows (the agent sample's labels, as in spec-fixtures.test.ts), written out so each
// test reads its input.
const entry = {
  entry_key: 'k1',
  log_name: 'projects/p/logs/cloudaicompanion.googleapis.com%2Frequest',
  insert_id: 'i1',
  event_timestamp: '2025-10-08T10:09:52.225165Z',
  receive_timestamp: '2025-10-08T10:09:52.581787Z',
  ingest_time: '2025-10-08T10:10:00.000000Z',
  project_id: 'my-project-id',
  location: 'global',
  instance_id: 'default',
  user_id: 'user@company.com',
  product: 'code_assist',
  method: 'CompleteTask',
  client_name: 'cloudcode_cli',
  client_version: 'unknown',
  request_id: 'e60facb1485b17b7',
};

const prompt = `deploy with token ${GITHUB_TOKEN} please`;
const requestPayload = {
  '@type': 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.RequestLog',
  taskCompletionRequest: {
    input: {
      messages: [{ author: 'USER', content: prompt }],
      preamble: '',
    },
  },
  codeCompletionRequest: {
    input_data_context: {
      additional_context: {
        files: [
          {
            language: 'go',
            path: '/home/dev/secret-project/main.go',
            segments: [{ content: `const key = "${AWS_KEY}"\nlinesCount := 15` }],
            state: ['EDITED'],
          },
        ],
      },
    },
  },
};

function requestRow(): RequestRow {
  return {
    ...entry,
    request_kind: 'task_completion',
    prompt_text: prompt,
    preamble: 'password = "hunter2"',
    message_count: 1,
    prompt_chars: prompt.length,
    context_files: [
      {
        path: '/home/dev/secret-project/main.go',
        extension: 'go',
        language: 'go',
        states: ['EDITED'],
        chars: 40,
      },
    ],
    tool_results: [{ name: 'read_file', chars: 120 }],
    payload: JSON.stringify(requestPayload),
    content_mode: 'full',
  };
}

function responseRow(): ResponseRow {
  return {
    ...entry,
    response_kind: 'task_completion',
    response_text: `Use AWS key ${AWS_KEY}.`,
    message_count: 2,
    response_chars: 200,
    tool_calls: [
      {
        name: 'replace',
        arguments: JSON.stringify({
          file_path: '/home/dev/app/.env',
          new_string: `API_TOKEN=${GITHUB_TOKEN}\n`,
          old_string: 'API_TOKEN=\n',
        }),
      },
      { name: 'read_file', arguments: null },
    ],
    attribution: null,
    payload: JSON.stringify({
      taskCompletionResponse: { output: { messages: [{ author: 'MODEL', content: AWS_KEY }] } },
    }),
    content_mode: 'full',
  };
}

function metadataRow(): MetadataEventRow {
  return {
    ...entry,
    event_id: 'ddf11040',
    event_type: 'chat_acceptance',
    original_request_id: '75f7c41e63162567',
    programming_language: 'go',
    lines_count: 15,
    comment_lines_count: null,
    interaction_type: 'ACCEPT_CODE_BLOCK',
    is_agentic: false,
    // Expected again, field by field, by the metadata-only test below.
    payload: JSON.stringify({
      '@type': 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.MetadataLog',
      clientName: 'CloudCodeVscode',
      clientVersion: '1.103.2',
      requestId: '32a0b0b8c967d8e8',
      chatAcceptance: {
        interactionType: 'ACCEPT_CODE_BLOCK',
        programmingLanguage: 'go',
        linesCount: '15',
        originalRequestId: '75f7c41e63162567',
        newFreeTextField: 'some text the user typed',
      },
    }),
  };
}

function quarantineRow(): QuarantineRow {
  return {
    quarantine_id: 'q1',
    quarantine_time: '2025-10-08T10:10:00.000000Z',
    source: 'pubsub',
    message_id: 'm1',
    insert_id: null,
    reason: 'invalid_json',
    detail: 'Unexpected token',
    raw: `{"jsonPayload": {"content": "my key ${AWS_KEY}"`,
    raw_bytes: 2048,
  };
}

/** Every string anywhere in a value (JSON text parsed), for "no content anywhere" checks. */
function allText(value: unknown): string {
  return JSON.stringify(value);
}

describe('applyContentPolicy', () => {
  it('takes the content columns from the registry flags', () => {
    expect(contentColumnPaths('requests')).toEqual([
      'prompt_text',
      'preamble',
      'context_files.path',
      'payload',
    ]);
    expect(contentColumnPaths('responses')).toEqual([
      'response_text',
      'tool_calls.arguments',
      'payload',
    ]);
    expect(contentColumnPaths('metadata_events')).toEqual(['payload']);
    expect(contentColumnPaths('quarantine')).toEqual(['raw']);
  });

  it.each(CONTENT_MODES)(
    '%s: returns a new row, leaves the input alone, sets content_mode',
    (mode) => {
      const row = requestRow();
      const before = JSON.stringify(row);
      const out = applyContentPolicy('requests', row, mode);
      expect(JSON.stringify(row)).toBe(before);
      expect(out).not.toBe(row);
      expect(out.content_mode).toBe(mode);
      expect(applyContentPolicy('responses', responseRow(), mode).content_mode).toBe(mode);
      expect('content_mode' in applyContentPolicy('metadata_events', metadataRow(), mode)).toBe(
        false,
      );
    },
  );

  it('full keeps every value', () => {
    const row = requestRow();
    expect(applyContentPolicy('requests', row, 'full')).toEqual({ ...row, content_mode: 'full' });
    const q = quarantineRow();
    expect(applyContentPolicy('quarantine', q, 'full')).toEqual(q);
  });

  it('scrubbed filters secrets in every content column and keeps JSON valid', () => {
    const req = applyContentPolicy('requests', requestRow(), 'scrubbed');
    expect(req.prompt_text).toBe('deploy with token [FILTERED] please');
    expect(req.preamble).toBe('password = "[FILTERED]"');
    expect(req.context_files[0]?.path).toBe('/home/dev/secret-project/main.go');
    const payload = JSON.parse(req.payload ?? 'null') as typeof requestPayload;
    expect(payload.taskCompletionRequest.input.messages[0]?.content).toBe(
      'deploy with token [FILTERED] please',
    );
    const seg =
      payload.codeCompletionRequest.input_data_context.additional_context.files[0]?.segments[0];
    expect(seg?.content).toBe('const key = "[FILTERED]"\nlinesCount := 15');

    const res = applyContentPolicy('responses', responseRow(), 'scrubbed');
    expect(res.response_text).toBe('Use AWS key [FILTERED].');
    const args = JSON.parse(res.tool_calls[0]?.arguments ?? 'null') as Record<string, string>;
    expect(args).toEqual({
      file_path: '/home/dev/app/.env',
      new_string: 'API_TOKEN=[FILTERED]\n',
      old_string: 'API_TOKEN=\n',
    });
    expect(res.tool_calls[1]).toEqual({ name: 'read_file', arguments: null });

    const q = applyContentPolicy('quarantine', quarantineRow(), 'scrubbed');
    expect(q.raw).toBe('{"jsonPayload": {"content": "my key [FILTERED]"');
    expect(q.raw_bytes).toBe(2048);

    for (const text of [allText(req), allText(res), allText(q)]) {
      expect(text).not.toContain(GITHUB_TOKEN);
      expect(text).not.toContain(AWS_KEY);
      expect(text).not.toContain('hunter2');
    }
  });

  // JSON escaping changes these inside `payload` (a tab is `\t` there, a quote in a string
  // literal `\\\"`, the newline before the token `\n`): the payload must still be filtered as
  // prompt_text is.
  it.each([
    ['a JSON string literal in code', 'const c = "{\\"password\\": \\"hunter2\\"}";', 'hunter2'],
    ['a tab between key and value', 'api_key:\t"sk-live-abc123"', 'sk-live-abc123'],
    ['a tab after Authorization:', 'Authorization:\tBearer abcdefghijkl', 'abcdefghijkl'],
    ['a token on its own line', `my token:\n${GITHUB_TOKEN}`, GITHUB_TOKEN],
    [
      'a token in a JSON string literal in code',
      `const cfg = "{\\"gh\\": \\"${GITHUB_TOKEN}\\"}";`,
      GITHUB_TOKEN,
    ],
  ])('scrubbed filters the payload as prompt_text when %s', (_name, text, secret) => {
    const row: RequestRow = {
      ...requestRow(),
      prompt_text: text,
      payload: JSON.stringify({
        ...requestPayload,
        taskCompletionRequest: { input: { messages: [{ author: 'USER', content: text }] } },
      }),
    };
    const out = applyContentPolicy('requests', row, 'scrubbed');
    expect(out.prompt_text).not.toContain(secret);
    const payload = JSON.parse(out.payload ?? 'null') as {
      taskCompletionRequest: { input: { messages: { content: string }[] } };
    };
    expect(payload.taskCompletionRequest.input.messages[0]?.content).toBe(out.prompt_text);
    expect(out.payload).not.toContain(secret);
  });

  it('scrubbed scrubs quarantined raw JSON string by string, other raw text as text', () => {
    const entry = { jsonPayload: { content: 'api_key:\t"sk-live-abc123"', other: AWS_KEY } };
    const q = applyContentPolicy(
      'quarantine',
      { ...quarantineRow(), reason: 'invalid_payload', raw: JSON.stringify(entry) },
      'scrubbed',
    );
    expect(JSON.parse(q.raw ?? 'null')).toEqual({
      jsonPayload: { content: 'api_key:\t"[FILTERED]"', other: '[FILTERED]' },
    });
    // Truncated JSON does not parse: scrubbed as text, as before.
    const cut = applyContentPolicy('quarantine', quarantineRow(), 'scrubbed');
    expect(cut.raw).toBe('{"jsonPayload": {"content": "my key [FILTERED]"');
  });

  it('metadata-only stores no text but keeps sizes, kinds, languages, extensions, tool names', () => {
    const req = applyContentPolicy('requests', requestRow(), 'metadata-only');
    expect(req.prompt_text).toBeNull();
    expect(req.preamble).toBeNull();
    expect(req.context_files).toEqual([
      { path: null, extension: 'go', language: 'go', states: ['EDITED'], chars: 40 },
    ]);
    expect(req.tool_results).toEqual([{ name: 'read_file', chars: 120 }]);
    expect(req.prompt_chars).toBe(prompt.length);
    expect(req.request_kind).toBe('task_completion');
    expect(req.user_id).toBe('user@company.com');

    const res = applyContentPolicy('responses', responseRow(), 'metadata-only');
    expect(res.response_text).toBeNull();
    expect(res.tool_calls.map((t) => t.name)).toEqual(['replace', 'read_file']);
    expect(JSON.parse(res.tool_calls[0]?.arguments ?? 'null')).toEqual({
      file_path: '[OMITTED:18]',
      new_string: `[OMITTED:${`API_TOKEN=${GITHUB_TOKEN}\n`.length}]`,
      old_string: '[OMITTED:11]',
    });
    expect(res.response_chars).toBe(200);

    const q = applyContentPolicy('quarantine', quarantineRow(), 'metadata-only');
    expect(q.raw).toBeNull();
    expect(q.reason).toBe('invalid_json');

    for (const text of [allText(req), allText(res), allText(q)]) {
      expect(text).not.toContain('deploy with token');
      expect(text).not.toContain('secret-project');
      expect(text).not.toContain('const key');
      expect(text).not.toContain('.env');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain(AWS_KEY);
    }
    const skeleton = JSON.parse(req.payload ?? 'null') as typeof requestPayload;
    expect(skeleton['@type']).toBe(requestPayload['@type']);
    const file = skeleton.codeCompletionRequest.input_data_context.additional_context.files[0];
    expect(file).toEqual({
      language: 'go',
      path: '[OMITTED:32]',
      segments: [{ content: `[OMITTED:${`const key = "${AWS_KEY}"\nlinesCount := 15`.length}]` }],
      state: ['EDITED'],
    });
  });

  it('metadata-only keeps the metadata payload fields that carry no text', () => {
    const row = metadataRow();
    const out = applyContentPolicy('metadata_events', row, 'metadata-only');
    // The fixture's payload again: every field but the free text must come through as is.
    expect(JSON.parse(out.payload ?? 'null')).toEqual({
      '@type': 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.MetadataLog',
      clientName: 'CloudCodeVscode',
      clientVersion: '1.103.2',
      requestId: '32a0b0b8c967d8e8',
      chatAcceptance: {
        interactionType: 'ACCEPT_CODE_BLOCK',
        programmingLanguage: 'go',
        linesCount: '15',
        originalRequestId: '75f7c41e63162567',
        newFreeTextField: '[OMITTED:24]',
      },
    });
    const { payload: _a, ...rest } = out;
    const { payload: _b, ...restIn } = row;
    expect(rest).toEqual(restIn);
  });

  it('skeletonizes keys that could be content and refuses non-JSON', () => {
    expect(
      JSON.parse(skeletonizeJson('{"/home/u/a.go": {"n": 3}, "ok": [1, true, null]}') ?? ''),
    ).toEqual({
      '[OMITTED_KEY:0]': { n: 3 },
      ok: [1, true, null],
    });
    expect(skeletonizeJson('not json')).toBeNull();
  });
});

/** Every string (object keys included) inside a value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k, ...stringsIn(v)]);
  }
  return [];
}

describe('applyContentPolicy properties', () => {
  it('metadata-only leaves no content string anywhere in a request row', () => {
    // Marked content so it can be searched for; real content is arbitrary text.
    const content = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `<<${s}>>`);
    fc.assert(
      fc.property(content, content, content, content, (prompt, seg, path, extra) => {
        const row: RequestRow = {
          ...requestRow(),
          prompt_text: prompt,
          preamble: extra,
          context_files: [
            { path, extension: 'go', language: 'go', states: ['EDITED'], chars: seg.length },
          ],
          payload: JSON.stringify({
            taskCompletionRequest: { input: { messages: [{ author: 'USER', content: prompt }] } },
            files: [{ path, segments: [{ content: seg }] }],
            [path]: { unknownField: extra },
          }),
        };
        const out = applyContentPolicy('requests', row, 'metadata-only');
        const strings = [
          ...stringsIn({ ...out, payload: null }),
          ...stringsIn(JSON.parse(out.payload ?? 'null')),
        ];
        for (const s of [prompt, seg, path, extra]) {
          expect(strings.filter((x) => x.includes(s))).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('hostile nesting', () => {
  it('neither mode overflows the stack on deeply nested tool arguments', () => {
    const deep = `${'['.repeat(20_000)}"${'AKIA' + 'IOSFODNN7EXAMPLE'}"${']'.repeat(20_000)}`;
    const row: ResponseRow = {
      ...responseRow(),
      tool_calls: [{ name: 'replace', arguments: deep }],
    };
    const skeleton = applyContentPolicy('responses', row, 'metadata-only').tool_calls[0]?.arguments;
    expect(skeleton).toContain('[OMITTED:nested]');
    expect(() => JSON.parse(skeleton ?? '')).not.toThrow();
    const scrubbed = applyContentPolicy('responses', row, 'scrubbed').tool_calls[0]?.arguments;
    expect(scrubbed).not.toContain('IOSFODNN7EXAMPLE');
    expect(() => JSON.parse(scrubbed ?? '')).not.toThrow();
  });
});
