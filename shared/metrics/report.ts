/**
 * The report (`gca-analytics report`, the HTML dashboard): figures read from the daily tables
 * recompute maintains, so they are the analysts' figures. Rates are always
 * sum(accepted) / sum(exposed) over the slice, null with no exposures.
 */
import {
  ReportSchema,
  type Figures,
  type GroupFigures,
  type Report,
  type TeamEngagement,
  type UserEngagement,
} from './report-schema';
import type { QueryParams, Warehouse } from '../warehouse/port';
import { SMALL_TEAMS } from '../teams/mapping';
import { teamJoin } from '../teams/store';

export interface ReportOptions {
  /** First UTC day (inclusive, `YYYY-MM-DD`) of the suggestions counted. */
  from?: string;
  /** Last UTC day (inclusive). */
  to?: string;
  /**
   * Privacy floor: a team with fewer distinct users in the range is pooled under
   * "(small teams)". Default DEFAULT_MIN_TEAM_SIZE.
   */
  minTeamSize?: number;
}

/** Default privacy floor of the team views (GCA_MIN_TEAM_SIZE, report --min-team-size). */
export const DEFAULT_MIN_TEAM_SIZE = 5;

/** Label of a missing user, IDE or language in the breakdowns. */
export const UNKNOWN_LABEL = 'unknown';

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The day range is not `YYYY-MM-DD` or is reversed. */
export class ReportRangeError extends Error {
  override readonly name = 'ReportRangeError';
}

interface Tally {
  exposed: number;
  accepted: number;
  linesAccepted: number;
}

function emptyTally(): Tally {
  return { exposed: 0, accepted: 0, linesAccepted: 0 };
}

function figures(t: Tally): Figures {
  return {
    exposed: t.exposed,
    accepted: t.accepted,
    acceptanceRate: t.exposed > 0 ? t.accepted / t.exposed : null,
    linesAccepted: t.linesAccepted,
  };
}

interface GroupTally {
  code: Tally;
  chat: Tally;
}

function groupFigures(g: GroupTally): GroupFigures {
  const total: Tally = {
    exposed: g.code.exposed + g.chat.exposed,
    accepted: g.code.accepted + g.chat.accepted,
    linesAccepted: g.code.linesAccepted + g.chat.linesAccepted,
  };
  return { code: figures(g.code), chat: figures(g.chat), total: figures(total) };
}

const DIMENSIONS = {
  total: `'all'`,
  language: 'programming_language',
  user: 'user_id',
  day: 'day',
  client: 'client_name',
  agent: `IF(is_agentic, 'agent', 'nonAgent')`,
  team: 'team',
  // The day first: it has a fixed width (10), so the team is what follows the space.
  teamDay: `CONCAT(CAST(day AS STRING), ' ', team)`,
} as const;
type Dimension = keyof typeof DIMENSIONS;

interface SliceRow {
  dim: string;
  g: string | null;
  kind: string;
  exposed: number;
  accepted: number;
  lines: number;
}

// The daily tables' day range; seatsByTeam below filters periods (from_day, to_day) by the same
// options with other SQL.
export function rangeFilter(opts: ReportOptions): { where: string; params: QueryParams } {
  const clauses = ['TRUE'];
  const params: QueryParams = {};
  if (opts.from) {
    clauses.push('day >= @from_day');
    params.from_day = { type: 'DATE', value: opts.from };
  }
  if (opts.to) {
    clauses.push('day <= @to_day');
    params.to_day = { type: 'DATE', value: opts.to };
  }
  return { where: clauses.join(' AND '), params };
}

/** One query per daily table: every dimension's slices, tagged with the dimension's name. */
function slicesSql(where: string): string {
  const parts = (Object.keys(DIMENSIONS) as Dimension[]).map(
    (dim) => `SELECT '${dim}' AS dim, CAST(${DIMENSIONS[dim]} AS STRING) AS g, kind,
    SUM(exposed) AS exposed, SUM(accepted) AS accepted, SUM(lines) AS lines
  FROM both_tables GROUP BY g, kind`,
  );
  const t = teamJoin('a');
  return `WITH both_tables AS (
  SELECT a.day, a.kind, a.user_id, a.programming_language, a.client_name, a.is_agentic,
    ${t.team} AS team, a.exposed, a.accepted, 0 AS lines
  FROM \`gca_analytics.acceptance_daily\` AS a ${t.join} WHERE ${where}
  UNION ALL
  SELECT a.day, a.kind, a.user_id, a.programming_language, a.client_name, a.is_agentic,
    ${t.team} AS team, 0 AS exposed, 0 AS accepted, a.lines_accepted AS lines
  FROM \`gca_analytics.lines_accepted_daily\` AS a ${t.join} WHERE ${where}
)
${parts.join('\nUNION ALL\n')}`;
}

