import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Firestore } from '@google-cloud/firestore';
import {
  createFirestoreStateStore,
  nameToDocId,
  DEFAULT_STATE_COLLECTION,
} from '../../../shared/state/firestore';
import {
  EMULATOR_FAKE_CREDENTIALS,
  liveGroupMembers,
  startEmulator,
  type RunningEmulator,
} from '../../helpers/emulators';
import { describeStateStoreContract } from './contract';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator('firestore');
}, 120_000);

let stopped = false;
afterAll(async () => {
  if (!stopped) await emu.stop();
});

/** A client of the emulator: a fresh one per handle, as separate processes would have. */
const client = (): Firestore =>
  new Firestore({
    projectId: emu.projectId,
    host: emu.hostPort,
    ssl: false,
    credentials: EMULATOR_FAKE_CREDENTIALS,
  });

describeStateStoreContract('firestore emulator', async () => {
  // A collection per test isolates tests without restarting the emulator.
  const collection = `test_${randomUUID()}`;
  return {
    open: async () => createFirestoreStateStore(client(), { collection, terminateOnClose: true }),
    cleanup: async () => {
      const db = client();
      await db.recursiveDelete(db.collection(collection));
      await db.terminate();
    },
  };
});

describe('firestore state store specifics', () => {
  it('writes the documented layout under its collection', async () => {
    const db = client();
    const collection = `layout_${randomUUID()}`;
    const store = createFirestoreStateStore(db, { collection });
    await store.acquireLease('recompute/full', 'run-a', 1_000, new Date(0));
    await store.setWatermark('recompute.ingest_time', 'w');
    await store.setRetentionPolicy({ contentDays: 1, eventDays: 2, quarantineDays: 3 });
    const lease = await db.doc(`${collection}/leases/items/recompute%2Ffull`).get();
    expect(lease.data()).toEqual({
      name: 'recompute/full',
      holder: 'run-a',
      expiresAt: '1970-01-01T00:00:01.000Z',
    });
    const mark = await db.doc(`${collection}/watermarks/items/recompute%2Eingest_time`).get();
    expect(mark.data()).toEqual({ name: 'recompute.ingest_time', value: 'w' });
    expect((await db.doc(`${collection}/retention_policy`).get()).data()).toEqual({
      contentDays: 1,
      eventDays: 2,
      quarantineDays: 3,
    });
    await db.recursiveDelete(db.collection(collection));
    await store.close();
    await db.terminate();
  });

  it('defaults to the gca_state collection and escapes names Firestore forbids', () => {
    expect(DEFAULT_STATE_COLLECTION).toBe('gca_state');
    expect(nameToDocId('..')).toBe('%2E%2E');
    expect(nameToDocId('__name__')).toBe('%5F_name__');
    expect(nameToDocId('a/b c')).toBe('a%2Fb%20c');
    expect(() => nameToDocId('')).toThrow(/empty/);
  });
});

// Last: the harness leaves nothing behind (the gcloud wrappers and the JVM) once stopped.
describe('emulator harness', () => {
  it('reports where the emulator is and stops its whole process tree', async () => {
    expect(emu.env).toEqual({ FIRESTORE_EMULATOR_HOST: `127.0.0.1:${emu.port}` });
    expect(liveGroupMembers(emu.pgid).length).toBeGreaterThan(1);
    await emu.stop();
    stopped = true;
    expect(liveGroupMembers(emu.pgid)).toEqual([]);
    const refused = await new Promise<boolean>((resolve) => {
      const req = request({ host: emu.host, port: emu.port, path: '/' }, () => resolve(false));
      req.on('error', () => resolve(true));
      req.end();
    });
    expect(refused).toBe(true);
  });
});
