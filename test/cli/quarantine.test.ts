/**
 * `gca-analytics quarantine list|reprocess` on a local warehouse. The quarantine holds what an
 * older ingest could not read: an entry today's code normalizes (one the live path has also
 * stored since, and one it has not), one that still fails (with a reason that changed), one
 * whose raw text was truncated, one of a user erased since (truncated too), and one of another
 * resource type.
 */
import { openLocalDeps } from '../../cli/main';
import {
  ingestRecords,
  makeQuarantineRow,
  QUARANTINE_RAW_CHARS,
} from '../../shared/pipeline/ingest';
import type { QuarantineReason } from '../../shared/tables/registry';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { countIn, runCli, useTestDir } from './run-cli';

const NOW = new Date('2026-03-01T00:00:00.000Z');
const DAY = '2026-02-27';

const tmp = useTestDir('gca-cli-quarantine-');

function exposure(id: string, user: string, insertId: string): string {
  return entryText(
    makeMetadataEntry(
      'codeExposure',
      { originalRequestId: id, programmingLanguage: 'go' },
      { insertId, timestamp: `${DAY}T10:00:00Z`, labels: { user_id: user } },
    ),
  );
}

const LIVE = exposure('s-live', 'ann@x.com', 'q-live');
const FIXED = exposure('s-fixed', 'ann@x.com', 'q-fixed');
const { jsonPayload: erasedPayload, ...erasedEnvelope } = JSON.parse(
  exposure('s-erased', 'eve@x.com', 'q-erased'),
) as Record<string, unknown>;
// Longer than the raw text quarantine keeps, with labels after the payload as an export writes
// them: its row is truncated, and still names its user.
const ERASED = JSON.stringify({
  jsonPayload: { ...(erasedPayload as object), note: 'x'.repeat(QUARANTINE_RAW_CHARS) },
  ...erasedEnvelope,
});
const FOREIGN = JSON.stringify({
  ...JSON.parse(FIXED),
  insertId: 'q-foreign',
  resource: { type: 'gce_instance' },
});
const BROKEN = '{"insertId": "q-broken", "timestamp": ';
const HUGE = `{"insertId":"q-huge","pad":"${'x'.repeat(QUARANTINE_RAW_CHARS + 10)}"}`;

function quarantined(raw: string, reason: QuarantineReason, source: string) {
  return makeQuarantineRow({
    source,
    reason,
    detail: 'an older version could not read it',
    raw,
    quarantineTime: '2026-02-27T11:00:00.000000Z',
  });
}

async function seed(): Promise<void> {
  const deps = await openLocalDeps(tmp.db);
  try {
    // The live path stored one of them since.
    await ingestRecords([{ text: LIVE, source: 'pubsub' }], deps.warehouse, {
      context: { ingestTime: '2026-02-28T00:00:00.000000Z', contentMode: 'full' },
    });
    await deps.warehouse.insertRaw({
      requests: [],
      responses: [],
      metadata_events: [],
      quarantine: [
        quarantined(LIVE, 'invalid_payload', 'pubsub#1'),
        quarantined(FIXED, 'invalid_payload', 'pubsub#2'),
        quarantined(ERASED, 'invalid_payload', 'pubsub#3'),
        quarantined(FOREIGN, 'invalid_payload', 'pubsub#4'),
        quarantined(BROKEN, 'invalid_payload', 'pubsub#5'),
        quarantined(HUGE, 'too_large', 'pubsub#6'),
      ],
    });
    await deps.state.requestErasure('eve@x.com', NOW);
  } finally {
    await deps.close();
  }
}

const count = (sql: string) => countIn(tmp.db, sql);

// Each test seeds the quarantine and runs one subcommand, so it reads on its own.
it('lists counts by reason with samples, and flags the truncated row', async () => {
  await seed();
  const run = await runCli(['quarantine', 'list', '--db', tmp.db, '--json'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const listing = JSON.parse(run.stdout);
  expect(listing.total).toBe(6);
  expect(listing.byReason).toEqual([
    expect.objectContaining({ reason: 'invalid_payload', count: 5 }),
    expect.objectContaining({ reason: 'too_large', count: 1 }),
  ]);
  const huge = listing.samples.find((s: { reason: string }) => s.reason === 'too_large');
  expect(huge.truncated).toBe(true);
  expect(listing.samples.filter((s: { truncated: boolean }) => s.truncated)).toHaveLength(1);

  const filtered = await runCli(
    ['quarantine', 'list', '--db', tmp.db, '--reason', 'too_large', '--from', DAY, '--to', DAY],
    { cwd: tmp.dir, now: NOW },
  );
  expect(filtered.stdout).toMatch(/^1 quarantined entries:/);
  expect(filtered.stdout).toMatch(/raw truncated: reprocess leaves it/);
  const none = await runCli(['quarantine', 'list', '--db', tmp.db, '--from', '2026-02-28'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(none.stdout).toBe('No quarantined entries match.\n');
});

// Seeded and run as the test above, to read on its own.
it('moves what now normalizes, keeps what fails with its new reason, drops erased users; idempotent', async () => {
  await seed();
  const run = await runCli(['quarantine', 'reprocess', '--db', tmp.db, '--json'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result).toMatchObject({
    read: 6,
    moved: 2,
    alreadyStored: 1,
    stillFailing: 1,
    reasonChanged: 1,
    skipped: 1,
    erased: 1,
    truncated: 1,
    noRaw: 0,
    failingByReason: { invalid_json: 1 },
    days: [DAY],
  });
  expect(result.recompute.status).toBe('done');
  // Two exposures, each once; nothing of the erased user.
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(2);
  expect(
    await count("SELECT COUNT(*) AS n FROM gca_raw.metadata_events WHERE user_id = 'eve@x.com'"),
  ).toBe(0);
  expect(await count('SELECT COUNT(*) AS n FROM gca_analytics.suggestions')).toBe(2);
  expect(
    await count("SELECT COUNT(*) AS n FROM gca_raw.quarantine WHERE reason = 'invalid_json'"),
  ).toBe(1);
  expect(
    await count("SELECT COUNT(*) AS n FROM gca_raw.quarantine WHERE reason = 'too_large'"),
  ).toBe(1);
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.quarantine')).toBe(2);

  const again = await runCli(['quarantine', 'reprocess', '--db', tmp.db, '--json'], {
    cwd: tmp.dir,
    now: NOW,
  });
  // The command's own counts, stated in full (as every command test does for its summary).
  expect(JSON.parse(again.stdout)).toMatchObject({
    read: 2,
    moved: 0,
    stillFailing: 1,
    reasonChanged: 0,
    truncated: 1,
  });
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(2);
});

it('--dry-run changes nothing; a bad --from is a usage error', async () => {
  await seed();
  const dry = await runCli(['quarantine', 'reprocess', '--db', tmp.db, '--dry-run'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/2 would move to the raw tables/);
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.quarantine')).toBe(6);
  const bad = await runCli(['quarantine', 'list', '--db', tmp.db, '--from', 'yesterday'], {
    cwd: tmp.dir,
  });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--from must be a day/);
});
