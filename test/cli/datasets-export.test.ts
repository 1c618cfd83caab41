/**
 * `gca-analytics datasets export`: the spec's samples exported as a Gemini Batch API input file
 * and as evaluation pairs, compared with the expected lines written by hand
 * (test/fixtures/datasets/); paging; and interactions without content skipped and counted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { statePathFor } from '../../cli/context';
import { exportDataset } from '../../shared/datasets/export';
import { openLocalStateStore } from '../../shared/state/local';
import { specExportLines } from '../shared/datasets/spec-entries';
import { runCli } from './run-cli';

const FIXTURES = join(__dirname, '..', 'fixtures', 'datasets');

let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-export-'));
  writeFileSync(join(dir, 'logs.jsonl'), specExportLines());
  expect((await cli('ingest', 'logs.jsonl', '--content-mode', 'full')).code).toBe(0);
  const created = await cli(
    'datasets',
    'create',
    'spec',
    '--from',
    '2023-11-01',
    '--to',
    '2025-12-31',
  );
  expect(created.stdout).toBe('Created dataset spec: 4 interactions.\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return runCli(args, { cwd: dir, now: new Date('2025-10-20T12:00:00Z') });
}

function lines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

const expected = (name: string) => lines(readFileSync(join(FIXTURES, name), 'utf8'));

describe('datasets export', () => {
  it.each([
    ['batch', 'batch.jsonl'],
    ['pairs', 'pairs.jsonl'],
  ])('--format %s writes the expected lines', async (format, fixture) => {
    const run = await cli('datasets', 'export', 'spec', '--format', format, 'out.jsonl');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `Wrote 4 of 4 interactions of spec to ${join(dir, 'out.jsonl')} (${format}).\n`,
    );
    expect(lines(readFileSync(join(dir, 'out.jsonl'), 'utf8'))).toEqual(expected(fixture));
    expect(existsSync(join(dir, 'out.jsonl.partial'))).toBe(false);
  });

  it('streams page by page: a page of one gives the same lines', async () => {
    const deps = await openLocalDeps(join(dir, 'gca-analytics.duckdb'));
    try {
      for (const format of ['batch', 'pairs'] as const) {
        const out: string[] = [];
        const result = await exportDataset(
          deps.warehouse,
          'spec',
          format,
          async (l) => {
            out.push(l);
          },
          { pageSize: 1 },
        );
        expect(result.written).toBe(4);
        expect(out.map((l) => JSON.parse(l) as unknown)).toEqual(expected(`${format}.jsonl`));
      }
    } finally {
      await deps.close();
    }
  });

  it('writes to stdout with -, the summary on stderr', async () => {
    const run = await cli('datasets', 'export', 'spec', '--format', 'batch', '-');
    expect(lines(run.stdout)).toEqual(expected('batch.jsonl'));
    expect(run.stderr).toMatch(/^Wrote 4 of 4 interactions of spec to stdout \(batch\)\.\n$/);
  });

  it('skips and counts interactions whose content or rows are gone', async () => {
    const state = await openLocalStateStore(statePathFor(join(dir, 'gca-analytics.duckdb')));
    await state.setRetentionPolicy({
      contentDays: 30,
      eventDays: 400,
      quarantineDays: 30,
      keepDatasetContent: false,
    });
    await state.close();
    // 2025-12-01: the 2025 agent turns are past content expiry, the 2023 samples past row expiry.
    expect((await cli('retention', '--now', '2025-12-01T00:00:00Z')).code).toBe(0);
    const run = await cli('datasets', 'export', 'spec', '--format', 'pairs', 'out.jsonl');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Wrote 0 of 4 interactions of spec');
    expect(run.stdout).toContain('skipped 2 no-content, 2 missing');
  });

  it('refuses an unknown dataset or format', async () => {
    const unknown = await cli('datasets', 'export', 'nope', '--format', 'batch', 'o.jsonl');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^gca-analytics: no dataset nope in /);
    const format = await cli('datasets', 'export', 'spec', '--format', 'csv', 'o.jsonl');
    expect(format.code).toBe(2);
    expect(existsSync(join(dir, 'o.jsonl'))).toBe(false);
  });
});
