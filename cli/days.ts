/** `--from` / `--to` day options: validated, with a clear message. */
import { isDay } from '../shared/normalize/time';
import { CliError } from './context';

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
