import { createHash } from 'node:crypto';
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import {
  ErasureRequestSchema,
  newErasureRequest,
  RetentionPolicySchema,
  type ErasureRequest,
  type Lease,
  type StateStore,
} from './port';
import { ErasureRequestNotFoundError } from './errors';

/** Default root collection; override it to run several deployments or tests in one database. */
export const DEFAULT_STATE_COLLECTION = 'gca_state';

export interface FirestoreStateStoreOptions {
  /** Root collection of every document this store writes; default `gca_state`. */
  collection?: string;
  /**
   * Attempts of one transaction under contention before Firestore's ABORTED error reaches the
   * caller (a transient failure: the job fails and is retried). Default 10, above the SDK's 5,
   * because a lease race between a few runs is expected, not exceptional.
   */
  maxTransactionAttempts?: number;
  /** Terminate the Firestore client on close(); only when the store is its sole user. */
  terminateOnClose?: boolean;
}

const LeaseDocSchema = z.object({ name: z.string(), holder: z.string(), expiresAt: z.string() });
const WatermarkDocSchema = z.object({ name: z.string(), value: z.string() });
const PendingPointerSchema = z.object({ userId: z.string(), requestId: z.string() });

/**
 * Document id for a free-form name: Firestore ids may not contain '/', be '.' or '..', or look
 * like `__x__`; URI-encoding plus escaping dots and a leading underscore covers all of these and
 * stays readable in the console (the real name is also stored in the document).
 */
export function nameToDocId(name: string): string {
  if (name === '') throw new Error('a state name must not be empty');
  return encodeURIComponent(name).replace(/\./g, '%2E').replace(/^_/, '%5F');
}

/** Pending-pointer id of a user: user ids are e-mail addresses, hashed so no id rule applies. */
function userKey(userId: string): string {
  return createHash('sha256').update(userId).digest('hex');
}

/**
 * The Firestore state store. Layout under the root collection `C`:
 * `C/leases/items/{name}`, `C/watermarks/items/{name}`, `C/retention_policy`,
 * `C/erasure/requests/{id}` and `C/erasure/pending/{sha256(userId)}` (the user's open request,
 * which makes "ask twice, get the same request" one transaction). Leases and erasure requests
 * are read-modify-write in transactions; the lease clock is the caller's `now`, not server time,
 * so jobs and tests agree on expiry.
 */
export function createFirestoreStateStore(
  firestore: Firestore,
  opts: FirestoreStateStoreOptions = {},
): StateStore {
  const root = firestore.collection(opts.collection ?? DEFAULT_STATE_COLLECTION);
  const leases = root.doc('leases').collection('items');
  const watermarks = root.doc('watermarks').collection('items');
  const policyDoc = root.doc('retention_policy');
  const requests = root.doc('erasure').collection('requests');
  const pending = root.doc('erasure').collection('pending');
  const txOptions = { maxAttempts: opts.maxTransactionAttempts ?? 10 };

  const parseRequest = (ref: DocumentReference, data: unknown): ErasureRequest => {
    const parsed = ErasureRequestSchema.safeParse(data);
    if (!parsed.success) {
      throw new Error(`erasure request ${ref.path} is malformed: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  };

  return {
    acquireLease(name, holder, ttlMs, now = new Date()) {
      const ref = leases.doc(nameToDocId(name));
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        const current = snap.exists ? LeaseDocSchema.safeParse(snap.data()) : null;
        // The same holder may renew its own lease; another holder waits for expiry. A malformed
        // lease document is treated as free rather than blocking jobs forever.
        if (
          current?.success &&
          current.data.holder !== holder &&
          Date.parse(current.data.expiresAt) > now.getTime()
        ) {
          return null;
        }
        const lease: Lease = {
          name,
          holder,
          expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        };
        tx.set(ref, lease);
        return lease;
      }, txOptions);
    },

    async releaseLease(lease) {
      const ref = leases.doc(nameToDocId(lease.name));
      await firestore.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        const current = snap.exists ? LeaseDocSchema.safeParse(snap.data()) : null;
        if (current?.success && current.data.holder === lease.holder) tx.delete(ref);
      }, txOptions);
    },

    async getWatermark(name) {
      const snap = await watermarks.doc(nameToDocId(name)).get();
      return snap.exists ? WatermarkDocSchema.parse(snap.data()).value : null;
    },

    async setWatermark(name, value) {
      await watermarks.doc(nameToDocId(name)).set({ name, value });
    },

    async getRetentionPolicy() {
      const snap = await policyDoc.get();
      return snap.exists ? RetentionPolicySchema.parse(snap.data()) : null;
    },

    async setRetentionPolicy(policy) {
      await policyDoc.set(RetentionPolicySchema.parse(policy));
    },

    requestErasure(userId, now = new Date()) {
      const pointerRef = pending.doc(userKey(userId));
      return firestore.runTransaction(async (tx) => {
        const pointer = await tx.get(pointerRef);
        if (pointer.exists) {
          const { requestId } = PendingPointerSchema.parse(pointer.data());
          const existingRef = requests.doc(requestId);
          const existing = await tx.get(existingRef);
          if (existing.exists) {
            const request = parseRequest(existingRef, existing.data());
            if (request.status === 'pending') return request;
          }
        }
        const ref = requests.doc();
        const request = newErasureRequest(ref.id, userId, now);
        tx.set(ref, request);
        tx.set(pointerRef, { userId, requestId: ref.id });
        return request;
      }, txOptions);
    },

    async listErasureRequests(status) {
      // Filter on the server, order here: ordering on another field would need a composite index.
      const query = status === undefined ? requests : requests.where('status', '==', status);
      const snap = await query.get();
      return snap.docs
        .map((d) => parseRequest(d.ref, d.data()))
        .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.id.localeCompare(b.id));
    },

    async updateErasureRequest(request) {
      const valid = ErasureRequestSchema.parse(request);
      const ref = requests.doc(valid.id);
      const pointerRef = pending.doc(userKey(valid.userId));
      await firestore.runTransaction(async (tx) => {
        const [snap, pointer] = await tx.getAll(ref, pointerRef);
        if (!snap?.exists) throw new ErasureRequestNotFoundError(valid.id);
        tx.set(ref, valid);
        // A finished request is no longer the user's open one: the next request starts afresh.
        const open = pointer?.exists ? PendingPointerSchema.safeParse(pointer.data()) : null;
        if (valid.status === 'done' && open?.success && open.data.requestId === valid.id) {
          tx.delete(pointerRef);
        }
      }, txOptions);
    },

    async close() {
      if (opts.terminateOnClose) await firestore.terminate();
    },
  };
}
