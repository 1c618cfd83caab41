/**
 * The self-contained HTML dashboard: one file that opens from disk with no network. Chart.js
 * (its UMD build, read from node_modules at run time) and the report data are inlined; a
 * Content-Security-Policy allows only those two scripts (by hash) and no connections, so even a
 * string from the logs that slipped through escaping could not run or phone home.
 *
 * Every string from the logs (user ids, languages, IDE names) reaches the page either escaped
 * into HTML text or inside the JSON data block with `<`, `>` and `&` escaped, and Chart.js draws
 * labels on a canvas, never as markup.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Figures, GroupFigures, Report } from '../../shared/metrics/report-schema';
import { reportCsvTables, toCsv } from './csv';
import { formatCount, formatRate, sortGroups, sortedDays } from './format';
import {
  ENGAGEMENT_HEADERS,
  engagementCells,
  LANGUAGE_HEADERS,
  LANGUAGE_NOTE,
  languageWeight,
  teamFloorNote,
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
export function chartDays(
  report: Report,
  now: Date,
): { days: string[]; incompleteDay: string | null } {
  const seen = [
    ...new Set([...sortedDays(report), ...Object.keys(report.dailyActiveUsers)]),
  ].sort();
  const from = report.range.from ?? seen[0];
  const to = report.range.to ?? seen[seen.length - 1];
  if (!from || !to) return { days: [], incompleteDay: null };
  const today = now.toISOString().slice(0, 10);
  const all = dayRange(from, to);
  return {
    days: all.filter((d) => d < today),
    incompleteDay: all.includes(today) ? today : null,
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
export function dashboardData(report: Report, topN = 15, now: Date = new Date()): DashboardData {
  const { days, incompleteDay } = chartDays(report, now);
  const scopes: Record<string, DaySeries> = { '': daySeries(days, report.byDay) };
  for (const [team, byDay] of Object.entries(report.byTeamDay)) {
    scopes[team] = daySeries(days, byDay);
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
    csv: Object.fromEntries(reportCsvTables(report).map((t) => [t.name, toCsv(t)])),
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
  ['chart-dau', 'Daily active users (all teams)'],
] as const;

/** The charts a report shows: no per-person chart when people are left out. */
export function dashboardCharts(report: Report): (typeof DASHBOARD_CHARTS)[number][] {
  return DASHBOARD_CHARTS.filter(([id]) => id !== 'chart-users' || !report.teams.peopleOmitted);
}

/** True when the range holds nothing at all: the page says so instead of drawing empty charts. */
export function isEmptyReport(report: Report): boolean {
  return (
    report.total.exposed === 0 &&
    report.total.accepted === 0 &&
    report.activeUsers === 0 &&
    Object.keys(report.byDay).length === 0
  );
}

