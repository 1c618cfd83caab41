import { KeyedQueue, SerialQueue } from '../../shared/keyed-queue';

/** A promise settled from outside. */
function gate<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedQueue', () => {
  it('runs the tasks of one key one at a time, in order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const first = gate();
    const a = queue.run('k', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = queue.run('k', async () => {
      log.push('b start');
      return 'b';
    });
    await tick();
    expect(log).toEqual(['a start']);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('runs different keys concurrently', async () => {
    const queue = new KeyedQueue();
    const held = gate();
    const log: string[] = [];
    const a = queue.run('x', async () => {
      await held.promise;
      log.push('x');
    });
    await queue.run('y', async () => void log.push('y'));
    expect(log).toEqual(['y']);
    held.resolve();
    await a;
    expect(log).toEqual(['y', 'x']);
  });

  it('goes on after a task fails, and the failure reaches only its caller', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('k', async () => {
      throw new Error('boom');
    });
    const next = queue.run('k', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('forgets a key once its queue is empty', async () => {
    const queue = new KeyedQueue();
    await queue.run('k', async () => undefined);
    await queue
      .run('j', async () => {
        throw new Error('x');
      })
      .catch(() => undefined);
    await tick();
    expect(queue.size).toBe(0);
  });
});

describe('SerialQueue', () => {
  it('never overlaps two tasks', async () => {
    const queue = new SerialQueue();
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        queue.run(async () => {
          most = Math.max(most, ++running);
          await tick();
          running--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
