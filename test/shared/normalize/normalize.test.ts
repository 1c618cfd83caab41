import {
  MAX_ENTRY_BYTES,
  MAX_PAYLOAD_DEPTH,
  classifyLogName,
  extensionOf,
  normalizeEntry,
  normalizeText,
} from '../../../shared/normalize/normalize';
import type { NormalizeContext, NormalizeOutcome } from '../../../shared/normalize/outcome';
import { QUARANTINE_REASONS } from '../../../shared/tables/registry';
import {
  entryText,
  makeEntry,
  makeMetadataEntry,
  makeRequestEntry,
  makeResponseEntry,
  PAYLOAD_TYPE,
  type JsonObject,
} from '../../helpers/entries';

const ctx: NormalizeContext = { ingestTime: '2026-01-01T00:00:00Z', contentMode: 'full' };

function rowOf(outcome: NormalizeOutcome): Record<string, unknown> {
  if (!('row' in outcome)) throw new Error(`expected a row, got ${JSON.stringify(outcome)}`);
  return outcome.row;
}

/** Both entry points agree: the object, and its JSON text. */
function normalizeBoth(entry: unknown): NormalizeOutcome {
  const fromObject = normalizeEntry(entry, ctx);
  const fromText = normalizeText(JSON.stringify(entry), ctx);
  const strip = (o: NormalizeOutcome) =>
    'row' in o ? { ...o, row: { ...o.row, payload: JSON.parse(o.row.payload ?? 'null') } } : o;
  expect(strip(fromText)).toEqual(strip(fromObject));
  return fromObject;
}