// The page's own script: reads the data block, draws every chart, and re-draws the daily ones
// for the date range and team chosen in the page. Plain ES2017, no markup built from data
// (Chart.js draws labels on a canvas; table cells are written by the server, escaped).
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var C = { code: '#1a73e8', chat: '#e8710a', total: '#188038', grey: '#9aa0a6', purple: '#9334e6' };
  var PALETTE = ['#1a73e8', '#e8710a', '#188038', '#9334e6', '#d93025', '#12b5cb', '#f9ab00', '#5f6368'];
  function el(id) { return document.getElementById(id); }
  document.querySelectorAll('button[data-csv]').forEach(function (b) {
    b.addEventListener('click', function () {
      var name = b.getAttribute('data-csv');
      var blob = new Blob([data.csv[name]], { type: 'text/csv;charset=utf-8' });
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
    return l.length > max ? l.slice(0, max - 1) + '\u2026' : l;
  }
  function rate(a, e) { return e > 0 ? Math.round(a / e * 1000) / 10 : null; }
  function groupChart(id, s) {
    draw(id, {
      data: {
        labels: s.labels,
        datasets: [
          { type: 'line', label: 'Rate %', data: s.rate, borderColor: C.total, backgroundColor: C.total, yAxisID: 'rate', pointRadius: 4 },
          { type: 'bar', label: 'Exposed', data: s.exposed, backgroundColor: C.grey, yAxisID: 'y' },
          { type: 'bar', label: 'Accepted', data: s.accepted, backgroundColor: C.code, yAxisID: 'y' }
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
      { label: 'Exposed', data: data.codeVsChat.exposed, backgroundColor: C.grey },
      { label: 'Accepted', data: data.codeVsChat.accepted, backgroundColor: C.code }
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'suggestions' } } } }
  });
  draw('chart-code-chat-lines', {
    type: 'bar',
    data: { labels: ['Code', 'Chat'], datasets: [
      { label: 'Lines accepted', data: data.codeVsChat.lines, backgroundColor: C.chat }
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'lines' } } } }
  });
  groupChart('chart-language', data.languages);
  groupChart('chart-ide', data.clients);
  groupChart('chart-agent', data.agent);
  groupChart('chart-team', data.teams);
  draw('chart-lines', {
    type: 'bar',
    data: { labels: [], datasets: [
      { label: 'Code', data: [], backgroundColor: C.code },
      { label: 'Chat', data: [], backgroundColor: C.chat }
    ] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'lines' } } } }
  });
  var teamNames = Object.keys(data.scopes).filter(function (t) { return t !== ''; }).slice(0, PALETTE.length);
  draw('chart-team-trend', {
    type: 'line',
    data: { labels: [], datasets: teamNames.map(function (t, i) {
      return { label: t, data: [], borderColor: PALETTE[i], backgroundColor: PALETTE[i] };
    }) },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'accepted suggestions' } } } }
  });
  draw('chart-users', {
    type: 'bar',
    data: { labels: data.topUsers.labels, datasets: [{ label: 'Lines accepted', data: data.topUsers.lines, backgroundColor: C.purple }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: 'lines' } }, y: { ticks: { autoSkip: false, callback: shortLabel } } } }
  });
  draw('chart-dau', {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Active users', data: [], backgroundColor: C.total }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'users' } } } }
  });
  function sum(xs) { var n = 0; for (var i = 0; i < xs.length; i++) n += xs[i]; return n; }
  function fmt(n) { return String(Math.round(n)).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ','); }
  function apply() {
    var from = el('f-from').value || data.days[0];
    var to = el('f-to').value || data.days[data.days.length - 1];
    var team = el('f-team') ? el('f-team').value : '';
    var idx = [];
    data.days.forEach(function (d, i) { if (d >= from && d <= to) idx.push(i); });
    function pick(xs) { return idx.map(function (i) { return xs[i]; }); }
    var s = data.scopes[team] || data.scopes[''];
    var labels = pick(data.days);
    var ce = pick(s.codeExposed), ca = pick(s.codeAccepted), he = pick(s.chatExposed), ha = pick(s.chatAccepted);
    var r = charts['chart-rate'];
    r.data.labels = labels;
    r.data.datasets[0].data = ce.map(function (e, i) { return rate(ca[i], e); });
    r.data.datasets[1].data = he.map(function (e, i) { return rate(ha[i], e); });
    r.data.datasets[2].data = ce.map(function (e, i) { return rate(ca[i] + ha[i], e + he[i]); });
    r.update();
    var l = charts['chart-lines'];
    l.data.labels = labels;
    l.data.datasets[0].data = pick(s.codeLines);
    l.data.datasets[1].data = pick(s.chatLines);
    l.update();
    var t = charts['chart-team-trend'];
    if (t) {
      t.data.labels = labels;
      teamNames.forEach(function (name, i) {
        var x = data.scopes[name];
        var c = pick(x.codeAccepted), h = pick(x.chatAccepted);
        t.data.datasets[i].data = c.map(function (v, j) { return v + h[j]; });
      });
      t.update();
    }
    var u = charts['chart-dau'];
    u.data.labels = labels;
    u.data.datasets[0].data = pick(data.dailyActiveUsers);
    u.update();
    var exposed = sum(ce) + sum(he), accepted = sum(ca) + sum(ha);
    var total = rate(accepted, exposed);
    el('kpi-rate').textContent = total === null ? '-' : total.toFixed(1) + '%';
    el('kpi-exposed').textContent = fmt(exposed);
    el('kpi-accepted').textContent = fmt(accepted);
    el('kpi-lines').textContent = fmt(sum(pick(s.codeLines)) + sum(pick(s.chatLines)));
    var whole = idx.length === data.days.length && team === '';
    el('filter-note').textContent = whole
      ? 'Showing the whole report range.'
      : 'Showing ' + (labels[0] || '-') + ' to ' + (labels[labels.length - 1] || '-') + (team ? ', team ' + team : '') +
        ': the daily charts and the first four figures follow the filter; the tables and other figures are for the whole report range.';
  }
  ['f-from', 'f-to', 'f-team'].forEach(function (id) { if (el(id)) el(id).addEventListener('change', apply); });
  apply();
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
  notes?: string[];
}

