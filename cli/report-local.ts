/** Builds the Report from the local warehouse's daily tables. */
import type { Report } from '../shared/metrics/report-schema';
import { buildReport } from '../shared/metrics/report';
import type { LocalDeps } from './context';

export interface ReportRange {
  from: string | null;
  to: string | null;
  /** Privacy floor of the team views; default DEFAULT_MIN_TEAM_SIZE. */
  minTeamSize?: number;
}

export async function buildLocalReport(deps: LocalDeps, range: ReportRange): Promise<Report> {
  return buildReport(deps.warehouse, {
    ...(range.from ? { from: range.from } : {}),
    ...(range.to ? { to: range.to } : {}),
    ...(range.minTeamSize ? { minTeamSize: range.minTeamSize } : {}),
  });
}
