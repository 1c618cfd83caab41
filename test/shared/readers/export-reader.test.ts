import fc from 'fast-check';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  ExportSplitter,
  readExport,
  splitExport,
  type ExportInspection,
  type ExportRecord,
} from '../../../shared/readers/export-reader';

/** Splits `bytes` into chunks at the given offsets and runs the splitter over them. */
function splitAt(bytes: Buffer, cuts: number[], name = 'x.json'): ExportRecord[] {
  const s = new ExportSplitter(name);
  const out: ExportRecord[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...s.push(bytes.subarray(prev, cut)));
    prev = cut;
  }
  out.push(...s.end());
  return out;
}

const texts = (records: ExportRecord[]) => records.map((r) => r.text);

// Strings holding brackets, braces, commas, escaped quotes and backslashes, and multi-byte UTF-8.
const tricky = [
  { a: 'x]}{[,"\\', n: 1 },
  { b: ['}', '{', '\\"', 'é漢😀'], c: { d: '\\' } },
  { e: 'line\nbreak', f: null, g: [1, [2, [3]]] },
];

const pretty = Buffer.from(JSON.stringify(tricky, null, 2), 'utf8');
const jsonl = Buffer.from(tricky.map((t) => JSON.stringify(t)).join('\n') + '\n', 'utf8');

