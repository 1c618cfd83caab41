/**
 * A progress bar for long reads, only where a person is watching: stderr and stdout both
 * terminals (so nothing is drawn into a pipe or a file), and never with --json.
 */
import { WriteStream } from 'node:tty';
import { SingleBar } from 'cli-progress';
import type { CliIo } from './context';

/** Files smaller than this finish before a bar would be worth drawing. */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

export interface Progress {
  update(bytesRead: number, totalBytes: number): void;
  stop(): void;
}

/** Draws nothing. */
export const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

/** A byte-based bar for `label`, or a no-op when output is not an interactive terminal. */
export function startProgress(
  io: CliIo,
  label: string,
  totalBytes: number,
  opts: { json: boolean },
): Progress {
  const stream = io.stderr;
  if (opts.json || !io.stdoutIsTTY || !io.stderrIsTTY || totalBytes < PROGRESS_MIN_BYTES) {
    return NO_PROGRESS;
  }
  // cli-progress moves the cursor: only a real terminal stream will do.
  if (!(stream instanceof WriteStream)) return NO_PROGRESS;
  const mib = (n: number) => (n / 1048576).toFixed(0);
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {done}/{size} MiB | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  bar.start(totalBytes, 0, { done: '0', size: mib(totalBytes) });
  return {
    update: (read) => bar.update(read, { done: mib(read) }),
    stop: () => bar.stop(),
  };
}
