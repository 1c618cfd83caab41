import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, writeSampleFile, type SampleEntry } from '../../../cli/sample/generate';
import { RESOURCE_TYPE } from '../../helpers/entries';

function payload(e: SampleEntry): Record<string, unknown> {
  return (e.jsonPayload ?? {}) as Record<string, unknown>;
}

function entryKey(e: SampleEntry): string {
  return `${String(e.logName)}\n${String(e.timestamp)}\n${String(e.insertId)}`;
}

describe('generateSample', () => {
  const sample = [...generateSample({ seed: 7, users: 12, days: 10 })];
  const metadata = sample.map(payload);

  it('is deterministic for a seed and differs across seeds', () => {
    const again = [...generateSample({ seed: 7, users: 12, days: 10 })];
    expect(JSON.stringify(again)).toBe(JSON.stringify(sample));
    const other = [...generateSample({ seed: 8, users: 12, days: 10 })];
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(sample));
  });

  it('yields exactly `entries` entries, newest-first being the reverse of oldest-first', () => {
    const forward = [...generateSample({ seed: 3, entries: 777 })];
    const backward = [...generateSample({ seed: 3, entries: 777, order: 'newest-first' })];
    expect(forward).toHaveLength(777);
    expect(JSON.stringify(backward.reverse())).toBe(JSON.stringify(forward));
  });

  it('writes only well-formed entries of the resource type by default', () => {
    for (const e of sample) {
      expect((e.resource as { type: string }).type).toBe(RESOURCE_TYPE);
      expect(String(e.logName)).toMatch(
        /cloudaicompanion\.googleapis\.com%2F(request|response|metadata)$/,
      );
      expect(String(e.timestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{6}|\d{9})Z$/);
      expect(typeof e.insertId).toBe('string');
    }
  });

  it('covers the drift and the cases the figures depend on', () => {
    const has = (event: string) => metadata.filter((p) => p[event] !== undefined);
    const acceptances = [...has('codeAcceptance'), ...has('chatAcceptance')].map(
      (p) => (p.codeAcceptance ?? p.chatAcceptance) as Record<string, unknown>,
    );
    expect(acceptances.some((a) => typeof a.linesCount === 'string')).toBe(true);
    expect(acceptances.some((a) => typeof a.linesCount === 'number')).toBe(true);
    expect(acceptances.some((a) => a.commentLinesCount !== undefined)).toBe(true);
    const chat = [...has('chatExposure'), ...has('chatAcceptance')].map(
      (p) => (p.chatExposure ?? p.chatAcceptance) as Record<string, unknown>,
    );
    expect(chat.some((c) => c.is_agentic === true)).toBe(true);
    expect(chat.some((c) => c.isAgentic === true)).toBe(true);
    expect(has('apiRequest').length).toBeGreaterThan(0);
    expect(has('codeExposure').length).toBeGreaterThan(0);

    // Tool calls and tool results as the spec shows them.
    const texts = JSON.stringify(sample);
    expect(texts).toContain('read_file({\\"absolute_path\\"');
    expect(texts).toContain('replace({\\"file_path\\"');
    expect(texts).toContain('FunctionResponse{name: read_file, response: {');
    expect(texts).toContain('codeCompletionRequest');
    expect(texts).toContain('codeGenerationRequest');

    // Redelivered duplicates: the same dedup key, more than once.
    const keys = sample.map(entryKey);
    expect(new Set(keys).size).toBeLessThan(keys.length);

    // Repeated and late (next UTC day) acceptances of one suggestion.
    const exposureDay = new Map<string, string>();
    const acceptCount = new Map<string, number>();
    let late = 0;
    for (const e of sample) {
      const p = payload(e);
      const exp = (p.codeExposure ?? p.chatExposure) as { originalRequestId: string } | undefined;
      if (exp) exposureDay.set(exp.originalRequestId, String(e.timestamp).slice(0, 10));
    }
    const seen = new Set<string>();
    for (const e of sample) {
      if (seen.has(entryKey(e))) continue;
      seen.add(entryKey(e));
      const p = payload(e);
      const acc = (p.codeAcceptance ?? p.chatAcceptance) as
        { originalRequestId: string } | undefined;
      if (!acc) continue;
      const id = acc.originalRequestId;
      acceptCount.set(id, (acceptCount.get(id) ?? 0) + 1);
      const day = exposureDay.get(id);
      if (day && String(e.timestamp).slice(0, 10) > day) late++;
    }
    expect(late).toBeGreaterThan(0);
    expect([...acceptCount.values()].some((n) => n > 1)).toBe(true);
    // Orphans: accepted, exposure never logged.
    expect([...acceptCount.keys()].some((id) => !exposureDay.has(id))).toBe(true);

    // Many users, IDEs and languages.
    const users = new Set(sample.map((e) => (e.labels as { user_id: string }).user_id));
    expect(users.size).toBe(12);
    const clients = new Set(metadata.map((p) => p.clientName).filter(Boolean));
    expect(clients).toEqual(new Set(['CloudCodeVscode', 'IntelliJ', 'cloudcode_cli']));
  });

  it('adds foreign-resource and malformed entries only when asked', () => {
    const noisy = [
      ...generateSample({ seed: 1, entries: 3000, foreignRate: 0.05, malformedRate: 0.05 }),
    ];
    const foreign = noisy.filter((e) => (e.resource as { type: string }).type !== RESOURCE_TYPE);
    expect(foreign.length).toBeGreaterThan(0);
    expect(noisy.some((e) => e.timestamp === 'yesterday afternoon')).toBe(true);
    expect(noisy.some((e) => e.jsonPayload === undefined && e.textPayload === undefined)).toBe(
      true,
    );
  });

  it('uses the given user ids verbatim', () => {
    const hostile = '<script>alert(1)</script>';
    const entries = [...generateSample({ seed: 2, entries: 200, userIds: [hostile] })];
    expect(entries.every((e) => (e.labels as { user_id: string }).user_id === hostile)).toBe(true);
  });

  it('rejects a bad start day', () => {
    expect(() => [...generateSample({ start: '2025-13-45x' })]).toThrow(RangeError);
  });
});

// A temp directory for the block's files, as in every file-writing test.
describe('writeSampleFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gca-sample-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a gcloud-style array, newest first, with sorted keys', async () => {
    const file = join(dir, 'export.json');
    const written = await writeSampleFile(file, { seed: 5, entries: 300 });
    const text = readFileSync(file, 'utf8');
    const parsed = JSON.parse(text) as SampleEntry[];
    expect(written.entries).toBe(300);
    expect(written.bytes).toBe(Buffer.byteLength(text));
    expect(parsed).toHaveLength(300);
    expect(Object.keys(parsed[0] ?? {})).toEqual(Object.keys(parsed[0] ?? {}).sort());
    const forward = [...generateSample({ seed: 5, entries: 300 })];
    expect(parsed[0]?.insertId).toBe(forward[forward.length - 1]?.insertId);
    expect(text.startsWith('[\n  {\n    "insertId"')).toBe(true);
  });

  it('writes JSON Lines, oldest first', async () => {
    const file = join(dir, 'export.jsonl');
    await writeSampleFile(file, { seed: 5, entries: 50, format: 'jsonl' });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    const forward = [...generateSample({ seed: 5, entries: 50 })];
    expect(lines.map((l) => JSON.parse(l) as SampleEntry)).toEqual(forward);
  });

  it('writes an empty array for zero entries', async () => {
    const file = join(dir, 'empty.json');
    await writeSampleFile(file, { entries: 0 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });
});
