/**
 * The report (`gca-analytics report`, the HTML dashboard): figures read from the daily tables
 * recompute maintains, so they are the analysts' figures. Rates are always
 * sum(accepted) / sum(exposed) over the slice, null with no exposures.
 */
import { ReportSchema, type Figures, type GroupFigures, type Report } from './report-schema';
import type { QueryParams, Warehouse } from '../warehouse/port';

export interface ReportOptions {
  /** First UTC day (inclusive, `YYYY-MM-DD`) of the suggestions counted. */
  from?: string;
  /** Last UTC day (inclusive). */
  to?: string;
}

/** Label of a missing user, IDE or language in the breakdowns. */
export const UNKNOWN_LABEL = 'unknown';

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The day range is not `YYYY-MM-DD` or is reversed. */
export class ReportRangeError extends Error {
  override readonly name = 'ReportRangeError';
}

interface Tally {
  exposed: number;
  accepted: number;
  linesAccepted: number;
}

function emptyTally(): Tally {
  return { exposed: 0, accepted: 0, linesAccepted: 0 };
}

function figures(t: Tally): Figures {
  return {
    exposed: t.exposed,
    accepted: t.accepted,
    acceptanceRate: t.exposed > 0 ? t.accepted / t.exposed : null,
    linesAccepted: t.linesAccepted,
  };
}

interface GroupTally {
  code: Tally;
  chat: Tally;
}

function groupFigures(g: GroupTally): GroupFigures {
  const total: Tally = {
    exposed: g.code.exposed + g.chat.exposed,
    accepted: g.code.accepted + g.chat.accepted,
    linesAccepted: g.code.linesAccepted + g.chat.linesAccepted,
  };
  return { code: figures(g.code), chat: figures(g.chat), total: figures(total) };
}

const DIMENSIONS = {
  total: `'all'`,
  language: 'programming_language',
  user: 'user_id',
  day: 'day',
  client: 'client_name',
  agent: `IF(is_agentic, 'agent', 'nonAgent')`,
} as const;
type Dimension = keyof typeof DIMENSIONS;

interface SliceRow {
  dim: string;
  g: string | null;
  kind: string;
  exposed: number;
  accepted: number;
  lines: number;
}

function rangeFilter(opts: ReportOptions): { where: string; params: QueryParams } {
  const clauses = ['TRUE'];
  const params: QueryParams = {};
  if (opts.from) {
    clauses.push('day >= @from_day');
    params.from_day = { type: 'DATE', value: opts.from };
  }
  if (opts.to) {
    clauses.push('day <= @to_day');
    params.to_day = { type: 'DATE', value: opts.to };
  }
  return { where: clauses.join(' AND '), params };
}

/** One query per daily table: every dimension's slices, tagged with the dimension's name. */
function slicesSql(where: string): string {
  const parts = (Object.keys(DIMENSIONS) as Dimension[]).map(
    (dim) => `SELECT '${dim}' AS dim, CAST(${DIMENSIONS[dim]} AS STRING) AS g, kind,
    SUM(exposed) AS exposed, SUM(accepted) AS accepted, SUM(lines) AS lines
  FROM both_tables GROUP BY g, kind`,
  );
  return `WITH both_tables AS (
  SELECT day, kind, user_id, programming_language, client_name, is_agentic,
    exposed, accepted, 0 AS lines
  FROM \`gca_analytics.acceptance_daily\` WHERE ${where}
  UNION ALL
  SELECT day, kind, user_id, programming_language, client_name, is_agentic,
    0 AS exposed, 0 AS accepted, lines_accepted AS lines
  FROM \`gca_analytics.lines_accepted_daily\` WHERE ${where}
)
${parts.join('\nUNION ALL\n')}`;
}

