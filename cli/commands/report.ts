/** `gca-analytics report`: the figures as a terminal table, one JSON object, or an HTML page. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildDashboardDetail } from '../report/detail';
import { renderHtmlReport } from '../report/html';
import { renderTextReport } from '../report/text';
import { DEFAULT_MIN_TEAM_SIZE, omitPeople, parseMinTeamSize } from '../../shared/metrics/report';
import { writeReportCsv } from '../report/csv-files';
import { addDbOption, CliError, resolvePath, type CliContext } from '../context';
import { parseDayRange } from '../days';
import { checkFiguresComputed } from '../figures-status';
import { buildLocalReport } from '../report-local';

interface ReportFlags {
  db?: string;
  from?: string;
  to?: string;
  json?: boolean;
  html?: string;
  csv?: string;
  minTeamSize?: string;
  /** false with --no-people. */
  people: boolean;
}

/**
 * The privacy floor: --min-team-size, else GCA_MIN_TEAM_SIZE, else DEFAULT_MIN_TEAM_SIZE.
 */
export function minTeamSizeFrom(ctx: CliContext, flag: string | undefined): number {
  const [source, text] =
    flag !== undefined
      ? ['--min-team-size', flag]
      : ['GCA_MIN_TEAM_SIZE', ctx.env.GCA_MIN_TEAM_SIZE];
  if (text === undefined || text === '') return DEFAULT_MIN_TEAM_SIZE;
  const n = parseMinTeamSize(text);
  if (n === null) {
    throw new CliError(`${source} must be a positive integer, got ${JSON.stringify(text)}`, 2);
  }
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('report')
    .summary('Print the figures: tables, --json, or an --html dashboard')
    .description(
      'Print acceptance and lines-accepted figures (code, chat, total; by language, IDE, agent mode, user, day)',
    );
  addDbOption(cmd)
    .option('--from <day>', 'first day included, YYYY-MM-DD (UTC day of the suggestion)')
    .option('--to <day>', 'last day included, YYYY-MM-DD')
    .option('--json', 'print exactly one JSON object (the ReportSchema shape) instead of tables')
    .option('--html <file>', 'also write a self-contained HTML dashboard to FILE')
    .option('--csv <dir>', 'also write one CSV file per table of the report into DIR')
    .option(
      '--min-team-size <n>',
      `privacy floor: teams with fewer distinct users in the range are pooled under "(small teams)" (default: $GCA_MIN_TEAM_SIZE, else ${DEFAULT_MIN_TEAM_SIZE})`,
    )
    .option(
      '--no-people',
      'leave individual people out (per-user tables, inactive seat holders): for a dashboard or export that will be shared',
    )
    .action(async (flags: ReportFlags) => {
      const range = parseDayRange(flags.from, flags.to);
      const minTeamSize = minTeamSizeFrom(ctx, flags.minTeamSize);
      const deps = await ctx.open({ db: flags.db, existing: true });
      try {
        await checkFiguresComputed(ctx, deps);
        const full = await buildLocalReport(deps, { ...range, minTeamSize });
        const report = flags.people ? full : omitPeople(full);
        const notice = flags.json ? ctx.err : ctx.out; // with --json, stdout holds only the object
        if (flags.json) ctx.out(JSON.stringify(report));
        else ctx.io.stdout.write(renderTextReport(report));
        if (flags.html) {
          const file = resolvePath(ctx, flags.html);
          const detail = await buildDashboardDetail(deps.warehouse, report);
          await writeFile(file, renderHtmlReport(report, { generatedAt: ctx.now(), detail }));
          notice(`Dashboard written to ${file}`);
        }
        if (flags.csv) {
          const dir = resolvePath(ctx, flags.csv);
          const files = await writeReportCsv(dir, report);
          notice(`${files.length} CSV files written to ${dir}`);
        }
      } finally {
        await deps.close();
      }
    });
}
