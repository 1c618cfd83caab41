import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import {
  ErasureRequestSchema,
  newErasureRequest,
  RetentionPolicySchema,
  type ErasureRequest,
  type Lease,
  type RetentionPolicy,
  type StateStore,
} from './port';
import {
  ErasureRequestNotFoundError,
  StateFileCorruptError,
  StateLockTimeoutError,
} from './errors';
import { KeyedQueue } from '../keyed-queue';

const LeaseSchema = z.object({
  name: z.string(),
  holder: z.string(),
  expiresAt: z.string(),
});

/** The whole local state file. `version` lets a later layout migrate instead of misreading. */
export const LocalStateSchema = z.object({
  version: z.literal(1),
  leases: z.record(z.string(), LeaseSchema),
  watermarks: z.record(z.string(), z.string()),
  retentionPolicy: RetentionPolicySchema.nullable(),
  erasureRequests: z.array(ErasureRequestSchema),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

const LockInfoSchema = z.object({
  token: z.string(),
  pid: z.number().int(),
  host: z.string(),
  createdAt: z.string(),
});
type LockInfo = z.infer<typeof LockInfoSchema>;

export interface LocalStateStoreOptions {
  /**
   * A lock older than this is taken over. A holder keeps the lock only for one read-modify-write
   * (milliseconds), so 10 s means its process died or hung; a lock whose process on this host is
   * gone is taken over at once.
   */
  lockStaleMs?: number;
  /** How long to wait for the lock before failing with StateLockTimeoutError. */
  lockTimeoutMs?: number;
}

const DEFAULT_LOCK_STALE_MS = 10_000;
const DEFAULT_LOCK_TIMEOUT_MS = 15_000;

function emptyState(): LocalState {
  return { version: 1, leases: {}, watermarks: {}, retentionPolicy: null, erasureRequests: [] };
}

function isErrno(err: unknown, code: string): boolean {
  // Structural, not instanceof: errors from another realm (jest's VM) are still errno errors.
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when a process with this pid exists on this host (EPERM: exists, not ours). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

async function readState(path: string): Promise<LocalState> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return emptyState();
    throw err;
  }
  // A file created by hand (touch) is treated as empty; writes below are atomic, so a half
  // written file cannot come from this module.
  if (text.trim() === '') return emptyState();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StateFileCorruptError(path, String(err));
  }
  const parsed = LocalStateSchema.safeParse(json);
  if (!parsed.success) throw new StateFileCorruptError(path, z.prettifyError(parsed.error));
  return parsed.data;
}

/** Temp file in the same directory + fsync + rename: readers see the old or the new file. */
async function writeStateAtomic(path: string, state: LocalState): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

