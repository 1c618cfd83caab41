/**
 * What the HTML dashboard needs to recompute its tables and charts for a date range and a team
 * chosen inside the page, offline: the report's figures per day, team and user (and per day, team
 * and language / IDE / agent mode), read from the same daily tables as `buildReport`, with teams
 * already under the report's privacy floor pooled as "(small teams)". The page re-applies the
 * floor to the range chosen (html.ts) and leaves out every per-person row when the report omits
 * people.
 */
import type { Report } from '../../shared/metrics/report-schema';
import { rangeFilter, seatPeriods, UNKNOWN_LABEL } from '../../shared/metrics/report';
import { SMALL_TEAMS } from '../../shared/teams/mapping';
import { teamJoin } from '../../shared/teams/store';
import type { Warehouse } from '../../shared/warehouse/port';

/**
 * Code exposed, accepted, lines; chat exposed, accepted, lines; then (user-day rows only)
 * orphan acceptances.
 */
export type DayFigures = number[];

/** One user on one day in one team (the team of the user that day). */
export interface UserDayRow {
  day: string;
  /** The team as the report shows it: a team under the floor over the report's range is pooled. */
  team: string;
  /** The team as mapped when `team` is the pool (the page counts pooled teams, never names them). */
  pooledTeam: string | null;
  /** The logged user id; `unknown` for suggestions without one. */
  user: string;
  /** Any request or metadata event that day (daily_active_users). */
  active: boolean;
  /** A row of acceptance_daily that day: counts the user for the team's floor, as the report. */
  suggestion: boolean;
  figures: DayFigures;
}

// A const list, its type and a row interface: the project's idiom (retention.ts reads the same
// way); the likeness is of shape only, there is nothing to share.
export const DETAIL_DIMENSIONS = ['language', 'client', 'agent'] as const;
export type DetailDimension = (typeof DETAIL_DIMENSIONS)[number];

/** One language / IDE / agent mode on one day in one team. */
export interface GroupDayRow {
  dim: DetailDimension;
  key: string;
  day: string;
  team: string;
  figures: DayFigures;
}

/** A seat in the team mapping whose period overlaps the report's range. */
export interface SeatRow {
  user: string;
  team: string;
  from: string | null;
  to: string | null;
}

export interface DashboardDetail {
  users: UserDayRow[];
  groups: GroupDayRow[];
  /** In the order the report reads them (user, then period start): the last one is the team. */
  seats: SeatRow[];
}

const KIND_FIGURES = (exposed: string, accepted: string, lines: string): string =>
  ['code', 'chat']
    .flatMap((k) => [exposed, accepted, lines].map((c) => `IF(a.kind = '${k}', ${c}, 0)`))
    .map((expr, i) => `${expr} AS f${i}`)
    .join(', ');

const GROUP_COLUMNS = 'a.day, a.programming_language, a.client_name, a.is_agentic';

const SUM_FIGURES = [0, 1, 2, 3, 4, 5].map((i) => `SUM(f${i}) AS f${i}`).join(', ');

interface FigureColumns {
  f0: number;
  f1: number;
  f2: number;
  f3: number;
  f4: number;
  f5: number;
}

const figuresOf = (r: FigureColumns): DayFigures => [r.f0, r.f1, r.f2, r.f3, r.f4, r.f5];

