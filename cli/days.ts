/** `--from` / `--to` day options: validated, with a clear message. */
import { CliError } from './context';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written YYYY-MM-DD. */
export function isDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Parses `--from`/`--to`; throws CliError naming the option and the expected form. */
export function parseDayRange(
  from: string | undefined,
  to: string | undefined,
): { from: string | null; to: string | null } {
  for (const [name, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (value !== undefined && !isDay(value)) {
      throw new CliError(`${name} must be a day as YYYY-MM-DD, got ${JSON.stringify(value)}`, 2);
    }
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new CliError(`--from ${from} is after --to ${to}`, 2);
  }
  return { from: from ?? null, to: to ?? null };
}
