/** `gca-analytics demo` end to end, and its dashboard opened in headless Chromium. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReportSchema } from '../../shared/metrics/report-schema';
import { DASHBOARD_CHARTS } from '../../cli/report/html';
import { inspectDashboard, launchChromium } from './report/inspect-dashboard';
import { runCli } from './run-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-demo-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('generates, ingests, reports and writes a dashboard that renders in Chromium', async () => {
  const run = await runCli(['demo', '--db', 'demo.duckdb', '--users', '8', '--days', '6'], {
    cwd: dir,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const html = join(dir, 'gca-analytics-report.html');
  expect(run.stdout).toContain(`Dashboard: ${html}`);
  expect(run.stdout).toMatch(/^Total +[\d,]+ +[\d,]+ +[\d.]+% +[\d,]+$/m);
  expect(existsSync(html)).toBe(true);

  // The demo's warehouse answers report --json like any other, and running demo again with the
  // same seed (and day) changes nothing.
  const report = async () =>
    ReportSchema.parse(
      JSON.parse((await runCli(['report', '--db', 'demo.duckdb', '--json'], { cwd: dir })).stdout),
    );
  const first = await report();
  expect(first.total.exposed).toBeGreaterThan(0);
  expect(Object.keys(first.byDay)).toHaveLength(6);
  await runCli(['demo', '--db', 'demo.duckdb', '--users', '8', '--days', '6'], { cwd: dir });
  expect(await report()).toEqual(first);

  const browser = await launchChromium();
  try {
    const result = await inspectDashboard(browser, pathToFileURL(html).href);
    expect(result.errors).toEqual([]);
    expect(result.requests).toEqual([]);
    expect(result.ready).toBe(true);
    for (const [id] of DASHBOARD_CHARTS) {
      expect([id, (result.drawnPixels[id] ?? 0) > 500]).toEqual([id, true]);
    }
  } finally {
    await browser.close();
  }
});
