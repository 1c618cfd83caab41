import fc from 'fast-check';
import {
  RECOMPUTE_JOB,
  rebuildDays,
  rebuildUsers,
  runRecompute,
} from '../../../shared/jobs/recompute';
import { buildReport } from '../../../shared/metrics/report';
import { openLocalStateStore } from '../../../shared/state/local';
import type { Warehouse } from '../../../shared/warehouse/port';
import { openDuckDbWarehouse } from '../../../shared/warehouse/duckdb';
import { useTempJobSetup } from '../../helpers/duckdb';
import { eventsBatch, type EventSpec } from '../../helpers/metadata-events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const T0 = Date.parse('2025-10-10T00:00:00Z');
const hours = (h: number): Date => new Date(T0 + h * 3_600_000);

/** Every metric table, ordered, without updated_at (or with it). */
async function snapshot(w: Warehouse, withUpdatedAt = false): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const t of ['suggestions', 'acceptance_daily', 'lines_accepted_daily']) {
    const rows = await w.query(`SELECT * FROM \`gca_analytics.${t}\` ORDER BY ALL`);
    out.push(
      rows.map((r) => {
        if (withUpdatedAt) return r;
        const { updated_at: _u, ...rest } = r as Record<string, unknown>;
        return rest;
      }),
    );
  }
  return out;
}