describe('ExportSplitter', () => {
  it('splits a pretty-printed gcloud array into its elements, with record numbers and lines', () => {
    const records = splitAt(pretty, []);
    expect(records.map((r) => JSON.parse(r.text))).toEqual(tricky);
    expect(records.map((r) => [r.record, r.line])).toEqual([
      [1, 2],
      [2, 6],
      [3, 17],
    ]);
    expect(records[1]?.source).toBe('file:x.json#2 (line 6)');
  });

  it('reads JSON Lines, skipping blank lines and CRs', () => {
    const records = splitAt(Buffer.from('{"a":1}\r\n\n  \n{"b":2}'), []);
    expect(texts(records)).toEqual(['{"a":1}', '{"b":2}']);
    expect(records.map((r) => r.line)).toEqual([1, 4]);
  });

  // A single pretty-printed object (an entry.json) and objects one after another (`jq '.[]'`).
  const single = Buffer.from(JSON.stringify(tricky[1], null, 2) + '\n', 'utf8');
  const concatenated = Buffer.from(
    tricky.map((t) => JSON.stringify(t, null, 2)).join('\n') + '\n',
    'utf8',
  );

  it('reads a single pretty-printed object as one record', () => {
    const records = splitAt(single, []);
    expect(records.map((r) => JSON.parse(r.text))).toEqual([tricky[1]]);
    expect(records[0]?.line).toBe(1);
  });

  it('reads pretty-printed objects one after another as one record each', () => {
    const inspection: ExportInspection = { format: null, compression: null, head: Buffer.alloc(0) };
    const s = new ExportSplitter('x.json', { inspection });
    const records = [...s.push(concatenated), ...s.end()];
    expect(records.map((r) => JSON.parse(r.text))).toEqual(tricky);
    expect(records.map((r) => r.line)).toEqual([1, 5, 16]);
    expect(inspection.format).toBe('objects');
  });

  it('still reads JSON Lines whose first line is an object as lines', () => {
    const inspection: ExportInspection = { format: null, compression: null, head: Buffer.alloc(0) };
    const s = new ExportSplitter('x.json', { inspection });
    // The second line is malformed: it must stay one record, not swallow the third.
    const records = [...s.push(Buffer.from('{"a":1}\n{"b":\n{"c":3}\n')), ...s.end()];
    expect(texts(records)).toEqual(['{"a":1}', '{"b":', '{"c":3}']);
    expect(inspection.format).toBe('jsonl');
  });

  it('reads JSON Lines whose first line is truncated as lines (the first alone is bad)', () => {
    const inspection: ExportInspection = { format: null, compression: null, head: Buffer.alloc(0) };
    const s = new ExportSplitter('x.json', { inspection });
    const records = [...s.push(Buffer.from('{"a":{"b":\n{"c":3}\n{"d":4}\n')), ...s.end()];
    expect(texts(records)).toEqual(['{"a":{"b":', '{"c":3}', '{"d":4}']);
    expect(inspection.format).toBe('jsonl');
  });

  it.each([
    ['array', pretty],
    ['jsonl', jsonl],
    ['objects', concatenated],
    ['single', single],
  ])('gives the same records whatever the chunk boundaries (%s)', (_name, bytes) => {
    const whole = texts(splitAt(bytes, []));
    expect(whole).toHaveLength(bytes === single ? 1 : 3);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(texts(splitAt(bytes, [cut]))).toEqual(whole);
    }
    // Every byte its own chunk.
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    expect(texts(splitAt(bytes, cuts))).toEqual(whole);
  });

  it('reports a malformed element with its position and still reads the rest', () => {
    const file = '[\n  {"a": 1},\n  {"b": oops},\n  {"c": 3}\n]\n';
    const records = splitAt(Buffer.from(file), []);
    expect(texts(records)).toEqual(['{"a": 1}', '{"b": oops}', '{"c": 3}']);
    expect(records[1]).toMatchObject({ record: 2, line: 3 });
    expect(() => JSON.parse(records[1]?.text ?? '')).toThrow();
  });

  it('reports a malformed JSON line and reads the following lines', () => {
    const records = splitAt(Buffer.from('{"a":1}\n{"b": "unterminated\n{"c":3}\n'), []);
    expect(texts(records)).toEqual(['{"a":1}', '{"b": "unterminated', '{"c":3}']);
    expect(records[1]?.line).toBe(2);
  });

  it('yields nothing for an empty array, an empty file or blanks', () => {
    expect(splitAt(Buffer.from('[]'), [])).toEqual([]);
    expect(splitAt(Buffer.from('  [ \n ]\n'), [])).toEqual([]);
    expect(splitAt(Buffer.from(''), [])).toEqual([]);
    expect(splitAt(Buffer.from('\n\n  \n'), [])).toEqual([]);
  });

  it('turns trailing garbage after the array into a record of its own', () => {
    const records = splitAt(Buffer.from('[{"a":1}]\ngarbage here\n'), []);
    expect(texts(records)).toEqual(['{"a":1}', 'garbage here']);
    expect(records[1]?.line).toBe(2);
  });

  it('reads concatenated arrays (two exports appended) and bare values in an array', () => {
    const records = splitAt(Buffer.from('[{"a":1}]\n[{"b":2}, 3, "s,]", null]'), []);
    expect(texts(records)).toEqual(['{"a":1}', '{"b":2}', '3', '"s,]"', 'null']);
  });

  it('yields a truncated last element as is (it will not parse)', () => {
    const records = splitAt(Buffer.from('[{"a":1},{"b":"cut'), []);
    expect(texts(records)).toEqual(['{"a":1}', '{"b":"cut']);
  });

  it('skips a UTF-8 byte order mark, even split across chunks', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]);
    for (let cut = 0; cut <= 4; cut++) expect(texts(splitAt(bytes, [cut]))).toEqual(['{"a":1}']);
  });

  it('splits any array of JSON values, pretty or compact, at any chunk boundaries', () => {
    const tricky = fc.stringMatching(/^[\\"{}[\],:\n a-z\u00e9\u{1F600}]*$/u);
    const value = fc.oneof(
      fc.dictionary(tricky, fc.oneof(tricky, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 4 }),
      fc.array(tricky, { maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 5 }),
        (values, pretty, rawCuts) => {
          const bytes = Buffer.from(
            pretty ? JSON.stringify(values, null, 2) : JSON.stringify(values),
            'utf8',
          );
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const records = splitAt(bytes, cuts);
          // Compared after a JSON round trip: -0 in a generated value reads back as 0.
          const expected = JSON.parse(JSON.stringify(values)) as unknown;
          expect(records.map((r) => JSON.parse(r.text) as unknown)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('honours a forced format', () => {
    const s = new ExportSplitter('f', { format: 'jsonl' });
    expect(texts([...s.push(Buffer.from('[1]\n[2]\n')), ...s.end()])).toEqual(['[1]', '[2]']);
  });
});

// A temp directory for the block's files, as in every file-reading test.
describe('readExport', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'export-reader-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file with progress reaching its size', async () => {
    const path = join(dir, 'small.json');
    writeFileSync(path, pretty);
    const progress: [number, number][] = [];
    const records: ExportRecord[] = [];
    for await (const r of readExport(path, {
      chunkSize: 7,
      onProgress: (a, b) => progress.push([a, b]),
    })) {
      records.push(r);
    }
    expect(records.map((r) => JSON.parse(r.text))).toEqual(tricky);
    expect(records[0]?.source).toBe('file:small.json#1 (line 2)');
    expect(progress.at(-1)).toEqual([pretty.length, pretty.length]);
    expect(progress.length).toBe(Math.ceil(pretty.length / 7));
  });

  it('reads a large generated file record by record with flat memory', async () => {
    const path = join(dir, 'large.json');
    const entry = JSON.stringify(
      { insertId: 'x', jsonPayload: { text: 'y'.repeat(2000) } },
      null,
      2,
    );
    const count = 40_000; // ~85 MB
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(path);
      out.on('error', reject);
      out.write('[\n');
      let i = 0;
      const writeMore = () => {
        while (i < count) {
          const chunk = `${entry}${i < count - 1 ? ',' : ''}\n`;
          i++;
          if (!out.write(chunk)) {
            out.once('drain', writeMore);
            return;
          }
        }
        out.end(']\n', () => resolve());
      };
      writeMore();
    });
    // The splitter holds at most the unfinished record between chunks, however big the file.
    const splitter = new ExportSplitter('large.json');
    let maxHeld = 0;
    let n = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
      n += splitter.push(chunk as Buffer).length;
      maxHeld = Math.max(maxHeld, splitter.bufferedBytes);
    }
    n += splitter.end().length;
    expect(n).toBe(count);
    expect(maxHeld).toBeLessThanOrEqual(entry.length + 2);

    // And through readExport: every record, with memory growth well below the file size.
    const before = process.memoryUsage().rss;
    let maxRss = before;
    n = 0;
    for await (const r of readExport(path)) {
      if (r.text.length !== entry.length) throw new Error(`record ${r.record} has the wrong size`);
      n++;
      if (n % 5000 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
    expect(n).toBe(count);
    expect(maxRss - before).toBeLessThan(statSync(path).size);
  });

  it('splits any async chunk source (stdin)', async () => {
    async function* chunks() {
      yield Buffer.from('{"a":');
      yield Buffer.from('1}\n{"b":2}');
    }
    const out: string[] = [];
    for await (const r of splitExport(chunks(), 'stdin')) out.push(r.source);
    expect(out).toEqual(['file:stdin#1 (line 1)', 'file:stdin#2 (line 2)']);
  });

  it.each([
    ['a gcloud array', pretty],
    ['JSON Lines', jsonl],
    ['pretty objects', Buffer.from(tricky.map((t) => JSON.stringify(t, null, 2)).join('\n'))],
  ])('reads %s gzipped, by its magic bytes whatever the name', async (_name, bytes) => {
    const path = join(dir, 'export.json');
    writeFileSync(path, gzipSync(bytes));
    const inspection: ExportInspection = { format: null, compression: null, head: Buffer.alloc(0) };
    const progress: number[] = [];
    const records: unknown[] = [];
    for await (const r of readExport(path, {
      chunkSize: 64,
      inspection,
      onProgress: (read) => progress.push(read),
    })) {
      records.push(JSON.parse(r.text));
    }
    expect(records).toEqual(tricky);
    expect(inspection.compression).toBe('gzip');
    // Progress counts the compressed bytes read, up to the file's size.
    expect(progress.at(-1)).toBe(statSync(path).size);
  });

  it('reads gzip from a stream delivering a byte at a time, and fails on cut-short gzip', async () => {
    const zipped = gzipSync(jsonl);
    const out: string[] = [];
    for await (const r of splitExport(
      [...zipped].map((b) => Buffer.from([b])),
      'stdin',
    )) {
      out.push(r.text);
    }
    expect(out.map((t) => JSON.parse(t) as unknown)).toEqual(tricky);
    const cut = zipped.subarray(0, zipped.length - 10);
    await expect(async () => {
      for await (const r of splitExport([cut], 'stdin')) void r;
    }).rejects.toThrow(/unexpected end of file/);
  });
});
