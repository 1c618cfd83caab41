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
import type { Figures, GroupFigures, Report } from '../metrics/report-schema';
import { formatCount, formatRate, sortGroups, sortedDays } from './format';
import { LANGUAGE_HEADERS, LANGUAGE_NOTE, languageWeight } from './text';

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

/** What the page's script draws; derived from the Report so the browser does no arithmetic. */
export interface DashboardData {
  days: string[];
  rate: { code: (number | null)[]; chat: (number | null)[]; total: (number | null)[] };
  lines: { code: number[]; chat: number[] };
  dailyActiveUsers: number[];
  codeVsChat: { exposed: [number, number]; accepted: [number, number]; lines: [number, number] };
  languages: GroupSeries;
  clients: GroupSeries;
  agent: GroupSeries;
  topUsers: GroupSeries;
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

/** Turns a Report into the series the charts draw. */
export function dashboardData(report: Report, topN = 15): DashboardData {
  const days = sortedDays(report);
  const allDays = [...new Set([...days, ...Object.keys(report.dailyActiveUsers)])].sort();
  return {
    days: allDays,
    rate: {
      code: allDays.map((d) => pct(report.byDay[d]?.code.acceptanceRate ?? null)),
      chat: allDays.map((d) => pct(report.byDay[d]?.chat.acceptanceRate ?? null)),
      total: allDays.map((d) => pct(report.byDay[d]?.total.acceptanceRate ?? null)),
    },
    lines: {
      code: allDays.map((d) => report.byDay[d]?.code.linesAccepted ?? 0),
      chat: allDays.map((d) => report.byDay[d]?.chat.linesAccepted ?? 0),
    },
    dailyActiveUsers: allDays.map((d) => report.dailyActiveUsers[d] ?? 0),
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
    topUsers: series(sortGroups(report.byUser, (g) => g.total.linesAccepted).slice(0, topN)),
  };
}

/** The charts on the page: canvas id and title. */
export const DASHBOARD_CHARTS = [
  ['chart-rate', 'Acceptance rate over time (%)'],
  ['chart-code-chat', 'Code vs chat'],
  ['chart-language', 'Code suggestions by language'],
  ['chart-ide', 'By IDE'],
  ['chart-agent', 'Agent mode vs not'],
  ['chart-lines', 'Lines accepted per day'],
  ['chart-users', 'Top users by lines accepted'],
  ['chart-dau', 'Daily active users'],
] as const;

// The page's own script: reads the data block and draws every chart. Plain ES2017, no markup
// built from data (Chart.js draws labels on the canvas).
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var C = { code: '#1a73e8', chat: '#e8710a', total: '#188038', grey: '#9aa0a6', purple: '#9334e6' };
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  function el(id) { return document.getElementById(id); }
  function draw(id, config) { new Chart(el(id), config); }
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
    data: {
      labels: data.days,
      datasets: [
        { label: 'Code', data: data.rate.code, borderColor: C.code, backgroundColor: C.code, spanGaps: true },
        { label: 'Chat', data: data.rate.chat, borderColor: C.chat, backgroundColor: C.chat, spanGaps: true },
        { label: 'Total', data: data.rate.total, borderColor: C.total, backgroundColor: C.total, borderWidth: 3, spanGaps: true }
      ]
    },
    options: { scales: { y: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: '%' } } } }
  });
  draw('chart-code-chat', {
    type: 'bar',
    data: {
      labels: ['Code', 'Chat'],
      datasets: [
        { label: 'Exposed', data: data.codeVsChat.exposed, backgroundColor: C.grey },
        { label: 'Accepted', data: data.codeVsChat.accepted, backgroundColor: C.code },
        { label: 'Lines accepted', data: data.codeVsChat.lines, backgroundColor: C.chat }
      ]
    },
    options: { scales: { y: { beginAtZero: true } } }
  });
  groupChart('chart-language', data.languages);
  groupChart('chart-ide', data.clients);
  groupChart('chart-agent', data.agent);
  draw('chart-lines', {
    type: 'bar',
    data: {
      labels: data.days,
      datasets: [
        { label: 'Code', data: data.lines.code, backgroundColor: C.code },
        { label: 'Chat', data: data.lines.chat, backgroundColor: C.chat }
      ]
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });
  draw('chart-users', {
    type: 'bar',
    data: { labels: data.topUsers.labels, datasets: [{ label: 'Lines accepted', data: data.topUsers.lines, backgroundColor: C.purple }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true }, y: { ticks: { autoSkip: false } } } }
  });
  draw('chart-dau', {
    type: 'bar',
    data: { labels: data.days, datasets: [{ label: 'Active users', data: data.dailyActiveUsers, backgroundColor: C.total }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  document.body.setAttribute('data-charts-ready', 'true');
})();
`;

const STYLE = `
  :root { color-scheme: light; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f8f9fa; color: #202124; }
  header { background: #fff; border-bottom: 1px solid #dadce0; padding: 16px 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  header p { margin: 0; color: #5f6368; font-size: 13px; }
  main { padding: 16px 24px 40px; max-width: 1400px; margin: 0 auto; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 16px; }
  .kpi { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 12px 16px; }
  .kpi .v { font-size: 24px; font-weight: 600; }
  .kpi .l { font-size: 12px; color: #5f6368; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(520px, 100%), 1fr)); gap: 16px; }
  section.card { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 12px 16px; min-width: 0; overflow-x: auto; }
  section.card h2 { font-size: 15px; margin: 0 0 8px; }
  .chart { position: relative; height: 300px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
  .tables { margin-top: 16px; }
  footer { color: #5f6368; font-size: 12px; margin-top: 16px; }
  .note { color: #5f6368; font-size: 12px; margin: 8px 0 0; }
`;

function figureRow(name: string, g: GroupFigures): string {
  const cells = [
    formatCount(g.total.exposed),
    formatCount(g.total.accepted),
    formatRate(g.total.acceptanceRate),
    formatCount(g.total.linesAccepted),
    formatRate(g.code.acceptanceRate),
    formatRate(g.chat.acceptanceRate),
  ];
  return `<tr><td title="${escapeHtml(name)}">${escapeHtml(name)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function groupTable(title: string, id: string, groups: [string, GroupFigures][]): string {
  const head =
    '<tr><th>Name</th><th>Exposed</th><th>Accepted</th><th>Rate</th><th>Lines accepted</th><th>Code rate</th><th>Chat rate</th></tr>';
  const body = groups.map(([name, g]) => figureRow(name, g)).join('\n');
  return `<section class="card"><h2>${escapeHtml(title)}</h2><table id="${id}"><thead>${head}</thead><tbody>${body}</tbody></table></section>`;
}

function languageTable(groups: [string, GroupFigures][]): string {
  const head = `<tr><th>Language</th>${LANGUAGE_HEADERS.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = groups
    .map(([name, g]) => {
      const cells = [
        formatCount(g.code.exposed),
        formatCount(g.code.accepted),
        formatRate(g.code.acceptanceRate),
        formatCount(g.code.linesAccepted),
        formatCount(g.chat.accepted),
        formatCount(g.chat.linesAccepted),
      ];
      return `<tr><td title="${escapeHtml(name)}">${escapeHtml(name)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<section class="card"><h2>By language</h2><table id="table-language"><thead>${head}</thead><tbody>${body}</tbody></table><p class="note">${escapeHtml(LANGUAGE_NOTE)}</p></section>`;
}

function kpi(label: string, value: string): string {
  return `<div class="kpi"><div class="v">${escapeHtml(value)}</div><div class="l">${escapeHtml(label)}</div></div>`;
}

function kindLine(kind: string, f: Figures): string {
  return `${kind}: ${formatRate(f.acceptanceRate)} of ${formatCount(f.exposed)}`;
}

export interface HtmlReportOptions {
  /** Shown in the footer; default now. */
  generatedAt?: Date;
  /** The Chart.js source to inline; default read from node_modules. */
  chartJs?: string;
  /** How many languages, IDEs and users the charts and tables show. Default 15. */
  topN?: number;
}

/** Renders the dashboard page for a Report. */
export function renderHtmlReport(report: Report, opts: HtmlReportOptions = {}): string {
  const topN = opts.topN ?? 15;
  const chartJs = opts.chartJs ?? loadChartJs();
  const data = dashboardData(report, topN);
  const dataJson = jsonForScript(data);
  const days = sortedDays(report);
  const from = report.range.from ?? days[0] ?? '-';
  const to = report.range.to ?? days[days.length - 1] ?? '-';
  const generatedAt = (opts.generatedAt ?? new Date()).toISOString();
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(chartJs)}' 'sha256-${sha256(PAGE_SCRIPT)}'`,
    "style-src 'unsafe-inline'",
    "img-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const charts = DASHBOARD_CHARTS.map(
    ([id, title]) =>
      `<section class="card"><h2>${escapeHtml(title)}</h2><div class="chart"><canvas id="${id}" role="img" aria-label="${escapeHtml(title)}"></canvas></div></section>`,
  ).join('\n');
  const languages = sortGroups(report.byLanguage, languageWeight)
    .filter(([, g]) => languageWeight(g) > 0)
    .slice(0, topN);
  const clients = sortGroups(report.byClient, (g) => g.total.exposed);
  const users = sortGroups(report.byUser, (g) => g.total.linesAccepted).slice(0, topN);
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
<p>${escapeHtml(from)} to ${escapeHtml(to)} &middot; ${escapeHtml(kindLine('code', report.code))} &middot; ${escapeHtml(kindLine('chat', report.chat))}</p>
</header>
<main>
<div class="kpis">
${kpi('Total acceptance rate', formatRate(report.total.acceptanceRate))}
${kpi('Suggestions exposed', formatCount(report.total.exposed))}
${kpi('Suggestions accepted', formatCount(report.total.accepted))}
${kpi('Lines accepted', formatCount(report.total.linesAccepted))}
${kpi('Active users', formatCount(report.activeUsers))}
${kpi('Orphan acceptances', formatCount(report.orphanAcceptances))}
${kpi('Quarantined entries', formatCount(report.rows.quarantined))}
</div>
<div class="grid">
${charts}
</div>
<div class="grid tables">
${languageTable(languages)}
${groupTable('By IDE', 'table-ide', clients)}
${groupTable('Agent mode', 'table-agent', [
  ['Agent mode', report.byAgentMode.agent],
  ['Not agent mode', report.byAgentMode.nonAgent],
])}
${groupTable('Top users by lines accepted', 'table-users', users)}
</div>
<footer>
Rows: ${formatCount(report.rows.requests)} requests, ${formatCount(report.rows.responses)} responses,
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
