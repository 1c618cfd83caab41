/** `gca-analytics show REQUEST_ID`: one interaction, whole (shared/datasets/show.ts). */
import type { Command } from 'commander';
import { renderInteractionText, showInteraction } from '../../shared/datasets/show';
import { addDbOption, CliError, type CliContext } from '../context';

interface ShowFlags {
  db?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('show')
    .summary('Print one interaction: request, response, metadata events, acceptance')
    .description(
      'Print one interaction by request_id: the request (kind, user, IDE, context files, prompt under its content mode), the response (text, tool calls, citations), its metadata events and the acceptance of its suggestions',
    )
    .argument('<request-id>', 'the request_id label of the request entry');
  addDbOption(cmd)
    .option('--json', 'print one JSON object instead of text')
    .addHelpText(
      'after',
      '\nWith GCA_WAREHOUSE=bigquery (and GOOGLE_CLOUD_PROJECT) and no --db, reads BigQuery.\n',
    )
    .action(async (requestId: string, flags: ShowFlags) => {
      const id = requestId.trim();
      if (id === '') throw new CliError('the request id is empty', 2);
      const opened = await ctx.open({ db: flags.db, existing: true });
      try {
        const view = await showInteraction(opened.warehouse, id);
        if (!view) {
          throw new CliError(
            `no request, response or metadata event with request_id ${id} in ${opened.where}`,
          );
        }
        if (flags.json) ctx.out(JSON.stringify(view));
        else ctx.io.stdout.write(renderInteractionText(view));
      } finally {
        await opened.close();
      }
    });
}
