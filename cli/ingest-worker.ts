/**
 * Worker thread of cli/parallel-ingest.ts: prepares each batch of records it is sent
 * (normalize, content policy, pseudonymization, NDJSON staging) and answers with the result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toMicrosIso } from '../shared/normalize/time';
import { prepareBatch, type RawRecord } from '../shared/pipeline/ingest';
import { stageBatch } from '../shared/warehouse/duckdb-stage';
import { contextOf, type PreparedReply, type WorkerSetup } from './parallel-ingest';

const port = parentPort;
if (!port) throw new Error('cli/ingest-worker runs as a worker thread');
const ctx = contextOf(workerData as WorkerSetup);
const quarantineTime = toMicrosIso(ctx.ingestTime);

const encoder = new TextEncoder();

port.on('message', (records: RawRecord[]) => {
  const prepared = prepareBatch(records, ctx, quarantineTime);
  // The NDJSON goes back as UTF-8 bytes, transferred: no copy, and nothing left for the main
  // thread to encode before it writes the file.
  const staged = stageBatch(prepared.data).map((t) => ({
    ...t,
    ndjson: typeof t.ndjson === 'string' ? encoder.encode(t.ndjson) : t.ndjson,
  }));
  const reply: PreparedReply = {
    read: prepared.read,
    skipped: prepared.skipped,
    duplicates: prepared.duplicates,
    dataRows: prepared.origins.size,
    quarantine: prepared.quarantine,
    staged,
  };
  port.postMessage(
    reply,
    staged.map((t) => (t.ndjson as Uint8Array).buffer as ArrayBuffer),
  );
});
