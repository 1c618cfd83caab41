/** A hand-made Report for rendering tests, built from a few suggestions so the sums agree. */
import type { Figures, GroupFigures, Report } from '../../../shared/metrics/report-schema';

export interface TestSuggestion {
  kind: 'code' | 'chat';
  day: string;
  user: string;
  /** Team of the user; default "(no team)". */
  team?: string;
  language: string;
  client: string;
  agent: boolean;
  exposed: boolean;
  accepted: boolean;
  lines: number;
}

function figures(list: TestSuggestion[]): Figures {
  const exposed = list.filter((s) => s.exposed).length;
  const accepted = list.filter((s) => s.accepted).length;
  return {
    exposed,
    accepted,
    acceptanceRate: exposed === 0 ? null : accepted / exposed,
    linesAccepted: list.reduce((n, s) => n + (s.accepted ? s.lines : 0), 0),
  };
}

function group(list: TestSuggestion[]): GroupFigures {
  return {
    code: figures(list.filter((s) => s.kind === 'code')),
    chat: figures(list.filter((s) => s.kind === 'chat')),
    total: figures(list),
  };
}

function by(
  list: TestSuggestion[],
  key: (s: TestSuggestion) => string,
): Record<string, GroupFigures> {
  const out: Record<string, GroupFigures> = {};
  for (const k of new Set(list.map(key))) out[k] = group(list.filter((s) => key(s) === k));
  return out;
}

/** Builds a consistent Report from suggestions (the arithmetic of docs/analysts.md, "What the figures mean"). */
export function makeReport(list: TestSuggestion[]): Report {
  const g = group(list);
  const dau: Record<string, number> = {};
  for (const day of new Set(list.map((s) => s.day))) {
    dau[day] = new Set(list.filter((s) => s.day === day).map((s) => s.user)).size;
  }
  const days = [...new Set(list.map((s) => s.day))].sort();
  return {
    ...g,
    byLanguage: by(list, (s) => s.language),
    byUser: by(list, (s) => s.user),
    byDay: by(list, (s) => s.day),
    orphanAcceptances: list.filter((s) => s.accepted && !s.exposed).length,
    rows: {
      requests: list.length * 2,
      responses: list.length * 2,
      metadataEvents: list.length,
      quarantined: 1,
    },
    range: { from: days[0] ?? null, to: days[days.length - 1] ?? null },
    byClient: by(list, (s) => s.client),
    byAgentMode: {
      agent: group(list.filter((s) => s.agent)),
      nonAgent: group(list.filter((s) => !s.agent)),
    },
    dailyActiveUsers: dau,
    activeUsers: new Set(list.map((s) => s.user)).size,
    ...teamParts(list),
  };
}

/** Team figures and engagement with no privacy floor (minTeamSize 1). */
function teamParts(
  list: TestSuggestion[],
): Pick<Report, 'byTeam' | 'byTeamDay' | 'engagement' | 'teams'> {
  const teamOf = (s: TestSuggestion): string => s.team ?? '(no team)';
  const byTeam = by(list, teamOf);
  const byTeamDay: Report['byTeamDay'] = {};
  for (const team of Object.keys(byTeam)) {
    byTeamDay[team] = by(
      list.filter((s) => teamOf(s) === team),
      (s) => s.day,
    );
  }
  const engagement: Report['engagement'] = { byUser: {}, byTeam: {}, inactiveSeats: [] };
  for (const user of new Set(list.map((s) => s.user))) {
    const mine = list.filter((s) => s.user === user);
    const days = [...new Set(mine.map((s) => s.day))].sort();
    const accepted = mine.filter((s) => s.accepted).length;
    engagement.byUser[user] = {
      team: teamOf(mine[mine.length - 1] as TestSuggestion),
      activeDays: days.length,
      accepted,
      engaged: accepted > 0,
      lastActiveDay: days[days.length - 1] ?? null,
    };
  }
  for (const team of Object.keys(byTeam)) {
    const mine = list.filter((s) => teamOf(s) === team);
    const users = new Set(mine.map((s) => s.user));
    const accepted = mine.filter((s) => s.accepted).length;
    const userDays = new Set(mine.map((s) => `${s.user} ${s.day}`)).size;
    engagement.byTeam[team] = {
      activeUsers: users.size,
      engagedUsers: new Set(mine.filter((s) => s.accepted).map((s) => s.user)).size,
      activeUserDays: userDays,
      accepted,
      acceptedPerActiveUser: users.size > 0 ? accepted / users.size : null,
      lastActiveDay: [...mine.map((s) => s.day)].sort().pop() ?? null,
      seats: 0,
      inactiveSeats: 0,
    };
  }
  return {
    byTeam,
    byTeamDay,
    engagement,
    teams: { minTeamSize: 1, mappingRows: 0, pooledTeams: 0, peopleOmitted: false },
  };
}

export const HOSTILE_USER =
  '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

/** A small varied report: 3 days, 3 users (one hostile), languages, IDEs, agent mode. */
export function sampleReport(): Report {
  const list: TestSuggestion[] = [];
  const users = ['alice@example.com', 'bruno@example.com', HOSTILE_USER];
  const langs = ['python', 'go', 'typescript', '</script><b>lang</b>'];
  const clients = ['CloudCodeVscode', 'IntelliJ', 'cloudcode_cli'];
  let n = 0;
  for (const day of ['2025-10-06', '2025-10-07', '2025-10-08']) {
    for (let i = 0; i < 12; i++) {
      n++;
      list.push({
        kind: i % 3 === 0 ? 'chat' : 'code',
        day,
        user: users[n % users.length] ?? 'x',
        team: n % users.length === 0 ? 'Payments' : 'Search',
        language: langs[n % langs.length] ?? 'x',
        client: clients[n % clients.length] ?? 'x',
        agent: i % 6 === 0,
        exposed: n % 17 !== 0,
        accepted: n % 3 !== 1,
        lines: (n % 7) + 1,
      });
    }
  }
  return makeReport(list);
}
