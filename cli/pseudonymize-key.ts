/**
 * The user pseudonymization key of a command (`ingest`, `retention`, `erase-user`, ...):
 * `--pseudonymize-key-file PATH`, else GCA_PSEUDONYMIZE_KEY, else none. The key is checked
 * (length) and never printed.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PRIVACY_ENV } from '../shared/config';
import { createPseudonymizer, PseudonymizeKeyError } from '../shared/content/pseudonymize';
import { CliError, commandEnv, resolvePath, type CliContext } from './context';

/** Flags of the commands that take the key. */
export interface KeyFlags {
  pseudonymizeKeyFile?: string;
}

/** Adds `--pseudonymize-key-file PATH` to a command. */
export function addPseudonymizeKeyOption(command: Command): Command {
  return command.option(
    '--pseudonymize-key-file <path>',
    'file holding the user pseudonymization key used at ingest (else $GCA_PSEUDONYMIZE_KEY), so an erasure by email finds the pseudonymized rows',
  );
}

/**
 * The key in `--pseudonymize-key-file`, else GCA_PSEUDONYMIZE_KEY, else null; a key too short
 * is a usage error (exit 2), an unreadable file a runtime error (exit 1). Never prints the key.
 */
export async function pseudonymizeKeyFrom(
  ctx: Pick<CliContext, 'env' | 'cwd'>,
  flags: KeyFlags,
): Promise<string | null> {
  let key: string | null = null;
  if (flags.pseudonymizeKeyFile) {
    const path = resolvePath(ctx, flags.pseudonymizeKeyFile);
    try {
      key = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code ?? 'unreadable';
      throw new CliError(`cannot read the pseudonymization key file ${path} (${code})`);
    }
  } else {
    key = commandEnv(ctx, [PRIVACY_ENV]).pseudonymizeKey;
  }
  if (key === null) return null;
  try {
    createPseudonymizer(key); // checks the key
  } catch (err) {
    if (err instanceof PseudonymizeKeyError) throw new CliError(err.message, 2);
    throw err;
  }
  return key;
}

/** The pseudonymizer of the key the flags or environment give (see pseudonymizeKeyFrom). */
export async function pseudonymizerFrom(
  ctx: Pick<CliContext, 'env' | 'cwd'>,
  flags: KeyFlags,
): Promise<((userId: string) => string) | undefined> {
  const key = await pseudonymizeKeyFrom(ctx, flags);
  return key === null ? undefined : createPseudonymizer(key);
}
