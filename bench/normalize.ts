/**
 * Normalization throughput beside JSON.parse alone, on the same texts in the same process:
 * a realistic mixed set of generated entries (cli/sample/generate.ts) serialized to JSON, then
 * `JSON.parse` over all of them and `normalizeText` (mode full) over all of them, each warmed up
 * and timed as the best of several runs. Target: ratio >= 0.5, i.e. validation and normalization
 * cost no more than parsing itself.
 */
import { normalizeText } from '../shared/normalize/normalize';
import type { NormalizeContext } from '../shared/normalize/outcome';
import { ExportSplitter } from '../shared/readers/export-reader';
import { generateSample } from '../cli/sample/generate';
import type { BenchOptions, BenchResult } from './types';

const FULL_ENTRIES = 100_000;
const QUICK_ENTRIES = 5_000;

/** Texts per timed slice: long enough to time (a few ms), short enough to pair fairly. */
const SLICE = 2_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function msOf(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Times `a` and `b` over the same slices of input, slice by slice and alternating which goes
 * first, so a machine whose load changes (CI, shared runners) slows both alike. Returns each
 * side's best whole-pass time and the median of the per-slice time ratios a/b.
 */
function pairedTimes(
  runs: number,
  count: number,
  a: (from: number, to: number) => void,
  b: (from: number, to: number) => void,
): { aMs: number; bMs: number; ratio: number } {
  a(0, count); // warm-up
  b(0, count);
  const ratios: number[] = [];
  let bestA = Number.POSITIVE_INFINITY;
  let bestB = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    let totalA = 0;
    let totalB = 0;
    for (let from = 0, k = 0; from < count; from += SLICE, k++) {
      const to = Math.min(count, from + SLICE);
      let ta: number;
      let tb: number;
      if ((k + r) % 2 === 0) {
        ta = msOf(() => a(from, to));
        tb = msOf(() => b(from, to));
      } else {
        tb = msOf(() => b(from, to));
        ta = msOf(() => a(from, to));
      }
      totalA += ta;
      totalB += tb;
      ratios.push(ta / tb);
    }
    bestA = Math.min(bestA, totalA);
    bestB = Math.min(bestB, totalB);
  }
  return { aMs: bestA, bMs: bestB, ratio: median(ratios) };
}

/**
 * The export reader's splitter over the same entries written as `gcloud logging read
 * --format=json` does (a pretty-printed array), fed in 1 MiB chunks, beside JSON.parse of the
 * whole array at once (which needs the whole file in memory; the splitter does not).
 */
function measureSplitter(texts: string[], runs: number): { splitMBps: number; parseMBps: number } {
  const pretty = `[\n${texts.map((t) => JSON.stringify(JSON.parse(t), null, 2)).join(',\n')}\n]\n`;
  const bytes = Buffer.from(pretty, 'utf8');
  const CHUNK = 1024 * 1024;
  let bestSplit = Number.POSITIVE_INFINITY;
  let bestParse = Number.POSITIVE_INFINITY;
  for (let r = 0; r <= runs; r++) {
    let n = 0;
    const splitMs = msOf(() => {
      const splitter = new ExportSplitter('bench.json');
      for (let at = 0; at < bytes.length; at += CHUNK) {
        n += splitter.push(bytes.subarray(at, at + CHUNK)).length;
      }
      n += splitter.end().length;
    });
    if (n !== texts.length) throw new Error(`splitter found ${n} records, not ${texts.length}`);
    const parseMs = msOf(() => {
      if (!Array.isArray(JSON.parse(pretty))) throw new Error('not an array');
    });
    if (r > 0) {
      bestSplit = Math.min(bestSplit, splitMs);
      bestParse = Math.min(bestParse, parseMs);
    }
  }
  const mb = bytes.length / 1e6;
  return { splitMBps: (mb / bestSplit) * 1000, parseMBps: (mb / bestParse) * 1000 };
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const n = opts.quick ? QUICK_ENTRIES : FULL_ENTRIES;
  const runs = opts.quick ? 2 : 7;
  const texts: string[] = [];
  let bytes = 0;
  for (const entry of generateSample({ seed: 7, entries: n })) {
    const text = JSON.stringify(entry);
    bytes += text.length;
    texts.push(text);
  }
  const ctx: NormalizeContext = { ingestTime: new Date().toISOString(), contentMode: 'full' };

  const kinds = new Map<string, number>();
  for (const t of texts) {
    const kind = normalizeText(t, ctx).kind;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  // Results feed a counter, so nothing is optimized away.
  let sink = 0;
  const timing = pairedTimes(
    runs,
    texts.length,
    (from, to) => {
      for (let i = from; i < to; i++) if (JSON.parse(texts[i] as string) !== null) sink++;
    },
    (from, to) => {
      for (let i = from; i < to; i++) {
        if (normalizeText(texts[i] as string, ctx).kind !== 'quarantined') sink++;
      }
    },
  );
  if (sink === 0) throw new Error('nothing parsed');
  const parsePerSec = (texts.length / timing.aMs) * 1000;
  const normalizePerSec = (texts.length / timing.bMs) * 1000;
  // Median of paired slice ratios: robust to load that changes during the run.
  const ratio = timing.ratio;
  const split = measureSplitter(texts, runs);

  const mix = [...kinds.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
  return {
    figures: {
      'normalize.entriesPerSecond': Math.round(normalizePerSec),
      'normalize.jsonParseEntriesPerSecond': Math.round(parsePerSec),
      'normalize.ratio': Number(ratio.toFixed(3)),
      'normalize.exportSplitMBPerSecond': Math.round(split.splitMBps),
      'normalize.exportJsonParseMBPerSecond': Math.round(split.parseMBps),
    },
    lines: [
      `${texts.length} entries, ${(bytes / 1e6).toFixed(1)} MB of JSON; outcomes: ${mix}`,
      `best of ${runs} passes; ratio = median over ${SLICE}-entry slices timed in pairs`,
      `JSON.parse alone : ${Math.round(parsePerSec).toLocaleString('en')} entries/s`,
      `normalizeText    : ${Math.round(normalizePerSec).toLocaleString('en')} entries/s`,
      `ratio            : ${ratio.toFixed(3)} (target >= 0.5)`,
      `export reader    : ${Math.round(split.splitMBps)} MB/s splitting a pretty-printed gcloud array ` +
        `in 1 MiB chunks (JSON.parse of the whole array in memory: ${Math.round(split.parseMBps)} MB/s)`,
    ],
  };
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then(
    (r) => process.stdout.write(`${r.lines.join('\n')}\n${JSON.stringify(r.figures)}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
