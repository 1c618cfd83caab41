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
import { omitPeople } from '../../../shared/metrics/report';
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

  it.each([1400, 390])('never clips a table at %i px, and stays readable', async (width) => {
    const { page, close } = await open(write(`w${width}.html`, sampleReport()), width);
    try {
      const overflow = await page.evaluate<[string, number, number][]>(
        `[...document.querySelectorAll('table')].map(t => [t.id, t.scrollWidth, t.parentElement.clientWidth])`,
      );
      expect(overflow.length).toBeGreaterThanOrEqual(6);
      for (const [id, scroll, room] of overflow) expect([id, scroll <= room]).toEqual([id, true]);
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth'),
      ).toBeLessThanOrEqual(width);
      // Every cell visible (not hidden or zero-sized) and in a legible font.
      const small = await page.evaluate<number>(
        `[...document.querySelectorAll('td')].filter(td => {
           const r = td.getBoundingClientRect();
           return r.width === 0 || parseFloat(getComputedStyle(td).fontSize) < 12 || r.right > ${width};
         }).length`,
      );
      expect(small).toBe(0);
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

  it('filters the daily charts and headline figures by date range and team, offline', async () => {
    const report = sampleReport();
    const { page, errors, close } = await open(write('filter.html', report));
    try {
      await page.fill('#f-from', '2025-10-07');
      await page.dispatchEvent('#f-from', 'change');
      expect(await labelsOf(page, 'chart-rate')).toEqual(['2025-10-07', '2025-10-08']);
      const exposed = ['2025-10-07', '2025-10-08']
        .map((d) => report.byDay[d]?.total.exposed ?? 0)
        .reduce((a, b) => a + b, 0);
      expect(await page.textContent('#kpi-exposed')).toBe(String(exposed));
      await page.selectOption('#f-team', 'Payments');
      const teamExposed = ['2025-10-07', '2025-10-08']
        .map((d) => report.byTeamDay.Payments?.[d]?.total.exposed ?? 0)
        .reduce((a, b) => a + b, 0);
      expect(teamExposed).not.toBe(exposed);
      expect(await page.textContent('#kpi-exposed')).toBe(String(teamExposed));
      expect(await page.textContent('#filter-note')).toContain('team Payments');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
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
