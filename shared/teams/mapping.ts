/**
 * The user -> team mapping file (`gca-analytics teams import FILE.csv`): parsed with csv-parse
 * (RFC 4180: quoted fields, embedded commas and newlines), then validated line by line. Every
 * error names its line; the file is refused as a whole if any line is wrong, so a mapping is
 * never half-loaded.
 */
import { isDay } from '../normalize/time';
import { parse } from 'csv-parse/sync';

/** Columns a mapping file may have; `user_id` and `team` are required. */
export const MAPPING_COLUMNS = ['user_id', 'team', 'parent_team', 'seat', 'from', 'to'] as const;
export type MappingColumn = (typeof MAPPING_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly MappingColumn[] = ['user_id', 'team'];

/** Label of the users no mapping row covers on a day. */
export const NO_TEAM = '(no team)';
/** Label under which teams below the privacy floor are pooled. */
export const SMALL_TEAMS = '(small teams)';

/** One period of one user in a team, as the file gave it (user id as logged). */
export interface TeamAssignment {
  userId: string;
  team: string;
  parentTeam: string | null;
  /** Holds a licence in the period; true when the file has no seat column or leaves it empty. */
  seat: boolean;
  /** First day (inclusive, YYYY-MM-DD), null for "since always". */
  from: string | null;
  /** Last day (inclusive), null for "still". */
  to: string | null;
  /** Line of the file (1 is the header). */
  line: number;
}

/** One problem with the file, at a line (1 is the header; 0 for the file as a whole). */
export interface MappingProblem {
  line: number;
  message: string;
}

/** The file cannot be used: every problem found, in line order. */
export class TeamMappingError extends Error {
  override readonly name = 'TeamMappingError';
  constructor(readonly problems: readonly MappingProblem[]) {
    super(
      problems.map((p) => (p.line > 0 ? `line ${p.line}: ${p.message}` : p.message)).join('\n'),
    );
  }
}

const SEAT_VALUES: Record<string, boolean> = {
  '': true,
  true: true,
  false: false,
  yes: true,
  no: false,
  '1': true,
  '0': false,
};

/** Longest accepted user id, team or parent team (BigQuery has no limit; a typo guard). */
const MAX_VALUE_CHARS = 256;

function overlaps(a: TeamAssignment, b: TeamAssignment): boolean {
  const aFrom = a.from ?? '0000-01-01';
  const aTo = a.to ?? '9999-12-31';
  const bFrom = b.from ?? '0000-01-01';
  const bTo = b.to ?? '9999-12-31';
  return aFrom <= bTo && bFrom <= aTo;
}

/**
 * Parses and validates a mapping file. Throws TeamMappingError listing every problem: a
 * missing or unknown column, an empty user or team, a bad seat or day, `from` after `to`, and
 * two periods of one user that overlap (a user is in one team on a day).
 */
export function parseTeamMapping(text: string): TeamAssignment[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // info: the line each record ends on, so errors point at the file as an editor shows it.
    parsed = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new TeamMappingError([
      { line: e.lines ?? 0, message: `not valid CSV: ${e.message ?? String(err)}` },
    ]);
  }
  const records = parsed.map((p) => p.record);
  const header = records[0];
  if (!header) throw new TeamMappingError([{ line: 0, message: 'the file is empty' }]);
  const problems: MappingProblem[] = [];
  const names = header.map((h) => h.toLowerCase());
  const index = new Map<MappingColumn, number>();
  names.forEach((name, i) => {
    if (!(MAPPING_COLUMNS as readonly string[]).includes(name)) {
      problems.push({
        line: 1,
        message: `unknown column ${JSON.stringify(header[i])} (expected ${MAPPING_COLUMNS.join(', ')})`,
      });
    } else if (index.has(name as MappingColumn)) {
      problems.push({ line: 1, message: `column ${name} appears twice` });
    } else {
      index.set(name as MappingColumn, i);
    }
  });
  for (const req of REQUIRED_COLUMNS) {
    if (!index.has(req)) problems.push({ line: 1, message: `missing column ${req}` });
  }
  if (problems.length > 0) throw new TeamMappingError(problems);

  const out: TeamAssignment[] = [];
  records.slice(1).forEach((cells, i) => {
    const line = parsed[i + 1]?.info.lines ?? i + 2;
    const get = (c: MappingColumn): string => {
      const at = index.get(c);
      return at === undefined ? '' : (cells[at] ?? '');
    };
    const before = problems.length;
    if (cells.length > header.length) {
      problems.push({ line, message: `${cells.length} fields, the header has ${header.length}` });
    }
    const userId = get('user_id');
    const team = get('team');
    const parentTeam = get('parent_team');
    if (!userId) problems.push({ line, message: 'user_id is empty' });
    if (!team) problems.push({ line, message: 'team is empty' });
    for (const [name, value] of [
      ['user_id', userId],
      ['team', team],
      ['parent_team', parentTeam],
    ] as const) {
      if (value.length > MAX_VALUE_CHARS) {
        problems.push({ line, message: `${name} is longer than ${MAX_VALUE_CHARS} characters` });
      }
    }
    if (team === NO_TEAM || team === SMALL_TEAMS) {
      problems.push({ line, message: `team ${JSON.stringify(team)} is reserved` });
    }
    const seatText = get('seat').toLowerCase();
    const seat = SEAT_VALUES[seatText];
    if (seat === undefined) {
      problems.push({
        line,
        message: `seat must be true or false, got ${JSON.stringify(get('seat'))}`,
      });
    }
    const days: Record<'from' | 'to', string | null> = { from: null, to: null };
    for (const c of ['from', 'to'] as const) {
      const v = get(c);
      if (v === '') continue;
      if (isDay(v)) days[c] = v;
      else
        problems.push({
          line,
          message: `${c} must be a day as YYYY-MM-DD, got ${JSON.stringify(v)}`,
        });
    }
    if (days.from && days.to && days.from > days.to) {
      problems.push({ line, message: `from ${days.from} is after to ${days.to}` });
    }
    if (problems.length > before) return;
    out.push({
      userId,
      team,
      parentTeam: parentTeam || null,
      seat: seat ?? true,
      from: days.from,
      to: days.to,
      line,
    });
  });

  const byUser = new Map<string, TeamAssignment[]>();
  for (const a of out) {
    const list = byUser.get(a.userId) ?? [];
    for (const other of list) {
      if (overlaps(a, other)) {
        problems.push({
          line: a.line,
          message: `user ${a.userId} is already mapped on overlapping days at line ${other.line}`,
        });
      }
    }
    list.push(a);
    byUser.set(a.userId, list);
  }
  if (problems.length > 0) {
    throw new TeamMappingError([...problems].sort((a, b) => a.line - b.line));
  }
  // An empty mapping would wipe the loaded one: refuse it rather than guess it was meant.
  if (out.length === 0) throw new TeamMappingError([{ line: 0, message: 'the file has no rows' }]);
  return out;
}

/** Maps user ids through the pseudonymizer (when pseudonymization is on). */
export function pseudonymizeAssignments(
  assignments: readonly TeamAssignment[],
  pseudonymize: ((userId: string) => string) | undefined,
): TeamAssignment[] {
  if (!pseudonymize) return [...assignments];
  return assignments.map((a) => ({ ...a, userId: pseudonymize(a.userId) }));
}
