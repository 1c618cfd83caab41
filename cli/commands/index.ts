/** Every subcommand, in the order `--help` lists them. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { register as demo } from './demo';
import { register as eraseUser } from './erase-user';
import { register as erasureRequests } from './erasure-requests';
import { register as ingest } from './ingest';
import { register as recompute } from './recompute';
import { register as report } from './report';
import { register as retention } from './retention';
import { register as teams } from './teams';

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  ingest,
  recompute,
  report,
  teams,
  retention,
  eraseUser,
  erasureRequests,
  demo,
];
