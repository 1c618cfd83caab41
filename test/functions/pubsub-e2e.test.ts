/**
 * End to end on the Pub/Sub emulator: topic -> push subscription -> the `ingest` function served
 * over HTTP by functions-framework -> warehouse (DuckDB) -> `recompute` -> figures. The fixture
 * set has duplicates, out-of-order arrival, two poison messages (quarantined, acked, delivered
 * once) and an injected transient failure (a 503 from the warehouse on the first insert of one
 * message: redelivered, then written once). The expected figures are computed by hand below.
 */
import type { Server } from 'node:http';
import type { PubSub } from '@google-cloud/pubsub';
import { http, type HttpFunction } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { createRecomputeHandler } from '../../functions/handlers/recompute';
import { createDepsProvider, type DepsProvider } from '../../shared/deps';
import { createLogger } from '../../shared/log';
import { PubsubPushBodySchema } from '../../shared/schemas/pubsub';
import type { Warehouse } from '../../shared/warehouse/port';
import {
  emulatorPubSub,
  listenForPush,
  startEmulator,
  type RunningEmulator,
} from '../helpers/emulators';
import { entryText, makeMetadataEntry, type JsonObject } from '../helpers/entries';
import { factoriesWrapping, serviceUnavailable, wrapWarehouse } from '../helpers/warehouse';
import { makeLocalSetup, reportOf, type LocalSetup } from './helpers';

const D1 = '2025-10-08';
const D2 = '2025-10-09';

/** A metadata event of suggestion `id` at `time`, with a fixed insertId (its dedup key). */
function event(
  insertId: string,
  kind: 'codeExposure' | 'codeAcceptance' | 'chatExposure' | 'chatAcceptance',
  id: string,
  time: string,
  fields: JsonObject = {},
): string {
  return entryText(
    makeMetadataEntry(
      kind,
      { originalRequestId: id, programmingLanguage: 'python', ...fields },
      { insertId, timestamp: time, receiveTimestamp: time },
    ),
  );
}

/**
 * Published in this order (arrival order is Pub/Sub's; push does not keep it anyway):
 * - s3 (chat): the acceptance (D2, 3 lines) is published before its exposure (D1): late and
 *   out of order, it counts on D1, the exposure's day.
 * - s1 (code): exposure D1, acceptance D1 with 5 lines.
 * - s2 (code): exposure only.
 * - s4 (code): exposure and acceptance ("7" lines, int64 as a string) each published twice
 *   (a redelivery by the sink): stored once.
 * - s5 (code): exposure whose first insert fails with a 503: redelivered, written once.
 * - two poison messages: a JSON entry with a bad timestamp, and bytes that are not JSON.
 *
 * Expected: code exposed 4 (s1 s2 s4 s5), accepted 2 (s1 s4), lines 12; chat exposed 1,
 * accepted 1, lines 3; total exposed 5, accepted 3, lines 15; everything on D1; 8 metadata
 * rows; 2 quarantine rows.
 */
const S5_EXPOSURE = event('e-s5-x', 'codeExposure', 's5', `${D1}T13:00:00.000000Z`);
const FIXTURE: string[] = [
  event('e-s3-a', 'chatAcceptance', 's3', `${D2}T09:00:00.000000Z`, { linesCount: 3 }),
  event('e-s1-a', 'codeAcceptance', 's1', `${D1}T10:00:05.000000Z`, { linesCount: 5 }),
  event('e-s3-x', 'chatExposure', 's3', `${D1}T22:00:00.000000Z`),
  event('e-s1-x', 'codeExposure', 's1', `${D1}T10:00:00.000000Z`),
  event('e-s2-x', 'codeExposure', 's2', `${D1}T11:00:00.000000Z`),
  event('e-s4-x', 'codeExposure', 's4', `${D1}T12:00:00.000000Z`),
  event('e-s4-a', 'codeAcceptance', 's4', `${D1}T12:00:09.000000Z`, { linesCount: '7' }),
  event('e-s4-x', 'codeExposure', 's4', `${D1}T12:00:00.000000Z`),
  event('e-s4-a', 'codeAcceptance', 's4', `${D1}T12:00:09.000000Z`, { linesCount: '7' }),
  S5_EXPOSURE,
  event('e-bad-ts', 'codeExposure', 's6', 'yesterday at noon'),
  'this is not a log entry',
];
const POISON = new Set([FIXTURE.length - 2, FIXTURE.length - 1]);

