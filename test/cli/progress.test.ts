import { Readable } from 'node:stream';
import { NO_PROGRESS, PROGRESS_MIN_BYTES, startProgress } from '../../cli/progress';
import type { CliIo } from '../../cli/context';

function io(stdoutIsTTY: boolean, stderrIsTTY: boolean): CliIo {
  const sink = { write: () => true };
  return { stdin: Readable.from([]), stdout: sink, stderr: sink, stdoutIsTTY, stderrIsTTY };
}

describe('startProgress', () => {
  const big = PROGRESS_MIN_BYTES * 4;

  it.each([
    ['stdout piped', io(false, true), false, big],
    ['stderr piped', io(true, false), false, big],
    ['--json', io(true, true), true, big],
    ['a small file', io(true, true), false, 1024],
    // Flags say TTY, but the stream is not a terminal stream: never draw into it.
    ['a stream that is not a terminal', io(true, true), false, big],
  ])('draws nothing for %s', (_name, streams, json, size) => {
    expect(startProgress(streams, 'f.json', size, { json })).toBe(NO_PROGRESS);
  });
});
