/**
 * The fast guards in front of the zod schemas must never accept what a schema rejects (else
 * normalization would trust an unvalidated value). Checked for valid, mutated and garbage input,
 * on the envelope and on each payload.
 */
import fc from 'fast-check';
import {
  isLogEntryFast,
  isMetadataLogFast,
  isRequestLogFast,
  isResponseLogFast,
} from '../../../shared/normalize/fast-path';
import { LogEntrySchema } from '../../../shared/schemas/log-entry';
import { MetadataLogSchema } from '../../../shared/schemas/metadata-log';
import { RequestLogSchema } from '../../../shared/schemas/request-log';
import { ResponseLogSchema } from '../../../shared/schemas/response-log';
import { makeMetadataEntry, makeRequestEntry, makeResponseEntry } from '../../helpers/entries';
import { anyInput, mutatedEntry, validEntry } from './arbitraries';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const PAIRS = [
  ['LogEntry', isLogEntryFast, LogEntrySchema],
  ['RequestLog', isRequestLogFast, RequestLogSchema],
  ['ResponseLog', isResponseLogFast, ResponseLogSchema],
  ['MetadataLog', isMetadataLogFast, MetadataLogSchema],
] as const;

/** The value itself and its payload: each guard sees envelopes and payloads. */
function candidates(v: unknown): Obj[] {
  if (!isObj(v)) return [];
  return isObj(v.jsonPayload) ? [v, v.jsonPayload] : [v];
}

describe('fast guards', () => {
  it.each(PAIRS)('%s: never accepts what the schema rejects', (_name, fast, schema) => {
    fc.assert(
      fc.property(fc.oneof(anyInput, mutatedEntry, mutatedEntry), (input) => {
        for (const c of candidates(input)) {
          if (fast(c)) expect(schema.safeParse(c).success).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accept the common shapes (else the fast path is useless)', () => {
    fc.assert(
      fc.property(validEntry, (entry) => {
        expect(isLogEntryFast(entry)).toBe(true);
      }),
      { numRuns: 50 },
    );
    expect(isRequestLogFast(makeRequestEntry().jsonPayload as Obj)).toBe(true);
    expect(isResponseLogFast(makeResponseEntry(['a']).jsonPayload as Obj)).toBe(true);
    expect(
      isMetadataLogFast(
        makeMetadataEntry('chatAcceptance', { linesCount: '15', isAgentic: true })
          .jsonPayload as Obj,
      ),
    ).toBe(true);
  });

  it.each([
    [{ linesCount: -1 }],
    [{ linesCount: 1.5 }],
    [{ linesCount: '1.5' }],
    [{ isAgentic: 'yes' }],
    [{ originalRequestId: 5 }],
  ])('reject metadata event %j (zod decides)', (fields) => {
    const payload = makeMetadataEntry('codeAcceptance', fields).jsonPayload as Obj;
    expect(isMetadataLogFast(payload)).toBe(false);
    expect(MetadataLogSchema.safeParse(payload).success).toBe(false);
  });
});
