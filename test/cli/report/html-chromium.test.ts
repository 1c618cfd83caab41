/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core.
 * Every chart must draw, nothing may be logged as an error, nothing may be fetched, and a hostile
 * user id must be shown as text. Then what a manager sees (issue 13, item 6): tables that never
 * clip at 1400 px and stay readable at 390 px, daily charts that cover exactly the range and
 * leave out an incomplete day, no chart mixing units on one axis, rates above 100% marked and
 * explained, the headline active users reconciled with the per-user table, an empty range said
 * in words, all-time counts labelled, the date-range and team filters, and CSV downloads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildReport, omitPeople } from '../../../shared/metrics/report';
import { buildDashboardDetail, type DashboardDetail } from '../../../cli/report/detail';
import { engagementCells } from '../../../cli/report/text';
import type { TempWarehouse } from '../../helpers/duckdb';
import {
  openTeamSampleWarehouse,
  TEAM_SAMPLE_DAYS,
  TEAM_SAMPLE_HOSTILE_USER,
} from '../../helpers/team-sample';
import { reportCsvTables, toCsv } from '../../../cli/report/csv';
import { dashboardCharts, OVER_100_NOTE, renderHtmlReport } from '../../../cli/report/html';
import type { Report } from '../../../shared/metrics/report-schema';
import { HOSTILE_USER, makeReport, sampleReport, type TestSuggestion } from './make-report';
import { inspectDashboard, launchChromium } from './inspect-dashboard';

const AFTER = new Date('2025-10-20T00:00:00Z');

