/**
 * Streaming reader for exported logs, in every shape a user is likely to hand it: the JSON array
 * `gcloud logging read --format=json` writes (pretty-printed, newest first), JSON Lines (one
 * entry per line: Cloud Storage sinks, `jq -c '.[]'`), and LogEntry objects one after another,
 * pretty-printed or not (a single `entry.json`, `jq '.[]'` output); any of them gzipped (by the
 * magic bytes, not the name). The shape is detected from the first bytes: `[` is an array; `{`
 * is JSON Lines when the first line holds a whole value, else a sequence of objects; anything
 * else is read as lines (and each will be quarantined as what it is). Memory is constant in the
 * file size: the file is read in chunks and only the record being assembled is held (plus, while
 * detecting, the first line).
 *
 * Records are split, not parsed: a hand-written splitter tracks strings, escapes and bracket
 * depth over raw bytes (multi-byte UTF-8 never contains the ASCII bytes it looks at), which is
 * several times faster than a streaming JSON parser, and a malformed record still comes out as
 * one record (with its position) for normalization to quarantine, while the rest is read.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { RawRecord } from '../pipeline/ingest';

/** `array`: a JSON array; `jsonl`: a value per line; `objects`: values one after another. */
export const EXPORT_FORMATS = ['array', 'jsonl', 'objects'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What the reader found out about its input, for messages about an input it could not use. */
export interface ExportInspection {
  format: ExportFormat | null;
  /** `gzip` when the input was gzipped (and decompressed). */
  compression: 'gzip' | null;
  /** The first bytes of the (decompressed) input, at most HEAD_BYTES. */
  head: Buffer;
}

/** Bytes of the input kept in ExportInspection.head. */
const HEAD_BYTES = 256;

/** One record of an export file. */
export interface ExportRecord extends RawRecord {
  /** `file:NAME#RECORD (line LINE)`. */
  source: string;
  /** File name as given to the reader. */
  file: string;
  /** 1-based position of the record in the file. */
  record: number;
  /** 1-based line where the record starts. */
  line: number;
}

export interface SplitterOptions {
  /** Default `auto`: detected from the first bytes (see the module comment). */
  format?: ExportFormat | 'auto';
  /** Filled in as the input is read. */
  inspection?: ExportInspection;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BOM = [0xef, 0xbb, 0xbf] as const;

function isBlank(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/**
 * Incremental splitter: feed chunks with `push`, then call `end`; each returns the records
 * completed so far. Chunk boundaries may fall anywhere (inside strings, escapes, UTF-8 sequences).
 */
export class ExportSplitter {
  private mode: ExportFormat | null;
  private line = 1;
  private recordNo = 0;
  private bomChecked = false;
  /** First bytes, held while they could still be the start of a BOM. */
  private head: Buffer | null = null;
  /** Bytes of the record being assembled from earlier chunks. */
  private pieces: Buffer[] = [];
  private inRecord = false;
  private recordLine = 1;
  // Array mode state.
  private inArray = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private scalar = false;
  /** While detecting between `jsonl` and `objects`: the bytes up to the first line's end. */
  private sniffed: Buffer[] | null = null;
  private readonly inspection: ExportInspection | null;

  constructor(
    readonly file: string,
    opts: SplitterOptions = {},
  ) {
    this.mode = opts.format === undefined || opts.format === 'auto' ? null : opts.format;
    this.inspection = opts.inspection ?? null;
  }

  /**
   * Bytes held between calls (the unfinished record): bounded by the largest record, whatever
   * the file size. Exposed so tests can check the memory claim without timing or GC noise.
   */
  get bufferedBytes(): number {
    let n = this.head?.length ?? 0;
    for (const p of this.pieces) n += p.length;
    for (const p of this.sniffed ?? []) n += p.length;
    return n;
  }

  /** The detected (or forced) format; null until the first non-blank byte. */
  get format(): ExportFormat | null {
    return this.mode;
  }

  push(chunk: Uint8Array): ExportRecord[] {
    let buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const out: ExportRecord[] = [];
    const inspection = this.inspection;
    if (inspection && inspection.head.length < HEAD_BYTES) {
      const room = HEAD_BYTES - inspection.head.length;
      inspection.head = Buffer.concat([inspection.head, buf.subarray(0, room)]);
    }
    if (!this.bomChecked) {
      // A UTF-8 byte order mark (Windows tools write one) may itself be split across chunks.
      const head = this.head ? Buffer.concat([this.head, buf]) : buf;
      if (head.length < BOM.length && head.every((b, i) => b === BOM[i])) {
        this.head = Buffer.from(head);
        return out;
      }
      this.head = null;
      this.bomChecked = true;
      buf =
        head[0] === BOM[0] && head[1] === BOM[1] && head[2] === BOM[2] ? head.subarray(3) : head;
    }
    if (this.mode === null && !this.sniffed) {
      let i = 0;
      while (i < buf.length && isBlank(buf[i] as number)) {
        if (buf[i] === LF) this.line++;
        i++;
      }
      if (i === buf.length) return out;
      buf = buf.subarray(i);
      if (buf[0] === LBRACE) {
        this.sniffed = [];
      } else {
        this.setMode(buf[0] === LBRACKET ? 'array' : 'jsonl');
      }
    }
    if (this.sniffed) {
      // JSON Lines or objects one after another: decided at the end of the first line.
      const nl = buf.indexOf(LF);
      this.sniffed.push(Buffer.from(nl < 0 ? buf : buf.subarray(0, nl + 1)));
      if (nl < 0) return out;
      const first = Buffer.concat(this.sniffed);
      this.sniffed = null;
      // Objects only when the first line is a lone `{`, as jq, gcloud and JSON.stringify print a
      // pretty object: a JSON Lines file whose first line is truncated or garbled stays JSON
      // Lines, so that line alone is quarantined instead of swallowing the rest of the file.
      this.setMode(first.toString('utf8').trim() === '{' ? 'objects' : 'jsonl');
      this.pushMode(first, out);
      buf = buf.subarray(nl + 1);
    }
    this.pushMode(buf, out);
    return out;
  }

  private setMode(mode: ExportFormat): void {
    this.mode = mode;
    if (this.inspection) this.inspection.format = mode;
  }

  private pushMode(buf: Buffer, out: ExportRecord[]): void {
    if (this.mode === 'jsonl') this.pushLines(buf, out);
    else this.pushArray(buf, out);
  }

  /** Flushes what is left: an unterminated record comes out as is (and will not parse). */
  end(): ExportRecord[] {
    const out: ExportRecord[] = [];
    if (!this.bomChecked && this.head) {
      // A file shorter than a BOM: its bytes are data.
      const rest = this.head;
      this.head = null;
      this.bomChecked = true;
      out.push(...this.push(rest));
    }
    if (this.sniffed) {
      // One line and no newline: a single value, read as JSON Lines.
      const first = Buffer.concat(this.sniffed);
      this.sniffed = null;
      this.setMode('jsonl');
      this.pushMode(first, out);
    }
    if (this.inRecord) this.emit(Buffer.alloc(0), 0, 0, out);
    return out;
  }

  private emit(buf: Buffer, start: number, end: number, out: ExportRecord[]): void {
    let text: string;
    if (this.pieces.length === 0) {
      text = buf.toString('utf8', start, end);
    } else {
      this.pieces.push(buf.subarray(start, end));
      text = Buffer.concat(this.pieces).toString('utf8');
      this.pieces = [];
    }
    this.inRecord = false;
    if (this.mode === 'jsonl') {
      // Blank lines are not records; CRLF files leave a CR.
      if (text.trim() === '') return;
      if (text.charCodeAt(text.length - 1) === CR) text = text.slice(0, -1);
    }
    this.recordNo++;
    out.push({
      text,
      source: `file:${this.file}#${this.recordNo} (line ${this.recordLine})`,
      file: this.file,
      record: this.recordNo,
      line: this.recordLine,
    });
  }

  private pushLines(buf: Buffer, out: ExportRecord[]): void {
    let start = 0;
    while (start < buf.length) {
      if (!this.inRecord) {
        this.inRecord = true;
        this.recordLine = this.line;
      }
      const nl = buf.indexOf(LF, start);
      if (nl < 0) {
        this.pieces.push(Buffer.from(buf.subarray(start)));
        return;
      }
      this.emit(buf, start, nl, out);
      this.line++;
      start = nl + 1;
    }
  }

  private pushArray(buf: Buffer, out: ExportRecord[]): void {
    const n = buf.length;
    let start = this.inRecord ? 0 : -1;
    let { depth, inString, escape } = this;
    for (let i = 0; i < n; i++) {
      const c = buf[i] as number;
      if (this.inRecord) {
        if (inString) {
          if (escape) {
            escape = false; // this byte is escaped, whatever it is
            continue;
          }
          // Jump to the next quote (native search; strings are most of the bytes), then decide
          // from the backslashes before it whether it ends the string. A raw newline inside a
          // string is invalid JSON and is not counted in line numbers.
          const q = buf.indexOf(QUOTE, i);
          if (q < 0) {
            let bs = 0;
            for (let k = n - 1; k >= i && buf[k] === BACKSLASH; k--) bs++;
            escape = (bs & 1) === 1;
            i = n - 1;
            continue;
          }
          let bs = 0;
          for (let k = q - 1; k >= i && buf[k] === BACKSLASH; k--) bs++;
          if ((bs & 1) === 0) inString = false;
          i = q;
          continue;
        }
        if (c === QUOTE) {
          inString = true;
        } else if (c === LBRACE || c === LBRACKET) {
          depth++;
        } else if (c === RBRACE || c === RBRACKET) {
          if (depth === 0) {
            // A bare value ended by the array's close: emit it, then close the array.
            this.emit(buf, start, i, out);
            start = -1;
            i--;
          } else if (--depth === 0) {
            this.emit(buf, start, i + 1, out);
            start = -1;
          }
        } else if (c === COMMA) {
          if (depth === 0) {
            this.emit(buf, start, i, out);
            start = -1;
          }
        } else if (c === LF) {
          this.line++;
          if (depth === 0 && this.scalar) {
            this.emit(buf, start, i, out);
            start = -1;
          }
        }
        continue;
      }
      // Between records.
      if (c === LF) {
        this.line++;
      } else if (isBlank(c) || c === COMMA) {
        // Separators; a stray comma is harmless.
      } else if (c === LBRACKET && !this.inArray) {
        this.inArray = true;
      } else if (c === RBRACKET && this.inArray) {
        this.inArray = false;
      } else {
        // A record starts: an object (the normal case), or anything else, kept for quarantine.
        start = i;
        this.inRecord = true;
        this.recordLine = this.line;
        depth = c === LBRACE || c === LBRACKET ? 1 : 0;
        this.scalar = depth === 0;
        inString = c === QUOTE;
        escape = false;
      }
    }
    if (this.inRecord && start >= 0) this.pieces.push(Buffer.from(buf.subarray(start)));
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
  }
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * The chunks of `source`, gunzipped when they start with gzip's magic bytes. `onChunk` gets the
 * size of each chunk of `source` (compressed, when it is) once it has been taken.
 */
async function* decompressed(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  inspection: ExportInspection | null,
  onChunk: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  const iterator =
    Symbol.asyncIterator in source
      ? source[Symbol.asyncIterator]()
      : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  let first = await iterator.next();
  // Two bytes are needed to recognize gzip; a stream may deliver one at a time.
  while (!first.done && first.value.length < GZIP_MAGIC.length) {
    const more = await iterator.next();
    if (more.done) break;
    first = { done: false, value: Buffer.concat([first.value, more.value]) };
  }
  if (first.done) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield head;
    onChunk(head.length);
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
      onChunk(next.value.length);
    }
  }
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    yield* all();
    return;
  }
  if (inspection) inspection.compression = 'gzip';
  const input = Readable.from(all(), { objectMode: false });
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    input.destroy();
  }
}