function validateRange(opts: ReportOptions): void {
  for (const day of [opts.from, opts.to]) {
    if (day !== undefined && !(DAY_PATTERN.test(day) && !Number.isNaN(Date.parse(day)))) {
      throw new ReportRangeError(`invalid day ${day}: expected YYYY-MM-DD`);
    }
  }
  if (opts.from && opts.to && opts.from > opts.to) {
    throw new ReportRangeError(`--from ${opts.from} is after --to ${opts.to}`);
  }
}

/**
 * Builds the report for suggestions whose day is in [from, to] (both optional, inclusive).
 * Reads the daily tables: run recompute first. Validated by ReportSchema.
 */
export async function buildReport(warehouse: Warehouse, opts: ReportOptions = {}): Promise<Report> {
  validateRange(opts);
  const { where, params } = rangeFilter(opts);
  const slices = await warehouse.query<SliceRow>(slicesSql(where), params);
  const groups: Record<Dimension, Map<string, GroupTally>> = {
    total: new Map(),
    language: new Map(),
    user: new Map(),
    day: new Map(),
    client: new Map(),
    agent: new Map(),
  };
  for (const row of slices) {
    const dim = row.dim as Dimension;
    const key = row.g ?? UNKNOWN_LABEL;
    let g = groups[dim].get(key);
    if (!g) {
      g = { code: emptyTally(), chat: emptyTally() };
      groups[dim].set(key, g);
    }
    const t = row.kind === 'code' ? g.code : g.chat;
    t.exposed += row.exposed;
    t.accepted += row.accepted;
    t.linesAccepted += row.lines;
  }
  const record = (dim: Dimension): Record<string, GroupFigures> => {
    const out: Record<string, GroupFigures> = {};
    for (const key of [...groups[dim].keys()].sort()) {
      out[key] = groupFigures(groups[dim].get(key) as GroupTally);
    }
    return out;
  };
  const empty = (): GroupTally => ({ code: emptyTally(), chat: emptyTally() });
  const total = groupFigures(groups.total.get('all') ?? empty());

  const [orphans] = await warehouse.query<{ n: number | null }>(
    `SELECT SUM(orphan_acceptances) AS n FROM \`gca_analytics.acceptance_daily\` WHERE ${where}`,
    params,
  );
  const dau = await warehouse.query<{ day: string; users: number }>(
    `SELECT day, COUNT(DISTINCT user_id) AS users FROM \`gca_analytics.daily_active_users\`
     WHERE ${where} GROUP BY day ORDER BY day`,
    params,
  );
  const [active] = await warehouse.query<{ n: number }>(
    `SELECT COUNT(DISTINCT user_id) AS n FROM \`gca_analytics.daily_active_users\` WHERE ${where}`,
    params,
  );
  const [rows] = await warehouse.query<{ r: number; s: number; m: number; q: number }>(
    `SELECT
      (SELECT COUNT(DISTINCT entry_key) FROM \`gca_raw.requests\`) AS r,
      (SELECT COUNT(DISTINCT entry_key) FROM \`gca_raw.responses\`) AS s,
      (SELECT COUNT(DISTINCT entry_key) FROM \`gca_raw.metadata_events\`) AS m,
      (SELECT COUNT(DISTINCT quarantine_id) FROM \`gca_raw.quarantine\`) AS q`,
  );
  const agent = record('agent');
  const blank = groupFigures(empty());
  return ReportSchema.parse({
    code: total.code,
    chat: total.chat,
    total: total.total,
    byLanguage: record('language'),
    byUser: record('user'),
    byDay: record('day'),
    orphanAcceptances: orphans?.n ?? 0,
    rows: {
      requests: rows?.r ?? 0,
      responses: rows?.s ?? 0,
      metadataEvents: rows?.m ?? 0,
      quarantined: rows?.q ?? 0,
    },
    range: { from: opts.from ?? null, to: opts.to ?? null },
    byClient: record('client'),
    byAgentMode: { agent: agent.agent ?? blank, nonAgent: agent.nonAgent ?? blank },
    dailyActiveUsers: Object.fromEntries(dau.map((d) => [d.day, d.users])),
    activeUsers: active?.n ?? 0,
  });
}
