/**
 * A warehouse whose team sizes change with the range, for the privacy floor of the team views
 * (Looker's derived floor, the HTML dashboard's filters): every figure is derived from the list
 * below, loaded through recompute and `teams import`, so tests compare with `buildReport`.
 *
 * Days 2025-10-06 .. 2025-10-09 (D1..D4). Big: b1..b3 every day, b4..b6 on D1 only (6 users over
 * the range, 3 from D2 on). Steady: s1..s5 every day, and m from D3 (m is in Tiny before), z1 a
 * seat with no activity. Tiny: t1, t2 every day. Gone: g1 on D1 only (a pooled team
 * that has no user after D1). TEAM_SAMPLE_HOSTILE_USER is in no team. One suggestion per active
 * user-day (code, or chat every third), accepted every other one, in three languages and IDEs.
 */
import { runRecompute } from '../../shared/jobs/recompute';
import { openLocalStateStore } from '../../shared/state/local';
import { parseTeamMapping } from '../../shared/teams/mapping';
import { replaceUserTeams } from '../../shared/teams/store';
import { openTempWarehouse, type TempWarehouse } from './duckdb';
import { eventsBatch, type EventSpec } from './metadata-events';

export const TEAM_SAMPLE_DAYS = ['2025-10-06', '2025-10-07', '2025-10-08', '2025-10-09'];

/** The user in no team: an id that would run if a page wrote it as markup. */
export const TEAM_SAMPLE_HOSTILE_USER = '<img src=x onerror="window.__pwned=3">';

// A `teams import` file: its rows look like every other mapping in the tests (data, not logic).
const MAPPING = `user_id,team,seat,from,to
b1,Big,true,,
b2,Big,true,,
b3,Big,true,,
b4,Big,true,,
b5,Big,true,,
b6,Big,true,,
s1,Steady,true,,
s2,Steady,true,,
s3,Steady,true,,
s4,Steady,true,,
s5,Steady,true,,
z1,Steady,true,,
m,Tiny,true,,2025-10-07
m,Steady,true,2025-10-08,
t1,Tiny,true,,
t2,Tiny,false,,
g1,Gone,true,,
`;

/** The days each user is active on. */
function activity(): [string, string[]][] {
  const all = TEAM_SAMPLE_DAYS;
  return [
    ...[
      'b1',
      'b2',
      'b3',
      's1',
      's2',
      's3',
      's4',
      's5',
      'm',
      't1',
      't2',
      TEAM_SAMPLE_HOSTILE_USER,
    ].map((u): [string, string[]] => [u, all]),
    ...['b4', 'b5', 'b6', 'g1'].map((u): [string, string[]] => [u, all.slice(0, 1)]),
  ];
}

function events(): EventSpec[] {
  const out: EventSpec[] = [];
  let n = 0;
  for (const [user, days] of activity()) {
    for (const day of days) {
      n++;
      const kind = n % 3 === 0 ? 'chat' : 'code';
      const id = `x${n}`;
      const common = {
        id,
        user,
        language: ['go', 'python', 'typescript'][n % 3] ?? null,
        client: ['IntelliJ', 'CloudCodeVscode', 'cloudcode_cli'][n % 3] ?? null,
        agentic: n % 4 === 0,
      };
      out.push({ ...common, type: `${kind}_exposure`, at: `${day}T10:00:00Z` });
      if (n % 2 === 0) {
        out.push({ ...common, type: `${kind}_acceptance`, at: `${day}T10:00:05Z`, lines: n % 5 });
      }
    }
  }
  return out;
}

/** A temp DuckDB warehouse with the sample recomputed and its team mapping imported. */
export async function openTeamSampleWarehouse(): Promise<TempWarehouse> {
  const now = new Date('2025-11-01T00:00:00Z');
  const temp = await openTempWarehouse();
  const state = await openLocalStateStore(`${temp.dir}/state.json`);
  try {
    await temp.warehouse.insertRaw(eventsBatch(events()));
    await runRecompute({ warehouse: temp.warehouse, state, now: () => now }, { full: true });
    await replaceUserTeams(temp.warehouse, parseTeamMapping(MAPPING), now);
  } catch (err) {
    await temp.cleanup();
    throw err;
  } finally {
    await state.close();
  }
  return temp;
}
