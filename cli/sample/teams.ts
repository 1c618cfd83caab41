/**
 * A team mapping for the sample (the demo loads it, so the team views have something to show):
 * four teams under two parents, one move between teams halfway through the sample, a two-person
 * team that the privacy floor pools, seat holders who never used Gemini, and a few unmapped users.
 */
import { sampleUserIds, type SampleOptions } from './generate';

const TEAMS = [
  ['Payments', 'Product'],
  ['Search', 'Product'],
  ['Platform', 'Engineering'],
  ['Mobile', 'Product'],
] as const;

/** CSV text for `gca-analytics teams import`, for the users of a sample with these options. */
export function sampleTeamMappingCsv(
  opts: SampleOptions & { start: string; days: number },
): string {
  const ids = sampleUserIds(opts);
  const lines = ['user_id,team,parent_team,seat,from,to'];
  const field = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const startMs = Date.parse(`${opts.start}T00:00:00Z`);
  const half = Math.floor(opts.days / 2);
  const moveDay = new Date(startMs + half * 86_400_000).toISOString().slice(0, 10);
  const dayBefore = new Date(startMs + (half - 1) * 86_400_000).toISOString().slice(0, 10);
  // The last two users stay unmapped ("(no team)"); the two before them form a small team.
  const mapped = Math.max(0, ids.length - 2);
  ids.slice(0, mapped).forEach((id, u) => {
    if (u >= mapped - 2 && mapped >= 8) {
      lines.push([field(id), 'Research', 'Engineering', 'true', '', ''].join(','));
      return;
    }
    const [team, parent] = TEAMS[u % TEAMS.length] ?? TEAMS[0];
    if (u === 1 && half >= 1) {
      // A move: Search until the day before the middle of the sample, Platform from then on.
      const [next, nextParent] = TEAMS[2];
      lines.push([field(id), team, parent, 'true', '', dayBefore].join(','));
      lines.push([field(id), next, nextParent, 'true', moveDay, ''].join(','));
      return;
    }
    lines.push([field(id), team, parent, 'true', '', ''].join(','));
  });
  // Licences bought and never used: the inactive seats a licence owner asks about.
  for (let i = 1; i <= 3; i++) {
    const [team, parent] = TEAMS[i % TEAMS.length] ?? TEAMS[0];
    lines.push([`seat.unused${i}@example.com`, team, parent, 'true', '', ''].join(','));
  }
  return `${lines.join('\n')}\n`;
}
