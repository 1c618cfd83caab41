/**
 * `gca-analytics dead-letters list|replay` end to end on the Pub/Sub emulator: the ingest
 * function (functions-framework's test server, DuckDB behind it) fails every write while
 * `failing` is set, so Pub/Sub dead-letters the messages after 5 deliveries. `list` peeks
 * without consuming; `replay` republishes through the push path, where the entry is written
 * once even though the live path delivered it meanwhile; a message of a user erased since is
 * dropped and counted.
 */
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { http } from '@google-cloud/functions-framework';
import { statePathFor } from '../../cli/context';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { createDeps, createDepsProvider, type DepsProvider } from '../../shared/deps';
import { createLogger } from '../../shared/log';
import { openLocalStateStore } from '../../shared/state/local';
import {
  emulatorPubSub,
  listenForPush,
  startEmulator,
  type RunningEmulator,
} from '../helpers/emulators';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { factoriesWrapping, serviceUnavailable, wrapWarehouse } from '../helpers/warehouse';
import { makeLocalSetup, type LocalSetup } from '../functions/helpers';
import { runCli } from './run-cli';

let emu: RunningEmulator;
let pubsub: PubSub;
let setup: LocalSetup;
let server: Server;
let ingestDeps: DepsProvider;
let failing = true;
let dir: string;
/** Delivery count per entry insertId. */
const deliveries = new Map<string, number>();

function exposure(insertId: string, user: string): string {
  return entryText(
    makeMetadataEntry(
      'codeExposure',
      { originalRequestId: `s-${insertId}`, programmingLanguage: 'go' },
      { insertId, timestamp: '2026-02-27T10:00:00Z', labels: { user_id: user } },
    ),
  );
}
const ANN = exposure('dl-ann', 'ann@x.com');
const EVE = exposure('dl-eve', 'eve@x.com');

beforeAll(async () => {
  emu = await startEmulator('pubsub');
  setup = makeLocalSetup();
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-dead-letters-'));
  ingestDeps = createDepsProvider(
    setup.config,
    factoriesWrapping((w) =>
      wrapWarehouse(w, {
        insertRaw: async (batch) => {
          for (const row of batch.metadata_events) {
            deliveries.set(row.insert_id ?? '?', (deliveries.get(row.insert_id ?? '?') ?? 0) + 1);
          }
          if (failing) throw serviceUnavailable();
          return w.insertRaw(batch);
        },
      }),
    ),
  );
  // Wired as in pubsub-e2e.test.ts (the function served for push, a client on the emulator);
  // the subscription here dead-letters.
  http(
    'ingest_dead_letters',
    createIngestHandler(setup.config, {
      deps: ingestDeps,
      logger: createLogger({ write: () => undefined }),
    }),
  );
  const push = await listenForPush('ingest_dead_letters');
  server = push.server;
  pubsub = emulatorPubSub(emu);
  const [topic] = await pubsub.createTopic('gca-logs');
  const [deadLetter] = await pubsub.createTopic('gca-logs-dead-letter');
  await deadLetter.createSubscription('gca-logs-dead-letter-pull', { ackDeadlineSeconds: 60 });
  await topic.createSubscription('gca-logs-push', {
    pushConfig: { pushEndpoint: push.url },
    ackDeadlineSeconds: 10,
    deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 5 },
    retryPolicy: {
      minimumBackoff: { seconds: 0, nanos: 100_000_000 },
      maximumBackoff: { seconds: 1 },
    },
  });
}, 150_000);

