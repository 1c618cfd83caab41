/**
 * Backfill source: log files exported to Cloud Storage, as a Cloud Storage sink and
 * `gcloud logging copy` write them: JSON Lines, one file per hour, under
 * `LOG_ID/YYYY/MM/DD/HH:MM:SS_HH:MM:SS_S0.json` (LOG_ID URL-encoded, e.g.
 * `cloudaicompanion.googleapis.com%2Fmetadata`). Files are listed under the prefix, kept when
 * their date is within the range (a file whose path has no date is kept), read in name order and
 * streamed (never loaded whole). The checkpoint is the last file written, so a resumed run skips
 * the files before it and reads the rest.
 */
import type { RawRecord } from '../pipeline/ingest';
import { splitExport } from '../readers/export-reader';
import type { BackfillPage, BackfillSource } from './backfill';

/** The Cloud Storage calls the source needs (an adapter over @google-cloud/storage). */
export interface StoragePort {
  /** Every object name under `prefix`, any order. */
  list(prefix: string): Promise<string[]>;
  /** The object's bytes as a stream. */
  read(name: string): AsyncIterable<Uint8Array>;
}

/** `gs://bucket/prefix` split; a usage error is the caller's to report. */
export function parseGsUrl(url: string): { bucket: string; prefix: string } | null {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])(?:\/(.*))?$/.exec(url);
  return m ? { bucket: m[1] as string, prefix: m[2] ?? '' } : null;
}

const DATE_IN_PATH = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\//;

/** The day (YYYY-MM-DD) in a sink file's path, or null. */
export function dayOfPath(name: string): string | null {
  const m = DATE_IN_PATH.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** Records per page (one warehouse write and one checkpoint per page; a file may span pages). */
export const STORAGE_PAGE_RECORDS = 1000;

export function storageSource(opts: {
  storage: StoragePort;
  bucket: string;
  prefix: string;
  from: string | null;
  to: string | null;
  onFile?: (name: string) => void;
}): BackfillSource {
  return async function* (checkpoint) {
    const names = (await opts.storage.list(opts.prefix))
      .filter((name) => name.endsWith('.json') || name.endsWith('.jsonl'))
      .filter((name) => {
        const day = dayOfPath(name);
        if (day === null) return true;
        return (opts.from === null || day >= opts.from) && (opts.to === null || day <= opts.to);
      })
      .sort();
    for (const name of names) {
      if (checkpoint !== null && name <= checkpoint) continue;
      opts.onFile?.(name);
      let records: RawRecord[] = [];
      for await (const record of splitExport(
        opts.storage.read(name),
        `gs://${opts.bucket}/${name}`,
      )) {
        records.push(record);
        if (records.length >= STORAGE_PAGE_RECORDS) {
          // Mid-file: the checkpoint stays at the previous file (this one is read again, dedup'd).
          yield { records, checkpoint: checkpoint ?? '' } satisfies BackfillPage;
          records = [];
        }
      }
      checkpoint = name;
      yield { records, checkpoint: name };
    }
  };
}
