/** Opens a dashboard page in a fresh browser context and reports what a test needs to check. */
import type { Browser } from 'playwright-core';

export interface DashboardInspection {
  /** Console errors, page errors and CSP violations. */
  errors: string[];
  /** Every request other than the page itself. */
  requests: string[];
  /** Canvas id -> number of non-transparent pixels. */
  drawnPixels: Record<string, number>;
  /** window.__pwned, set only if injected markup ran. */
  pwned: unknown;
  /** Text of the first cells of the users table. */
  userCells: string[];
  ready: boolean;
}

export async function inspectDashboard(
  browser: Browser,
  url: string,
  screenshot?: string,
): Promise<DashboardInspection> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      errors.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('request', (req) => {
    if (req.url() !== url) requests.push(req.url());
  });
  try {
    await page.goto(url, { waitUntil: 'load' });
    const ready = (await page.getAttribute('body', 'data-charts-ready')) === 'true';
    const drawnPixels = await page.evaluate(() => {
      const out: Record<string, number> = {};
      for (const canvas of Array.from(document.querySelectorAll('canvas'))) {
        const ctx = canvas.getContext('2d');
        if (!ctx || canvas.width === 0 || canvas.height === 0) {
          out[canvas.id] = 0;
          continue;
        }
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
        out[canvas.id] = n;
      }
      return out;
    });
    const pwned = await page.evaluate(
      () => (window as unknown as { __pwned?: unknown }).__pwned ?? null,
    );
    const userCells = await page.$$eval('#table-users tbody tr td:first-child', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, drawnPixels, pwned, userCells, ready };
  } finally {
    await context.close();
  }
}