/** Reads the detail of `report` (its range; its floor decides which teams are pooled). */
export async function buildDashboardDetail(
  warehouse: Warehouse,
  report: Report,
): Promise<DashboardDetail> {
  const { where, params } = rangeFilter({
    ...(report.range.from ? { from: report.range.from } : {}),
    ...(report.range.to ? { to: report.range.to } : {}),
  });
  const shownTeams = new Set(
    [...Object.keys(report.byTeam), ...Object.keys(report.engagement.byTeam)].filter(
      (t) => t !== SMALL_TEAMS,
    ),
  );
  const shown = (team: string): string => (shownTeams.has(team) ? team : SMALL_TEAMS);
  const t = teamJoin('a');
  const user = `COALESCE(a.user_id, '${UNKNOWN_LABEL}')`;
  const zeros = '0 AS f0, 0 AS f1, 0 AS f2, 0 AS f3, 0 AS f4, 0 AS f5';
  const userRows = await warehouse.query<
    FigureColumns & {
      day: string;
      team: string;
      user_id: string;
      active: number;
      suggestion: number;
      orphans: number;
    }
  >(
    `WITH user_days AS (
      SELECT a.day, ${t.team} AS team, ${user} AS user_id, 0 AS active, 1 AS suggestion,
        ${KIND_FIGURES('a.exposed', 'a.accepted', '0')}, a.orphan_acceptances AS orphans
      FROM \`gca_analytics.acceptance_daily\` AS a ${t.join} WHERE ${where}
      UNION ALL
      SELECT a.day, ${t.team} AS team, ${user} AS user_id, 0 AS active, 0 AS suggestion,
        ${KIND_FIGURES('0', '0', 'a.lines_accepted')}, 0 AS orphans
      FROM \`gca_analytics.lines_accepted_daily\` AS a ${t.join} WHERE ${where}
      UNION ALL
      SELECT a.day, ${t.team} AS team, a.user_id, 1 AS active, 0 AS suggestion, ${zeros},
        0 AS orphans
      FROM \`gca_analytics.daily_active_users\` AS a ${t.join} WHERE ${where}
    )
    SELECT CAST(day AS STRING) AS day, team, user_id, MAX(active) AS active,
      MAX(suggestion) AS suggestion, ${SUM_FIGURES}, SUM(orphans) AS orphans
    FROM user_days GROUP BY day, team, user_id ORDER BY day, team, user_id`,
    params,
  );
  const dims: Record<DetailDimension, string> = {
    language: 'a.programming_language',
    client: 'a.client_name',
    agent: `IF(a.is_agentic, 'agent', 'nonAgent')`,
  };
  const groupRows = await warehouse.query<
    FigureColumns & { dim: DetailDimension; g: string | null; day: string; team: string }
  >(
    DETAIL_DIMENSIONS.map(
      (
        dim,
      ) => `SELECT '${dim}' AS dim, CAST(${dims[dim]} AS STRING) AS g, CAST(day AS STRING) AS day,
      team, ${SUM_FIGURES}
    FROM (
      SELECT ${GROUP_COLUMNS}, ${t.team} AS team, ${KIND_FIGURES('a.exposed', 'a.accepted', '0')}
      FROM \`gca_analytics.acceptance_daily\` AS a ${t.join} WHERE ${where}
      UNION ALL
      SELECT ${GROUP_COLUMNS}, ${t.team} AS team, ${KIND_FIGURES('0', '0', 'a.lines_accepted')}
      FROM \`gca_analytics.lines_accepted_daily\` AS a ${t.join} WHERE ${where}
    ) AS a GROUP BY g, day, team`,
    ).join('\nUNION ALL\n'),
    params,
  );
  // The seats of buildReport: periods overlapping the range, by user then start.
  const seats = await seatPeriods(warehouse, report.range.from, report.range.to);
  return {
    users: userRows.map((r) => ({
      day: r.day,
      team: shown(r.team),
      pooledTeam: shown(r.team) === SMALL_TEAMS ? r.team : null,
      user: r.user_id,
      active: Number(r.active) > 0,
      suggestion: Number(r.suggestion) > 0,
      figures: [...figuresOf(r), r.orphans].map(Number),
    })),
    groups: groupRows.map((r) => ({
      dim: r.dim,
      key: r.g ?? UNKNOWN_LABEL,
      day: r.day,
      team: shown(r.team),
      figures: figuresOf(r).map(Number),
    })),
    seats: seats.map((s) => ({
      user: s.user_id,
      team: shown(s.team),
      from: s.from_day,
      to: s.to_day,
    })),
  };
}