function tableCard(t: TableSpec): string {
  const head = `<tr>${t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map(
      (cells) =>
        `<tr>${cells.map((c, i) => `<td data-label="${escapeHtml(t.headers[i] ?? '')}">${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const notes = (t.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('');
  return `<section class="card"><h2><span>${escapeHtml(t.title)}</span><button type="button" class="csv" data-csv="${escapeHtml(t.csv)}">Download CSV</button></h2><table id="${t.id}"><thead>${head}</thead><tbody>${body}</tbody></table>${notes}</section>`;
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
  notes: string[] = [],
): string {
  const { rows, over } = groupRows(groups);
  return tableCard({
    title,
    id,
    csv,
    headers: [first, ...GROUP_HEADERS],
    rows,
    notes: over ? [...notes, OVER_100_NOTE] : notes,
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
    notes: over ? [LANGUAGE_NOTE, OVER_100_NOTE] : [LANGUAGE_NOTE],
  });
}

function kpi(label: string, value: string, id?: string, sub?: string): string {
  const idAttr = id ? ` id="${id}"` : '';
  const subLine = sub ? `<div class="l">${escapeHtml(sub)}</div>` : '';
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
}

/** Renders the dashboard page for a Report. */
export function renderHtmlReport(report: Report, opts: HtmlReportOptions = {}): string {
  const topN = opts.topN ?? 15;
  const chartJs = opts.chartJs ?? loadChartJs();
  const now = opts.generatedAt ?? new Date();
  const data = dashboardData(report, topN, now);
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
  const teamNames = Object.keys(report.byTeam);
  const floor = teamFloorNote(report);
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
          `${formatCount(usersWithSuggestions)} users had a suggestion in the range; ${formatCount(noSuggestion)} more were active (a request or an event) without one, so the ${formatCount(report.activeUsers)} active users are ${formatCount(usersWithSuggestions)} + ${formatCount(noSuggestion)}.`,
        ],
      ),
      tableCard({
        title: `Inactive seat holders (${report.engagement.inactiveSeats.length})`,
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
  const teamOptions = teamNames
    .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
    .join('');
  const filters =
    empty || data.days.length === 0
      ? ''
      : `<div class="filters" id="filters">
<label>From<input type="date" id="f-from" min="${data.days[0]}" max="${data.days[data.days.length - 1]}" value="${data.days[0]}"></label>
<label>To<input type="date" id="f-to" min="${data.days[0]}" max="${data.days[data.days.length - 1]}" value="${data.days[data.days.length - 1]}"></label>
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
${kpi('Orphan acceptances', formatCount(report.orphanAcceptances))}
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
