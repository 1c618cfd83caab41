/** `gca-analytics recompute`: rebuilds the metric tables from the raw tables. */
import type { Command } from 'commander';
import { RECOMPUTE_ENV, recomputeLookbackFor } from '../../shared/config';
import { addDbOption, commandEnv, type CliContext } from '../context';
import { describeRecompute, recomputeLocal } from '../recompute-local';

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('recompute')
    .summary('Rebuild the metric tables from the raw events (incremental, or --full)')
    .description(
      'Recompute suggestions and daily figures for what changed since the last run (incremental, idempotent), in the local warehouse or where GCA_WAREHOUSE says',
    );
  addDbOption(cmd)
    .option('--full', 'rebuild every metric table from all raw events')
    .action(async (flags: { db?: string; full?: boolean }) => {
      const { recomputeLookbackDays } = commandEnv(ctx, [RECOMPUTE_ENV]);
      const deps = await ctx.open({ db: flags.db, existing: true });
      try {
        const summary = await recomputeLocal(ctx, deps, {
          full: flags.full === true,
          lookbackDays: recomputeLookbackFor(deps.config.warehouse, recomputeLookbackDays),
        });
        ctx.out(describeRecompute(summary));
      } finally {
        await deps.close();
      }
    });
}