export interface ReadExportOptions extends SplitterOptions {
  /** Called after each chunk with bytes read so far and the file size (for a progress bar). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Bytes per read; default 1 MiB. */
  chunkSize?: number;
  /** Name used in `source`; default the file's base name. */
  name?: string;
}

/**
 * Splits a stream of byte chunks (a file, stdin) into export records; see ExportSplitter.
 * Reading is paced by the consumer, so memory stays constant.
 */
export async function* splitExport(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  opts: SplitterOptions & { onChunk?: (bytes: number) => void } = {},
): AsyncGenerator<ExportRecord> {
  const splitter = new ExportSplitter(name, opts);
  const onChunk = opts.onChunk ?? (() => undefined);
  for await (const chunk of decompressed(chunks, opts.inspection ?? null, onChunk)) {
    yield* splitter.push(chunk);
  }
  yield* splitter.end();
}

/**
 * Reads an export file (see the module comment for the shapes it takes) record by record, in
 * constant memory. A malformed record is yielded like any other (its text will not
 * normalize, and its `source` says where it is); the rest of the file is still read.
 */
export async function* readExport(
  path: string,
  opts: ReadExportOptions = {},
): AsyncGenerator<ExportRecord> {
  const total = (await stat(path)).size;
  let read = 0;
  const stream = createReadStream(path, { highWaterMark: opts.chunkSize ?? 1024 * 1024 });
  yield* splitExport(stream as AsyncIterable<Buffer>, opts.name ?? basename(path), {
    format: opts.format,
    ...(opts.inspection ? { inspection: opts.inspection } : {}),
    onChunk: (bytes) => {
      read += bytes;
      opts.onProgress?.(read, total);
    },
  });
}
