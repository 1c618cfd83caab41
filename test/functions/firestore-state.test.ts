/**
 * The cloud state path of the job targets, on the Firestore emulator: `GCA_STATE=firestore`
 * builds the Firestore client and store from configuration (database id, collection), and
 * `recompute` runs, finds its own lease held when another holder has it, and keeps its watermark
 * there. The warehouse is a local DuckDB file (there is no BigQuery emulator).
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createRecomputeHandler } from '../../functions/handlers/recompute';
import { createDepsProvider, openState, type DepsProvider } from '../../shared/deps';
import { RECOMPUTE_JOB } from '../../shared/jobs/recompute';
import { createLogger } from '../../shared/log';
import { useFirestoreEmulatorInProcess } from '../helpers/emulators';
import { makeLocalSetup, type LocalSetup } from './helpers';

const NOW = new Date('2025-10-09T12:00:00.000Z');

const firestore = useFirestoreEmulatorInProcess();
let setup: LocalSetup;
let deps: DepsProvider;

beforeAll(async () => {
  setup = makeLocalSetup({
    GCA_STATE: 'firestore',
    GOOGLE_CLOUD_PROJECT: firestore.emu.projectId,
    // The stack's named database (infra/components/control-state-database.ts), not (default).
    GCA_FIRESTORE_DATABASE: 'gca-analytics',
    GCA_FIRESTORE_COLLECTION: 'gca_state_functions_test',
  });
  deps = createDepsProvider(setup.config);
  http(
    'recompute_firestore',
    createRecomputeHandler(setup.config, {
      deps,
      now: () => NOW,
      logger: createLogger({ write: () => undefined }),
    }),
  );
}, 150_000);

afterAll(async () => {
  await deps?.close();
  setup?.cleanup();
}, 60_000);

it('recompute keeps its lease and watermark in Firestore', async () => {
  const first = await request(getTestServer('recompute_firestore')).post('/');
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ status: 'ok', mode: 'full' });

  const state = await openState(setup.config);
  try {
    expect(await state.getWatermark(RECOMPUTE_JOB)).toBe('2025-10-09T12:00:00.000000Z');
    const lease = await state.acquireLease(RECOMPUTE_JOB, 'another-run', 60_000, NOW);
    expect(lease).not.toBeNull();
    const second = await request(getTestServer('recompute_firestore')).post('/');
    expect(second.body).toEqual({ status: 'locked' });
    if (lease) await state.releaseLease(lease);
    const third = await request(getTestServer('recompute_firestore')).post('/');
    expect(third.body).toMatchObject({ status: 'ok', mode: 'incremental' });
  } finally {
    await state.close();
  }
  // Written to the configured database and collection, nowhere else.
  for (const elsewhere of [
    { ...setup.config, firestoreDatabase: '(default)' },
    { ...setup.config, firestoreCollection: 'gca_state' },
  ]) {
    const other = await openState(elsewhere);
    try {
      expect(await other.getWatermark(RECOMPUTE_JOB)).toBeNull();
    } finally {
      await other.close();
    }
  }
}, 60_000);
