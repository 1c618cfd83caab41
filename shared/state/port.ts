import { z } from 'zod';

export const RetentionPolicySchema = z.object({
  /** Prompt/response text and payload older than this many days are nulled; rows stay. */
  contentDays: z.number().int().positive(),
  /** Raw rows older than this many days are deleted. */
  eventDays: z.number().int().positive(),
  /** Quarantine rows older than this many days are deleted. */
  quarantineDays: z.number().int().positive(),
  /**
   * Keep the content of interactions saved in a curated dataset (gca_raw.dataset_members) past
   * `contentDays`, as AI Studio keeps logs saved in datasets. Absent means true.
   */
  keepDatasetContent: z.boolean().optional(),
});
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  contentDays: 30,
  eventDays: 400,
  quarantineDays: 30,
};

export const ErasureRequestSchema = z.object({
  id: z.string(),
  userId: z.string(),
  status: z.enum(['pending', 'done']),
  requestedAt: z.string(),
  completedAt: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  /** Rows removed per table, once done. */
  counts: z.record(z.string(), z.number()).nullable(),
  lastError: z.string().nullable(),
});
export type ErasureRequest = z.infer<typeof ErasureRequestSchema>;

export interface Lease {
  name: string;
  holder: string;
  /** ISO time after which another holder may take the lease. */
  expiresAt: string;
}

/**
 * Control state only (never log content): job leases, watermarks, the retention policy and
 * erasure requests. Firestore in the cloud, a local file locally; one contract test suite
 * runs against both.
 */
export interface StateStore {
  /** Takes the lease if free or expired; null when another holder has it. Atomic. */
  acquireLease(name: string, holder: string, ttlMs: number, now?: Date): Promise<Lease | null>;
  /** Releases the lease if this holder still has it; a no-op otherwise. */
  releaseLease(lease: Lease): Promise<void>;
  getWatermark(name: string): Promise<string | null>;
  setWatermark(name: string, value: string): Promise<void>;
  getRetentionPolicy(): Promise<RetentionPolicy | null>;
  setRetentionPolicy(policy: RetentionPolicy): Promise<void>;
  /** Records a pending erasure request; asking twice for a pending user returns the same one. */
  requestErasure(userId: string, now?: Date): Promise<ErasureRequest>;
  listErasureRequests(status?: ErasureRequest['status']): Promise<ErasureRequest[]>;
  updateErasureRequest(request: ErasureRequest): Promise<void>;
  close(): Promise<void>;
}

/** A new pending erasure request; both stores create requests through this. */
export function newErasureRequest(id: string, userId: string, now: Date): ErasureRequest {
  return {
    id,
    userId,
    status: 'pending',
    requestedAt: now.toISOString(),
    completedAt: null,
    attempts: 0,
    counts: null,
    lastError: null,
  };
}
