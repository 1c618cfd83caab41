import {
  DEFAULT_RETENTION_POLICY,
  type ErasureRequest,
  type RetentionPolicy,
  type StateStore,
} from '../../../shared/state/port';

/** An isolated piece of state (a fresh file, a fresh Firestore collection). */
export interface StateStoreFixture {
  /** Opens a new handle onto this fixture's state; two handles act like two processes. */
  open(): Promise<StateStore>;
  cleanup(): Promise<void>;
}

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

/**
 * The StateStore contract, run against every implementation (local file, Firestore emulator):
 * `describeStateStoreContract('local', () => makeFixture())`.
 */
export function describeStateStoreContract(
  name: string,
  makeFixture: () => Promise<StateStoreFixture>,
): void {
  describe(`StateStore contract: ${name}`, () => {
    let fixture: StateStoreFixture;
    let store: StateStore;
    const extra: StateStore[] = [];

    const another = async (): Promise<StateStore> => {
      const s = await fixture.open();
      extra.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      store = await fixture.open();
    });

    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
      await fixture.cleanup();
    });

    describe('leases', () => {
      it('grants a free lease with an expiry of now + ttl', async () => {
        const lease = await store.acquireLease('recompute', 'run-a', 60_000, T0);
        expect(lease).toEqual({
          name: 'recompute',
          holder: 'run-a',
          expiresAt: '2026-01-01T00:01:00.000Z',
        });
      });

      it('refuses a held lease to another holder until it expires, then grants it', async () => {
        await store.acquireLease('recompute', 'run-a', 1_000, T0);
        expect(await store.acquireLease('recompute', 'run-b', 1_000, at(999))).toBeNull();
        const taken = await store.acquireLease('recompute', 'run-b', 1_000, at(1_001));
        expect(taken).toEqual({
          name: 'recompute',
          holder: 'run-b',
          expiresAt: at(2_001).toISOString(),
        });
        // The new holder now blocks the old one.
        expect(await store.acquireLease('recompute', 'run-a', 1_000, at(1_500))).toBeNull();
      });

      it('lets the holder renew its own lease', async () => {
        await store.acquireLease('recompute', 'run-a', 1_000, T0);
        const renewed = await store.acquireLease('recompute', 'run-a', 5_000, at(500));
        expect(renewed?.expiresAt).toBe(at(5_500).toISOString());
        expect(await store.acquireLease('recompute', 'run-b', 1_000, at(2_000))).toBeNull();
      });

      it('grants exactly one of two concurrent acquisitions from two handles', async () => {
        const other = await another();
        const results = await Promise.all([
          store.acquireLease('recompute', 'run-a', 60_000, T0),
          other.acquireLease('recompute', 'run-b', 60_000, T0),
        ]);
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        // Whoever won is the one stored: the loser still cannot take it.
        const loser = winners[0]?.holder === 'run-a' ? 'run-b' : 'run-a';
        expect(await store.acquireLease('recompute', loser, 60_000, at(1))).toBeNull();
      });

      it('grants exactly one of many concurrent acquisitions', async () => {
        const handles = [store, await another(), await another()];
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            handles[i % handles.length]!.acquireLease('retention', `run-${i}`, 60_000, T0),
          ),
        );
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      it('releases only for the holder', async () => {
        const lease = await store.acquireLease('recompute', 'run-a', 60_000, T0);
        expect(lease).not.toBeNull();
        await store.releaseLease({ ...lease!, holder: 'run-b' });
        expect(await store.acquireLease('recompute', 'run-b', 60_000, at(1))).toBeNull();
        await store.releaseLease(lease!);
        expect(await store.acquireLease('recompute', 'run-b', 60_000, at(2))).not.toBeNull();
      });

      it('does not let a holder whose lease expired release its successor', async () => {
        const old = await store.acquireLease('recompute', 'run-a', 1_000, T0);
        const successor = await store.acquireLease('recompute', 'run-b', 60_000, at(2_000));
        expect(successor).not.toBeNull();
        await store.releaseLease(old!);
        expect(await store.acquireLease('recompute', 'run-c', 60_000, at(3_000))).toBeNull();
      });

      it('keeps leases of different names apart, names with slashes included', async () => {
        expect(await store.acquireLease('recompute/full', 'run-a', 60_000, T0)).not.toBeNull();
        expect(await store.acquireLease('recompute', 'run-b', 60_000, T0)).not.toBeNull();
        expect(await store.acquireLease('recompute/full', 'run-b', 60_000, T0)).toBeNull();
      });

      it('treats releasing a lease that was never taken as a no-op', async () => {
        await expect(
          store.releaseLease({ name: 'nothing', holder: 'x', expiresAt: T0.toISOString() }),
        ).resolves.toBeUndefined();
      });
    });

    describe('watermarks', () => {
      it('is null until set, then returns the last value, per name', async () => {
        expect(await store.getWatermark('recompute')).toBeNull();
        await store.setWatermark('recompute', '2026-01-01T00:00:00.000001Z');
        await store.setWatermark('recompute', '2026-01-02T00:00:00.000002Z');
        await store.setWatermark('retention/content', '2025-12-01T00:00:00.000000Z');
        expect(await store.getWatermark('recompute')).toBe('2026-01-02T00:00:00.000002Z');
        expect(await store.getWatermark('retention/content')).toBe('2025-12-01T00:00:00.000000Z');
      });

      it('is visible from another handle', async () => {
        await store.setWatermark('recompute', 'w1');
        expect(await (await another()).getWatermark('recompute')).toBe('w1');
      });
    });

    describe('retention policy', () => {
      it('is null until set, then round-trips', async () => {
        expect(await store.getRetentionPolicy()).toBeNull();
        await store.setRetentionPolicy(DEFAULT_RETENTION_POLICY);
        const policy: RetentionPolicy = { contentDays: 7, eventDays: 90, quarantineDays: 14 };
        await store.setRetentionPolicy(policy);
        expect(await store.getRetentionPolicy()).toEqual(policy);
        expect(await (await another()).getRetentionPolicy()).toEqual(policy);
      });

      it('rejects an invalid policy and keeps the stored one', async () => {
        await store.setRetentionPolicy(DEFAULT_RETENTION_POLICY);
        await expect(
          store.setRetentionPolicy({ contentDays: 0, eventDays: 1, quarantineDays: 1 }),
        ).rejects.toThrow();
        expect(await store.getRetentionPolicy()).toEqual(DEFAULT_RETENTION_POLICY);
      });
    });

    describe('erasure requests', () => {
      it('records a pending request', async () => {
        const req = await store.requestErasure('alice@example.com', T0);
        expect(req).toEqual({
          id: expect.any(String),
          userId: 'alice@example.com',
          status: 'pending',
          requestedAt: T0.toISOString(),
          completedAt: null,
          attempts: 0,
          counts: null,
          lastError: null,
        });
        expect(await store.listErasureRequests()).toEqual([req]);
      });

      it('returns the same request when asked twice for a pending user', async () => {
        const first = await store.requestErasure('alice@example.com', T0);
        const second = await store.requestErasure('alice@example.com', at(1_000));
        expect(second).toEqual(first);
        expect(await store.listErasureRequests('pending')).toHaveLength(1);
      });

      it('returns the same request to concurrent callers', async () => {
        const other = await another();
        const [a, b, c] = await Promise.all([
          store.requestErasure('bob@example.com', T0),
          other.requestErasure('bob@example.com', T0),
          store.requestErasure('bob@example.com', T0),
        ]);
        expect(b!.id).toBe(a!.id);
        expect(c!.id).toBe(a!.id);
        expect(await store.listErasureRequests()).toHaveLength(1);
      });

      it('updates a request and opens a new one for the user once it is done', async () => {
        const first = await store.requestErasure('alice@example.com', T0);
        const failed: ErasureRequest = { ...first, attempts: 1, lastError: 'timeout' };
        await store.updateErasureRequest(failed);
        expect(await store.listErasureRequests('pending')).toEqual([failed]);

        const done: ErasureRequest = {
          ...failed,
          status: 'done',
          attempts: 2,
          completedAt: at(60_000).toISOString(),
          counts: { 'gca_raw.requests': 3, 'gca_raw.metadata_events': 0 },
          lastError: null,
        };
        await store.updateErasureRequest(done);
        expect(await store.listErasureRequests('pending')).toEqual([]);
        expect(await store.listErasureRequests('done')).toEqual([done]);

        const again = await store.requestErasure('alice@example.com', at(120_000));
        expect(again.id).not.toBe(first.id);
        expect(again.status).toBe('pending');
        expect(await store.listErasureRequests()).toEqual([done, again]);
      });

      it('lists by status in request order and keeps users apart', async () => {
        const b = await store.requestErasure('bob@example.com', at(2_000));
        const a = await store.requestErasure('alice@example.com', at(1_000));
        expect(await store.listErasureRequests()).toEqual([a, b]);
        expect(await store.listErasureRequests('done')).toEqual([]);
      });

      it('refuses to update an unknown request or an invalid one', async () => {
        const req = await store.requestErasure('alice@example.com', T0);
        await expect(store.updateErasureRequest({ ...req, id: 'no-such-id' })).rejects.toThrow(
          /no-such-id/,
        );
        await expect(store.updateErasureRequest({ ...req, attempts: -1 })).rejects.toThrow();
        expect(await store.listErasureRequests()).toEqual([req]);
      });
    });
  });
}
