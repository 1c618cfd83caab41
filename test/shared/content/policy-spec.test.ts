import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyContentPolicy } from '../../../shared/content/policy';
import { normalizeText } from '../../../shared/normalize/normalize';
import type { NormalizeOutcome } from '../../../shared/normalize/outcome';

const DIR = join(__dirname, '../../fixtures/spec');
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

type RowOutcome = Extract<NormalizeOutcome, { kind: 'request' | 'response' | 'metadata' }>;

function normalized(file: string): RowOutcome {
  const outcome = normalizeText(readFileSync(join(DIR, file), 'utf8'), {
    ingestTime: '2025-10-08T10:10:00.000000Z',
    contentMode: 'full',
  });
  if (outcome.kind === 'skipped' || outcome.kind === 'quarantined') {
    throw new Error(`${file}: ${outcome.kind}`);
  }
  return outcome;
}

function apply(o: RowOutcome, mode: 'full' | 'scrubbed' | 'metadata-only'): object {
  switch (o.kind) {
    case 'request':
      return applyContentPolicy('requests', o.row, mode);
    case 'response':
      return applyContentPolicy('responses', o.row, mode);
    case 'metadata':
      return applyContentPolicy('metadata_events', o.row, mode);
  }
}

/** Message contents, file segments and paths of the spec sample: what must never be stored. */
function contentStrings(file: string): string[] {
  const entry = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as unknown;
  const found: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (typeof v === 'string') {
      if (['content', 'path', 'preamble'].includes(key ?? '') && v.length > 3) found.push(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(entry);
  return found;
}

describe('content policy on the spec samples (normalized by the real normalizer)', () => {
  it.each(FIXTURES)('%s: scrubbed equals full (no secrets, no false positives)', (file) => {
    const o = normalized(file);
    const full = apply(o, 'full') as Record<string, unknown>;
    const scrubbed = apply(o, 'scrubbed') as Record<string, unknown>;
    expect({ ...scrubbed, content_mode: 'x' }).toEqual({ ...full, content_mode: 'x' });
  });

  it.each(FIXTURES)('%s: metadata-only keeps no message, segment or path text', (file) => {
    const o = normalized(file);
    const row = apply(o, 'metadata-only') as Record<string, unknown>;
    const text = JSON.stringify(row) + String(row.payload ?? '');
    for (const s of contentStrings(file)) {
      for (const piece of s.split('\n').filter((p) => p.trim().length > 12)) {
        expect(text).not.toContain(piece);
      }
    }
    // Figures and dimensions are those of the full row.
    const full = apply(o, 'full') as Record<string, unknown>;
    for (const k of [
      'prompt_chars',
      'response_chars',
      'message_count',
      'event_type',
      'lines_count',
    ]) {
      expect(row[k]).toEqual(full[k]);
    }
  });
});
