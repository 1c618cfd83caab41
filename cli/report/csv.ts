/**
 * The report as CSV tables (`report --csv DIR`, and the dashboard's download buttons, which
 * embed the very same text): a header row, ISO days, rates as fractions (0.25, not 25%),
 * empty cells for null, RFC 4180 quoting and CRLF line ends.
 */
import type { GroupFigures, Report } from '../../shared/metrics/report-schema';

export type CsvCell = string | number | boolean | null;

/** One table of the report. */
export interface CsvTable {
  /** File name stem and the id the dashboard uses: by_language -> by_language.csv. */
  name: string;
  headers: string[];
  rows: CsvCell[][];
}

/** One field, quoted when it holds a comma, a quote, CR or LF (RFC 4180, section 2). */
export function csvField(value: CsvCell): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? numberText(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Plain decimal text: no exponent, no locale grouping. */
function numberText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // Up to 12 significant decimals, trailing zeros dropped: 0.666666666667, 0.25.
  return n.toFixed(12).replace(/\.?0+$/, '');
}

/** The table as CSV text: header, rows, each line ending CRLF. */
export function toCsv(table: CsvTable): string {
  return [table.headers, ...table.rows].map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

const FIGURE_COLUMNS = ['code', 'chat', 'total'].flatMap((k) => [
  `${k}_exposed`,
  `${k}_accepted`,
  `${k}_acceptance_rate`,
  `${k}_lines_accepted`,
]);

function figureCells(g: GroupFigures): CsvCell[] {
  return [g.code, g.chat, g.total].flatMap((f) => [
    f.exposed,
    f.accepted,
    f.acceptanceRate,
    f.linesAccepted,
  ]);
}

function groupTable(name: string, key: string, groups: Record<string, GroupFigures>): CsvTable {
  return {
    name,
    headers: [key, ...FIGURE_COLUMNS],
    rows: Object.entries(groups).map(([k, g]) => [k, ...figureCells(g)]),
  };
}

/**
 * Every table of the report, in a fixed order. The per-person tables (by_user,
 * user_engagement, inactive_seats) are left out when the report omits people.
 */
export function reportCsvTables(report: Report): CsvTable[] {
  const people = !report.teams.peopleOmitted;
  const tables: CsvTable[] = [
    {
      name: 'summary',
      headers: [
        'from',
        'to',
        'kind',
        'exposed',
        'accepted',
        'acceptance_rate',
        'lines_accepted',
        'active_users',
        'orphan_acceptances',
      ],
      rows: (['code', 'chat', 'total'] as const).map((k) => [
        report.range.from,
        report.range.to,
        k,
        report[k].exposed,
        report[k].accepted,
        report[k].acceptanceRate,
        report[k].linesAccepted,
        report.activeUsers,
        report.orphanAcceptances,
      ]),
    },
    groupTable('by_day', 'day', report.byDay),
    {
      name: 'daily_active_users',
      headers: ['day', 'active_users'],
      rows: Object.entries(report.dailyActiveUsers).map(([d, n]) => [d, n]),
    },
    groupTable('by_language', 'programming_language', report.byLanguage),
    groupTable('by_ide', 'client_name', report.byClient),
    groupTable('by_agent_mode', 'agent_mode', {
      agent: report.byAgentMode.agent,
      not_agent: report.byAgentMode.nonAgent,
    }),
    groupTable('by_team', 'team', report.byTeam),
    {
      name: 'by_team_day',
      headers: ['team', 'day', ...FIGURE_COLUMNS],
      rows: Object.entries(report.byTeamDay).flatMap(([team, days]) =>
        Object.entries(days).map(([d, g]) => [team, d, ...figureCells(g)]),
      ),
    },
    {
      name: 'team_engagement',
      headers: [
        'team',
        'active_users',
        'engaged_users',
        'active_user_days',
        'accepted',
        'accepted_per_active_user',
        'last_active_day',
        'seats',
        'inactive_seats',
      ],
      rows: Object.entries(report.engagement.byTeam).map(([team, e]) => [
        team,
        e.activeUsers,
        e.engagedUsers,
        e.activeUserDays,
        e.accepted,
        e.acceptedPerActiveUser,
        e.lastActiveDay,
        e.seats,
        e.inactiveSeats,
      ]),
    },
  ];
  if (people) {
    tables.push(
      groupTable('by_user', 'user_id', report.byUser),
      {
        name: 'user_engagement',
        headers: ['user_id', 'team', 'active_days', 'accepted', 'engaged', 'last_active_day'],
        rows: Object.entries(report.engagement.byUser).map(([u, e]) => [
          u,
          e.team,
          e.activeDays,
          e.accepted,
          e.engaged,
          e.lastActiveDay,
        ]),
      },
      {
        name: 'inactive_seats',
        headers: ['user_id', 'team'],
        rows: report.engagement.inactiveSeats.map((s) => [s.userId, s.team]),
      },
    );
  }
  tables.push({
    name: 'rows_all_time',
    headers: ['requests', 'responses', 'metadata_events', 'quarantined'],
    rows: [
      [
        report.rows.requests,
        report.rows.responses,
        report.rows.metadataEvents,
        report.rows.quarantined,
      ],
    ],
  });
  return tables;
}