function validateRange(opts: ReportOptions): void {
  for (const day of [opts.from, opts.to]) {
    if (day !== undefined && !(DAY_PATTERN.test(day) && !Number.isNaN(Date.parse(day)))) {
      throw new ReportRangeError(`invalid day ${day}: expected YYYY-MM-DD`);
    }
  }
  if (opts.from && opts.to && opts.from > opts.to) {
    throw new ReportRangeError(`--from ${opts.from} is after --to ${opts.to}`);
  }
}

/**
 * Builds the report for suggestions whose day is in [from, to] (both optional, inclusive).
 * Reads the daily tables: run recompute first. Validated by ReportSchema.
 */
export async function buildReport(warehouse: Warehouse, opts: ReportOptions = {}): Promise<Report> {
  validateRange(opts);
  const { where, params } = rangeFilter(opts);
  const slices = await warehouse.query<SliceRow>(slicesSql(where), params);
  const groups: Record<Dimension, Map<string, GroupTally>> = {
    total: new Map(),
    language: new Map(),
    user: new Map(),
    day: new Map(),
    client: new Map(),
    agent: new Map(),
    team: new Map(),
    teamDay: new Map(),
  };
  for (const row of slices) {
    const dim = row.dim as Dimension;
    const key = row.g ?? UNKNOWN_LABEL;
    let g = groups[dim].get(key);
    if (!g) {
      g = { code: emptyTally(), chat: emptyTally() };
      groups[dim].set(key, g);
    }
    const t = row.kind === 'code' ? g.code : g.chat;
    t.exposed += row.exposed;
    t.accepted += row.accepted;
    t.linesAccepted += row.lines;
  }
  const record = (dim: Dimension): Record<string, GroupFigures> => {
    const out: Record<string, GroupFigures> = {};
    for (const key of [...groups[dim].keys()].sort()) {
      out[key] = groupFigures(groups[dim].get(key) as GroupTally);
    }
    return out;
  };
  const empty = (): GroupTally => ({ code: emptyTally(), chat: emptyTally() });
  const total = groupFigures(groups.total.get('all') ?? empty());

  const [orphans] = await warehouse.query<{ n: number | null }>(
    `SELECT SUM(orphan_acceptances) AS n FROM \`gca_analytics.acceptance_daily\` WHERE ${where}`,
    params,
  );
  const dau = await warehouse.query<{ day: string; users: number }>(
    `SELECT day, COUNT(DISTINCT user_id) AS users FROM \`gca_analytics.daily_active_users\`
     WHERE ${where} GROUP BY day ORDER BY day`,
    params,
  );
  const [active] = await warehouse.query<{ n: number }>(
    `SELECT COUNT(DISTINCT user_id) AS n FROM \`gca_analytics.daily_active_users\` WHERE ${where}`,
    params,
  );
  const [rows] = await warehouse.query<{ r: number; s: number; m: number; q: number }>(
    `SELECT
      (SELECT COUNT(DISTINCT entry_key) FROM \`gca_raw.requests\`) AS r,
      (SELECT COUNT(DISTINCT entry_key) FROM \`gca_raw.responses\`) AS s,
      (SELECT COUNT(DISTINCT entry_key) FROM \`gca_raw.metadata_events\`) AS m,
      (SELECT COUNT(DISTINCT quarantine_id) FROM \`gca_raw.quarantine\`) AS q`,
  );
  const agent = record('agent');
  const blank = groupFigures(empty());
  const teams = await teamFigures(warehouse, opts, where, params, groups);
  return ReportSchema.parse({
    code: total.code,
    chat: total.chat,
    total: total.total,
    byLanguage: record('language'),
    byUser: record('user'),
    byDay: record('day'),
    orphanAcceptances: orphans?.n ?? 0,
    rows: {
      requests: rows?.r ?? 0,
      responses: rows?.s ?? 0,
      metadataEvents: rows?.m ?? 0,
      quarantined: rows?.q ?? 0,
    },
    range: { from: opts.from ?? null, to: opts.to ?? null },
    byClient: record('client'),
    byAgentMode: { agent: agent.agent ?? blank, nonAgent: agent.nonAgent ?? blank },
    dailyActiveUsers: Object.fromEntries(dau.map((d) => [d.day, d.users])),
    activeUsers: active?.n ?? 0,
    ...teams,
  });
}

/** Adds `b` into `a`. */
function addTally(a: GroupTally, b: GroupTally): void {
  for (const k of ['code', 'chat'] as const) {
    a[k].exposed += b[k].exposed;
    a[k].accepted += b[k].accepted;
    a[k].linesAccepted += b[k].linesAccepted;
  }
}

function sortedRecord<V>(map: Map<string, V>): Record<string, V> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

type TeamParts = Pick<Report, 'byTeam' | 'byTeamDay' | 'engagement' | 'teams'>;

