import { execFile, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';
import { StateFileCorruptError, StateLockTimeoutError } from '../../../shared/state/errors';
import { openLocalStateStore } from '../../../shared/state/local';
import { describeStateStoreContract } from './contract';

const run = promisify(execFile);

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'gca-state-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let n = 0;
const freshPath = (): string => join(dir, `case-${++n}`, 'gca.state.json');

describeStateStoreContract('local file', async () => {
  const path = freshPath();
  return {
    open: () => openLocalStateStore(path),
    cleanup: () => fs.rm(join(path, '..'), { recursive: true, force: true }),
  };
});

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('local state store specifics', () => {
  it('persists across opens as validated JSON and leaves no temp or lock files', async () => {
    const path = freshPath();
    const store = await openLocalStateStore(path);
    await store.setWatermark('recompute', 'w1');
    await store.acquireLease('recompute', 'run-a', 1_000, new Date(0));
    await store.close();
    const reopened = await openLocalStateStore(path);
    expect(await reopened.getWatermark('recompute')).toBe('w1');
    const saved = JSON.parse(await fs.readFile(path, 'utf8')) as { version: number };
    expect(saved.version).toBe(1);
    expect(await fs.readdir(join(path, '..'))).toEqual(['gca.state.json']);
  });

  it('refuses a corrupt file at open instead of overwriting it', async () => {
    const path = freshPath();
    await fs.mkdir(join(path, '..'), { recursive: true });
    await fs.writeFile(path, '{"version": 1, "leases": [');
    await expect(openLocalStateStore(path)).rejects.toBeInstanceOf(StateFileCorruptError);
    await fs.writeFile(path, JSON.stringify({ version: 1, leases: {}, watermarks: { a: 1 } }));
    await expect(openLocalStateStore(path)).rejects.toThrow(/watermarks/);
    expect(await fs.readFile(path, 'utf8')).toContain('"a":1');
  });

  it('takes over at once a lock left by a dead process on this host', async () => {
    const path = freshPath();
    const store = await openLocalStateStore(path, { lockStaleMs: 60_000, lockTimeoutMs: 2_000 });
    await fs.writeFile(
      `${path}.lock`,
      JSON.stringify({ token: 't', pid: deadPid(), host: hostname(), createdAt: '' }),
    );
    await store.setWatermark('recompute', 'after-crash');
    expect(await store.getWatermark('recompute')).toBe('after-crash');
    await expect(fs.stat(`${path}.lock`)).rejects.toThrow(/ENOENT/);
  });

  it('takes over an old lock of another host, and waits on a fresh one', async () => {
    const path = freshPath();
    const store = await openLocalStateStore(path, { lockStaleMs: 5_000, lockTimeoutMs: 300 });
    const lockPath = `${path}.lock`;
    const foreign = JSON.stringify({ token: 't', pid: 1, host: 'elsewhere', createdAt: '' });
    await fs.writeFile(lockPath, foreign);
    const err: unknown = await store.setWatermark('recompute', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateLockTimeoutError);
    expect((err as StateLockTimeoutError).code).toBe('STATE_LOCK_TIMEOUT');
    expect(await store.getWatermark('recompute')).toBeNull();

    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockPath, old, old);
    await store.setWatermark('recompute', 'y');
    expect(await store.getWatermark('recompute')).toBe('y');
  });

  describe('across processes', () => {
    let worker: string;
    beforeAll(() => {
      worker = join(dir, 'local-worker.js');
      buildSync({
        entryPoints: [join(__dirname, 'local-worker.ts')],
        bundle: true,
        platform: 'node',
        target: 'node20',
        outfile: worker,
        logLevel: 'error',
      });
    });

    it('grants one lease to one of several processes racing for it', async () => {
      const path = freshPath();
      const outputs = await Promise.all(
        ['p1', 'p2', 'p3', 'p4'].map((id) => run(process.execPath, [worker, path, 'lease', id])),
      );
      const won = outputs.map((o) => (JSON.parse(o.stdout) as { won: boolean }).won);
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('loses no write when processes update the file at the same time', async () => {
      const path = freshPath();
      const outputs = await Promise.all(
        ['p1', 'p2', 'p3'].map((id) => run(process.execPath, [worker, path, 'erasure', id, '15'])),
      );
      const ids = outputs.flatMap((o) => (JSON.parse(o.stdout) as { ids: string[] }).ids);
      const store = await openLocalStateStore(path);
      const stored = await store.listErasureRequests('pending');
      expect(stored).toHaveLength(45);
      expect(new Set(stored.map((r) => r.id))).toEqual(new Set(ids));
    });
  });
});