async function readLockInfo(lockPath: string): Promise<LockInfo | null> {
  try {
    const parsed = LockInfoSchema.safeParse(JSON.parse(await fs.readFile(lockPath, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    // Missing, or caught between the holder's open and write: no information.
    return null;
  }
}

/**
 * An exclusive lock file (`O_CREAT|O_EXCL`) beside the state file, so the CLI and local
 * functions-framework processes never interleave read-modify-write cycles.
 */
class FileLock {
  constructor(
    private readonly lockPath: string,
    private readonly staleMs: number,
    private readonly timeoutMs: number,
  ) {}

  async acquire(): Promise<string> {
    const started = Date.now();
    let delay = 2;
    for (;;) {
      const token = randomUUID();
      const info: LockInfo = {
        token,
        pid: process.pid,
        host: hostname(),
        createdAt: new Date().toISOString(),
      };
      try {
        await fs.writeFile(this.lockPath, JSON.stringify(info), { flag: 'wx' });
        return token;
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
      }
      if (await this.removeIfStale()) continue;
      const waited = Date.now() - started;
      if (waited >= this.timeoutMs) throw new StateLockTimeoutError(this.lockPath, waited);
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  async release(token: string): Promise<void> {
    // Only remove our own lock: if we were declared stale, the file may now be someone else's.
    const info = await readLockInfo(this.lockPath);
    if (info?.token === token) await fs.rm(this.lockPath, { force: true });
  }

  /** Takes over a dead holder's lock; true when the caller should retry at once. */
  private async removeIfStale(): Promise<boolean> {
    let stat;
    try {
      stat = await fs.stat(this.lockPath);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return true;
      throw err;
    }
    const info = await readLockInfo(this.lockPath);
    const deadHolder = info !== null && info.host === hostname() && !isProcessAlive(info.pid);
    const tooOld = Date.now() - stat.mtimeMs > this.staleMs;
    if (!deadHolder && !tooOld) return false;
    // Move the stale lock aside under a unique name (atomic), then check it is the file we judged:
    // if a live process re-created the lock in between, we moved its lock and put it back.
    const aside = `${this.lockPath}.stale-${randomUUID()}`;
    try {
      await fs.rename(this.lockPath, aside);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return true;
      throw err;
    }
    const movedStat = await fs.stat(aside);
    if (movedStat.ino !== stat.ino) {
      await fs.link(aside, this.lockPath).catch(() => undefined);
    }
    await fs.rm(aside, { force: true });
    return true;
  }
}

/** Serializes this process's own cycles per file, so they do not spin on the lock file. */
const inProcessQueue = new KeyedQueue();

/**
 * Opens (or creates on first write) the local state store: one JSON file, validated with zod on
 * every read, replaced atomically on every write, and guarded by `<path>.lock` around each
 * read-modify-write so several processes can share it. Reads take no lock.
 */
export async function openLocalStateStore(
  path: string,
  options: LocalStateStoreOptions = {},
): Promise<StateStore> {
  const file = resolve(path);
  await fs.mkdir(dirname(file), { recursive: true });
  // Fail at open, not at the first job, on a file that is not ours.
  await readState(file);
  const lock = new FileLock(
    `${file}.lock`,
    options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS,
    options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  );
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new Error(`local state store ${file} is closed`);
  };

  /** Runs `change` on the current state under the lock; writes only if it asks to. */
  const update = <T>(change: (state: LocalState) => { result: T; write: boolean }): Promise<T> => {
    ensureOpen();
    return inProcessQueue.run(file, async () => {
      const token = await lock.acquire();
      try {
        const state = await readState(file);
        const { result, write } = change(state);
        if (write) await writeStateAtomic(file, LocalStateSchema.parse(state));
        return result;
      } finally {
        await lock.release(token);
      }
    });
  };

  const read = async (): Promise<LocalState> => {
    ensureOpen();
    return readState(file);
  };

  return {
    acquireLease(name, holder, ttlMs, now = new Date()) {
      return update<Lease | null>((state) => {
        const current = state.leases[name];
        // The same holder may renew its own lease; another holder waits for expiry.
        if (current && current.holder !== holder && Date.parse(current.expiresAt) > now.getTime()) {
          return { result: null, write: false };
        }
        const lease: Lease = {
          name,
          holder,
          expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        };
        state.leases[name] = lease;
        return { result: { ...lease }, write: true };
      });
    },

    releaseLease(lease) {
      return update<void>((state) => {
        const current = state.leases[lease.name];
        if (!current || current.holder !== lease.holder) return { result: undefined, write: false };
        delete state.leases[lease.name];
        return { result: undefined, write: true };
      });
    },

    async getWatermark(name) {
      return (await read()).watermarks[name] ?? null;
    },

    setWatermark(name, value) {
      return update<void>((state) => {
        state.watermarks[name] = value;
        return { result: undefined, write: true };
      });
    },

    async getRetentionPolicy() {
      return (await read()).retentionPolicy;
    },

    async setRetentionPolicy(policy: RetentionPolicy) {
      const valid = RetentionPolicySchema.parse(policy);
      return update<void>((state) => {
        state.retentionPolicy = valid;
        return { result: undefined, write: true };
      });
    },

    requestErasure(userId, now = new Date()) {
      return update<ErasureRequest>((state) => {
        const pending = state.erasureRequests.find(
          (r) => r.userId === userId && r.status === 'pending',
        );
        if (pending) return { result: { ...pending }, write: false };
        const request = newErasureRequest(randomUUID(), userId, now);
        state.erasureRequests.push(request);
        return { result: { ...request }, write: true };
      });
    },

    async listErasureRequests(status) {
      return (await read()).erasureRequests
        .filter((r) => status === undefined || r.status === status)
        .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.id.localeCompare(b.id));
    },

    async updateErasureRequest(request) {
      const valid = ErasureRequestSchema.parse(request);
      return update<void>((state) => {
        const index = state.erasureRequests.findIndex((r) => r.id === valid.id);
        if (index < 0) throw new ErasureRequestNotFoundError(valid.id);
        state.erasureRequests[index] = valid;
        return { result: undefined, write: true };
      });
    },

    async close() {
      closed = true;
    },
  };
}
