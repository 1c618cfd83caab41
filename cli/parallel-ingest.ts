/**
 * Ingest with the batches prepared on worker threads: the main thread reads and splits the
 * export and drives DuckDB; workers normalize, apply the content policy and stage each batch as
 * NDJSON (cli/ingest-worker.ts), which is most of an ingest's JavaScript time. Batches are
 * written in the order they were read, one write in flight, through the same BatchWriter as the
 * in-process path, so the counts, dedup and quarantine rows are the same.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ContentMode } from '../shared/content/mode';
import { createPseudonymizer } from '../shared/content/pseudonymize';
import type { IngestCounts, NormalizeContext } from '../shared/normalize/outcome';
import { toMicrosIso } from '../shared/normalize/time';
import {
  BatchWriter,
  originOf,
  prepareBatch,
  type BatchToWrite,
  type RawRecord,
} from '../shared/pipeline/ingest';
import type { QuarantineRow } from '../shared/tables/registry';
import type { StagedTable } from '../shared/warehouse/duckdb-stage';
import type { DuckDbWarehouse } from '../shared/warehouse/duckdb';

/** What a worker is started with (`workerData`): plain data, since functions cannot cross. */
export interface WorkerSetup {
  ingestTime: string;
  contentMode: ContentMode;
  /** The pseudonymization key, when user ids are pseudonymized. */
  pseudonymizeKey: string | null;
}

/** A worker's answer to one batch of records. */
export interface PreparedReply {
  read: number;
  skipped: number;
  duplicates: number;
  dataRows: number;
  quarantine: QuarantineRow[];
  staged: StagedTable[];
}

/** The normalize context a worker (or the main thread) builds from its setup. */
export function contextOf(setup: WorkerSetup): NormalizeContext {
  return {
    ingestTime: setup.ingestTime,
    contentMode: setup.contentMode,
    ...(setup.pseudonymizeKey !== null
      ? { pseudonymizeUser: createPseudonymizer(setup.pseudonymizeKey) }
      : {}),
  };
}

/**
 * Worker threads worth starting on this machine: one per core, at most 4; 0 (prepare in
 * process) on a single core, where a worker would only compete with the main thread.
 */
export function defaultWorkerCount(): number {
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(4, cores);
}

interface Job {
  records: readonly RawRecord[];
  resolve(reply: PreparedReply): void;
  reject(err: Error): void;
}

/** A fixed set of workers; each takes the next queued batch when it is free. */
class PreparePool {
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private failure: Error | null = null;
  private readonly workers: Worker[];

  constructor(script: string, count: number, setup: WorkerSetup) {
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(script, { workerData: setup });
      worker.on('message', (reply: PreparedReply) => {
        const job = this.running.get(worker);
        this.running.delete(worker);
        this.idle.push(worker);
        job?.resolve(reply);
        this.pump();
      });
      worker.on('error', (err: unknown) => {
        // Duck-typed: an error from a worker may come from another realm (e.g. under jest).
        const message =
          typeof err === 'object' && err !== null && 'message' in err
            ? String(err.message)
            : String(err);
        this.fail(new Error(`an ingest worker failed: ${message}`));
      });
      worker.on('exit', (code) => {
        if (this.running.has(worker) || this.queue.length > 0) {
          this.fail(new Error(`an ingest worker stopped (exit code ${code})`));
        }
      });
      this.idle.push(worker);
      return worker;
    });
  }

  prepare(records: readonly RawRecord[]): Promise<PreparedReply> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queue.push({ records, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job;
      this.running.set(worker, job);
      worker.postMessage(job.records);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const job of [...this.running.values(), ...this.queue.splice(0)]) job.reject(err);
    this.running.clear();
  }
}

export interface WorkerIngestOptions {
  setup: WorkerSetup;
  /** Records per batch. */
  batchSize: number;
  /** Worker threads (at least 1). */
  workers: number;
  /** The compiled worker script (dist/cli/ingest-worker.js). */
  script: string;
}

/**
 * ingestRecords (shared/pipeline/ingest.ts) into DuckDB with batches prepared on worker
 * threads: the same counts, rows and quarantine rows. At most two batches per worker are
 * being prepared or waiting to be written, so memory is bounded whatever the input's size.
 */
export async function ingestInWorkers(
  records: AsyncIterable<RawRecord> | Iterable<RawRecord>,
  warehouse: DuckDbWarehouse,
  opts: WorkerIngestOptions,
): Promise<IngestCounts> {
  const workers = Math.max(1, Math.floor(opts.workers));
  const quarantineTime = toMicrosIso(opts.setup.ingestTime);
  const writer = new BatchWriter(warehouse, {
    contentMode: opts.setup.contentMode,
    quarantineTime,
  });
  // Only for a row the warehouse rejects (rare): its batch is prepared again here to find it.
  let localContext: NormalizeContext | null = null;
  const toWrite = (reply: PreparedReply, batch: readonly RawRecord[]): BatchToWrite => ({
    ...reply,
    insert: () => warehouse.insertStaged(reply.staged),
    origin: (key) => {
      localContext ??= contextOf(opts.setup);
      return originOf(prepareBatch(batch, localContext, quarantineTime), batch, key);
    },
  });

  const pool = new PreparePool(opts.script, workers, opts.setup);
  /** Batches sent to the pool, in reading order. */
  const pending: Promise<BatchToWrite>[] = [];
  const writeNext = async () => writer.submit(await (pending.shift() as Promise<BatchToWrite>));
  const dispatch = async (batch: RawRecord[]) => {
    const prepared = pool.prepare(batch).then((reply) => toWrite(reply, batch));
    // Awaited in order below; until then a failure must not count as unhandled.
    prepared.catch(() => undefined);
    pending.push(prepared);
    while (pending.length >= 2 * workers) await writeNext();
  };
  try {
    let batch: RawRecord[] = [];
    for await (const record of records) {
      batch.push(record);
      if (batch.length >= opts.batchSize) {
        await dispatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await dispatch(batch);
    while (pending.length > 0) await writeNext();
    return await writer.finish();
  } finally {
    await writer.settle();
    await pool.close();
  }
}