describe('drift that is absorbed', () => {
  const cases: [string, JsonObject, Record<string, unknown>][] = [
    [
      'linesCount as a string',
      makeMetadataEntry('chatAcceptance', { originalRequestId: 'a', linesCount: '15' }),
      { event_type: 'chat_acceptance', lines_count: 15 },
    ],
    [
      'linesCount as a number',
      makeMetadataEntry('codeAcceptance', { originalRequestId: 'a', linesCount: 2 }),
      { event_type: 'code_acceptance', lines_count: 2 },
    ],
    [
      'commentLinesCount as a string',
      makeMetadataEntry('codeAcceptance', { linesCount: 4, commentLinesCount: '1' }),
      { lines_count: 4, comment_lines_count: 1 },
    ],
    [
      'is_agentic',
      makeMetadataEntry('chatExposure', { originalRequestId: 'a', is_agentic: true }),
      { event_type: 'chat_exposure', is_agentic: true },
    ],
    [
      'isAgentic',
      makeMetadataEntry('chatAcceptance', { originalRequestId: 'a', isAgentic: true }),
      { is_agentic: true },
    ],
    [
      'isAgentic as the string "false"',
      makeMetadataEntry('chatAcceptance', { isAgentic: 'false' }),
      { is_agentic: false },
    ],
    [
      'request_id label absent on metadata: jsonPayload.requestId',
      makeMetadataEntry('apiRequest', {}, { jsonPayload: { requestId: 'abc' } }),
      { event_type: 'api_request', request_id: 'abc', event_id: 'abc' },
    ],
    [
      'no labels at all',
      makeEntry({ log: 'metadata', labels: undefined }),
      { user_id: null, product: null, method: null, client_name: 'CloudCodeVscode' },
    ],
    [
      'client name and version only in the payload',
      makeRequestEntry({
        labels: { client_name: undefined, client_version: undefined },
        jsonPayload: { clientName: 'IntelliJ', clientVersion: '1.22.2' },
      }),
      { client_name: 'IntelliJ', client_version: '1.22.2' },
    ],
    [
      'nanoseconds truncated, never rounded to the next day',
      makeEntry({ timestamp: '2025-10-08T23:59:59.999999999Z' }),
      { event_timestamp: '2025-10-08T23:59:59.999999Z' },
    ],
    [
      'a timestamp with an offset',
      makeEntry({ timestamp: '2025-10-09T01:30:00.5+02:00' }),
      { event_timestamp: '2025-10-08T23:30:00.500000Z' },
    ],
    [
      'no receiveTimestamp',
      makeEntry({ receiveTimestamp: undefined }),
      { receive_timestamp: null },
    ],
    [
      'an unknown event kind',
      makeMetadataEntry('suggestionFeedback', { originalRequestId: 's9', rating: 'UP' }),
      { event_type: 'unknown', original_request_id: 's9' },
    ],
    [
      'programming language trimmed and lower-cased',
      makeMetadataEntry('codeExposure', { programmingLanguage: ' Python ' }),
      { programming_language: 'python' },
    ],
    [
      'an empty programming language',
      makeMetadataEntry('codeExposure', { programmingLanguage: '' }),
      { programming_language: null },
    ],
    [
      'an unescaped slash in logName',
      makeEntry({ logName: 'projects/p/logs/cloudaicompanion.googleapis.com/metadata' }),
      {
        event_type: 'code_exposure',
        log_name: 'projects/p/logs/cloudaicompanion.googleapis.com/metadata',
      },
    ],
    [
      'no @type',
      makeEntry({ jsonPayload: { '@type': undefined } }),
      { event_type: 'code_exposure' },
    ],
    [
      'a newer payload version',
      makeEntry({
        jsonPayload: {
          '@type': 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v2.MetadataLog',
        },
      }),
      { event_type: 'code_exposure' },
    ],
    [
      'file state as a lone string, camel-case context keys',
      makeRequestEntry({
        jsonPayload: {
          taskCompletionRequest: undefined,
          codeGenerationRequest: {
            inputDataContext: {
              additionalContext: {
                files: [
                  {
                    path: 'src/Main.JAVA',
                    language: 'Java',
                    state: 'EDITED',
                    segments: [{ content: 'abc' }],
                  },
                ],
              },
            },
          },
        },
      }),
      {
        request_kind: 'code_generation',
        prompt_chars: 3,
        context_files: [
          {
            path: 'src/Main.JAVA',
            extension: 'java',
            language: 'java',
            states: ['EDITED'],
            chars: 3,
          },
        ],
      },
    ],
    [
      'an unknown request kind',
      makeRequestEntry({
        jsonPayload: {
          taskCompletionRequest: undefined,
          reviewRequest: { input: { messages: [{ content: 'review this' }] } },
        },
      }),
      { request_kind: 'unknown', prompt_text: 'review this', message_count: 1 },
    ],
    [
      'response output as plain text, citations',
      makeResponseEntry([], {
        jsonPayload: {
          taskCompletionResponse: undefined,
          codeCompletionResponse: {
            output: 'return a + b',
            attribution_context: { citations: [{ license: 'mit', uri: 'https://x' }] },
          },
        },
      }),
      {
        response_kind: 'code_completion',
        response_text: 'return a + b',
        message_count: 1,
        response_chars: 12,
        attribution: '{"citations":[{"license":"mit","uri":"https://x"}]}',
      },
    ],
  ];

  it.each(cases)('%s', (_name, entry, expected) => {
    expect(rowOf(normalizeBoth(entry))).toMatchObject(expected);
  });

  it('keeps unknown payload keys in payload', () => {
    const entry = makeMetadataEntry(
      'codeExposure',
      { newField: 1 },
      { jsonPayload: { futureKey: { a: [1] } } },
    );
    const payload = JSON.parse(String(rowOf(normalizeBoth(entry)).payload)) as JsonObject;
    expect(payload.futureKey).toEqual({ a: [1] });
    expect(payload.codeExposure).toMatchObject({ newField: 1 });
  });

  it('stores a pretty-printed payload compact, as from any other input', () => {
    const entry = makeEntry();
    const pretty = rowOf(normalizeText(JSON.stringify(entry, null, 2), ctx));
    const compact = rowOf(normalizeText(JSON.stringify(entry), ctx));
    expect(pretty.payload).toBe(compact.payload);
    expect(pretty.payload).toBe(JSON.stringify(entry.jsonPayload));
  });

  it('stores the payload JSON.parse keeps when a key is repeated', () => {
    const text = entryText(makeEntry()).replace(
      '"jsonPayload":{',
      '"jsonPayload":{"decoy":true},"jsonPayload":{',
    );
    const row = rowOf(normalizeText(text, ctx));
    expect(JSON.parse(String(row.payload))).toEqual((JSON.parse(text) as JsonObject).jsonPayload);
  });

  it('recognises tool results and tool calls among ordinary messages', () => {
    const request = makeRequestEntry({
      jsonPayload: {
        taskCompletionRequest: {
          input: {
            messages: [
              { author: 'USER', content: 'fix the bug' },
              {
                author: 'USER',
                content: 'FunctionResponse{name: read_file, response: {"output":"x"}}',
              },
            ],
          },
        },
      },
    });
    expect(rowOf(normalizeBoth(request))).toMatchObject({
      prompt_text: 'fix the bug',
      tool_results: [{ name: 'read_file', chars: 14 }],
      message_count: 2,
      prompt_chars: 11 + 59,
    });
    const response = makeResponseEntry([
      'I will read it.',
      'read_file({"absolute_path":"/a/b.go"})',
      'Calling read_file({"absolute_path":"/a/b.go"}) now', // prose mentioning a call
      'replace({"file_path":"/a/b.go","old_string":"a)","new_string":"b("})',
      'broken({"a":)', // not JSON: text
    ]);
    const row = rowOf(normalizeBoth(response));
    expect(row.tool_calls).toEqual([
      { name: 'read_file', arguments: '{"absolute_path":"/a/b.go"}' },
      { name: 'replace', arguments: '{"file_path":"/a/b.go","old_string":"a)","new_string":"b("}' },
    ]);
    expect(row.response_text).toBe(
      'I will read it.\n\nCalling read_file({"absolute_path":"/a/b.go"}) now\n\nbroken({"a":)',
    );
  });
});

