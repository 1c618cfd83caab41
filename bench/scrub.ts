/**
 * Cost of the secret scrubber (shared/content/scrub.ts) per MB of realistic text, and of the
 * whole `scrubbed` content policy per row, the default on the ingest hot path.
 *
 * Corpora, each cut into prompt-sized pieces (0.5-4 kB) as the scrubber sees them:
 * - code: generated source lines in every sample language (cli/sample/content.ts);
 * - prose: chat prompts and agent thoughts;
 * - secrets: code and prose with one credential or `password = "..."` line per ~1.5 kB;
 * - json: the payload JSON of generated log entries (scrubJsonText, as for payload columns).
 * `scrub.mbPerSecond` / `scrub.msPerMb` are over all of them together. Each figure is the best of
 * several timed passes after a warm-up; MB = 10^6 UTF-16 code units (~bytes for this text).
 */
import { applyContentPolicy } from '../shared/content/policy';
import { scrubJsonText, scrubSecrets } from '../shared/content/scrub';
import { normalizeText } from '../shared/normalize/normalize';
import type { NormalizeContext } from '../shared/normalize/outcome';
import { agentPrompt, chatPrompt, codeLines, LANGUAGES, thought } from '../cli/sample/content';
import { generateSample } from '../cli/sample/generate';
import { Rng } from '../cli/sample/prng';
import type { BenchOptions, BenchResult } from './types';

/** Fake credentials of every kind the scrubber knows, assembled so none is a literal here. */
const SECRET_LINES: readonly string[] = [
  `const key = "${'AIza' + 'SyD3k9Xq2LmN8pQr5sTuVwXyZ01234567_-'}";`,
  `export GITHUB_TOKEN=${'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`,
  `aws_access_key_id = ${'AKIA' + 'IOSFODNN7EXAMPLE'}`,
  `aws_secret_access_key = ${'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY'}`,
  'password = "correct horse battery staple"',
  'DB_PASSWORD=hunter2',
  `curl -H "Authorization: Bearer ${'ya29' + '.a0AfH6SMBx3Kq9Zr2Lm8Np5Qs7Tu1Vw3Xy5Za7Bc9De1'}"`,
  `slack: ${'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'}`,
  'postgres://app:s3cr3t@db:5432/orders',
  [
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIEowIBAAKCAQEA7bq98Z1kS1W7v+QkXo3cF1bJm5zv0yZ2c1f8Xq2hJkL9mN0p',
    '-----END RSA PRIVATE KEY-----',
  ].join('\n'),
];

/** Pieces of 0.5-4 kB made by `part`, about `totalChars` in all. */
function corpus(rng: Rng, totalChars: number, part: (rng: Rng) => string): string[] {
  const pieces: string[] = [];
  let total = 0;
  while (total < totalChars) {
    const target = rng.int(512, 4096);
    let piece = '';
    while (piece.length < target) piece += `${part(rng)}\n`;
    pieces.push(piece);
    total += piece.length;
  }
  return pieces;
}

const code = (rng: Rng): string => codeLines(rng, rng.pick(LANGUAGES), rng.int(3, 12));
const prose = (rng: Rng): string =>
  rng.chance(0.5) ? chatPrompt(rng) : `${thought(rng)} ${agentPrompt(rng)}`;
function withSecrets(rng: Rng): string {
  const text = rng.chance(0.6) ? code(rng) : prose(rng);
  return rng.chance(0.5) ? `${text}\n${rng.pick(SECRET_LINES)}` : text;
}

function chars(pieces: readonly string[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/** Best time in ms of `runs` passes of `fn` over `pieces`, after one warm-up pass. */
function bestMs(runs: number, pieces: readonly string[], fn: (s: string) => string): number {
  let sink = 0;
  const pass = (): number => {
    const t0 = process.hrtime.bigint();
    for (const p of pieces) sink += fn(p).length;
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  pass();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, pass());
  if (sink < 0) throw new Error('unreachable');
  return best;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const size = opts.quick ? 200_000 : 4_000_000;
  const runs = opts.quick ? 2 : 7;
  const rng = new Rng(42);
  const sets = {
    code: corpus(rng, size, code),
    prose: corpus(rng, size, prose),
    secrets: corpus(rng, size, withSecrets),
  };
  const entries = opts.quick ? 1_000 : 20_000;
  const payloads: string[] = [];
  const ctx: NormalizeContext = { ingestTime: new Date().toISOString(), contentMode: 'full' };
  type Normalized = ReturnType<typeof normalizeText>;
  const rows: Normalized[] = [];
  for (const entry of generateSample({ seed: 11, entries })) {
    const outcome = normalizeText(JSON.stringify(entry), ctx);
    if (outcome.kind === 'request' || outcome.kind === 'response') {
      if (outcome.row.payload) payloads.push(outcome.row.payload);
    }
    rows.push(outcome);
  }

  const figures: Record<string, number> = {};
  const lines: string[] = [];
  let allChars = 0;
  let allMs = 0;
  const measure = (name: string, pieces: readonly string[], fn: (s: string) => string): void => {
    const ms = bestMs(runs, pieces, fn);
    const mb = chars(pieces) / 1e6;
    allChars += chars(pieces);
    allMs += ms;
    figures[`scrub.${name}MbPerSecond`] = Math.round((mb / ms) * 1000 * 10) / 10;
    lines.push(
      `${name.padEnd(8)} ${mb.toFixed(2)} MB in ${pieces.length} pieces: ${((mb / ms) * 1000).toFixed(1)} MB/s, ${(ms / mb).toFixed(2)} ms/MB`,
    );
  };
  measure('code', sets.code, scrubSecrets);
  measure('prose', sets.prose, scrubSecrets);
  measure('secrets', sets.secrets, scrubSecrets);
  measure('json', payloads, scrubJsonText);
  const mb = allChars / 1e6;
  figures['scrub.mbPerSecond'] = Math.round((mb / allMs) * 1000 * 10) / 10;
  figures['scrub.msPerMb'] = Math.round((allMs / mb) * 100) / 100;
  lines.push(
    `all      ${mb.toFixed(2)} MB: ${figures['scrub.mbPerSecond']} MB/s, ${figures['scrub.msPerMb']} ms/MB`,
  );

  // The whole scrubbed policy per normalized row (the ingest pipeline's cost per entry).
  const policyPass = (): number => {
    let k = 0;
    for (const o of rows) {
      if (o.kind === 'request') k += applyContentPolicy('requests', o.row, 'scrubbed').prompt_chars;
      else if (o.kind === 'response') {
        k += applyContentPolicy('responses', o.row, 'scrubbed').response_chars;
      } else if (o.kind === 'metadata') {
        k += applyContentPolicy('metadata_events', o.row, 'scrubbed').lines_count ?? 0;
      }
    }
    return k;
  };
  policyPass();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    policyPass();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  figures['scrub.policyRowsPerSecond'] = Math.round((rows.length / best) * 1000);
  lines.push(
    `policy   scrubbed applyContentPolicy over ${rows.length} generated entries: ${figures['scrub.policyRowsPerSecond']} rows/s`,
  );
  return { figures, lines };
}
