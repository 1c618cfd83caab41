/**
 * The self-contained HTML dashboard: one file that opens from disk with no network. Chart.js
 * (its UMD build, read from node_modules at run time) and the report data are inlined; a
 * Content-Security-Policy allows only those two scripts (by hash) and no connections, so even a
 * string from the logs that slipped through escaping could not run or phone home.
 *
 * Every string from the logs (user ids, languages, IDE names) reaches the page either escaped
 * into HTML text or inside the JSON data block with `<`, `>` and `&` escaped; the page's script
 * writes table cells with textContent, and Chart.js draws labels on a canvas, never as markup.
 *
 * With the report's detail (detail.ts) the page carries its figures per day and team (and per
 * person unless people are left out), so the date-range and team filters recompute every chart,
 * table, headline figure and CSV download offline, applying the privacy floor again to the days
 * chosen.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Figures, GroupFigures, Report } from '../../shared/metrics/report-schema';
import { SMALL_TEAMS } from '../../shared/teams/mapping';
import { reportCsvTables, toCsv } from './csv';
import { DETAIL_DIMENSIONS, type DashboardDetail, type DetailDimension } from './detail';
import { formatCount, formatRate, sortGroups, sortedDays } from './format';
import {
  ENGAGEMENT_HEADERS,
  engagementCells,
  LANGUAGE_HEADERS,
  LANGUAGE_NOTE,
  languageWeight,
  teamFloorNote,
  teamMappingNote,
} from './text';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON that is safe inside a `<script>` element: no `</script>`, `<!--` or HTML entity can be
 * formed, and the JavaScript line separators are escaped.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

let chartJsCache: string | undefined;

/** Chart.js's UMD build from node_modules, ready to inline (source map reference removed). */
export function loadChartJs(): string {
  if (chartJsCache === undefined) {
    const dist = dirname(require.resolve('chart.js'));
    const source = readFileSync(join(dist, 'chart.umd.min.js'), 'utf8');
    chartJsCache = source
      .replace(/\/\/# sourceMappingURL=\S+\s*$/, '')
      .replace(/<\/script/gi, '<\\/script');
  }
  return chartJsCache;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** Per-day sums of one scope (all teams, or one team), aligned with DashboardData.days. */
export interface DaySeries {
  codeExposed: number[];
  codeAccepted: number[];
  codeLines: number[];
  chatExposed: number[];
  chatAccepted: number[];
  chatLines: number[];
}

/** What the page's script draws; derived from the Report so the browser only sums and divides. */
export interface DashboardData {
  /** Every day of the range (no gap, none past it), without an incomplete current day. */
  days: string[];
  /** The current UTC day when the report reaches it: incomplete, so left out of the charts. */
  incompleteDay: string | null;
  /** '' is every team; otherwise a team name as in byTeam (after the privacy floor). */
  scopes: Record<string, DaySeries>;
  dailyActiveUsers: number[];
  codeVsChat: { exposed: [number, number]; accepted: [number, number]; lines: [number, number] };
  languages: GroupSeries;
  clients: GroupSeries;
  agent: GroupSeries;
  teams: GroupSeries;
  /** Empty when the report omits people. */
  topUsers: GroupSeries;
  /** Table name -> CSV text (the same as `report --csv`), for the download buttons. */
  csv: Record<string, string>;
  /** Table name -> CSV header, for the CSV of a filtered table (same columns). */
  csvHeaders: Record<string, string[]>;
  /** What the date-range and team filters recompute from; null without a detail (no filters). */
  filter: FilterData | null;
  /** How many languages, IDEs, teams and users the charts and tables list. */
  topN: number;
}

/**
 * The report's figures per day and team (and per user when people are shown), indexed to keep
 * the page small: the page sums them over the range and team chosen, re-applying the privacy
 * floor to that range. Rows are `[dayIndex, teamIndex, ...]`; figures are code exposed,
 * accepted, lines, chat exposed, accepted, lines.
 */
export interface FilterData {
  /** Every day of the report's range, the incomplete current day included. */
  days: string[];
  /** The report's own bounds (null: from the first / to the last day with data). */
  rangeFrom: string | null;
  rangeTo: string | null;
  small: string;
  minTeamSize: number;
  /** Teams as the report shows them over its range ("(small teams)" pools those under K). */
  teams: string[];
  /**
   * Per team, per first day index: the first last-day index from which the team has K distinct
   * users (active, or with a suggestion, while in the team), -1 if never; null for the pool.
   * A team is shown on its own for days [f, t] iff reach[f] is in 0..t. Teams under the floor
   * over the whole range are already pooled, so nothing here is finer than the report.
   */
  reach: (number[] | null)[];
  /** [day, team, active users, users with a suggestion, six figures, orphan acceptances]. */
  teamDays: number[][];
  /** Per dimension: labels, and rows [day, team, label index, six figures]. */
  groups: Record<DetailDimension, { keys: string[]; rows: number[][] }>;
  /** Null when the report leaves people out: then the page holds no per-person row at all. */
  people: {
    users: string[];
    /** [day, team, user, active 0/1, with a suggestion 0/1, six figures]. */
    rows: number[][];
    /** [user, team, first day or null, last day or null], the report's order. */
    seats: [number, number, string | null, string | null][];
  } | null;
  /** Whole-range values the page cannot recompute without people (distinct users, seats). */
  whole: { activeUsers: number; engagement: Report['engagement']['byTeam'] };
  /**
   * Per team the report pooled (unnamed): the day indices it had a user, so the page counts the
   * teams pooled in the days chosen as the report of those days does.
   */
  pooledDays: number[][];
  /** The floor note's sentence about the mapping. */
  mappingNote: string;
}

interface GroupSeries {
  labels: string[];
  exposed: number[];
  accepted: number[];
  rate: (number | null)[];
  lines: number[];
}

function pct(rate: number | null): number | null {
  return rate === null ? null : Math.round(rate * 1000) / 10;
}

function series(
  groups: [string, GroupFigures][],
  pick: (g: GroupFigures) => Figures = (g) => g.total,
): GroupSeries {
  return {
    labels: groups.map(([name]) => name),
    exposed: groups.map(([, g]) => pick(g).exposed),
    accepted: groups.map(([, g]) => pick(g).accepted),
    rate: groups.map(([, g]) => pct(pick(g).acceptanceRate)),
    lines: groups.map(([, g]) => pick(g).linesAccepted),
  };
}

const DAY_MS = 86_400_000;

/** Every day from `from` to `to`, inclusive. */
function dayRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * The days the daily charts show: exactly the report's range (its bounds when given, else the
 * first and last day with data), every day in between even without data, and never the
 * current UTC day, which is still filling (a partial day read as a collapse).
 */
function chartDays(
  report: Report,
  now: Date,
): { days: string[]; incompleteDay: string | null; allDays: string[] } {
  const seen = [
    ...new Set([...sortedDays(report), ...Object.keys(report.dailyActiveUsers)]),
  ].sort();
  const from = report.range.from ?? seen[0];
  const to = report.range.to ?? seen[seen.length - 1];
  if (!from || !to) return { days: [], incompleteDay: null, allDays: [] };
  const today = now.toISOString().slice(0, 10);
  const all = dayRange(from, to);
  return {
    days: all.filter((d) => d < today),
    incompleteDay: all.includes(today) ? today : null,
    allDays: all,
  };
}

function daySeries(days: string[], byDay: Record<string, GroupFigures>): DaySeries {
  const f = (d: string): GroupFigures | undefined => byDay[d];
  return {
    codeExposed: days.map((d) => f(d)?.code.exposed ?? 0),
    codeAccepted: days.map((d) => f(d)?.code.accepted ?? 0),
    codeLines: days.map((d) => f(d)?.code.linesAccepted ?? 0),
    chatExposed: days.map((d) => f(d)?.chat.exposed ?? 0),
    chatAccepted: days.map((d) => f(d)?.chat.accepted ?? 0),
    chatLines: days.map((d) => f(d)?.chat.linesAccepted ?? 0),
  };
}

/** Turns a Report into the series the charts draw. */
function dashboardData(
  report: Report,
  topN = 15,
  now: Date = new Date(),
  detail: DashboardDetail | null = null,
): DashboardData {
  const { days, incompleteDay, allDays } = chartDays(report, now);
  const csvTables = reportCsvTables(report);
  const scopes: Record<string, DaySeries> = { '': daySeries(days, report.byDay) };
  // Per-team series only for a page without filter data (its team trend reads them); with it,
  // the page's detail rows hold the same figures per team and day.
  if (!detail) {
    for (const [team, byDay] of Object.entries(report.byTeamDay)) {
      scopes[team] = daySeries(days, byDay);
    }
  }
  return {
    days,
    incompleteDay,
    scopes,
    dailyActiveUsers: days.map((d) => report.dailyActiveUsers[d] ?? 0),
    codeVsChat: {
      exposed: [report.code.exposed, report.chat.exposed],
      accepted: [report.code.accepted, report.chat.accepted],
      lines: [report.code.linesAccepted, report.chat.linesAccepted],
    },
    // Code only: chat exposures carry no language (see LANGUAGE_NOTE).
    languages: series(
      sortGroups(report.byLanguage, languageWeight)
        .filter(([, g]) => languageWeight(g) > 0)
        .slice(0, topN),
      (g) => g.code,
    ),
    clients: series(sortGroups(report.byClient, (g) => g.total.exposed).slice(0, topN)),
    agent: series([
      ['Agent mode', report.byAgentMode.agent],
      ['Not agent mode', report.byAgentMode.nonAgent],
    ]),
    teams: series(sortGroups(report.byTeam, (g) => g.total.exposed).slice(0, topN)),
    topUsers: series(sortGroups(report.byUser, (g) => g.total.linesAccepted).slice(0, topN)),
    csv: Object.fromEntries(csvTables.map((t) => [t.name, toCsv(t)])),
    csvHeaders: Object.fromEntries(csvTables.map((t) => [t.name, t.headers])),
    filter: detail && allDays.length > 0 ? filterData(report, detail, allDays) : null,
    topN,
  };
}

/** Index of each value in a list of distinct values, growing it as new ones come. */
function indexer(): { list: string[]; of: (v: string) => number } {
  const list: string[] = [];
  const at = new Map<string, number>();
  return {
    list,
    of: (v) => {
      let i = at.get(v);
      if (i === undefined) {
        i = list.length;
        list.push(v);
        at.set(v, i);
      }
      return i;
    },
  };
}

/**
 * For one team: per first day index, the first last-day index by which `minTeamSize` distinct
 * users have been seen in the team, or -1.
 */
function reachOf(userDays: Map<string, Set<number>>, dayCount: number, k: number): number[] {
  const users = [...userDays.values()].map((set) => [...set].sort((a, b) => a - b));
  // Per user, the first of their days at or after f: a pointer that only moves forward.
  const at = users.map(() => 0);
  const reach: number[] = [];
  for (let f = 0; f < dayCount; f++) {
    const firsts = new Array<number>(dayCount).fill(0);
    users.forEach((days, u) => {
      let i = at[u] ?? 0;
      while (i < days.length && (days[i] ?? 0) < f) i++;
      at[u] = i;
      const d = days[i];
      if (d !== undefined) firsts[d] = (firsts[d] ?? 0) + 1;
    });
    let seen = 0;
    let found = -1;
    for (let d = f; d < dayCount && found < 0; d++) {
      seen += firsts[d] ?? 0;
      if (seen >= k) found = d;
    }
    reach.push(found);
  }
  return reach;
}

/** The data the page's filters recompute from (FilterData), from the report and its detail. */
export function filterData(report: Report, detail: DashboardDetail, days: string[]): FilterData {
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const teams = indexer();
  for (const t of [...Object.keys(report.byTeam), ...Object.keys(report.engagement.byTeam)].sort())
    teams.of(t);
  const inRange = <T extends { day: string }>(rows: T[]): T[] =>
    rows.filter((r) => dayIndex.has(r.day));
  const teamDays = new Map<string, number[]>();
  const presence = new Map<string, Map<string, Set<number>>>();
  const pooledPresence = new Map<string, Set<number>>();
  const users = indexer();
  const userRows: number[][] = [];
  for (const r of inRange(detail.users)) {
    const d = dayIndex.get(r.day) ?? 0;
    const t = teams.of(r.team);
    const k = `${d} ${t}`;
    const row = teamDays.get(k) ?? [d, t, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    row[2] = (row[2] ?? 0) + (r.active ? 1 : 0);
    row[3] = (row[3] ?? 0) + (r.suggestion ? 1 : 0);
    r.figures.forEach((v, i) => (row[4 + i] = (row[4 + i] ?? 0) + v));
    teamDays.set(k, row);
    if (r.active || r.suggestion) {
      const byUser = presence.get(r.team) ?? new Map<string, Set<number>>();
      byUser.set(r.user, (byUser.get(r.user) ?? new Set()).add(d));
      presence.set(r.team, byUser);
      // A pooled team's name serves only to count it apart (pooledDays): it never reaches the page.
      if (r.pooledTeam !== null)
        pooledPresence.set(r.pooledTeam, (pooledPresence.get(r.pooledTeam) ?? new Set()).add(d));
    }
    userRows.push([
      d,
      t,
      users.of(r.user),
      r.active ? 1 : 0,
      r.suggestion ? 1 : 0,
      ...r.figures.slice(0, 6),
    ]);
  }
  const groups = Object.fromEntries(
    DETAIL_DIMENSIONS.map((dim) => {
      const keys = indexer();
      const rows = inRange(detail.groups.filter((g) => g.dim === dim)).map((g) => [
        dayIndex.get(g.day) ?? 0,
        teams.of(g.team),
        keys.of(g.key),
        ...g.figures,
      ]);
      return [dim, { keys: keys.list, rows }];
    }),
  ) as FilterData['groups'];
  const seats = detail.seats.map((s): [number, number, string | null, string | null] => [
    users.of(s.user),
    teams.of(s.team),
    s.from,
    s.to,
  ]);
  const people = report.teams.peopleOmitted ? null : { users: users.list, rows: userRows, seats };
  const k = report.teams.minTeamSize;
  return {
    days,
    rangeFrom: report.range.from,
    rangeTo: report.range.to,
    small: SMALL_TEAMS,
    minTeamSize: k,
    teams: teams.list,
    reach: teams.list.map((t) =>
      t === SMALL_TEAMS ? null : reachOf(presence.get(t) ?? new Map(), days.length, k),
    ),
    teamDays: [...teamDays.values()],
    groups,
    people,
    whole: { activeUsers: report.activeUsers, engagement: report.engagement.byTeam },
    pooledDays: [...pooledPresence.values()].map((days) => [...days].sort((a, b) => a - b)),
    mappingNote: teamMappingNote(report),
  };
}

/** Every chart the page can draw: canvas id and title. */
export const DASHBOARD_CHARTS = [
  ['chart-rate', 'Acceptance rate per day (%)'],
  ['chart-code-chat', 'Code vs chat: suggestions'],
  ['chart-code-chat-lines', 'Code vs chat: lines accepted'],
  ['chart-language', 'Code suggestions by language'],
  ['chart-ide', 'By IDE'],
  ['chart-agent', 'Agent mode vs not'],
  ['chart-lines', 'Lines accepted per day'],
  ['chart-team', 'By team'],
  ['chart-team-trend', 'Accepted suggestions per day, by team'],
  ['chart-users', 'Top users by lines accepted'],
  ['chart-dau', 'Daily active users'],
] as const;

/** The charts a report shows: no per-person chart when people are left out. */
export function dashboardCharts(report: Report): (typeof DASHBOARD_CHARTS)[number][] {
  return DASHBOARD_CHARTS.filter(([id]) => id !== 'chart-users' || !report.teams.peopleOmitted);
}

/** True when the range holds nothing at all: the page says so instead of drawing empty charts. */
function isEmptyReport(report: Report): boolean {
  return (
    report.total.exposed === 0 &&
    report.total.accepted === 0 &&
    report.activeUsers === 0 &&
    Object.keys(report.byDay).length === 0
  );
}

// The page's own script: reads the data block, draws every chart and, with the filter data,
// recomputes every chart, table and headline figure for the date range and team chosen in the
// page, applying the privacy floor to that range. Plain ES2017, no markup built from data
// (Chart.js draws labels on a canvas; table cells are set with textContent).
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var C = { code: '#1a73e8', chat: '#e8710a', total: '#188038', grey: '#9aa0a6', purple: '#9334e6' };
  var PALETTE = ['#1a73e8', '#e8710a', '#188038', '#9334e6', '#d93025', '#12b5cb', '#f9ab00', '#5f6368'];
  var OVER_TITLE = 'Above 100%: includes acceptances whose exposure was not logged';
  function el(id) { return document.getElementById(id); }
  // The CSV of a table: the report's own (report --csv) for the whole range and every team, else
  // the same columns and row order for what the filters show.
  var currentCsv = null;
  document.querySelectorAll('button[data-csv]').forEach(function (b) {
    b.addEventListener('click', function () {
      var name = b.getAttribute('data-csv');
      var text = currentCsv && currentCsv[name] !== undefined ? currentCsv[name] : data.csv[name];
      var blob = new Blob([text], { type: 'text/csv;charset=utf-8' });
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name + '.csv';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  });
  if (!el('chart-rate')) { document.body.setAttribute('data-charts-ready', 'true'); return; }
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  var charts = {};
  function draw(id, config) { if (el(id)) charts[id] = new Chart(el(id), config); }
  // Long ids would be cut at the canvas edge on a phone: shortened on the axis, whole in tooltips.
  function shortLabel(v) {
    var l = String(this.getLabelForValue(v));
    var max = window.innerWidth < 700 ? 16 : 32;
    return l.length > max ? l.slice(0, max - 1) + '\\u2026' : l;
  }
  function pct(a, e) { return e > 0 ? Math.round(a / e * 1000) / 10 : null; }
  function groupChart(id) {
    draw(id, {
      data: {
        labels: [],
        datasets: [
          { type: 'line', label: 'Rate %', data: [], borderColor: C.total, backgroundColor: C.total, yAxisID: 'rate', pointRadius: 4 },
          { type: 'bar', label: 'Exposed', data: [], backgroundColor: C.grey, yAxisID: 'y' },
          { type: 'bar', label: 'Accepted', data: [], backgroundColor: C.code, yAxisID: 'y' }
        ]
      },
      options: {
        scales: {
          x: { type: 'category', ticks: { autoSkip: false, maxRotation: 60 } },
          y: { type: 'linear', axis: 'y', position: 'left', beginAtZero: true, title: { display: true, text: 'suggestions' } },
          // Not 'r': Chart.js reads that id as the radial axis.
          rate: { type: 'linear', axis: 'y', position: 'right', beginAtZero: true, suggestedMax: 100, grid: { drawOnChartArea: false }, title: { display: true, text: 'rate %' } }
        }
      }
    });
  }
  draw('chart-rate', {
    type: 'line',
    data: { labels: [], datasets: [
      { label: 'Code', data: [], borderColor: C.code, backgroundColor: C.code, spanGaps: true },
      { label: 'Chat', data: [], borderColor: C.chat, backgroundColor: C.chat, spanGaps: true },
      { label: 'Total', data: [], borderColor: C.total, backgroundColor: C.total, borderWidth: 3, spanGaps: true }
    ] },
    options: { scales: { y: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: '%' } } } }
  });
  draw('chart-code-chat', {
    type: 'bar',
    data: { labels: ['Code', 'Chat'], datasets: [
      { label: 'Exposed', data: [], backgroundColor: C.grey },
      { label: 'Accepted', data: [], backgroundColor: C.code }
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'suggestions' } } } }
  });
  draw('chart-code-chat-lines', {
    type: 'bar',
    data: { labels: ['Code', 'Chat'], datasets: [
      { label: 'Lines accepted', data: [], backgroundColor: C.chat }
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'lines' } } } }
  });
  ['chart-language', 'chart-ide', 'chart-agent', 'chart-team'].forEach(groupChart);
  draw('chart-lines', {
    type: 'bar',
    data: { labels: [], datasets: [
      { label: 'Code', data: [], backgroundColor: C.code },
      { label: 'Chat', data: [], backgroundColor: C.chat }
    ] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'lines' } } } }
  });
  draw('chart-team-trend', {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'accepted suggestions' } } } }
  });
  draw('chart-users', {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Lines accepted', data: [], backgroundColor: C.purple }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: 'lines' } }, y: { ticks: { autoSkip: false, callback: shortLabel } } } }
  });
  draw('chart-dau', {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Active users', data: [], backgroundColor: C.total }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'users' } } } }
  });

  // --- Figures: six numbers (code exposed, accepted, lines; chat exposed, accepted, lines).
  function fig(e, a, l) { return { exposed: e, accepted: a, rate: e > 0 ? a / e : null, lines: l }; }
  function groupOf(f) {
    return { code: fig(f[0], f[1], f[2]), chat: fig(f[3], f[4], f[5]), total: fig(f[0] + f[3], f[1] + f[4], f[2] + f[5]) };
  }
  function add(into, row, at) { for (var i = 0; i < 6; i++) into[i] += row[at + i]; return into; }
  function zero() { return [0, 0, 0, 0, 0, 0]; }
  function byName(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  // As sortGroups: largest first, then by name.
  function sortGroups(map, by) {
    return Object.keys(map).map(function (k) { return [k, groupOf(map[k])]; })
      .sort(function (a, b) { return by(b[1]) - by(a[1]) || byName(a[0], b[0]); });
  }
  function series(groups, pick) {
    pick = pick || function (g) { return g.total; };
    return {
      labels: groups.map(function (x) { return x[0]; }),
      exposed: groups.map(function (x) { return pick(x[1]).exposed; }),
      accepted: groups.map(function (x) { return pick(x[1]).accepted; }),
      rate: groups.map(function (x) { var f = pick(x[1]); return pct(f.accepted, f.exposed); }),
      lines: groups.map(function (x) { return pick(x[1]).lines; })
    };
  }
  function fmt(n) { return String(Math.round(n)).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ','); }
  function fmtRate(r) { return r === null ? '-' : (r * 100).toFixed(1) + '%'; }
  function rateCell(r) { return r !== null && r > 1 ? { text: fmtRate(r) + ' \\u2020', over: true } : fmtRate(r); }
  var langWeight = function (g) { return g.code.exposed + g.chat.accepted; };

  // --- Tables: rows of cells (text, or { text, over } for a rate above 100 %), written as text.
  function fillTable(id, rows) {
    var table = el(id);
    if (!table) return;
    var headers = [].map.call(table.tHead.rows[0].cells, function (c) { return c.textContent; });
    var body = table.tBodies[0];
    while (body.firstChild) body.removeChild(body.firstChild);
    var over = false;
    rows.forEach(function (cells) {
      var tr = document.createElement('tr');
      cells.forEach(function (c, i) {
        var td = document.createElement('td');
        td.setAttribute('data-label', headers[i] || '');
        if (c && c.over) {
          var span = document.createElement('span');
          span.className = 'over';
          span.title = OVER_TITLE;
          span.textContent = c.text;
          td.appendChild(span);
          over = true;
        } else {
          td.textContent = c;
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var note = table.parentElement.querySelector('p.over-note');
    if (note) note.hidden = !over;
  }
  function groupRows(groups) {
    return groups.map(function (x) {
      var g = x[1];
      return [x[0], fmt(g.total.exposed), fmt(g.total.accepted), rateCell(g.total.rate), fmt(g.total.lines), rateCell(g.code.rate), rateCell(g.chat.rate)];
    });
  }
  function languageRows(groups) {
    return groups.map(function (x) {
      var g = x[1];
      return [x[0], fmt(g.code.exposed), fmt(g.code.accepted), rateCell(g.code.rate), fmt(g.code.lines), fmt(g.chat.accepted), fmt(g.chat.lines)];
    });
  }
  function setText(id, text) { if (el(id)) el(id).textContent = text; }

  // --- What the page shows for a selection; without filter data, the report as it is.
  function reportView() {
    var s = data.scopes[''];
    var names = Object.keys(data.scopes).filter(function (t) { return t !== ''; }).slice(0, PALETTE.length);
    return {
      labels: data.days, daily: s, dau: data.dailyActiveUsers,
      trend: names.map(function (t) { return [t, data.scopes[t].codeAccepted.map(function (v, i) { return v + data.scopes[t].chatAccepted[i]; })]; }),
      codeVsChat: data.codeVsChat,
      languages: data.languages, clients: data.clients, agent: data.agent, teams: data.teams, topUsers: data.topUsers
    };
  }
  function drawView(v) {
    var d = v.daily;
    var r = charts['chart-rate'];
    r.data.labels = v.labels;
    r.data.datasets[0].data = d.codeExposed.map(function (e, i) { return pct(d.codeAccepted[i], e); });
    r.data.datasets[1].data = d.chatExposed.map(function (e, i) { return pct(d.chatAccepted[i], e); });
    r.data.datasets[2].data = d.codeExposed.map(function (e, i) { return pct(d.codeAccepted[i] + d.chatAccepted[i], e + d.chatExposed[i]); });
    var l = charts['chart-lines'];
    l.data.labels = v.labels;
    l.data.datasets[0].data = d.codeLines;
    l.data.datasets[1].data = d.chatLines;
    var t = charts['chart-team-trend'];
    if (t) {
      t.data.labels = v.labels;
      t.data.datasets = v.trend.map(function (x, i) {
        return { label: x[0], data: x[1], borderColor: PALETTE[i], backgroundColor: PALETTE[i] };
      });
    }
    var u = charts['chart-dau'];
    u.data.labels = v.labels;
    u.data.datasets[0].data = v.dau;
    var cc = charts['chart-code-chat'];
    cc.data.datasets[0].data = v.codeVsChat.exposed;
    cc.data.datasets[1].data = v.codeVsChat.accepted;
    charts['chart-code-chat-lines'].data.datasets[0].data = v.codeVsChat.lines;
    [['chart-language', v.languages], ['chart-ide', v.clients], ['chart-agent', v.agent], ['chart-team', v.teams]].forEach(function (x) {
      var c = charts[x[0]];
      if (!c) return;
      c.data.labels = x[1].labels;
      c.data.datasets[0].data = x[1].rate;
      c.data.datasets[1].data = x[1].exposed;
      c.data.datasets[2].data = x[1].accepted;
    });
    if (charts['chart-users']) {
      charts['chart-users'].data.labels = v.topUsers.labels;
      charts['chart-users'].data.datasets[0].data = v.topUsers.lines;
    }
    Object.keys(charts).forEach(function (id) { charts[id].update(); });
  }

  var F = data.filter;
  var TOP = data.topN;
  function selection() {
    var from = el('f-from').value || F.days[0];
    var to = el('f-to').value || F.days[F.days.length - 1];
    if (from > to) { var x = from; from = to; to = x; }
    var fi = F.days.length, ti = -1;
    F.days.forEach(function (d, i) { if (d >= from && fi === F.days.length) fi = i; if (d <= to) ti = i; });
    return { fi: fi, ti: ti, team: el('f-team').value };
  }
  // The privacy floor over the days chosen: a team under K users there joins the pool.
  function teamKeys(fi, ti) {
    return F.teams.map(function (name, i) {
      var r = F.reach[i];
      return r && r[fi] >= 0 && r[fi] <= ti ? name : F.small;
    });
  }
  function compute(sel) {
    var fi = sel.fi, ti = sel.ti;
    var whole = fi === 0 && ti === F.days.length - 1;
    var key = teamKeys(fi, ti);
    var scope = sel.team, pooledPick = false;
    if (scope !== '' && scope !== F.small && key.indexOf(scope) < 0) { scope = F.small; pooledPick = true; }
    function inRange(d) { return d >= fi && d <= ti; }
    function inScope(t) { return scope === '' || key[t] === scope; }
    var chartIdx = [];
    data.days.forEach(function (d, i) { var j = F.days.indexOf(d); if (j >= fi && j <= ti) chartIdx.push([i, j]); });
    var daily = { codeExposed: [], codeAccepted: [], codeLines: [], chatExposed: [], chatAccepted: [], chatLines: [] };
    var perDay = {}, perDayActive = {}, perTeamDayAcc = {}, byTeam = {}, total = zero(), orphans = 0;
    var teamStats = {}, present = {};
    F.teamDays.forEach(function (r) {
      if (!inRange(r[0])) return;
      var k = key[r[1]];
      if (r[2] > 0 || r[3] > 0) present[r[1]] = true;
      if (r[3] > 0 || r[4] + r[5] + r[6] + r[7] + r[8] + r[9] > 0) add(byTeam[k] = byTeam[k] || zero(), r, 4);
      var s = teamStats[k] = teamStats[k] || { userDays: 0, accepted: 0, last: -1 };
      s.userDays += r[2];
      s.accepted += r[5] + r[8];
      if (r[2] > 0 && r[0] > s.last) s.last = r[0];
      if (!inScope(r[1])) return;
      add(total, r, 4);
      orphans += r[10];
      add(perDay[r[0]] = perDay[r[0]] || zero(), r, 4);
      perDayActive[r[0]] = (perDayActive[r[0]] || 0) + r[2];
      var pt = perTeamDayAcc[k] = perTeamDayAcc[k] || {};
      pt[r[0]] = (pt[r[0]] || 0) + r[5] + r[8];
    });
    chartIdx.forEach(function (x) {
      var f = perDay[x[1]] || zero();
      daily.codeExposed.push(f[0]); daily.codeAccepted.push(f[1]); daily.codeLines.push(f[2]);
      daily.chatExposed.push(f[3]); daily.chatAccepted.push(f[4]); daily.chatLines.push(f[5]);
    });
    var dau = chartIdx.map(function (x) { return scope === '' ? (data.dailyActiveUsers[x[0]] || 0) : (perDayActive[x[1]] || 0); });
    var trendNames = Object.keys(perTeamDayAcc).sort().slice(0, PALETTE.length);
    var trend = trendNames.map(function (k) { return [k, chartIdx.map(function (x) { return perTeamDayAcc[k][x[1]] || 0; })]; });
    var dims = {};
    ['language', 'client', 'agent'].forEach(function (dim) {
      var g = F.groups[dim], out = {};
      g.rows.forEach(function (r) {
        if (!inRange(r[0]) || !inScope(r[1])) return;
        add(out[g.keys[r[2]]] = out[g.keys[r[2]]] || zero(), r, 3);
      });
      dims[dim] = out;
    });
    var teamGroups = {};
    Object.keys(byTeam).forEach(function (k) { if (scope === '' || k === scope) teamGroups[k] = byTeam[k]; });
    var v = {
      whole: whole, scope: scope, pooledPick: pooledPick, key: key,
      labels: chartIdx.map(function (x) { return data.days[x[0]]; }),
      daily: daily, dau: dau, trend: trend,
      total: groupOf(total), orphans: orphans,
      codeVsChat: { exposed: [total[0], total[3]], accepted: [total[1], total[4]], lines: [total[2], total[5]] },
      languageGroups: sortGroups(dims.language, langWeight).filter(function (x) { return langWeight(x[1]) > 0; }),
      allLanguageGroups: sortGroups(dims.language, langWeight),
      clientGroups: sortGroups(dims.client, function (g) { return g.total.exposed; }),
      agentGroups: [['Agent mode', groupOf(dims.agent.agent || zero())], ['Not agent mode', groupOf(dims.agent.nonAgent || zero())]],
      teamGroups: sortGroups(teamGroups, function (g) { return g.total.exposed; }),
      // As the report of these days counts them: teams with a user in them but under the floor.
      pooled: F.pooledDays.filter(function (ds) { return ds.some(inRange); }).length +
        F.teams.filter(function (t, i) {
          return t !== F.small && key[i] === F.small && present[i] === true;
        }).length
    };
    v.languages = series(v.languageGroups.slice(0, TOP), function (g) { return g.code; });
    v.clients = series(v.clientGroups.slice(0, TOP));
    v.agent = series(v.agentGroups);
    v.teams = series(v.teamGroups.slice(0, TOP));
    v.engagement = engagement(v, teamStats, inRange, fi, ti).filter(function (e) { return scope === '' || e.team === scope; });
    people(v, inRange, inScope, fi, ti);
    return v;
  }
  // Engagement by team: distinct users and seats need people; without them only sums follow.
  function engagement(v, teamStats, inRange, fi, ti) {
    var stats = {};
    if (F.people) {
      var P = F.people, activeAny = {};
      P.rows.forEach(function (r) {
        if (!inRange(r[0]) || !(r[3] || r[4])) return;
        var k = v.key[r[1]];
        var s = stats[k] = stats[k] || { active: {}, acc: {}, userDays: 0, accepted: 0, last: -1, seats: 0, inactive: 0 };
        if (r[3]) { s.active[r[2]] = true; s.userDays += 1; activeAny[r[2]] = true; if (r[0] > s.last) s.last = r[0]; }
        s.acc[r[2]] = (s.acc[r[2]] || 0) + r[6] + r[9];
        s.accepted += r[6] + r[9];
      });
      var seatTeam = {};
      var lo = fi === 0 && F.rangeFrom === null ? null : F.days[fi];
      var hi = ti === F.days.length - 1 && F.rangeTo === null ? null : F.days[ti];
      P.seats.forEach(function (x) {
        if ((lo === null || x[3] === null || x[3] >= lo) && (hi === null || x[2] === null || x[2] <= hi)) seatTeam[x[0]] = x[1];
      });
      v.inactiveSeats = [];
      Object.keys(seatTeam).forEach(function (u) {
        var k = v.key[seatTeam[u]];
        var s = stats[k] = stats[k] || { active: {}, acc: {}, userDays: 0, accepted: 0, last: -1, seats: 0, inactive: 0 };
        s.seats += 1;
        if (!activeAny[u]) { s.inactive += 1; v.inactiveSeats.push([P.users[u], k]); }
      });
      v.inactiveSeats.sort(function (a, b) { return byName(a[1], b[1]) || byName(a[0], b[0]); });
      v.activeAny = activeAny;
      return Object.keys(stats).map(function (k) {
        var s = stats[k], active = Object.keys(s.active).length;
        var engaged = Object.keys(s.acc).filter(function (u) { return s.acc[u] > 0 && s.active[u]; }).length;
        return { team: k, activeUsers: active, engagedUsers: engaged, activeUserDays: s.userDays, accepted: s.accepted,
          perUser: active > 0 ? s.accepted / active : null, last: s.last >= 0 ? F.days[s.last] : null, seats: s.seats, inactiveSeats: s.inactive };
      });
    }
    // Without people: the report's own rows for its whole range; for part of it only the sums,
    // the distinct counts unknown (undefined).
    if (v.whole) {
      return Object.keys(F.whole.engagement).map(function (k) {
        var w = F.whole.engagement[k];
        return { team: k, activeUsers: w.activeUsers, engagedUsers: w.engagedUsers, activeUserDays: w.activeUserDays, accepted: w.accepted,
          perUser: w.acceptedPerActiveUser, last: w.lastActiveDay, seats: w.seats, inactiveSeats: w.inactiveSeats };
      });
    }
    return Object.keys(teamStats).map(function (k) {
      var s = teamStats[k];
      return { team: k, activeUserDays: s.userDays, accepted: s.accepted, last: s.last >= 0 ? F.days[s.last] : null };
    });
  }
  // Per-person figures of the selection (only when the page carries people).
  function people(v, inRange, inScope, fi, ti) {
    v.activeUsers = null;
    v.withSuggestion = null;
    if (!F.people) {
      if (v.whole && v.scope === '') v.activeUsers = F.whole.activeUsers;
      else if (v.whole && F.whole.engagement[v.scope]) v.activeUsers = F.whole.engagement[v.scope].activeUsers;
      v.topUsers = { labels: [], lines: [] };
      return;
    }
    var P = F.people, perUser = {}, active = {};
    P.rows.forEach(function (r) {
      if (!inRange(r[0]) || !inScope(r[1])) return;
      if (r[3]) active[r[2]] = true;
      if (r[4]) add(perUser[P.users[r[2]]] = perUser[P.users[r[2]]] || zero(), r, 5);
    });
    v.userGroups = sortGroups(perUser, function (g) { return g.total.lines; });
    v.topUsers = series(v.userGroups.slice(0, TOP));
    v.activeUsers = Object.keys(active).length;
    v.withSuggestion = v.userGroups.length;
    if (v.scope !== '') v.inactiveSeats = v.inactiveSeats.filter(function (s) { return s[1] === v.scope; });
  }
  function showTables(v) {
    fillTable('table-team', groupRows(v.teamGroups));
    var eng = v.engagement.slice().sort(function (a, b) { return (b.activeUsers || 0) - (a.activeUsers || 0) || byName(a.team, b.team); });
    function count(n) { return n === undefined ? '\\u2013' : fmt(n); }
    fillTable('table-engagement', eng.map(function (e) {
      return [e.team, count(e.activeUsers), count(e.engagedUsers), fmt(e.activeUserDays), fmt(e.accepted),
        e.activeUsers === undefined ? '\\u2013' : e.perUser === null ? '-' : e.perUser.toFixed(1), e.last || '-', count(e.seats), count(e.inactiveSeats)];
    }));
    fillTable('table-language', languageRows(v.languageGroups.slice(0, TOP)));
    fillTable('table-ide', groupRows(v.clientGroups));
    fillTable('table-agent', groupRows(v.agentGroups));
    if (F.people) {
      fillTable('table-users', groupRows(v.userGroups.slice(0, TOP)));
      setText('title-users', 'Top users by lines accepted (' + Math.min(TOP, v.withSuggestion) + ' of ' + v.withSuggestion + ')');
      var more = Math.max(0, v.activeUsers - v.withSuggestion);
      setText('note-users', fmt(v.withSuggestion) + ' users had a suggestion in the range; ' + fmt(more) +
        ' more were active (a request or an event) without one, so the ' + fmt(v.activeUsers) + ' active users are ' +
        fmt(v.withSuggestion) + ' + ' + fmt(more) + '.');
      fillTable('table-inactive', v.inactiveSeats);
      setText('title-inactive', 'Inactive seat holders (' + v.inactiveSeats.length + ')');
      setText('kpi-active-sub', fmt(v.withSuggestion) + ' with a suggestion (the per-user table)');
    }
    var floor = 'Teams with fewer than ' + F.minTeamSize + ' distinct users in the range are pooled under "' + F.small + '" (' + v.pooled + ' pooled).' + F.mappingNote;
    document.querySelectorAll('p.floor-note').forEach(function (p) { p.textContent = floor; });
    setText('kpi-rate', fmtRate(v.total.total.rate));
    setText('kpi-exposed', fmt(v.total.total.exposed));
    setText('kpi-accepted', fmt(v.total.total.accepted));
    setText('kpi-lines', fmt(v.total.total.lines));
    setText('kpi-orphans', fmt(v.orphans));
    setText('kpi-active', v.activeUsers === null ? '\\u2013' : fmt(v.activeUsers));
  }
  function note(v) {
    var parts = [];
    parts.push(v.whole && v.scope === '' ? 'Showing the whole report range.' :
      'Showing ' + (F.days[selection().fi] || '-') + ' to ' + (F.days[selection().ti] || '-') + (v.scope ? ', team ' + v.scope : '') + '.');
    if (v.pooledPick) parts.push(el('f-team').value + ' has fewer than ' + F.minTeamSize + ' users in these days: showing "' + F.small + '", where its figures are pooled.');
    parts.push('Every chart, table, headline figure and CSV download follows the filters, except quarantined entries and the row counts (all time) and the header line (the whole report range).');
    if (!F.people && !v.whole) parts.push('Active users, engaged users, accepted per active user and seats (\\u2013) are counts of distinct people, which this page does not carry (individual people left out): see the whole range.');
    setText('filter-note', parts.join(' '));
  }
  // As csv.ts: empty for null, plain decimals, RFC 4180 quoting, CRLF.
  function csvField(x) {
    if (x === null || x === undefined) return '';
    var t = typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(12).replace(/\\.?0+$/, '')) : String(x);
    return /[",\\r\\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function toCsv(name, rows) {
    return [data.csvHeaders[name]].concat(rows).map(function (r) { return r.map(csvField).join(',') + '\\r\\n'; }).join('');
  }
  function figureCells(g) {
    return [g.code, g.chat, g.total].reduce(function (out, f) { return out.concat([f.exposed, f.accepted, f.rate, f.lines]); }, []);
  }
  // The report's record order: by key.
  function csvGroups(groups) {
    return groups.slice().sort(function (a, b) { return byName(a[0], b[0]); }).map(function (x) { return [x[0]].concat(figureCells(x[1])); });
  }
  function csvTables(v) {
    var out = {
      by_team: toCsv('by_team', csvGroups(v.teamGroups)),
      by_language: toCsv('by_language', csvGroups(v.allLanguageGroups)),
      by_ide: toCsv('by_ide', csvGroups(v.clientGroups)),
      by_agent_mode: toCsv('by_agent_mode', [['agent'].concat(figureCells(v.agentGroups[0][1])), ['not_agent'].concat(figureCells(v.agentGroups[1][1]))]),
      team_engagement: toCsv('team_engagement', v.engagement.slice().sort(function (a, b) { return byName(a.team, b.team); }).map(function (e) {
        return [e.team, e.activeUsers, e.engagedUsers, e.activeUserDays, e.accepted, e.perUser, e.last, e.seats, e.inactiveSeats];
      }))
    };
    if (F.people) {
      out.by_user = toCsv('by_user', csvGroups(v.userGroups));
      out.inactive_seats = toCsv('inactive_seats', v.inactiveSeats.slice().sort(function (a, b) { return byName(a[1], b[1]) || byName(a[0], b[0]); }));
    }
    return out;
  }
  function apply() {
    var v = compute(selection());
    drawView(v);
    showTables(v);
    note(v);
    currentCsv = v.whole && v.scope === '' ? null : csvTables(v);
  }
  if (F) {
    ['f-from', 'f-to', 'f-team'].forEach(function (id) { el(id).addEventListener('change', apply); });
    apply();
  } else {
    drawView(reportView());
  }
  document.body.setAttribute('data-charts-ready', 'true');
})();
`;

const STYLE = `
  :root { color-scheme: light; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f8f9fa; color: #202124; }
  header { background: #fff; border-bottom: 1px solid #dadce0; padding: 16px 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  header p { margin: 0; color: #5f6368; font-size: 13px; }
  main { padding: 16px 24px 40px; max-width: 1400px; margin: 0 auto; box-sizing: border-box; }
  .filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin-bottom: 12px; font-size: 13px; }
  .filters label { display: flex; flex-direction: column; gap: 2px; color: #5f6368; }
  .filters input, .filters select { font: inherit; padding: 4px; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 16px; }
  .kpi { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 12px 16px; }
  .kpi .v { font-size: 24px; font-weight: 600; }
  .kpi .l { font-size: 12px; color: #5f6368; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(520px, 100%), 1fr)); gap: 16px; }
  .tables { grid-template-columns: 1fr; }
  section.card { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 12px 16px; min-width: 0; }
  section.card h2 { font-size: 15px; margin: 0 0 8px; display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
  button.csv { font: inherit; font-size: 12px; font-weight: normal; padding: 2px 8px; cursor: pointer; }
  .chart { position: relative; height: 300px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; white-space: normal; overflow-wrap: anywhere; }
  .tables { margin-top: 16px; }
  footer { color: #5f6368; font-size: 12px; margin-top: 16px; }
  .note { color: #5f6368; font-size: 12px; margin: 8px 0 0; }
  .over { color: #b06000; font-weight: 600; }
  .empty { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 32px; text-align: center; font-size: 18px; }
  /* Narrow screens: each row becomes a card of label/value lines, so nothing is cut or scrolled. */
  @media (max-width: 700px) {
    header, main { padding-left: 12px; padding-right: 12px; }
    table thead { display: none; }
    table, table tbody, table tr, table td { display: block; width: 100%; box-sizing: border-box; }
    table tr { border-bottom: 1px solid #dadce0; padding: 4px 0; }
    table td { display: flex; justify-content: space-between; gap: 12px; border: 0; padding: 2px 0; white-space: normal; text-align: right; }
    table td::before { content: attr(data-label); color: #5f6368; text-align: left; }
    table td:first-child { font-weight: 600; text-align: left; }
    table td:first-child::before { content: none; }
  }
`;

/** Why a rate can pass 100%; shown wherever such a rate is. */
export const OVER_100_NOTE =
  "† Above 100%: more suggestions were accepted than exposed in this slice. Acceptances whose exposure was never logged (orphan acceptances) count as accepted, as Google's formula does, so a user, a day or an IDE can show more than 100%.";

/** A rate for a table cell: above 100% it is marked and explained (OVER_100_NOTE). */
function rateCell(rate: number | null): { html: string; over: boolean } {
  const text = escapeHtml(formatRate(rate));
  if (rate !== null && rate > 1) {
    return {
      html: `<span class="over" title="Above 100%: includes acceptances whose exposure was not logged">${text} †</span>`,
      over: true,
    };
  }
  return { html: text, over: false };
}

interface TableSpec {
  title: string;
  id: string;
  /** CSV table behind the download button. */
  csv: string;
  headers: string[];
  /** Cells as HTML (already escaped). */
  rows: string[][];
  /** Notes under the table: text, or text with an id or class the page script rewrites. */
  notes?: (string | Note)[];
  /**
   * The table shows rates: it carries OVER_100_NOTE, hidden unless a rate passes 100 % (the
   * page's filters can make one appear or go).
   */
  over?: boolean;
  /** Id of the title, for a title the page's filters rewrite. */
  titleId?: string;
}

interface Note {
  text: string;
  id?: string;
  cls?: string;
}

function noteHtml(n: string | Note, hidden = false): string {
  const note: Note = typeof n === 'string' ? { text: n } : n;
  const id = note.id ? ` id="${note.id}"` : '';
  return `<p class="note${note.cls ? ` ${note.cls}` : ''}"${id}${hidden ? ' hidden' : ''}>${escapeHtml(note.text)}</p>`;
}

function tableCard(t: TableSpec): string {
  const head = `<tr>${t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map(
      (cells) =>
        `<tr>${cells.map((c, i) => `<td data-label="${escapeHtml(t.headers[i] ?? '')}">${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const notes = [
    ...(t.notes ?? []).map((n) => noteHtml(n)),
    ...(t.over === undefined ? [] : [noteHtml({ text: OVER_100_NOTE, cls: 'over-note' }, !t.over)]),
  ].join('');
  const titleId = t.titleId ? ` id="${t.titleId}"` : '';
  return `<section class="card"><h2><span${titleId}>${escapeHtml(t.title)}</span><button type="button" class="csv" data-csv="${escapeHtml(t.csv)}">Download CSV</button></h2><table id="${t.id}"><thead>${head}</thead><tbody>${body}</tbody></table>${notes}</section>`;
}

const GROUP_HEADERS = ['Exposed', 'Accepted', 'Rate', 'Lines accepted', 'Code rate', 'Chat rate'];

function groupRows(groups: [string, GroupFigures][]): { rows: string[][]; over: boolean } {
  let over = false;
  const rows = groups.map(([name, g]) => {
    const rates = [g.total.acceptanceRate, g.code.acceptanceRate, g.chat.acceptanceRate].map(
      rateCell,
    );
    over ||= rates.some((r) => r.over);
    return [
      escapeHtml(name),
      formatCount(g.total.exposed),
      formatCount(g.total.accepted),
      rates[0]?.html ?? '',
      formatCount(g.total.linesAccepted),
      rates[1]?.html ?? '',
      rates[2]?.html ?? '',
    ];
  });
  return { rows, over };
}

function groupTable(
  title: string,
  id: string,
  csv: string,
  first: string,
  groups: [string, GroupFigures][],
  notes: (string | Note)[] = [],
  titleId?: string,
): string {
  const { rows, over } = groupRows(groups);
  return tableCard({
    title,
    id,
    csv,
    headers: [first, ...GROUP_HEADERS],
    rows,
    notes,
    over,
    ...(titleId ? { titleId } : {}),
  });
}

function languageTable(groups: [string, GroupFigures][]): string {
  let over = false;
  const rows = groups.map(([name, g]) => {
    const r = rateCell(g.code.acceptanceRate);
    over ||= r.over;
    return [
      escapeHtml(name),
      formatCount(g.code.exposed),
      formatCount(g.code.accepted),
      r.html,
      formatCount(g.code.linesAccepted),
      formatCount(g.chat.accepted),
      formatCount(g.chat.linesAccepted),
    ];
  });
  return tableCard({
    title: 'By language',
    id: 'table-language',
    csv: 'by_language',
    headers: ['Language', ...LANGUAGE_HEADERS],
    rows,
    notes: [LANGUAGE_NOTE],
    over,
  });
}

function kpi(label: string, value: string, id?: string, sub?: string): string {
  const idAttr = id ? ` id="${id}"` : '';
  const subLine = sub
    ? `<div class="l"${id ? ` id="${id}-sub"` : ''}>${escapeHtml(sub)}</div>`
    : '';
  return `<div class="kpi"><div class="v"${idAttr}>${escapeHtml(value)}</div><div class="l">${escapeHtml(label)}</div>${subLine}</div>`;
}

function kindLine(kind: string, f: Figures): string {
  return `${kind}: ${formatRate(f.acceptanceRate)} of ${formatCount(f.exposed)}`;
}

export interface HtmlReportOptions {
  /** Shown in the footer, and the day treated as incomplete; default now. */
  generatedAt?: Date;
  /** The Chart.js source to inline; default read from node_modules. */
  chartJs?: string;
  /** How many languages, IDEs, teams and users the charts and tables show. Default 15. */
  topN?: number;
  /**
   * The per-day detail (buildDashboardDetail) the date-range and team filters recompute from;
   * without it the page shows the report's range only, with no filters.
   */
  detail?: DashboardDetail;
}

/** Renders the dashboard page for a Report. */
export function renderHtmlReport(report: Report, opts: HtmlReportOptions = {}): string {
  const topN = opts.topN ?? 15;
  const chartJs = opts.chartJs ?? loadChartJs();
  const now = opts.generatedAt ?? new Date();
  const data = dashboardData(report, topN, now, opts.detail ?? null);
  const dataJson = jsonForScript(data);
  const days = sortedDays(report);
  const from = report.range.from ?? days[0] ?? '-';
  const to = report.range.to ?? days[days.length - 1] ?? '-';
  const generatedAt = now.toISOString();
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(chartJs)}' 'sha256-${sha256(PAGE_SCRIPT)}'`,
    "style-src 'unsafe-inline'",
    "img-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const empty = isEmptyReport(report);
  const people = !report.teams.peopleOmitted;
  const incomplete = data.incompleteDay
    ? `${data.incompleteDay} (today, UTC) is still filling up, so the daily charts stop the day before.`
    : '';
  const overDay = Object.values(report.byDay).some((g) =>
    [g.total, g.code, g.chat].some((f) => (f.acceptanceRate ?? 0) > 1),
  );
  const chartNotes: Record<string, string[]> = {
    'chart-rate': [...(overDay ? [OVER_100_NOTE] : []), ...(incomplete ? [incomplete] : [])],
    'chart-lines': incomplete ? [incomplete] : [],
    'chart-dau': incomplete ? [incomplete] : [],
    'chart-team-trend': ['Teams as in "By team" (the privacy floor applies); at most 8 lines.'],
  };
  const charts = dashboardCharts(report)
    .map(
      ([id, title]) =>
        `<section class="card"><h2><span>${escapeHtml(title)}</span></h2><div class="chart"><canvas id="${id}" role="img" aria-label="${escapeHtml(title)}"></canvas></div>${(
          chartNotes[id] ?? []
        )
          .map((n) => `<p class="note">${escapeHtml(n)}</p>`)
          .join('')}</section>`,
    )
    .join('\n');
  const languages = sortGroups(report.byLanguage, languageWeight)
    .filter(([, g]) => languageWeight(g) > 0)
    .slice(0, topN);
  const clients = sortGroups(report.byClient, (g) => g.total.exposed);
  const users = sortGroups(report.byUser, (g) => g.total.linesAccepted);
  const usersWithSuggestions = users.length;
  const floor: Note = { text: teamFloorNote(report), cls: 'floor-note' };
  const tables = [
    groupTable(
      'By team',
      'table-team',
      'by_team',
      'Team',
      sortGroups(report.byTeam, (g) => g.total.exposed),
      [floor],
    ),
    tableCard({
      title: 'Engagement and seats by team',
      id: 'table-engagement',
      csv: 'team_engagement',
      headers: ['Team', ...ENGAGEMENT_HEADERS],
      rows: Object.entries(report.engagement.byTeam)
        .sort(([, a], [, b]) => b.activeUsers - a.activeUsers)
        .map(([team, e]) => [escapeHtml(team), ...engagementCells(e).map(escapeHtml)]),
      notes: [
        'Active: any request or metadata event that day. Engaged: at least one accepted suggestion in the range. Seats: holders in the team mapping; inactive: no activity at all in the range.',
        floor,
      ],
    }),
    languageTable(languages),
    groupTable('By IDE', 'table-ide', 'by_ide', 'IDE', clients),
    groupTable('Agent mode', 'table-agent', 'by_agent_mode', 'Mode', [
      ['Agent mode', report.byAgentMode.agent],
      ['Not agent mode', report.byAgentMode.nonAgent],
    ]),
  ];
  if (people) {
    const noSuggestion = Math.max(0, report.activeUsers - usersWithSuggestions);
    tables.push(
      groupTable(
        `Top users by lines accepted (${Math.min(topN, usersWithSuggestions)} of ${usersWithSuggestions})`,
        'table-users',
        'by_user',
        'User',
        users.slice(0, topN),
        [
          {
            id: 'note-users',
            text: `${formatCount(usersWithSuggestions)} users had a suggestion in the range; ${formatCount(noSuggestion)} more were active (a request or an event) without one, so the ${formatCount(report.activeUsers)} active users are ${formatCount(usersWithSuggestions)} + ${formatCount(noSuggestion)}.`,
          },
        ],
        'title-users',
      ),
      tableCard({
        title: `Inactive seat holders (${report.engagement.inactiveSeats.length})`,
        titleId: 'title-inactive',
        id: 'table-inactive',
        csv: 'inactive_seats',
        headers: ['User', 'Team'],
        rows: report.engagement.inactiveSeats.map((s) => [
          escapeHtml(s.userId),
          escapeHtml(s.team),
        ]),
        notes: ['A seat in the team mapping and no request or event in the range.'],
      }),
    );
  }
  const f = data.filter;
  const teamOptions = (f?.teams ?? [])
    .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
    .join('');
  const first = f?.days[0] ?? '';
  const last = f?.days[f.days.length - 1] ?? '';
  const filters =
    empty || f === null
      ? ''
      : `<div class="filters" id="filters">
<label>From<input type="date" id="f-from" min="${first}" max="${last}" value="${first}"></label>
<label>To<input type="date" id="f-to" min="${first}" max="${last}" value="${last}"></label>
<label>Team<select id="f-team"><option value="">All teams</option>${teamOptions}</select></label>
<span class="note" id="filter-note"></span>
</div>`;
  const activeSub = people
    ? `${formatCount(usersWithSuggestions)} with a suggestion (the per-user table)`
    : undefined;
  const content = empty
    ? `<p class="empty" id="empty">No data in this range (${escapeHtml(from)} to ${escapeHtml(to)}).</p>`
    : `<div class="grid">
${charts}
</div>
<div class="grid tables">
${tables.join('\n')}
</div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gemini Code Assist acceptance, ${escapeHtml(from)} to ${escapeHtml(to)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Gemini Code Assist acceptance</h1>
<p>${escapeHtml(from)} to ${escapeHtml(to)} &middot; ${escapeHtml(kindLine('code', report.code))} &middot; ${escapeHtml(kindLine('chat', report.chat))}${people ? '' : ' &middot; individual people left out'}</p>
</header>
<main>
${filters}
<div class="kpis">
${kpi('Total acceptance rate', formatRate(report.total.acceptanceRate), 'kpi-rate')}
${kpi('Suggestions exposed', formatCount(report.total.exposed), 'kpi-exposed')}
${kpi('Suggestions accepted', formatCount(report.total.accepted), 'kpi-accepted')}
${kpi('Lines accepted', formatCount(report.total.linesAccepted), 'kpi-lines')}
${kpi('Active users (any request or event)', formatCount(report.activeUsers), 'kpi-active', activeSub)}
${kpi('Orphan acceptances', formatCount(report.orphanAcceptances), 'kpi-orphans')}
${kpi('Quarantined entries (all time, not only this range)', formatCount(report.rows.quarantined))}
</div>
${content}
<footer>
Rows stored (all time, not only this range): ${formatCount(report.rows.requests)} requests, ${formatCount(report.rows.responses)} responses,
${formatCount(report.rows.metadataEvents)} metadata events, ${formatCount(report.rows.quarantined)} quarantined.
Acceptance rate = distinct accepted suggestions / distinct exposed suggestions (per originalRequestId);
lines accepted = the largest linesCount of each accepted suggestion; a late acceptance counts on its exposure's day.
Generated ${escapeHtml(generatedAt)} by gca-analytics.
</footer>
</main>
<script type="application/json" id="report-data">${dataJson}</script>
<script>${chartJs}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
