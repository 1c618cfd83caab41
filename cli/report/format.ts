/** Number and label formatting shared by the terminal table and the HTML dashboard. */
import type { GroupFigures, Report } from '../../shared/metrics/report-schema';

/** 12345 -> "12,345" (fixed locale, so output does not depend on the machine). */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 0.2567 -> "25.7%"; null (nothing exposed) -> "-". */
export function formatRate(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(1)}%`;
}

/**
 * Makes a label from the logs safe for a terminal: control characters (escape sequences could
 * rewrite the screen) become '?', and long values are cut.
 */
export function terminalLabel(value: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Entries of a group record sorted by a figure, largest first, then by name. */
export function sortGroups(
  groups: Record<string, GroupFigures>,
  by: (g: GroupFigures) => number,
): [string, GroupFigures][] {
  return Object.entries(groups).sort(
    ([an, a], [bn, b]) => by(b) - by(a) || (an < bn ? -1 : an > bn ? 1 : 0),
  );
}

/** Days of the report in order. */
export function sortedDays(report: Report): string[] {
  return Object.keys(report.byDay).sort();
}