describe('recompute on DuckDB', () => {
  const temp = useTempJobSetup();

  const run = (at: Date, opts: { full?: boolean; holder?: string } = {}) =>
    runRecompute({ warehouse: temp.warehouse, state: temp.state, now: () => at }, opts);

  it('first run is full, then incremental from the watermark; a late acceptance rebuilds its day', async () => {
    await temp.warehouse.insertRaw(
      eventsBatch([
        {
          type: 'code_exposure',
          id: 'a',
          at: '2025-10-08T10:00:00Z',
          ingestedAt: '2025-10-09T00:00:00Z',
        },
        {
          type: 'code_exposure',
          id: 'b',
          at: '2025-10-08T11:00:00Z',
          ingestedAt: '2025-10-09T00:00:00Z',
        },
      ]),
    );
    const first = await run(hours(0));
    expect(first).toMatchObject({ status: 'done', mode: 'full', suggestionsWritten: 2 });
    expect(first.daysRebuilt).toEqual(['2025-10-08']);
    expect(await temp.state.getWatermark(RECOMPUTE_JOB)).toBe('2025-10-10T00:00:00.000000Z');

    // The acceptance of `a` arrives two days later; `c` is new on another day.
    await temp.warehouse.insertRaw(
      eventsBatch([
        {
          type: 'code_acceptance',
          id: 'a',
          at: '2025-10-10T00:30:00Z',
          lines: 9,
          ingestedAt: '2025-10-10T01:00:00Z',
        },
        {
          type: 'chat_exposure',
          id: 'c',
          at: '2025-10-10T00:40:00Z',
          ingestedAt: '2025-10-10T01:00:00Z',
        },
      ]),
    );
    const second = await run(hours(2));
    expect(second).toMatchObject({
      status: 'done',
      mode: 'incremental',
      touchedSuggestions: 2,
      suggestionsRemoved: 1,
      suggestionsWritten: 2,
      daysRebuilt: ['2025-10-08', '2025-10-10'],
      watermark: '2025-10-10T02:00:00.000000Z',
    });
    const report = await buildReport(temp.warehouse);
    // Figures stated in full, as in the report tests.
    expect(report.byDay['2025-10-08']?.code).toEqual({
      exposed: 2,
      accepted: 1,
      acceptanceRate: 0.5,
      linesAccepted: 9,
    });
    expect(report.byDay['2025-10-10']?.chat.exposed).toBe(1);
  });

  it('running twice changes nothing, updated_at included', async () => {
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' },
        { type: 'code_acceptance', id: 'a', at: '2025-10-08T10:01:00Z', lines: 2 },
      ]),
    );
    await run(hours(0));
    const before = await snapshot(temp.warehouse, true);
    const again = await run(hours(1));
    expect(again).toMatchObject({
      status: 'done',
      suggestionsRemoved: 0,
      suggestionsWritten: 0,
      daysRebuilt: [],
    });
    const full = await run(hours(2), { full: true });
    expect(full).toMatchObject({ status: 'done', suggestionsRemoved: 0, suggestionsWritten: 0 });
    // A full run rebuilds daily rows (new updated_at) but suggestions are untouched.
    const after = await snapshot(temp.warehouse, true);
    expect(after[0]).toEqual(before[0]);
    expect(await snapshot(temp.warehouse)).toEqual(
      before.map((rows) =>
        (rows as Record<string, unknown>[]).map(({ updated_at: _u, ...rest }) => rest),
      ),
    );
  });

  it('returns locked while another run holds the lease, and runs once it is released', async () => {
    const lease = await temp.state.acquireLease(RECOMPUTE_JOB, 'other-run', 60_000, hours(0));
    expect(lease).not.toBeNull();
    const locked = await run(hours(0), { holder: 'me' });
    expect(locked).toMatchObject({ status: 'locked', watermark: null });
    expect(await temp.state.getWatermark(RECOMPUTE_JOB)).toBeNull();
    if (lease) await temp.state.releaseLease(lease);
    expect((await run(hours(0), { holder: 'me' })).status).toBe('done');
    // The run released its own lease.
    expect(await temp.state.acquireLease(RECOMPUTE_JOB, 'next', 60_000, hours(0))).not.toBeNull();
  });

  it('rebuildUsers removes an erased user from every figure; rebuildDays is idempotent', async () => {
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z', user: 'alice@example.com' },
        {
          type: 'code_acceptance',
          id: 'a',
          at: '2025-10-08T10:00:01Z',
          user: 'alice@example.com',
          lines: 3,
        },
        { type: 'code_exposure', id: 'b', at: '2025-10-08T10:00:00Z', user: 'bob@example.com' },
      ]),
    );
    await run(hours(0));
    await temp.warehouse.execute('DELETE FROM `gca_raw.metadata_events` WHERE user_id = @u', {
      u: 'alice@example.com',
    });
    const days = await rebuildUsers(temp.warehouse, ['alice@example.com'], hours(1));
    expect(days).toEqual(['2025-10-08']);
    const report = await buildReport(temp.warehouse);
    expect(Object.keys(report.byUser)).toEqual(['bob@example.com']);
    expect(report.code).toEqual({ exposed: 1, accepted: 0, acceptanceRate: 0, linesAccepted: 0 });
    const before = await snapshot(temp.warehouse);
    await rebuildDays(temp.warehouse, ['2025-10-08', '2025-10-09'], hours(2));
    expect(await snapshot(temp.warehouse)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: incremental recompute over ingest waves equals a full rebuild and the spec's
// formulas computed independently here.

const IDS = ['s1', 's2', 's3', 's4'];
const eventArb = fc.record({
  type: fc.constantFrom(
    'code_exposure',
    'code_acceptance',
    'chat_exposure',
    'chat_acceptance',
  ) as fc.Arbitrary<EventSpec['type']>,
  id: fc.constantFrom(...IDS),
  // Events over 8 days: every suggestion spans less than SUGGESTION_SPAN_DAYS.
  minute: fc.integer({ min: 0, max: 8 * 24 * 60 }),
  lines: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
  language: fc.constantFrom('python', 'go', '', null),
  user: fc.constantFrom('u1', 'u2'),
  wave: fc.integer({ min: 0, max: 2 }),
  dup: fc.boolean(),
});

function oracle(
  events: EventSpec[],
): Record<'code' | 'chat', { exposed: number; accepted: number; lines: number }> {
  const by = new Map<string, EventSpec[]>();
  for (const e of events) {
    const kind = e.type.startsWith('code') ? 'code' : 'chat';
    const k = `${kind}:${e.id}`;
    by.set(k, [...(by.get(k) ?? []), e]);
  }
  const out = {
    code: { exposed: 0, accepted: 0, lines: 0 },
    chat: { exposed: 0, accepted: 0, lines: 0 },
  };
  for (const [k, evs] of by) {
    const t = out[k.startsWith('code') ? 'code' : 'chat'];
    const acc = evs.filter((e) => e.type.endsWith('acceptance'));
    if (evs.some((e) => e.type.endsWith('exposure'))) t.exposed += 1;
    if (acc.length > 0) t.accepted += 1;
    t.lines += Math.max(0, ...acc.map((e) => e.lines ?? 0));
  }
  return out;
}

describe('incremental recompute (property)', () => {
  // Without a lookback (DuckDB's default) and with one whose read horizon bounds every read
  // (the runs are on 2025-10-10: lookback from 2025-09-30, horizon from 2025-09-16).
  it.each([[undefined], [10]])(
    'lookback %p: equals a full rebuild and the spec formulas, whatever the waves and duplicates',
    async (lookbackDays) => {
      const dir = mkdtempSync(join(tmpdir(), 'gca-prop-'));
      try {
        let n = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 25 }), async (raw) => {
            n += 1;
            const warehouse = await openDuckDbWarehouse(':memory:');
            const state = await openLocalStateStore(join(dir, `state-${n}.json`));
            try {
              await warehouse.ensureSchema();
              const specs: (EventSpec & { wave: number; dup: boolean })[] = raw.map((r, i) => ({
                type: r.type,
                id: r.id,
                at: new Date(Date.parse('2025-10-01T00:00:00Z') + r.minute * 60_000).toISOString(),
                insertId: `e${i}`,
                lines: r.type.endsWith('acceptance') ? r.lines : null,
                language: r.language,
                user: r.user,
                ingestedAt: hours(r.wave * 2 + 1).toISOString(),
                wave: r.wave,
                dup: r.dup,
              }));
              for (let wave = 0; wave <= 2; wave++) {
                const inWave = specs.filter((s) => s.wave === wave);
                // Redeliveries: the same entry again in this wave and the next.
                const dups = specs.filter((s) => s.dup && s.wave < wave);
                await warehouse.insertRaw(
                  eventsBatch([...inWave, ...inWave.filter((s) => s.dup), ...dups]),
                );
                const r = await runRecompute(
                  { warehouse, state, now: () => hours(wave * 2 + 2) },
                  lookbackDays === undefined ? {} : { lookbackDays },
                );
                expect(r.status).toBe('done');
              }
              const incremental = await snapshot(warehouse);
              await runRecompute({ warehouse, state, now: () => hours(10) }, { full: true });
              expect(await snapshot(warehouse)).toEqual(incremental);
              const report = await buildReport(warehouse);
              const want = oracle(specs);
              for (const kind of ['code', 'chat'] as const) {
                expect(report[kind].exposed).toBe(want[kind].exposed);
                expect(report[kind].accepted).toBe(want[kind].accepted);
                expect(report[kind].linesAccepted).toBe(want[kind].lines);
              }
            } finally {
              await state.close();
              await warehouse.close();
            }
          }),
          { numRuns: 15 },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