/**
 * Team figures, engagement and seats. Every team figure passes the privacy floor: a team with
 * fewer than minTeamSize distinct users (active, or with a suggestion, in the range while in the
 * team) is counted under "(small teams)".
 */
async function teamFigures(
  warehouse: Warehouse,
  opts: ReportOptions,
  where: string,
  params: QueryParams,
  groups: Record<Dimension, Map<string, GroupTally>>,
): Promise<TeamParts> {
  const minTeamSize = opts.minTeamSize ?? DEFAULT_MIN_TEAM_SIZE;
  if (!(Number.isInteger(minTeamSize) && minTeamSize >= 1)) {
    throw new ReportRangeError(
      `the minimum team size must be a positive integer, not ${minTeamSize}`,
    );
  }
  const t = teamJoin('a');
  // Per (team, user): active days, last active day, accepted suggestions.
  const activity = await warehouse.query<{
    team: string;
    user_id: string;
    days: number;
    last_day: string | null;
    accepted: number;
  }>(
    `WITH active AS (
      SELECT ${t.team} AS team, a.user_id, COUNT(DISTINCT a.day) AS days,
        CAST(MAX(a.day) AS STRING) AS last_day
      FROM \`gca_analytics.daily_active_users\` AS a ${t.join}
      WHERE ${where} GROUP BY 1, 2
    ), acc AS (
      SELECT ${t.team} AS team, COALESCE(a.user_id, '${UNKNOWN_LABEL}') AS user_id,
        SUM(a.accepted) AS accepted
      FROM \`gca_analytics.acceptance_daily\` AS a ${t.join}
      WHERE ${where} GROUP BY 1, 2
    )
    SELECT COALESCE(active.team, acc.team) AS team, COALESCE(active.user_id, acc.user_id) AS user_id,
      COALESCE(active.days, 0) AS days, active.last_day, COALESCE(acc.accepted, 0) AS accepted
    FROM active FULL OUTER JOIN acc ON active.team = acc.team AND active.user_id = acc.user_id`,
    params,
  );
  const seatRows = await seatPeriods(warehouse, opts.from, opts.to);
  const [mapping] = await warehouse.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM `gca_analytics.user_teams`',
  );

  // Distinct users per team decide the floor.
  const usersOf = new Map<string, Set<string>>();
  for (const r of activity) {
    const set = usersOf.get(r.team) ?? new Set<string>();
    set.add(r.user_id);
    usersOf.set(r.team, set);
  }
  for (const team of groups.team.keys()) if (!usersOf.has(team)) usersOf.set(team, new Set());
  // A team with no user in the range (only seat holders) is below the floor too.
  const small = new Set(
    [...usersOf.entries()].filter(([, users]) => users.size < minTeamSize).map(([team]) => team),
  );
  const shown = (team: string): string =>
    (usersOf.get(team)?.size ?? 0) >= minTeamSize ? team : SMALL_TEAMS;

  const byTeam = new Map<string, GroupTally>();
  for (const [team, g] of groups.team) {
    const key = shown(team);
    const into = byTeam.get(key) ?? { code: emptyTally(), chat: emptyTally() };
    addTally(into, g);
    byTeam.set(key, into);
  }
  const byTeamDay = new Map<string, Map<string, GroupTally>>();
  for (const [k, g] of groups.teamDay) {
    const day = k.slice(0, 10);
    const key = shown(k.slice(11));
    const days = byTeamDay.get(key) ?? new Map<string, GroupTally>();
    const into = days.get(day) ?? { code: emptyTally(), chat: emptyTally() };
    addTally(into, g);
    days.set(day, into);
    byTeamDay.set(key, days);
  }

  // Per user: their days and accepted suggestions over all their teams; the team of the last day.
  const users = new Map<string, UserEngagement>();
  for (const r of activity) {
    const u = users.get(r.user_id) ?? {
      team: r.team,
      activeDays: 0,
      accepted: 0,
      engaged: false,
      lastActiveDay: null,
    };
    u.activeDays += r.days;
    u.accepted += r.accepted;
    u.engaged = u.accepted > 0;
    if (r.last_day !== null && (u.lastActiveDay === null || r.last_day > u.lastActiveDay)) {
      u.lastActiveDay = r.last_day;
      u.team = r.team;
    }
    users.set(r.user_id, u);
  }
  // Team pooling must not reveal people: per-user engagement shows the team as shown elsewhere.
  for (const u of users.values()) u.team = shown(u.team);

  const teamStats = new Map<
    string,
    TeamEngagement & { active: Set<string>; engagedSet: Set<string> }
  >();
  const stat = (
    team: string,
  ): TeamEngagement & { active: Set<string>; engagedSet: Set<string> } => {
    let s = teamStats.get(team);
    if (!s) {
      s = {
        activeUsers: 0,
        engagedUsers: 0,
        activeUserDays: 0,
        accepted: 0,
        acceptedPerActiveUser: null,
        lastActiveDay: null,
        seats: 0,
        inactiveSeats: 0,
        active: new Set(),
        engagedSet: new Set(),
      };
      teamStats.set(team, s);
    }
    return s;
  };
  for (const r of activity) {
    const s = stat(shown(r.team));
    if (r.days > 0) {
      s.active.add(r.user_id);
      s.activeUserDays += r.days;
    }
    if (r.accepted > 0) s.engagedSet.add(r.user_id);
    s.accepted += r.accepted;
    if (r.last_day !== null && (s.lastActiveDay === null || r.last_day > s.lastActiveDay)) {
      s.lastActiveDay = r.last_day;
    }
  }
  // A seat holder's team is the one of their last period overlapping the range.
  const seatTeam = new Map<string, string>();
  for (const r of seatRows) seatTeam.set(r.user_id, r.team);
  const inactiveSeats: { userId: string; team: string }[] = [];
  for (const [userId, team] of seatTeam) {
    const s = stat(shown(team));
    s.seats += 1;
    const u = users.get(userId);
    if (!u || u.activeDays === 0) {
      s.inactiveSeats += 1;
      inactiveSeats.push({ userId, team: shown(team) });
    }
  }
  const engagementByTeam = new Map<string, TeamEngagement>();
  for (const [team, s] of teamStats) {
    const { active, engagedSet, ...rest } = s;
    engagementByTeam.set(team, {
      ...rest,
      activeUsers: active.size,
      engagedUsers: [...engagedSet].filter((u) => active.has(u)).length,
      acceptedPerActiveUser: active.size > 0 ? s.accepted / active.size : null,
    });
  }
  return {
    byTeam: Object.fromEntries(
      Object.entries(sortedRecord(byTeam)).map(([k, v]) => [k, groupFigures(v)]),
    ),
    byTeamDay: Object.fromEntries(
      [...Object.entries(sortedRecord(byTeamDay))].map(([team, days]) => [
        team,
        Object.fromEntries(
          Object.entries(sortedRecord(days)).map(([d, g]) => [d, groupFigures(g)]),
        ),
      ]),
    ),
    engagement: {
      byUser: sortedRecord(users),
      byTeam: sortedRecord(engagementByTeam),
      inactiveSeats: inactiveSeats.sort((a, b) =>
        a.team === b.team ? (a.userId < b.userId ? -1 : 1) : a.team < b.team ? -1 : 1,
      ),
    },
    teams: {
      minTeamSize,
      mappingRows: mapping?.n ?? 0,
      pooledTeams: small.size,
      peopleOmitted: false,
    },
  };
}

