/**
 * Whether an input of `ingest` is something the command can use, so that input it cannot use is
 * never reported as success. An input is refused (exit 1, one line saying what it looked like
 * and what is accepted) when it holds:
 * - no records at all (an empty file, an empty array);
 * - log entries, none of them Gemini Code Assist's (an export with the wrong filter);
 * - more than half of its records that are not log entries (quarantined): a few broken entries
 *   in an export are quarantined and the command succeeds, but a file mostly made of something
 *   else (a CSV, another JSON document, a binary file) is the wrong file, not a few bad entries.
 * The first SCREEN_RECORDS records are judged before anything is written (screenRecords), so a
 * wrong file leaves no quarantine rows; a file that turns bad further on is judged on its totals
 * after it was written.
 */
import type { IngestCounts, NormalizeContext } from '../shared/normalize/outcome';
import { toMicrosIso } from '../shared/normalize/time';
import { prepareBatch, type RawRecord } from '../shared/pipeline/ingest';
import type { ExportInspection } from '../shared/readers/export-reader';

/** Records judged before anything of an input is written. */
export const SCREEN_RECORDS = 1_000;

/** What the command accepts, for the refusal line. */
export const ACCEPTED_FORMATS =
  'accepted: the JSON array of `gcloud logging read --format=json`, JSON Lines, or LogEntry objects one after another (`jq .[]`), gzipped or not';

export type InputVerdict = { usable: true } | { usable: false; reason: string };

/** The first records of `records`, normalized (not written), and all of `records` to ingest. */
export async function screenRecords(
  records: AsyncIterable<RawRecord>,
  context: NormalizeContext,
): Promise<{ sample: IngestCounts; records: AsyncIterable<RawRecord> }> {
  const iterator = records[Symbol.asyncIterator]();
  const head: RawRecord[] = [];
  let done = false;
  while (head.length < SCREEN_RECORDS) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
  }
  const prepared = prepareBatch(head, context, toMicrosIso(context.ingestTime));
  const sample: IngestCounts = {
    read: prepared.read,
    normalized: prepared.origins.size,
    duplicates: prepared.duplicates,
    quarantined: prepared.quarantine.length,
    skipped: prepared.skipped,
  };
  async function* all(): AsyncGenerator<RawRecord> {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { sample, records: all() };
}

/** Magic bytes of formats a user might hand over by mistake. */
const MAGIC: readonly [string, number[]][] = [
  ['a zip archive', [0x50, 0x4b, 0x03, 0x04]],
  ['bzip2 data', [0x42, 0x5a, 0x68]],
  ['xz data', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['zstd data', [0x28, 0xb5, 0x2f, 0xfd]],
  ['a DuckDB database', [0, 0, 0, 0, 0, 0, 0, 0, 0x44, 0x55, 0x43, 0x4b]],
  ['a Parquet file', [0x50, 0x41, 0x52, 0x31]],
];

/** What the input looked like, in words. */
export function describeLook(inspection: ExportInspection): string {
  const head = inspection.head;
  const gz = inspection.compression === 'gzip' ? 'gzipped ' : '';
  for (const [name, bytes] of MAGIC) {
    if (bytes.every((b, i) => head[i] === b)) return `${gz}${name}`;
  }
  if (head.includes(0)) return `${gz}binary data`;
  const first = head.toString('utf8').trimStart()[0];
  switch (inspection.format) {
    case 'array':
      return `a ${gz}JSON array whose elements are not log entries`;
    case 'objects':
      return `${gz}JSON objects that are not log entries`;
    case 'jsonl':
      return first === '{'
        ? `${gz}JSON Lines whose records are not log entries`
        : `${gz}text lines that are not JSON`;
    case null:
      return `${gz}an empty input`;
  }
}

/**
 * Judges counts of an input (of its first records, or of all of it once `written`). See the
 * module comment for the rules.
 */
export function checkUsable(
  counts: IngestCounts,
  inspection: ExportInspection,
  written: boolean,
): InputVerdict {
  const usable = counts.normalized + counts.duplicates;
  const after = written ? '' : '; nothing was written';
  if (counts.read === 0) {
    const what =
      inspection.format === 'array'
        ? 'an empty JSON array'
        : inspection.head.length === 0
          ? 'empty'
          : 'blank';
    return {
      usable: false,
      reason: `no log entries: the input is ${what}${after}; ${ACCEPTED_FORMATS}`,
    };
  }
  if (usable === 0 && counts.quarantined === 0) {
    return {
      usable: false,
      reason: `${counts.skipped} log entries, none from Gemini Code Assist (resource type cloudaicompanion.googleapis.com/Instance): check the export's filter${after}`,
    };
  }
  if (usable === 0 || counts.quarantined * 2 > counts.read) {
    const share = `${counts.quarantined} of ${written ? '' : 'the first '}${counts.read} records are not log entries`;
    const kept = written
      ? `; its ${usable} usable entries and ${counts.quarantined} quarantine rows were written`
      : after;
    return {
      usable: false,
      reason: `cannot use it: it looks like ${describeLook(inspection)} (${share})${kept}; ${ACCEPTED_FORMATS}`,
    };
  }
  return { usable: true };
}
