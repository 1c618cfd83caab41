/**
 * `gca-analytics teams import FILE.csv` and `teams list`: the user -> team mapping the team
 * figures use (gca_analytics.user_teams).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatCount } from '../report/format';
import { renderTable } from '../report/text';
import {
  parseTeamMapping,
  pseudonymizeAssignments,
  TeamMappingError,
} from '../../shared/teams/mapping';
import { listUserTeams, replaceUserTeams } from '../../shared/teams/store';
import { addDbOption, CliError, resolvePath, type CliContext } from '../context';
import { addPseudonymizeKeyOption, pseudonymizerFrom, type KeyFlags } from '../pseudonymize-key';

interface ImportFlags extends KeyFlags {
  db?: string;
  json?: boolean;
}

interface ListFlags {
  db?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const teams = program
    .command('teams')
    .summary('Load or show the user -> team mapping used by the team figures')
    .description(
      'The user -> team mapping (gca_analytics.user_teams): a suggestion belongs to the team of its user on its day',
    );

  const importCmd = teams
    .command('import')
    .argument('<file>', 'CSV with a header row: user_id, team[, parent_team, seat, from, to]')
    .description(
      'Replace the mapping with FILE (CSV, header row; user_id as logged, team, optional parent_team, ' +
        'seat true/false, from and to inclusive days YYYY-MM-DD). The whole file is checked first: ' +
        'any bad line and nothing is written.',
    );
  addPseudonymizeKeyOption(addDbOption(importCmd))
    .option('--json', 'print one JSON object {"rows","users","teams"}')
    .action(async (file: string, flags: ImportFlags) => {
      const path = resolvePath(ctx, file);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | null)?.code ?? 'unreadable';
        throw new CliError(`cannot read ${path} (${code})`);
      }
      let parsed;
      try {
        parsed = parseTeamMapping(text);
      } catch (err) {
        if (err instanceof TeamMappingError) {
          for (const p of err.problems) {
            ctx.err(p.line > 0 ? `${file}:${p.line}: ${p.message}` : `${file}: ${p.message}`);
          }
          throw new CliError(
            `${file}: ${err.problems.length} problem(s); nothing was imported, the mapping is unchanged`,
          );
        }
        throw err;
      }
      // With pseudonymization on, the table holds the same pseudonyms as the raw rows.
      const assignments = pseudonymizeAssignments(parsed, await pseudonymizerFrom(ctx, flags));
      const deps = await ctx.open({ db: flags.db });
      try {
        const rows = await replaceUserTeams(deps.warehouse, assignments, ctx.now());
        const users = new Set(assignments.map((a) => a.userId)).size;
        const teamCount = new Set(assignments.map((a) => a.team)).size;
        if (flags.json) ctx.out(JSON.stringify({ rows, users, teams: teamCount }));
        else {
          ctx.out(
            `Imported ${formatCount(rows)} rows: ${formatCount(users)} users in ${formatCount(teamCount)} teams (the previous mapping was replaced).`,
          );
        }
      } finally {
        await deps.close();
      }
    });

  const listCmd = teams.command('list').description('Show the loaded mapping, one row per period');
  addDbOption(listCmd)
    .option('--json', 'print one JSON array of the rows')
    .action(async (flags: ListFlags) => {
      const deps = await ctx.open({ db: flags.db });
      try {
        const rows = await listUserTeams(deps.warehouse);
        if (flags.json) {
          ctx.out(JSON.stringify(rows));
          return;
        }
        if (rows.length === 0) {
          ctx.out('No team mapping loaded: run `gca-analytics teams import FILE.csv`.');
          return;
        }
        const lines = renderTable(
          ['Team', 'Parent', 'User', 'Seat', 'From', 'To'],
          rows.map((r) => [
            r.team,
            r.parent_team ?? '',
            r.user_id,
            r.seat ? 'yes' : 'no',
            r.from_day ?? '-',
            r.to_day ?? '-',
          ]),
          ['left', 'left', 'left', 'left', 'left', 'left'],
        );
        ctx.out(lines.join('\n'));
        const teamCount = new Set(rows.map((r) => r.team)).size;
        ctx.out(
          `${formatCount(rows.length)} rows, ${formatCount(new Set(rows.map((r) => r.user_id)).size)} users, ${formatCount(teamCount)} teams; imported ${rows[0]?.imported_at ?? '-'}`,
        );
      } finally {
        await deps.close();
      }
    });
}