/**
 * The report without individual people (report --no-people, for a dashboard that will be
 * shared): per-user figures, per-user engagement and the names of inactive seat holders are
 * removed; team figures (under the privacy floor) and counts stay.
 */
export function omitPeople(report: Report): Report {
  return {
    ...report,
    byUser: {},
    engagement: { ...report.engagement, byUser: {}, inactiveSeats: [] },
    teams: { ...report.teams, peopleOmitted: true },
  };
}

/** Parses a minimum team size (GCA_MIN_TEAM_SIZE, --min-team-size); null if not a positive integer. */
export function parseMinTeamSize(text: string): number | null {
  const n = Number(text);
  return /^\d+$/.test(text.trim()) && Number.isInteger(n) && n >= 1 ? n : null;
}

/** A seat holder's period in the mapping (`gca_analytics.user_teams`), days as YYYY-MM-DD. */
export interface SeatPeriod {
  user_id: string;
  team: string;
  from_day: string | null;
  to_day: string | null;
}

/**
 * The seat periods overlapping the range (`from`..`to`, either open), by user then start: the
 * seats of the report and of the dashboard's filter data. (rangeFilter is the daily tables' day
 * range; a period overlaps it.)
 */
export async function seatPeriods(
  warehouse: Warehouse,
  from: string | undefined | null,
  to: string | undefined | null,
): Promise<SeatPeriod[]> {
  const params: QueryParams = {};
  const where = ['seat'];
  if (from) {
    where.push('(to_day IS NULL OR to_day >= @from_day)');
    params.from_day = { type: 'DATE', value: from };
  }
  if (to) {
    where.push('(from_day IS NULL OR from_day <= @to_day)');
    params.to_day = { type: 'DATE', value: to };
  }
  return warehouse.query<SeatPeriod>(
    `SELECT user_id, team, CAST(from_day AS STRING) AS from_day, CAST(to_day AS STRING) AS to_day
     FROM \`gca_analytics.user_teams\` WHERE ${where.join(' AND ')}
     ORDER BY user_id, from_day NULLS FIRST`,
    params,
  );
}
