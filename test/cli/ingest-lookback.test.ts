/**
 * `ingest` recomputes incrementally, from the watermark and within the recompute's lookback
 * (GCA_RECOMPUTE_LOOKBACK_DAYS here; BigQuery's default is 7 days): an export holding older days
 * gets a full recompute instead, or its figures would be missing until `recompute --full`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryText, interactionEntries } from '../helpers/entries';
import { countIn, runCli, useTestDir } from './run-cli';

const tmp = useTestDir('gca-cli-ingest-lookback-');
const NOW = new Date('2026-03-01T12:00:00.000Z');
const env = { GCA_RECOMPUTE_LOOKBACK_DAYS: '7' };

function exportOf(name: string, user: string, day: string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, interactionEntries(user, day).map(entryText).join('\n'));
  return file;
}

const suggestionsOn = (day: string) =>
  countIn(
    tmp.db,
    'SELECT COUNT(*) AS n FROM `gca_analytics.suggestions` WHERE SUBSTR(CAST(first_exposure_time AS STRING), 1, 10) = @day',
    { day },
  );

it('recomputes in full when the export holds days beyond the lookback, else incrementally', async () => {
  const ingest = (file: string) =>
    runCli(['ingest', file, '--db', tmp.db], { cwd: tmp.dir, now: NOW, env });
  // The first recompute is a full one (no watermark yet); the next is incremental.
  expect((await ingest(exportOf('first.jsonl', 'ann@x.com', '2026-02-27'))).code).toBe(0);
  const recent = await ingest(exportOf('recent.jsonl', 'cid@x.com', '2026-02-28'));
  expect(recent.stdout).toMatch(/^Recomputed \(incremental\)/m);

  // Thirty days old: out of an incremental run's reach.
  const old = await ingest(exportOf('old.jsonl', 'bob@x.com', '2026-01-30'));
  expect(old.code).toBe(0);
  expect(old.stdout).toMatch(/^Recomputed \(full\)/m);
  expect(await suggestionsOn('2026-01-30')).toBeGreaterThan(0);
  expect(await suggestionsOn('2026-02-27')).toBeGreaterThan(0);
  expect(await suggestionsOn('2026-02-28')).toBeGreaterThan(0);
});
