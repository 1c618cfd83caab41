/**
 * Opens a local warehouse that must already exist: a clear error otherwise. The previous API,
 * kept for commands that only run locally; prefer `ctx.open({ db, existing: true })`.
 */
import { access } from 'node:fs/promises';
import { CliError, type CliContext, type LocalDeps } from './context';

export async function openExistingLocal(ctx: CliContext, dbPath: string): Promise<LocalDeps> {
  try {
    await access(dbPath);
  } catch {
    throw new CliError(
      `no warehouse at ${dbPath}; run \`gca-analytics ingest FILE\` or \`gca-analytics demo\` first (or pass --db)`,
    );
  }
  return ctx.openLocal(dbPath);
}