describe('HTML dashboard in Chromium', () => {
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gca-html-'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, report: Report, generatedAt = AFTER): string {
    const file = join(dir, name);
    writeFileSync(file, renderHtmlReport(report, { generatedAt }));
    return pathToFileURL(file).href;
  }

  /** The page with its filters (the per-day detail embedded); returns the file's path. */
  function writeWithDetail(name: string, report: Report, detail: DashboardDetail): string {
    const file = join(dir, name);
    writeFileSync(file, renderHtmlReport(report, { generatedAt: AFTER, detail }));
    return file;
  }

  async function open(
    url: string,
    width = 1400,
  ): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({
      viewport: { width, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    return { page, errors, close: () => context.close() };
  }

  const labelsOf = (page: Page, id: string): Promise<string[]> =>
    page.evaluate<string[]>(`Chart.getChart(document.getElementById('${id}')).data.labels`);

  it('draws every chart with no console error and no network request', async () => {
    const report = sampleReport();
    const result = await inspectDashboard(browser, write('report.html', report));
    expect(result.errors).toEqual([]);
    expect(result.requests).toEqual([]);
    expect(Object.keys(result.drawnPixels).sort()).toEqual(
      dashboardCharts(report)
        .map(([id]) => id)
        .sort(),
    );
    for (const [id, pixels] of Object.entries(result.drawnPixels)) {
      expect([id, pixels > 500]).toEqual([id, true]);
    }
    expect(result.pwned).toBeNull();
    expect(result.userCells).toContain(HOSTILE_USER);
  });

  it('says "no data in this range" for an empty range, with no empty charts', async () => {
    const { page, errors, close } = await open(write('empty.html', makeReport([])));
    try {
      expect(errors).toEqual([]);
      expect(await page.textContent('#empty')).toContain('No data in this range');
      expect(await page.locator('canvas').count()).toBe(0);
      expect(await page.getAttribute('body', 'data-charts-ready')).toBe('true');
    } finally {
      await close();
    }
  });

  /** No table wider than its card, no page wider than the window, every cell visible and legible. */
  async function expectNoClipping(page: Page, width: number): Promise<void> {
    const overflow = await page.evaluate<[string, number, number][]>(
      `[...document.querySelectorAll('table')].map(t => [t.id, t.scrollWidth, t.parentElement.clientWidth])`,
    );
    expect(overflow.length).toBeGreaterThanOrEqual(6);
    for (const [id, scroll, room] of overflow) expect([id, scroll <= room]).toEqual([id, true]);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      width,
    );
    const small = await page.evaluate<number>(
      `[...document.querySelectorAll('td')].filter(td => {
         const r = td.getBoundingClientRect();
         return r.width === 0 || parseFloat(getComputedStyle(td).fontSize) < 12 || r.right > ${width};
       }).length`,
    );
    expect(small).toBe(0);
  }

  it.each([1400, 390])('never clips a table at %i px, and stays readable', async (width) => {
    const { page, close } = await open(write(`w${width}.html`, sampleReport()), width);
    try {
      await expectNoClipping(page, width);
    } finally {
      await close();
    }
  });

  it('draws the daily charts over exactly the range, leaving out an incomplete day', async () => {
    const report = sampleReport(); // 2025-10-06 .. 2025-10-08
    // Activity logged the day after the range (a late acceptance) must not stretch the charts.
    report.dailyActiveUsers['2025-10-09'] = 1;
    report.range = { from: '2025-10-05', to: '2025-10-08' };
    const { page, close } = await open(write('range.html', report));
    try {
      const days = ['2025-10-05', '2025-10-06', '2025-10-07', '2025-10-08'];
      for (const id of ['chart-rate', 'chart-lines', 'chart-dau', 'chart-team-trend']) {
        expect([id, await labelsOf(page, id)]).toEqual([id, days]);
      }
    } finally {
      await close();
    }
    // Generated during 2025-10-08: that day is partial, so it is left out and said so.
    const partial = await open(
      write('partial.html', sampleReport(), new Date('2025-10-08T09:00:00Z')),
    );
    try {
      expect(await labelsOf(partial.page, 'chart-rate')).toEqual(['2025-10-06', '2025-10-07']);
      expect(await partial.page.textContent('body')).toContain(
        '2025-10-08 (today, UTC) is still filling up, so the daily charts stop the day before.',
      );
    } finally {
      await partial.close();
    }
  });

  it('never puts two units on one axis', async () => {
    const { page, close } = await open(write('units.html', sampleReport()));
    try {
      const axes = await page.evaluate<Record<string, string[]>>(`(() => {
        const out = {};
        for (const c of document.querySelectorAll('canvas')) {
          const chart = Chart.getChart(c);
          for (const d of chart.data.datasets) {
            const axis = c.id + ':' + (d.yAxisID || (chart.options.indexAxis === 'y' ? 'x' : 'y'));
            (out[axis] = out[axis] || []).push(d.label);
          }
        }
        return out;
      })()`);
      const unit = (label: string): string =>
        /rate/i.test(label) || ['Code', 'Chat', 'Total'].includes(label)
          ? 'other'
          : /lines/i.test(label)
            ? 'lines'
            : 'count';
      for (const [axis, labels] of Object.entries(axes)) {
        if (
          axis.startsWith('chart-rate') ||
          axis.startsWith('chart-lines') ||
          axis.startsWith('chart-team-trend')
        )
          continue;
        expect([axis, new Set(labels.map(unit)).size]).toEqual([axis, 1]);
      }
      expect(axes['chart-code-chat:y']).toEqual(['Exposed', 'Accepted']);
      expect(axes['chart-code-chat-lines:y']).toEqual(['Lines accepted']);
    } finally {
      await close();
    }
  });

  it('marks and explains a rate above 100%, and reconciles active users with the user table', async () => {
    const base: Omit<TestSuggestion, 'kind' | 'exposed' | 'accepted'> = {
      day: '2025-10-06',
      user: 'orphans@example.com',
      language: 'go',
      client: 'IntelliJ',
      agent: false,
      lines: 1,
    };
    const report = makeReport([
      { ...base, kind: 'code', exposed: true, accepted: true },
      { ...base, kind: 'code', exposed: false, accepted: true }, // orphan acceptance
    ]);
    report.activeUsers = 3; // two more users were active without a suggestion
    const { page, close } = await open(write('over.html', report));
    try {
      const cell = page.locator('#table-users tbody tr td .over').first();
      expect(await cell.textContent()).toBe('200.0% †');
      expect(await page.textContent('#table-users + p + p')).toBe(OVER_100_NOTE);
      const users = await page.locator('#table-users + p').textContent();
      expect(users).toBe(
        '1 users had a suggestion in the range; 2 more were active (a request or an event) without one, so the 3 active users are 1 + 2.',
      );
      expect(await page.textContent('#kpi-active')).toBe('3');
    } finally {
      await close();
    }
  });

  it('labels the counts that ignore the range', async () => {
    const { page, close } = await open(write('alltime.html', sampleReport()));
    try {
      expect(await page.textContent('.kpis')).toContain(
        'Quarantined entries (all time, not only this range)',
      );
      expect(await page.textContent('footer')).toContain(
        'Rows stored (all time, not only this range)',
      );
    } finally {
      await close();
    }
  });

  describe('date-range and team filters, on a warehouse (the report of each range as reference)', () => {
    let temp: TempWarehouse;
    let full: Report;
    let detail: DashboardDetail;
    const [D1 = '', D2 = '', D3 = '', D4 = ''] = TEAM_SAMPLE_DAYS;

    beforeAll(async () => {
      temp = await openTeamSampleWarehouse();
      full = await buildReport(temp.warehouse);
      detail = await buildDashboardDetail(temp.warehouse, full);
    });
    afterAll(async () => {
      await temp?.cleanup();
    });

    const TABLES = [
      'table-team',
      'table-engagement',
      'table-language',
      'table-ide',
      'table-agent',
      'table-users',
      'table-inactive',
    ];
    const TEXTS = [
      'title-users',
      'title-inactive',
      'note-users',
      'kpi-rate',
      'kpi-exposed',
      'kpi-accepted',
      'kpi-lines',
      'kpi-active',
      'kpi-active-sub',
      'kpi-orphans',
    ];

    /** Every table's cells and every figure the filters change, as the page shows them. */
    function shown(page: Page): Promise<Record<string, unknown>> {
      return page.evaluate<Record<string, unknown>>(`(() => {
        const out = {};
        for (const id of ${JSON.stringify(TABLES)}) {
          const t = document.getElementById(id);
          out[id] = t ? [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)) : null;
        }
        for (const id of ${JSON.stringify(TEXTS)}) {
          const e = document.getElementById(id);
          out[id] = e ? e.textContent : null;
        }
        out.floor = [...document.querySelectorAll('p.floor-note')].map(p => p.textContent);
        out.over = [...document.querySelectorAll('p.over-note')].filter(p => !p.hidden).length;
        return out;
      })()`);
    }

    async function select(page: Page, from: string, to: string, team = ''): Promise<void> {
      await page.fill('#f-from', from);
      await page.dispatchEvent('#f-from', 'change');
      await page.fill('#f-to', to);
      await page.dispatchEvent('#f-to', 'change');
      await page.selectOption('#f-team', team);
    }

    async function downloadCsv(page: Page, name: string): Promise<string> {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`button[data-csv="${name}"]`),
      ]);
      return readFileSync(await download.path(), 'utf8');
    }

    /** The page `report --from --to --html` writes for that range: what the filter must show. */
    async function reference(report: Report, name: string): Promise<Record<string, unknown>> {
      const { page, close } = await open(write(name, report));
      try {
        return await shown(page);
      } finally {
        await close();
      }
    }

    const RANGES: [string, string][] = [
      [D1, D4],
      [D2, D4],
      [D1, D1],
      [D3, D4],
      [D2, D3],
    ];

    it.each(RANGES)(
      'every table and figure for %s..%s = the report of that range',
      async (from, to) => {
        const ranged = await buildReport(temp.warehouse, { from, to });
        const expected = await reference(ranged, `ref-${from}-${to}.html`);
        for (const id of ['table-team', 'table-engagement', 'table-users', 'table-ide'])
          expect([id, (expected[id] as unknown[]).length > 0]).toEqual([id, true]);
        const { page, errors, close } = await open(
          pathToFileURL(writeWithDetail('filtered.html', full, detail)).href,
        );
        try {
          await select(page, from, to);
          expect(await shown(page)).toEqual(expected);
          // Each table's CSV download: report --csv of that range.
          for (const t of reportCsvTables(ranged)) {
            if (await page.locator(`button[data-csv="${t.name}"]`).count()) {
              expect([t.name, await downloadCsv(page, t.name)]).toEqual([t.name, toCsv(t)]);
            }
          }
          // Ids from the logs are written as text by the page's script too.
          expect(await page.evaluate('window.__pwned')).toBeUndefined();
          expect(await page.locator('#table-users td:first-child').allTextContents()).toContain(
            TEAM_SAMPLE_HOSTILE_USER,
          );
          // The daily charts cover the days chosen.
          expect(await labelsOf(page, 'chart-rate')).toEqual(
            TEAM_SAMPLE_DAYS.filter((d) => d >= from && d <= to),
          );
          expect(errors).toEqual([]);
        } finally {
          await close();
        }
      },
    );

    it.each([1400, 390])('tables the filters rewrite never clip at %i px', async (width) => {
      const { page, close } = await open(
        pathToFileURL(writeWithDetail(`filtered-w${width}.html`, full, detail)).href,
        width,
      );
      try {
        await select(page, D2, D3, 'Steady');
        expect(await page.locator('#table-users tbody tr').count()).toBeGreaterThan(0);
        await expectNoClipping(page, width);
      } finally {
        await close();
      }
    });

    it('draws every chart with the filter data, no error and no request', async () => {
      const url = pathToFileURL(writeWithDetail('detail.html', full, detail)).href;
      const result = await inspectDashboard(browser, url);
      expect(result.errors).toEqual([]);
      expect(result.requests).toEqual([]);
      for (const [id] of dashboardCharts(full))
        expect([id, (result.drawnPixels[id] ?? 0) > 500]).toEqual([id, true]);
    });

    it('applies the privacy floor to the days chosen (Big has 6 users on D1, 3 after)', async () => {
      expect(Object.keys(full.byTeam)).toContain('Big');
      const { page, close } = await open(
        pathToFileURL(writeWithDetail('floor.html', full, detail)).href,
      );
      try {
        const firstCells = async (id: string) =>
          page.locator(`#${id} tbody tr td:first-child`).allTextContents();
        await select(page, D2, D4);
        const ranged = await buildReport(temp.warehouse, { from: D2, to: D4 });
        expect((await firstCells('table-team')).sort()).toEqual(Object.keys(ranged.byTeam).sort());
        expect(await firstCells('table-team')).not.toContain('Big');
        expect(await labelsOf(page, 'chart-team')).not.toContain('Big');
        // Big chosen in the team filter: its figures are in the pool, never on their own.
        await select(page, D2, D4, 'Big');
        const pool = ranged.byTeam['(small teams)'];
        expect(await firstCells('table-team')).toEqual(['(small teams)']);
        expect(await page.textContent('#kpi-exposed')).toBe(String(pool?.total.exposed));
        expect(await page.textContent('#filter-note')).toContain(
          'Big has fewer than 5 users in these days',
        );
        // Over the whole range Big is shown, with its own figures.
        await select(page, D1, D4, 'Big');
        expect(await firstCells('table-team')).toEqual(['Big']);
        expect(await page.textContent('#kpi-exposed')).toBe(String(full.byTeam.Big?.total.exposed));
      } finally {
        await close();
      }
    });

    it('a team: its row of the report of that range, and its IDEs from the tables', async () => {
      const { page, close } = await open(
        pathToFileURL(writeWithDetail('team.html', full, detail)).href,
      );
      try {
        await select(page, D3, D4, 'Steady');
        const ranged = await buildReport(temp.warehouse, { from: D3, to: D4 });
        const steady = ranged.byTeam.Steady;
        const e = ranged.engagement.byTeam.Steady;
        expect(steady && e).toBeTruthy();
        const got = await shown(page);
        expect(got['table-team']).toHaveLength(1);
        expect((got['table-team'] as string[][])[0]?.slice(0, 3)).toEqual([
          'Steady',
          String(steady!.total.exposed),
          String(steady!.total.accepted),
        ]);
        expect((got['table-engagement'] as string[][])[0]).toEqual([
          'Steady',
          ...engagementCells(e!),
        ]);
        expect(got['kpi-active']).toBe(String(e!.activeUsers));
        expect(got['kpi-lines']).toBe(String(steady!.total.linesAccepted));
        expect(got['table-inactive']).toEqual(
          ranged.engagement.inactiveSeats
            .filter((s) => s.team === 'Steady')
            .map((s) => [s.userId, s.team]),
        );
        // By IDE for the team, straight from the daily tables.
        const ides = await temp.warehouse.query<{ client: string; exposed: number }>(
          `SELECT a.client_name AS client, SUM(a.exposed) AS exposed
           FROM \`gca_analytics.acceptance_daily\` AS a
           JOIN \`gca_analytics.user_teams\` AS ut ON ut.user_id = a.user_id
             AND (ut.from_day IS NULL OR a.day >= ut.from_day)
             AND (ut.to_day IS NULL OR a.day <= ut.to_day)
           WHERE ut.team = 'Steady' AND a.day BETWEEN DATE '${D3}' AND DATE '${D4}'
           GROUP BY 1`,
        );
        expect(
          Object.fromEntries((got['table-ide'] as string[][]).map((r) => [r[0], r[1]])),
        ).toEqual(Object.fromEntries(ides.map((r) => [r.client, String(r.exposed)])));
      } finally {
        await close();
      }
    });

    it('--no-people: no person in the page, sums follow, distinct counts say they cannot', async () => {
      const report = omitPeople(full);
      const file = writeWithDetail('nopeople-filter.html', report, detail);
      const html = readFileSync(file, 'utf8');
      const block = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html);
      const strings: string[] = [];
      const walk = (v: unknown): void => {
        if (typeof v === 'string') strings.push(v);
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(JSON.parse(block?.[1] ?? 'null'));
      const people = new Set(detail.users.map((u) => u.user));
      expect(people.size).toBeGreaterThan(10);
      expect(strings.filter((s) => people.has(s))).toEqual([]);
      const { page, errors, close } = await open(pathToFileURL(file).href);
      try {
        // The whole range: exactly the report's page, distinct counts included.
        expect(await shown(page)).toEqual(await reference(report, 'ref-nopeople-whole.html'));
        await select(page, D2, D4);
        const ranged = omitPeople(await buildReport(temp.warehouse, { from: D2, to: D4 }));
        const got = await shown(page);
        const expected = await reference(ranged, 'ref-nopeople.html');
        for (const id of ['table-team', 'table-language', 'table-ide', 'table-agent', 'floor'])
          expect([id, got[id]]).toEqual([id, expected[id]]);
        for (const id of ['kpi-rate', 'kpi-exposed', 'kpi-accepted', 'kpi-lines', 'kpi-orphans'])
          expect([id, got[id]]).toEqual([id, expected[id]]);
        expect(got['table-users']).toBeNull();
        expect(got['kpi-active']).toBe('\u2013');
        // Engagement: the sums follow the range, the distinct-people counts are dashes.
        const rows = got['table-engagement'] as string[][];
        for (const row of rows) {
          const e = ranged.engagement.byTeam[row[0] ?? ''];
          expect(e).toBeDefined();
          expect(row).toEqual([
            row[0],
            '\u2013',
            '\u2013',
            String(e?.activeUserDays),
            String(e?.accepted),
            '\u2013',
            e?.lastActiveDay,
            '\u2013',
            '\u2013',
          ]);
        }
        expect(await page.textContent('#filter-note')).toContain('individual people left out');
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  });

  it('downloads the same CSV as report --csv for a table, offline', async () => {
    const report = sampleReport();
    const { page, errors, close } = await open(write('csv.html', report));
    try {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('button[data-csv="by_team"]'),
      ]);
      expect(download.suggestedFilename()).toBe('by_team.csv');
      const path = await download.path();
      const expected = reportCsvTables(report).find((t) => t.name === 'by_team');
      expect(readFileSync(path, 'utf8')).toBe(toCsv(expected!));
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('leaves people out with --no-people', async () => {
    const report = omitPeople(sampleReport());
    const { page, close } = await open(write('nopeople.html', report));
    try {
      expect(await page.locator('#table-users').count()).toBe(0);
      expect(await page.locator('#chart-users').count()).toBe(0);
      expect(await page.textContent('body')).not.toContain('alice@example.com');
      expect(await page.locator('#table-team').count()).toBe(1);
    } finally {
      await close();
    }
  });
});
