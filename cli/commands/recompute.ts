/** `gca-analytics recompute`: rebuilds the metric tables from the raw tables. */
import type { Command } from 'commander';
import { addDbOption, resolveDbPath, type CliContext } from '../context';
import { openExistingLocal } from '../open-existing';
import { describeRecompute, recomputeLocal } from '../recompute-local';

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('recompute')
    .summary('Rebuild the metric tables from the raw events (incremental, or --full)')
    .description(
      'Recompute suggestions and daily figures for what changed since the last run (incremental, idempotent)',
    );
  addDbOption(cmd)
    .option('--full', 'rebuild every metric table from all raw events')
    .action(async (flags: { db?: string; full?: boolean }) => {
      const deps = await openExistingLocal(ctx, resolveDbPath(ctx, flags.db));
      try {
        const summary = await recomputeLocal(ctx, deps, { full: flags.full === true });
        ctx.out(describeRecompute(summary));
      } finally {
        await deps.close();
      }
    });
}
