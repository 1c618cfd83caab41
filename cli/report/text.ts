/** The terminal rendering of a Report: aligned plain-text tables, no colours, no content. */
import type {
  Figures,
  GroupFigures,
  Report,
  TeamEngagement,
} from '../../shared/metrics/report-schema';
import { formatCount, formatRate, sortGroups, sortedDays, terminalLabel } from './format';

type Align = 'left' | 'right';
/** A label column, then six figures. */
const LABEL_THEN_SIX_NUMBERS: Align[] = [
  'left',
  'right',
  'right',
  'right',
  'right',
  'right',
  'right',
];

/** Renders rows as columns padded to their widest cell. */
export function renderTable(headers: string[], rows: string[][], align: Align[]): string[] {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => {
        const w = widths[c] ?? cell.length;
        return align[c] === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const FIGURE_HEADERS = ['Exposed', 'Accepted', 'Rate', 'Lines accepted'];

/** Columns of the by-language tables (terminal and HTML). */
export const LANGUAGE_HEADERS = [
  'Code exposed',
  'Code accepted',
  'Code rate',
  'Code lines',
  'Chat accepted',
  'Chat lines',
];

/** Why chat has no rate by language; printed under every by-language table. */
export const LANGUAGE_NOTE =
  'Chat exposures carry no language in the logs, so chat is shown by language as accepted suggestions and lines only.';

/** Orders languages by what is known of them: code exposures and chat acceptances. */
export function languageWeight(g: GroupFigures): number {
  return g.code.exposed + g.chat.accepted;
}

function figureCells(f: Figures): string[] {
  return [
    formatCount(f.exposed),
    formatCount(f.accepted),
    formatRate(f.acceptanceRate),
    formatCount(f.linesAccepted),
  ];
}

function groupTable(title: string, groups: [string, GroupFigures][]): string[] {
  const rows = groups.map(([name, g]) => [
    terminalLabel(name),
    ...figureCells(g.total),
    formatRate(g.code.acceptanceRate),
    formatRate(g.chat.acceptanceRate),
  ]);
  return renderTable(
    [title, ...FIGURE_HEADERS, 'Code rate', 'Chat rate'],
    rows,
    LABEL_THEN_SIX_NUMBERS,
  );
}

/**
 * Languages get their own table: Gemini logs no language on chat exposures, so a chat suggestion
 * takes its language from its acceptance and a per-language chat rate would read ~100%. Code is
 * shown in full; chat only as what is known per language, accepted suggestions and their lines.
 */
function languageTable(groups: [string, GroupFigures][]): string[] {
  const rows = groups.map(([name, g]) => [
    terminalLabel(name),
    formatCount(g.code.exposed),
    formatCount(g.code.accepted),
    formatRate(g.code.acceptanceRate),
    formatCount(g.code.linesAccepted),
    formatCount(g.chat.accepted),
    formatCount(g.chat.linesAccepted),
  ]);
  return renderTable(['Language', ...LANGUAGE_HEADERS], rows, LABEL_THEN_SIX_NUMBERS);
}

/** Columns of the team engagement tables (terminal, HTML, CSV). */
export const ENGAGEMENT_HEADERS = [
  'Active users',
  'Engaged users',
  'Active user-days',
  'Accepted',
  'Accepted per active user',
  'Last active day',
  'Seats',
  'Inactive seats',
];

/** 1.2345 -> "1.2"; null -> "-". */
export function formatRatio(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

/** The cells of one team's engagement row, formatted for people. */
export function engagementCells(e: TeamEngagement): string[] {
  return [
    formatCount(e.activeUsers),
    formatCount(e.engagedUsers),
    formatCount(e.activeUserDays),
    formatCount(e.accepted),
    formatRatio(e.acceptedPerActiveUser),
    e.lastActiveDay ?? '-',
    formatCount(e.seats),
    formatCount(e.inactiveSeats),
  ];
}

/** The floor note's sentence when no mapping is loaded ('' otherwise), with a leading space. */
export function teamMappingNote(report: Report): string {
  return report.teams.mappingRows === 0
    ? ' No team mapping is loaded (gca-analytics teams import FILE.csv), so every user is "(no team)".'
    : '';
}

/** Why a team may be missing from the team views; printed under them. */
export function teamFloorNote(report: Report): string {
  const k = report.teams.minTeamSize;
  return `Teams with fewer than ${k} distinct users in the range are pooled under "(small teams)" (${report.teams.pooledTeams} pooled).${teamMappingNote(report)}`;
}

export interface TextReportOptions {
  /** How many users to list (by lines accepted). Default 10. */
  topUsers?: number;
  /** How many languages / IDEs to list. Default 15. */
  topGroups?: number;
}

/** Renders the whole report as terminal text (lines joined with \n, ending with \n). */
export function renderTextReport(report: Report, opts: TextReportOptions = {}): string {
  const topUsers = opts.topUsers ?? 10;
  const topGroups = opts.topGroups ?? 15;
  const days = sortedDays(report);
  const from = report.range.from ?? days[0] ?? '-';
  const to = report.range.to ?? days[days.length - 1] ?? '-';
  const out: string[] = [];
  out.push(`Gemini Code Assist acceptance, ${from} .. ${to}`);
  // Active users count any request or event; the per-user table only users with a suggestion.
  const withSuggestion = report.teams.peopleOmitted
    ? ''
    : ` (${formatCount(Object.keys(report.byUser).length)} with a suggestion)`;
  out.push(
    `${formatCount(report.activeUsers)} active users${withSuggestion}, ${formatCount(days.length)} days`,
  );
  out.push('');
  out.push(
    ...renderTable(
      ['', ...FIGURE_HEADERS],
      [
        ['Code', ...figureCells(report.code)],
        ['Chat', ...figureCells(report.chat)],
        ['Total', ...figureCells(report.total)],
      ],
      ['left', 'right', 'right', 'right', 'right'],
    ),
  );
  const byLanguage = sortGroups(report.byLanguage, languageWeight).filter(
    ([, g]) => languageWeight(g) > 0,
  );
  out.push('');
  out.push(...languageTable(byLanguage.slice(0, topGroups)));
  if (byLanguage.length > topGroups) out.push(`(${byLanguage.length - topGroups} more)`);
  out.push(LANGUAGE_NOTE);
  const byClient = sortGroups(report.byClient, (g) => g.total.exposed);
  out.push('');
  out.push(...groupTable('IDE', byClient.slice(0, topGroups)));
  if (byClient.length > topGroups) out.push(`(${byClient.length - topGroups} more)`);
  out.push('');
  out.push(
    ...groupTable('Agent mode', [
      ['agent', report.byAgentMode.agent],
      ['not agent', report.byAgentMode.nonAgent],
    ]),
  );
  out.push('');
  out.push(
    ...groupTable(
      'Team',
      sortGroups(report.byTeam, (g) => g.total.exposed),
    ),
  );
  const engagement = Object.entries(report.engagement.byTeam).sort(
    ([, a], [, b]) => b.activeUsers - a.activeUsers,
  );
  out.push('');
  out.push(
    ...renderTable(
      ['Team engagement', ...ENGAGEMENT_HEADERS],
      engagement.map(([team, e]) => [terminalLabel(team), ...engagementCells(e)]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'right', 'right'],
    ),
  );
  out.push(teamFloorNote(report));
  if (!report.teams.peopleOmitted) {
    const users = sortGroups(report.byUser, (g) => g.total.linesAccepted);
    out.push('');
    out.push(...groupTable(`Top users (of ${users.length})`, users.slice(0, topUsers)));
    const inactive = report.engagement.inactiveSeats;
    out.push('');
    out.push(
      `Inactive seat holders (a seat in the mapping, no activity in the range): ${formatCount(inactive.length)}`,
    );
    for (const s of inactive.slice(0, topUsers)) {
      out.push(`  ${terminalLabel(s.userId)} (${terminalLabel(s.team)})`);
    }
    if (inactive.length > topUsers) out.push(`  (${inactive.length - topUsers} more)`);
  }
  out.push('');
  out.push(
    `Orphan acceptances: ${formatCount(report.orphanAcceptances)} (accepted with no exposure logged; counted as accepted)`,
  );
  out.push(
    `Rows (all time, not only this range): ${formatCount(report.rows.requests)} requests, ${formatCount(report.rows.responses)} responses, ` +
      `${formatCount(report.rows.metadataEvents)} metadata events, ${formatCount(report.rows.quarantined)} quarantined`,
  );
  return `${out.join('\n')}\n`;
}
