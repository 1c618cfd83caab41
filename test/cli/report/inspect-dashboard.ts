/** Opens a dashboard page in a fresh browser context and reports what a test needs to check. */
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run); CHROMIUM_PATH overrides it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as this machine needs it: no sandbox as root, and no background networking
 * (the closed network refuses those connections, which would show as noise).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const COUNT_DRAWN_PIXELS = `(() => {
  const out = {};
  for (const canvas of document.querySelectorAll('canvas')) {
    const ctx = canvas.getContext('2d');
    if (!ctx || canvas.width === 0 || canvas.height === 0) { out[canvas.id] = 0; continue; }
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    out[canvas.id] = n;
  }
  return out;
})()`;

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
    // Strings, not functions: the project compiles without the DOM library.
    const drawnPixels = await page.evaluate<Record<string, number>>(COUNT_DRAWN_PIXELS);
    const pwned = await page.evaluate<unknown>('window.__pwned ?? null');
    const userCells = await page.locator('#table-users tbody tr td:first-child').allTextContents();
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, drawnPixels, pwned, userCells, ready };
  } finally {
    await context.close();
  }
}
