import { sampleUserIds } from '../../../cli/sample/generate';
import { sampleTeamMappingCsv } from '../../../cli/sample/teams';
import { parseTeamMapping } from '../../../shared/teams/mapping';

describe('sample team mapping', () => {
  const opts = { seed: 42, users: 40, days: 28, start: '2026-11-05' };

  it('is a valid mapping of the sample users: four teams, a move, a small team, unused seats', () => {
    const rows = parseTeamMapping(sampleTeamMappingCsv(opts));
    const ids = sampleUserIds(opts);
    const mapped = new Set(rows.map((r) => r.userId));
    // The last two users stay unmapped: "(no team)".
    expect(ids.filter((id) => !mapped.has(id))).toEqual(ids.slice(-2));
    const teams = new Map<string, Set<string>>();
    for (const r of rows) teams.set(r.team, (teams.get(r.team) ?? new Set()).add(r.userId));
    expect([...teams.keys()].sort()).toEqual([
      'Mobile',
      'Payments',
      'Platform',
      'Research',
      'Search',
    ]);
    expect(teams.get('Research')?.size).toBe(2);
    const mover = rows.filter((r) => r.userId === ids[1]);
    expect(mover.map((r) => [r.team, r.from, r.to])).toEqual([
      ['Search', null, '2026-11-18'],
      ['Platform', '2026-11-19', null],
    ]);
    expect(rows.filter((r) => r.userId.startsWith('seat.unused'))).toHaveLength(3);
  });
});