const FIGURES = {
  code: { exposed: 4, accepted: 2, acceptanceRate: 0.5, linesAccepted: 12 },
  chat: { exposed: 1, accepted: 1, acceptanceRate: 1, linesAccepted: 3 },
  total: { exposed: 5, accepted: 3, acceptanceRate: 0.6, linesAccepted: 15 },
};

let emu: RunningEmulator;
let pubsub: PubSub;
let setup: LocalSetup;
let server: Server;
/** Every delivery the function saw: message id and the status it answered. */
const deliveries: { messageId: string; status: number }[] = [];
let failedOnce = false;
let ingestDeps: DepsProvider;
let recomputeDeps: DepsProvider;

/** Fails the first insert that carries s5's exposure, as BigQuery's 503 would. */
function failingOnceForS5(warehouse: Warehouse): Warehouse {
  return wrapWarehouse(warehouse, {
    insertRaw: async (batch) => {
      const s5 = batch.metadata_events.some((r) => r.original_request_id === 's5');
      if (s5 && !failedOnce) {
        failedOnce = true;
        throw serviceUnavailable();
      }
      return warehouse.insertRaw(batch);
    },
  });
}

beforeAll(async () => {
  emu = await startEmulator('pubsub');
  setup = makeLocalSetup();
  ingestDeps = createDepsProvider(setup.config, factoriesWrapping(failingOnceForS5));
  recomputeDeps = createDepsProvider(setup.config);
  const ingest = createIngestHandler(setup.config, {
    deps: ingestDeps,
    logger: createLogger({ write: () => undefined }),
  });
  const counted: HttpFunction = async (req, res) => {
    await ingest(req, res);
    const parsed = PubsubPushBodySchema.safeParse(req.body);
    const messageId = parsed.success ? (parsed.data.message.messageId ?? '?') : '?';
    deliveries.push({ messageId, status: res.statusCode });
  };
  http('ingest_e2e', counted);
  // Wired as in dead-letters.test.ts; here a plain push subscription.
  http(
    'recompute_e2e',
    createRecomputeHandler(setup.config, {
      deps: recomputeDeps,
      logger: createLogger({ write: () => undefined }),
    }),
  );
  const push = await listenForPush('ingest_e2e');
  server = push.server;
  pubsub = emulatorPubSub(emu);
  const [topic] = await pubsub.createTopic('gca-logs');
  await topic.createSubscription('gca-logs-push', {
    pushConfig: { pushEndpoint: push.url },
    ackDeadlineSeconds: 10,
  });
}, 150_000);

afterAll(async () => {
  await pubsub?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await emu?.stop();
  await ingestDeps?.close();
  await recomputeDeps?.close();
  setup?.cleanup();
}, 60_000);

/** Polls `done` every 100 ms until it holds, or fails after `timeoutMs`. */
async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(deliveries)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('delivers, dedups, quarantines poison once, retries the transient failure, and counts right', async () => {
  const topic = pubsub.topic('gca-logs');
  const ids: string[] = [];
  for (const text of FIXTURE) ids.push(await topic.publishMessage({ data: Buffer.from(text) }));

  const acked = (id: string) => deliveries.some((d) => d.messageId === id && d.status === 200);
  await waitFor('every message to be acked', () => ids.every(acked), 90_000);

  // The s5 message: one 503, then one 200. By the time its redelivery is acked, Pub/Sub has had
  // a full retry cycle, in which a nacked poison message would have come back too.
  const s5 = ids[FIXTURE.indexOf(S5_EXPOSURE)] ?? '';
  expect(deliveries.filter((d) => d.messageId === s5).map((d) => d.status)).toEqual([503, 200]);
  for (const [i, id] of ids.entries()) {
    if (i === FIXTURE.indexOf(S5_EXPOSURE)) continue;
    // Every other message, poison included, was delivered once and acked.
    expect({
      i,
      statuses: deliveries.filter((d) => d.messageId === id).map((d) => d.status),
    }).toEqual({
      i,
      statuses: [200],
    });
  }
  expect(POISON.size).toBe(2);

  const rc = await request(getTestServer('recompute_e2e')).post('/');
  expect(rc.status).toBe(200);
  const figures = await reportOf(setup);
  expect({ code: figures.code, chat: figures.chat, total: figures.total }).toEqual(FIGURES);
  expect(Object.keys(figures.byDay)).toEqual([D1]);
  expect(figures.byDay[D1]?.total).toEqual(FIGURES.total);
  expect(figures.rows).toEqual({ requests: 0, responses: 0, metadataEvents: 8, quarantined: 2 });
}, 150_000);