describe('entries that are skipped or quarantined', () => {
  const cases: [string, unknown, NormalizeOutcome['kind'], string, string][] = [
    ['null', null, 'quarantined', 'not_an_object', 'null'],
    ['an array', [makeEntry()], 'quarantined', 'not_an_object', 'array'],
    ['a number', 42, 'quarantined', 'not_an_object', 'number'],
    ['a string', 'entry', 'quarantined', 'not_an_object', 'string'],
    [
      'another resource type',
      makeEntry({ resource: { type: 'gce_instance' } }),
      'skipped',
      'foreign_resource',
      'gce_instance',
    ],
    ['no logName', makeEntry({ logName: undefined }), 'quarantined', 'invalid_envelope', 'logName'],
    [
      'labels not an object',
      makeEntry({ labels: 'x' }),
      'quarantined',
      'invalid_envelope',
      'labels',
    ],
    [
      'a label that is a number',
      makeEntry({ labels: { user_id: 7 } }),
      'quarantined',
      'invalid_envelope',
      'labels.user_id',
    ],
    [
      'a timestamp in words',
      makeEntry({ timestamp: 'yesterday' }),
      'quarantined',
      'invalid_timestamp',
      'timestamp',
    ],
    [
      'a numeric timestamp',
      makeEntry({ timestamp: 1700000000 }),
      'quarantined',
      'invalid_timestamp',
      'timestamp',
    ],
    [
      'February 30th',
      makeEntry({ timestamp: '2025-02-30T00:00:00Z' }),
      'quarantined',
      'invalid_timestamp',
      'timestamp',
    ],
    [
      'a bad receiveTimestamp',
      makeEntry({ receiveTimestamp: '2025-10-08' }),
      'quarantined',
      'invalid_timestamp',
      'receiveTimestamp',
    ],
    [
      'another log',
      makeEntry({ logName: 'projects/p/logs/syslog' }),
      'quarantined',
      'unknown_log',
      'syslog',
    ],
    [
      'a payload type of another log',
      makeEntry({ jsonPayload: { '@type': PAYLOAD_TYPE.response } }),
      'quarantined',
      'type_mismatch',
      'ResponseLog',
    ],
    [
      'a foreign payload type',
      makeEntry({ jsonPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog' } }),
      'quarantined',
      'type_mismatch',
      'AuditLog',
    ],
    [
      'a text payload',
      makeEntry({ jsonPayload: undefined, textPayload: 'hello' }),
      'quarantined',
      'invalid_payload',
      'jsonPayload',
    ],
    [
      'linesCount in words',
      makeMetadataEntry('codeAcceptance', { linesCount: 'many' }),
      'quarantined',
      'invalid_payload',
      'jsonPayload.codeAcceptance.linesCount',
    ],
    [
      'a negative linesCount',
      makeMetadataEntry('codeAcceptance', { linesCount: -1 }),
      'quarantined',
      'invalid_payload',
      'linesCount',
    ],
    [
      'a fractional linesCount',
      makeMetadataEntry('codeAcceptance', { linesCount: 1.5 }),
      'quarantined',
      'invalid_payload',
      'linesCount',
    ],
    [
      'an event that is not an object',
      makeMetadataEntry('codeExposure', {}, { jsonPayload: { codeExposure: 'x' } }),
      'quarantined',
      'invalid_payload',
      'codeExposure',
    ],
    [
      'messages not a list',
      makeRequestEntry({ jsonPayload: { taskCompletionRequest: { input: { messages: 'hi' } } } }),
      'quarantined',
      'invalid_payload',
      'jsonPayload.taskCompletionRequest.input.messages',
    ],
    [
      'message content a number',
      makeResponseEntry([], {
        jsonPayload: { taskCompletionResponse: { output: { messages: [{ content: 5 }] } } },
      }),
      'quarantined',
      'invalid_payload',
      'messages[0].content',
    ],
  ];

  it.each(cases)('%s', (_name, entry, kind, reason, detailPart) => {
    const outcome = normalizeBoth(entry);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind !== 'skipped' && outcome.kind !== 'quarantined') throw new Error('row');
    expect(outcome.reason).toBe(reason);
    expect(outcome.detail).toContain(detailPart);
  });

  it('keeps the insertId of a quarantined entry', () => {
    const outcome = normalizeEntry(makeEntry({ insertId: 'abc', timestamp: 'never' }), ctx);
    expect(outcome).toMatchObject({ kind: 'quarantined', insertId: 'abc' });
  });

  it('reports invalid JSON without quoting the input', () => {
    const outcome = normalizeText('{"prompt": "my secret password", oops}', ctx);
    expect(outcome).toMatchObject({ kind: 'quarantined', reason: 'invalid_json' });
    if (outcome.kind === 'quarantined') expect(outcome.detail).not.toContain('secret');
  });

  it('quarantines a 12 MB entry as too_large without parsing it', () => {
    const entry = makeRequestEntry({
      insertId: 'big-1',
      jsonPayload: {
        taskCompletionRequest: { input: { messages: [{ content: 'x'.repeat(12 * 1024 * 1024) }] } },
      },
    });
    const text = entryText(entry);
    expect(text.length).toBeGreaterThan(MAX_ENTRY_BYTES);
    expect(normalizeText(text, ctx)).toMatchObject({
      kind: 'quarantined',
      reason: 'too_large',
      insertId: 'big-1',
    });
    expect(normalizeEntry(entry, ctx)).toMatchObject({ kind: 'quarantined', reason: 'too_large' });
  });

  it('counts multi-byte characters against the size limit', () => {
    // 1.5 M three-byte characters: 1.5 M UTF-16 units, 4.5 MB of UTF-8.
    const entry = makeRequestEntry({
      jsonPayload: {
        taskCompletionRequest: { input: { messages: [{ content: '漢'.repeat(1_500_000) }] } },
      },
    });
    expect(normalizeText(entryText(entry), ctx)).toMatchObject({ reason: 'too_large' });
  });

  it('quarantines deeply nested payloads instead of overflowing the stack', () => {
    const depth = 100_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const base = entryText(makeEntry({ insertId: 'deep-1' }));
    const text = base.replace('"jsonPayload":{', `"jsonPayload":{"deep":${nested},`);
    expect(normalizeText(text, ctx)).toMatchObject({
      kind: 'quarantined',
      reason: 'invalid_payload',
      insertId: 'deep-1',
    });
    expect(normalizeEntry(JSON.parse(text), ctx)).toMatchObject({ reason: 'invalid_payload' });
    // Just within the limit is fine.
    const ok = `${'['.repeat(MAX_PAYLOAD_DEPTH - 1)}${']'.repeat(MAX_PAYLOAD_DEPTH - 1)}`;
    expect(
      normalizeText(base.replace('"jsonPayload":{', `"jsonPayload":{"deep":${ok},`), ctx).kind,
    ).toBe('metadata');
  });

  it('treats a deeply nested tool argument as text', () => {
    const args = `{"a":${'['.repeat(1000)}${']'.repeat(1000)}}`;
    const row = rowOf(normalizeEntry(makeResponseEntry([`read_file(${args})`]), ctx));
    expect(row.tool_calls).toEqual([]);
  });

  it('survives hostile objects: throwing getters, cycles, proxies', () => {
    const getter = makeEntry();
    Object.defineProperty(getter, 'logName', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const cyclic = makeEntry();
    (cyclic.jsonPayload as JsonObject).self = cyclic.jsonPayload;
    const proxy = new Proxy(makeEntry(), {
      ownKeys() {
        throw new Error('no keys');
      },
    });
    const withBigInt = makeEntry({ jsonPayload: { n: BigInt(1) } });
    for (const hostile of [getter, cyclic, withBigInt]) {
      const outcome = normalizeEntry(hostile, ctx);
      expect(outcome.kind).toBe('quarantined');
      if (outcome.kind === 'quarantined') expect(QUARANTINE_REASONS).toContain(outcome.reason);
    }
    // A proxy that only refuses to list its keys is still readable: any outcome, no throw.
    expect(['metadata', 'quarantined']).toContain(normalizeEntry(proxy, ctx).kind);
  });
});

describe('helpers', () => {
  it.each([
    ['projects/p/logs/cloudaicompanion.googleapis.com%2Frequest', 'request'],
    ['projects/p/logs/cloudaicompanion.googleapis.com%2fresponse', 'response'],
    ['organizations/1/logs/cloudaicompanion.googleapis.com/metadata', 'metadata'],
    ['projects/p/logs/cloudaicompanion.googleapis.com%2Frequests', null],
    ['request', null],
  ])('classifyLogName(%s) = %s', (name, log) => {
    expect(classifyLogName(name)).toBe(log);
  });

  it.each([
    ['/a/b/file.GO', 'go'],
    ['C:\\src\\x.test.ts', 'ts'],
    ['/home/u/.bashrc', null],
    ['Makefile', null],
    ['dir.d/file', null],
    ['trailing.', null],
    [null, null],
  ])('extensionOf(%s) = %s', (path, ext) => {
    expect(extensionOf(path)).toBe(ext);
  });
});
