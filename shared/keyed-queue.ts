/**
 * Runs tasks one after another per key, in the order they were queued: a task starts when every
 * earlier task on its key has settled (fulfilled or rejected), and tasks on different keys run
 * concurrently. The one helper behind "one operation at a time" in this codebase: a DuckDB
 * connection, the invocations using a DuckDB file in a function process, the read-modify-write
 * cycles on a local state file. A key is forgotten once nothing is queued on it, so memory is
 * bounded by the keys in use, not by the keys ever seen.
 */
export class KeyedQueue<K = string> {
  /** The tail of each key's queue: settles when its last task has. */
  private readonly tails = new Map<K, Promise<void>>();

  /** Runs `task` after every earlier task on `key`; resolves or rejects as `task` does. */
  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Keys with a task running or queued (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}

/** A queue with a single key: tasks run one at a time, in order. */
export class SerialQueue {
  private readonly queue = new KeyedQueue<0>();

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(0, task);
  }
}
