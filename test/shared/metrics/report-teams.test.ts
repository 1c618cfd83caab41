/**
 * Team figures, engagement, seats and the privacy floor on DuckDB, against figures computed by
 * hand (docs/analysts.md, "Teams", "Engagement and seats").
 *
 * Mapping: a1..a4 in A; m in B until 2025-10-08, in A from 2025-10-09; b1 in B; s1 in A with a
 * seat and no activity; s2 in B without a seat; u not mapped.
 * Suggestions (all code unless said): 10-08: a1 x1 accepted (2 lines), a2 x3, m x6 accepted (3),
 * b1 x8, u x9 accepted (1). 10-09: a1 x2, a3 x4 chat accepted (5), a4 x5 accepted (1),
 * m x7 accepted (4).
 */
import { runRecompute } from '../../../shared/jobs/recompute';
import { buildReport } from '../../../shared/metrics/report';
import { parseTeamMapping } from '../../../shared/teams/mapping';
import { replaceUserTeams } from '../../../shared/teams/store';
import { useTempJobSetup } from '../../helpers/duckdb';
import { eventsBatch, type EventSpec } from '../../helpers/metadata-events';

const NOW = new Date('2025-11-01T00:00:00Z');

// A `teams import` file, as described above: its rows look like every other mapping in the tests.
const MAPPING = `user_id,team,seat,from,to
a1,A,true,,
a2,A,true,,
a3,A,true,,
a4,A,true,,
m,B,true,,2025-10-08
m,A,true,2025-10-09,
b1,B,true,,
s1,A,true,,
s2,B,false,,
`;

function suggestion(
  user: string,
  id: string,
  day: string,
  accepted: number | null,
  kind: 'code' | 'chat' = 'code',
): EventSpec[] {
  const at = `${day}T10:00:00Z`;
  const out: EventSpec[] = [{ type: `${kind}_exposure`, id, at, user }];
  if (accepted !== null) {
    out.push({ type: `${kind}_acceptance`, id, at: `${day}T10:00:05Z`, user, lines: accepted });
  }
  return out;
}

const EVENTS: EventSpec[] = [
  ...suggestion('a1', 'x1', '2025-10-08', 2),
  ...suggestion('a2', 'x3', '2025-10-08', null),
  ...suggestion('m', 'x6', '2025-10-08', 3),
  ...suggestion('b1', 'x8', '2025-10-08', null),
  ...suggestion('u', 'x9', '2025-10-08', 1),
  ...suggestion('a1', 'x2', '2025-10-09', null),
  ...suggestion('a3', 'x4', '2025-10-09', 5, 'chat'),
  ...suggestion('a4', 'x5', '2025-10-09', 1),
  ...suggestion('m', 'x7', '2025-10-09', 4),
];

describe('report by team (hand-computed)', () => {
  const temp = useTempJobSetup('all');
  beforeAll(async () => {
    await temp.warehouse.insertRaw(eventsBatch(EVENTS));
    await runRecompute(
      { warehouse: temp.warehouse, state: temp.state, now: () => NOW },
      { full: true },
    );
    await replaceUserTeams(temp.warehouse, parseTeamMapping(MAPPING), NOW);
  });

  it('counts a suggestion for its user team on its day, pooling teams under 5 users', async () => {
    const r = await buildReport(temp.warehouse);
    // A: a1..a4 and m (from 10-09) = 5 users. B (m, b1) and (no team) (u) are pooled.
    expect(Object.keys(r.byTeam)).toEqual(['(small teams)', 'A']);
    expect(r.byTeam.A?.code).toEqual({
      exposed: 5,
      accepted: 3,
      acceptanceRate: 3 / 5,
      linesAccepted: 7,
    });
    expect(r.byTeam.A?.chat).toEqual({
      exposed: 1,
      accepted: 1,
      acceptanceRate: 1,
      linesAccepted: 5,
    });
    expect(r.byTeam.A?.total).toEqual({
      exposed: 6,
      accepted: 4,
      acceptanceRate: 4 / 6,
      linesAccepted: 12,
    });
    expect(r.byTeam['(small teams)']?.total).toEqual({
      exposed: 3,
      accepted: 2,
      acceptanceRate: 2 / 3,
      linesAccepted: 4,
    });
    // Same shape as byUser entries.
    expect(Object.keys(r.byTeam.A ?? {})).toEqual(Object.keys(r.byUser.a1 ?? {}));
    expect(r.byTeamDay.A?.['2025-10-08']?.total.exposed).toBe(2);
    expect(r.byTeamDay.A?.['2025-10-09']?.total.exposed).toBe(4);
    expect(r.teams).toEqual({
      minTeamSize: 5,
      mappingRows: 9,
      pooledTeams: 2,
      peopleOmitted: false,
    });
  });

  it('shows every team with a floor of 1, the mover counted in B then in A', async () => {
    const r = await buildReport(temp.warehouse, { minTeamSize: 1 });
    expect(Object.keys(r.byTeam)).toEqual(['(no team)', 'A', 'B']);
    // Figures stated in full, hand-computed from EVENTS.
    expect(r.byTeam.B?.code).toEqual({
      exposed: 2,
      accepted: 1,
      acceptanceRate: 0.5,
      linesAccepted: 3,
    });
    expect(r.byTeam['(no team)']?.code.accepted).toBe(1);
  });

  it('computes engagement and seats per team and per user', async () => {
    const r = await buildReport(temp.warehouse);
    expect(r.engagement.byTeam.A).toEqual({
      activeUsers: 5,
      engagedUsers: 4, // a2 accepted nothing
      activeUserDays: 6, // a1 2, a2 1, a3 1, a4 1, m 1 (in A)
      accepted: 4,
      acceptedPerActiveUser: 0.8,
      lastActiveDay: '2025-10-09',
      seats: 6, // a1..a4, m (A is their last period), s1
      inactiveSeats: 1, // s1
    });
    expect(r.engagement.byTeam['(small teams)']).toEqual({
      activeUsers: 3, // m (in B), b1, u
      engagedUsers: 2,
      activeUserDays: 3,
      accepted: 2,
      acceptedPerActiveUser: 2 / 3,
      lastActiveDay: '2025-10-08',
      seats: 1, // b1; s2 holds no seat
      inactiveSeats: 0,
    });
    expect(r.engagement.byUser.m).toEqual({
      team: 'A',
      activeDays: 2,
      accepted: 2,
      engaged: true,
      lastActiveDay: '2025-10-09',
    });
    expect(r.engagement.byUser.a2).toEqual({
      team: 'A',
      activeDays: 1,
      accepted: 0,
      engaged: false,
      lastActiveDay: '2025-10-08',
    });
    expect(r.engagement.inactiveSeats).toEqual([{ userId: 's1', team: 'A' }]);
  });

  it('applies the range to the floor and to inactive seats', async () => {
    const r = await buildReport(temp.warehouse, { from: '2025-10-09' });
    // On 10-09 A has a1, a3, a4, m: 4 users, under the floor.
    expect(Object.keys(r.byTeam)).toEqual(['(small teams)']);
    expect(r.engagement.inactiveSeats.map((s) => s.userId)).toEqual(['a2', 'b1', 's1']);
    const wide = await buildReport(temp.warehouse, { from: '2025-10-09', minTeamSize: 4 });
    expect(Object.keys(wide.byTeam)).toEqual(['A']);
  });
});
