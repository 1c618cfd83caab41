/**
 * `gca-analytics demo`: generates a realistic seeded sample export, ingests it, recomputes,
 * prints the report and writes the HTML dashboard: the whole tool in well under a minute.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONTENT_MODE } from '../../shared/content/mode';
import { buildDashboardDetail } from '../report/detail';
import { renderHtmlReport } from '../report/html';
import { renderTextReport } from '../report/text';
import { formatCount } from '../report/format';
import { writeSampleFile } from '../sample/generate';
import { sampleTeamMappingCsv } from '../sample/teams';
import { parseTeamMapping } from '../../shared/teams/mapping';
import { replaceUserTeams } from '../../shared/teams/store';
import { addDbOption, CliError, resolveDbPath, resolvePath, type CliContext } from '../context';
import { checkInputs, ingestInputs } from './ingest';
import { describeRecompute, recomputeLocal } from '../recompute-local';
import { buildLocalReport } from '../report-local';

export const DEFAULT_HTML = './gca-analytics-report.html';

interface DemoFlags {
  db?: string;
  html: string;
  seed: string;
  users: string;
  days: string;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive integer`, 2);
  return n;
}

/** The first day of a sample of `days` days ending yesterday (UTC). */
export function demoStart(now: Date, days: number): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - days * 86_400_000).toISOString().slice(0, 10);
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('demo')
    .summary('Generate a realistic sample, ingest it, report it and write the dashboard')
    .description(
      'Generate a realistic sample of Gemini Code Assist logs, ingest it, and show the report and the HTML dashboard',
    );
  addDbOption(cmd)
    .option('--html <file>', 'where to write the dashboard', DEFAULT_HTML)
    .option('--seed <n>', 'sample seed (the same seed gives the same sample)', '42')
    .option('--users <n>', 'number of users in the sample', '40')
    .option('--days <n>', 'days covered, ending yesterday', '28')
    .action(async (flags: DemoFlags) => {
      const seed = positiveInt('--seed', flags.seed);
      const users = positiveInt('--users', flags.users);
      const days = positiveInt('--days', flags.days);
      const dir = await mkdtemp(join(tmpdir(), 'gca-demo-'));
      try {
        const file = join(dir, 'sample-export.json');
        const written = await writeSampleFile(file, {
          seed,
          users,
          days,
          start: demoStart(ctx.now(), days),
          foreignRate: 0.002,
          malformedRate: 0.002,
        });
        ctx.out(
          `Generated ${formatCount(written.entries)} log entries (${users} users, ${days} days, seed ${seed}).`,
        );
        const deps = await ctx.openLocal(resolveDbPath(ctx, flags.db));
        try {
          const counts = await ingestInputs(ctx, deps, await checkInputs(ctx, [file]), {
            contentMode: DEFAULT_CONTENT_MODE,
            json: false,
          });
          ctx.out(
            `Ingested: ${formatCount(counts.normalized)} stored, ${formatCount(counts.duplicates)} duplicates, ` +
              `${formatCount(counts.quarantined)} quarantined, ${formatCount(counts.skipped)} skipped.`,
          );
          ctx.out(describeRecompute(await recomputeLocal(ctx, deps, { full: false })));
          // A team mapping, loaded as `teams import` would, so the team views show up.
          const mapping = parseTeamMapping(
            sampleTeamMappingCsv({ seed, users, days, start: demoStart(ctx.now(), days) }),
          );
          await replaceUserTeams(deps.warehouse, mapping, ctx.now());
          ctx.out(
            `Loaded a sample team mapping: ${formatCount(new Set(mapping.map((a) => a.userId)).size)} users in ` +
              `${formatCount(new Set(mapping.map((a) => a.team)).size)} teams (gca-analytics teams list).`,
          );
          const report = await buildLocalReport(deps, { from: null, to: null });
          ctx.out('');
          ctx.io.stdout.write(renderTextReport(report));
          const html = resolvePath(ctx, flags.html);
          const detail = await buildDashboardDetail(deps.warehouse, report);
          await writeFile(html, renderHtmlReport(report, { generatedAt: ctx.now(), detail }));
          ctx.out('');
          ctx.out(`Warehouse: ${deps.dbPath}`);
          ctx.out(`Dashboard: ${html} (open it in a browser; it needs no network)`);
        } finally {
          await deps.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
}
