/**
 * Normalization throughput beside JSON.parse alone, on the same texts in the same process:
 * a realistic mixed set of generated entries (shared/sample/generate.ts) serialized to JSON, then
 * `JSON.parse` over all of them and `normalizeText` (mode full) over all of them, each warmed up
 * and timed as the best of several runs. Target: ratio >= 0.5, i.e. validation and normalization
 * cost no more than parsing itself.
 */
import { normalizeText } from '../shared/normalize/normalize';
import type { NormalizeContext } from '../shared/normalize/outcome';
import { generateSample } from '../shared/sample/generate';
import type { BenchOptions, BenchResult } from './types';

const FULL_ENTRIES = 100_000;
const QUICK_ENTRIES = 5_000;

/** Milliseconds of one call of `fn`, and its result. */
function timed(fn: () => number): { ms: number; check: number } {
  const t0 = process.hrtime.bigint();
  const check = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, check };
}

/**
 * Best (shortest) time of `runs` calls of each of `a` and `b`, after one untimed warm-up call
 * of each. The calls alternate, so a busy machine slows both alike rather than one of them.
 */
function bestOfInterleaved(
  runs: number,
  a: () => number,
  b: () => number,
): [{ ms: number; check: number }, { ms: number; check: number }] {
  let bestA = timed(a);
  let bestB = timed(b);
  bestA = { ...bestA, ms: Number.POSITIVE_INFINITY };
  bestB = { ...bestB, ms: Number.POSITIVE_INFINITY };
  for (let i = 0; i < runs; i++) {
    const ra = timed(a);
    if (ra.ms < bestA.ms) bestA = ra;
    const rb = timed(b);
    if (rb.ms < bestB.ms) bestB = rb;
  }
  return [bestA, bestB];
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

  // Each pass returns a value derived from every result, so nothing is optimized away.
  const kinds = new Map<string, number>();
  const [parse, normalize] = bestOfInterleaved(
    runs,
    () => {
      let k = 0;
      for (const t of texts) if (JSON.parse(t) !== null) k++;
      return k;
    },
    () => {
      kinds.clear();
      let k = 0;
      for (const t of texts) {
        const o = normalizeText(t, ctx);
        kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
        if (o.kind !== 'quarantined') k++;
      }
      return k;
    },
  );

  const parsePerSec = (texts.length / parse.ms) * 1000;
  const normalizePerSec = (texts.length / normalize.ms) * 1000;
  const ratio = normalizePerSec / parsePerSec;
  const mix = [...kinds.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
  return {
    figures: {
      'normalize.entriesPerSecond': Math.round(normalizePerSec),
      'normalize.jsonParseEntriesPerSecond': Math.round(parsePerSec),
      'normalize.ratio': Number(ratio.toFixed(3)),
    },
    lines: [
      `${texts.length} entries, ${(bytes / 1e6).toFixed(1)} MB of JSON (${mix}); best of ${runs}`,
      `JSON.parse alone : ${Math.round(parsePerSec).toLocaleString('en')} entries/s`,
      `normalizeText    : ${Math.round(normalizePerSec).toLocaleString('en')} entries/s`,
      `ratio            : ${ratio.toFixed(3)} (target >= 0.5)`,
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
