/** `gca-analytics report`: the figures as a terminal table, one JSON object, or an HTML page. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { renderHtmlReport } from '../../shared/report/html';
import { renderTextReport } from '../../shared/report/text';
import { addDbOption, resolvePath, type CliContext } from '../context';
import { parseDayRange } from '../days';
import { checkFiguresComputed } from '../figures-status';
import { buildLocalReport } from '../report-local';

interface ReportFlags {
  db?: string;
  from?: string;
  to?: string;
  json?: boolean;
  html?: string;
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
    .action(async (flags: ReportFlags) => {
      const range = parseDayRange(flags.from, flags.to);
      const deps = await ctx.open({ db: flags.db, existing: true });
      try {
        await checkFiguresComputed(ctx, deps);
        const report = await buildLocalReport(deps, range);
        if (flags.json) ctx.out(JSON.stringify(report));
        else ctx.io.stdout.write(renderTextReport(report));
        if (flags.html) {
          const file = resolvePath(ctx, flags.html);
          await writeFile(file, renderHtmlReport(report, { generatedAt: ctx.now() }));
          // With --json, stdout holds only the object.
          (flags.json ? ctx.err : ctx.out)(`Dashboard written to ${file}`);
        }
      } finally {
        await deps.close();
      }
    });
}
