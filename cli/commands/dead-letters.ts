/**
 * `gca-analytics dead-letters list|replay`: what the push subscription gave up on, and putting it
 * back through the live path (shared/ops/dead-letters.ts). Works on Pub/Sub (GOOGLE_CLOUD_PROJECT
 * or --project), or its emulator (PUBSUB_EMULATOR_HOST).
 */
import type { Command } from 'commander';
import { DEFAULT_CONTENT_MODE } from '../../shared/content/mode';
import {
  listDeadLetters,
  replayDeadLetters,
  type ReplayCounts,
} from '../../shared/ops/dead-letters';
import { loadErasedUsers } from '../../shared/ops/erased-users';
import { NAME_PREFIX_PATTERN, pubsubNames } from '../../shared/ops/pubsub-names';
import { formatCount } from '../report/format';
import { addDbOption, CliError, wholeNumberFlag, writeContext, type CliContext } from '../context';
import { openDeadLetterPort, type ClosablePort } from '../dead-letter-pubsub';
import { openOpsState } from '../ops-deps';
import { addPseudonymizeKeyOption, pseudonymizerFrom, type KeyFlags } from '../pseudonymize-key';

interface PubsubFlags {
  project?: string;
  namePrefix?: string;
  subscription?: string;
  topic?: string;
  json?: boolean;
}

/**
 * The topic and dead-letter subscription: `--topic` / `--subscription` when given, else the
 * names infra/ gives a stack with `gca-analytics:namePrefix` = `--name-prefix` (default none:
 * `gca-logs`, `gca-logs-dead-letter-pull`), derived by the same function
 * (shared/ops/pubsub-names.ts). A prefix infra would refuse is a usage error.
 */
export function pubsubTargets(flags: Pick<PubsubFlags, 'namePrefix' | 'topic' | 'subscription'>): {
  topic: string;
  subscription: string;
} {
  const prefix = flags.namePrefix?.trim() ?? '';
  if (!NAME_PREFIX_PATTERN.test(prefix)) {
    throw new CliError(
      `--name-prefix must be the stack's gca-analytics:namePrefix (at most 6 lowercase letters or digits, a letter first), got ${JSON.stringify(flags.namePrefix)}`,
      2,
    );
  }
  const names = pubsubNames(prefix);
  return {
    topic: flags.topic ?? names.topic,
    subscription: flags.subscription ?? names.deadLetterSubscription,
  };
}

/**
 * Credentials for the emulator, which ignores them: without any, the auth library probes the
 * GCE metadata server first (seconds of timeouts off Google Cloud).
 */
const EMULATOR_CREDENTIALS = {
  client_email: 'emulator@localhost.iam.gserviceaccount.com',
  private_key: 'unused-by-the-emulator',
};

async function openPort(ctx: CliContext, flags: PubsubFlags): Promise<ClosablePort> {
  const emulator = ctx.env.PUBSUB_EMULATOR_HOST;
  const projectId =
    flags.project ??
    ctx.env.GOOGLE_CLOUD_PROJECT ??
    ctx.env.GCP_PROJECT ??
    (emulator ? ctx.env.PUBSUB_PROJECT_ID : undefined);
  if (!projectId) {
    throw new CliError(
      'the Pub/Sub project is unknown: pass --project or set GOOGLE_CLOUD_PROJECT',
      2,
    );
  }
  const options = emulator
    ? { apiEndpoint: emulator, emulatorMode: true, credentials: EMULATOR_CREDENTIALS }
    : {};
  return openDeadLetterPort({ projectId, ...pubsubTargets(flags) }, options);
}

function addPubsubOptions(cmd: Command): Command {
  return cmd
    .option('--project <id>', 'Google Cloud project of the topic (default: $GOOGLE_CLOUD_PROJECT)')
    .option(
      '--name-prefix <p>',
      "the stack's gca-analytics:namePrefix: names the topic and subscription as infra does (dev: dev-gca-logs, dev-gca-logs-dead-letter-pull)",
    )
    .option(
      '--subscription <name>',
      'dead-letter pull subscription (default: [P-]gca-logs-dead-letter-pull)',
    )
    .option('--topic <name>', 'main topic replays publish to (default: [P-]gca-logs)')
    .option('--json', 'print one JSON object');
}

