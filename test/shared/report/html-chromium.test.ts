/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core.
 * Every chart must draw, nothing may be logged as an error, nothing may be fetched, and a hostile
 * user id must be shown as text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { DASHBOARD_CHARTS, renderHtmlReport } from '../../../shared/report/html';
import { HOSTILE_USER, makeReport, sampleReport } from './make-report';
import { inspectDashboard, launchChromium } from './inspect-dashboard';

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

  it('draws every chart with no console error and no network request', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtmlReport(sampleReport()));
    const result = await inspectDashboard(browser, pathToFileURL(file).href);
    expect(result.errors).toEqual([]);
    expect(result.requests).toEqual([]);
    expect(Object.keys(result.drawnPixels).sort()).toEqual(
      DASHBOARD_CHARTS.map(([id]) => id).sort(),
    );
    for (const [id, pixels] of Object.entries(result.drawnPixels)) {
      expect([id, pixels > 500]).toEqual([id, true]);
    }
    expect(result.pwned).toBeNull();
    expect(result.userCells).toContain(HOSTILE_USER);
  });

  it('renders an empty report without errors', async () => {
    const file = join(dir, 'empty.html');
    writeFileSync(file, renderHtmlReport(makeReport([])));
    const result = await inspectDashboard(browser, pathToFileURL(file).href);
    expect(result.errors).toEqual([]);
    expect(result.requests).toEqual([]);
    expect(result.ready).toBe(true);
  });
});