afterAll(async () => {
  await pubsub?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await emu?.stop();
  await ingestDeps?.close();
  setup?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function waitFor(
  what: string,
  done: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function cli(args: string[]) {
  return runCli(args, {
    cwd: dir,
    env: { PUBSUB_EMULATOR_HOST: emu.hostPort, GOOGLE_CLOUD_PROJECT: emu.projectId },
  });
}

async function listed(): Promise<{
  count: number;
  samples: { messageId: string; reason: string }[];
  oldest: string | null;
}> {
  const run = await cli(['dead-letters', 'list', '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

async function rowsOf(insertId: string): Promise<number> {
  const deps = await createDeps(setup.config);
  try {
    const rows = await deps.warehouse.query<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events` WHERE insert_id = @id',
      { id: insertId },
    );
    return Number(rows[0]?.n);
  } finally {
    await deps.warehouse.close();
    await deps.state.close();
  }
}

it('lists dead letters without consuming them, then replays them through the push path once', async () => {
  const topic = pubsub.topic('gca-logs');
  await topic.publishMessage({ data: Buffer.from(ANN), attributes: { origin: 'sink' } });
  await topic.publishMessage({ data: Buffer.from(EVE) });
  await waitFor('two dead letters', async () => (await listed()).count === 2, 90_000);

  // Peeking twice sees the same messages: nothing was consumed.
  const first = await listed();
  const second = await listed();
  expect(second.count).toBe(2);
  expect(second.samples.map((s) => s.messageId).sort()).toEqual(
    first.samples.map((s) => s.messageId).sort(),
  );
  expect(first.oldest).not.toBeNull();
  expect(first.samples[0]?.reason).toMatch(/failed transiently; a replay writes it/);
  const text = await cli(['dead-letters', 'list']);
  expect(text.stdout).toMatch(
    /^2 dead-lettered messages in projects\/.*\/subscriptions\/gca-logs-dead-letter-pull/,
  );
  expect(await rowsOf('dl-ann')).toBe(0);
  expect(deliveries.get('dl-ann')).toBeGreaterThanOrEqual(5);

  // The cause is fixed; eve asks to be erased; the sink delivers ann's entry again meanwhile.
  failing = false;
  // The state file beside the warehouse that `--db` names.
  const state = await openLocalStateStore(statePathFor(setup.dbPath));
  await state.requestErasure('eve@x.com');
  await state.close();
  await topic.publishMessage({ data: Buffer.from(ANN) });
  await waitFor('the live delivery', async () => (await rowsOf('dl-ann')) === 1, 30_000);
  const before = deliveries.get('dl-ann') ?? 0;

  const replay = await runCli(['dead-letters', 'replay', '--json', '--db', setup.dbPath], {
    cwd: dir,
    env: { PUBSUB_EMULATOR_HOST: emu.hostPort, GOOGLE_CLOUD_PROJECT: emu.projectId },
  });
  expect(replay.stderr).toBe('');
  expect(replay.code).toBe(0);
  expect(JSON.parse(replay.stdout)).toMatchObject({
    pulled: 2,
    republished: 1,
    erased: 1,
    released: 0,
  });
  await waitFor(
    'the replayed delivery',
    async () => (deliveries.get('dl-ann') ?? 0) > before,
    30_000,
  );
  expect(await rowsOf('dl-ann')).toBe(1);
  expect(await rowsOf('dl-eve')).toBe(0);
  expect((await listed()).count).toBe(0);
}, 180_000);

it('dead-letters list --name-prefix reads the dead-letter subscription of a prefixed stack', async () => {
  // The names infra/ gives a stack with gca-analytics:namePrefix = dev.
  const [deadLetter] = await pubsub.createTopic('dev-gca-logs-dead-letter');
  await deadLetter.createSubscription('dev-gca-logs-dead-letter-pull', { ackDeadlineSeconds: 60 });
  await deadLetter.publishMessage({ data: Buffer.from(ANN) });
  const prefixed = async () => {
    const run = await cli(['dead-letters', 'list', '--name-prefix', 'dev', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as { subscription: string; count: number };
  };
  await waitFor('the prefixed dead letter', async () => (await prefixed()).count === 1, 30_000);
  expect((await prefixed()).subscription).toBe(
    `projects/${emu.projectId}/subscriptions/dev-gca-logs-dead-letter-pull`,
  );
  // The unprefixed stack's subscription is another one.
  expect((await listed()).count).toBe(0);
}, 60_000);
