/** Every subcommand, in the order `--help` lists them. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { register as backfill } from './backfill';
import { register as deadLetters } from './dead-letters';
import { register as datasets } from './datasets';
import { register as demo } from './demo';
import { register as eraseUser } from './erase-user';
import { register as erasureRequests } from './erasure-requests';
import { register as ingest } from './ingest';
import { register as quarantine } from './quarantine';
import { register as recompute } from './recompute';
import { register as report } from './report';
import { register as retention } from './retention';
import { register as teams } from './teams';
import { register as show } from './show';

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  ingest,
  recompute,
  report,
  teams,
  show,
  datasets,
  retention,
  eraseUser,
  erasureRequests,
  backfill,
  deadLetters,
  quarantine,
  demo,
];