export function register(program: Command, ctx: CliContext): void {
  const deadLetters = program
    .command('dead-letters')
    .description('Inspect and replay the messages the ingest push subscription dead-lettered')
    .addHelpText('after', '\nThe runbook: docs/operations.md ("Replaying dead letters").\n');

  addPubsubOptions(
    deadLetters
      .command('list')
      .description(
        'Count the dead-lettered messages, the oldest, and a sample of ids with what each holds (consumes nothing)',
      ),
  )
    .option('--max <n>', 'stop counting at this many', '10000')
    .option('--samples <n>', 'messages described', '5')
    .addHelpText(
      'after',
      '\nThe messages are pulled and given back at once (ack deadline 0): nothing is consumed.\n' +
        'The runbook: docs/operations.md ("Replaying dead letters").\n',
    )
    .action(async (flags: PubsubFlags & { max: string; samples: string }) => {
      const max = wholeNumberFlag('--max', flags.max, 1) as number;
      const samples = wholeNumberFlag('--samples', flags.samples, 0) as number;
      const port = await openPort(ctx, flags);
      try {
        const listing = await listDeadLetters(port, {
          context: writeContext(ctx, DEFAULT_CONTENT_MODE),
          max,
          samples,
        });
        if (flags.json) {
          ctx.out(JSON.stringify({ subscription: port.subscriptionPath, ...listing }));
          return;
        }
        if (listing.count === 0) {
          ctx.out(`No dead-lettered messages in ${port.subscriptionPath}.`);
          return;
        }
        ctx.out(
          `${listing.truncated ? 'At least ' : ''}${formatCount(listing.count)} dead-lettered messages in ` +
            `${port.subscriptionPath}; the oldest published ${listing.oldest ?? 'at an unknown time'}.`,
        );
        for (const s of listing.samples) {
          const tries = s.deliveries === null ? '' : `, ${s.deliveries} deliveries`;
          ctx.out(
            `  ${s.messageId}  ${s.publishTime ?? '?'}  ${formatCount(s.bytes)} bytes${tries}: ${s.reason}`,
          );
        }
        ctx.out('Replay them with `gca-analytics dead-letters replay` once the cause is fixed.');
      } finally {
        await port.close();
      }
    });

  const replay = addPubsubOptions(
    deadLetters
      .command('replay')
      .description(
        'Republish dead-lettered messages to the main topic (same data and attributes), acking each only after its publish succeeded',
      ),
  ).option('--limit <n>', 'replay at most this many');
  addPseudonymizeKeyOption(addDbOption(replay))
    .addHelpText(
      'after',
      '\nErased users are read from the state store (--db: <db>.state.json; or GCA_STATE=firestore):\n' +
        'their messages are acked without being republished, and counted. A replayed message goes\n' +
        'through the live push path; an entry already stored is not counted twice.\n' +
        'The runbook: docs/operations.md ("Replaying dead letters").\n',
    )
    .action(async (flags: PubsubFlags & KeyFlags & { limit?: string; db?: string }) => {
      const limit = wholeNumberFlag('--limit', flags.limit, 1);
      const pseudonymizeUser = await pseudonymizerFrom(ctx, flags);
      const state = await openOpsState(ctx, flags.db);
      let erased;
      try {
        erased = await loadErasedUsers(state, pseudonymizeUser);
      } finally {
        await state.close();
      }
      const port = await openPort(ctx, flags);
      let counts: ReplayCounts;
      try {
        counts = await replayDeadLetters(port, {
          context: writeContext(ctx, DEFAULT_CONTENT_MODE, pseudonymizeUser),
          erased,
          ...(limit !== undefined ? { limit } : {}),
        });
      } catch (err) {
        const partial = (err as { counts?: ReplayCounts }).counts;
        if (partial) {
          ctx.err(
            `Republished ${partial.republished} before the failure; ${partial.released} left in the dead-letter subscription.`,
          );
        }
        throw err;
      } finally {
        await port.close();
      }
      if (flags.json) {
        ctx.out(JSON.stringify({ topic: port.topicPath, ...counts }));
        return;
      }
      ctx.out(
        `Replayed ${formatCount(counts.republished)} messages to ${port.topicPath}; ` +
          `${formatCount(counts.erased)} of erased users dropped; ${formatCount(counts.released)} left for later.`,
      );
    });
}
