/** The small helpers commands share for their flags and their last lines. */
import { CliError, wholeNumberFlag } from '../../cli/context';
import { describeRebuild } from '../../cli/recompute-local';
import type { RecomputeResult } from '../../shared/jobs/recompute';

describe('wholeNumberFlag', () => {
  it('reads a whole number of at least the minimum; absent stays undefined', () => {
    expect(wholeNumberFlag('--max', '3', 1)).toBe(3);
    expect(wholeNumberFlag('--samples', '0', 0)).toBe(0);
    expect(wholeNumberFlag('--max', undefined, 1)).toBeUndefined();
  });

  it.each(['0', '2.5', 'ten', ''])('%j for a minimum of 1 is a usage error (exit 2)', (value) => {
    const read = () => wholeNumberFlag('--max', value, 1);
    expect(read).toThrow(CliError);
    expect(read).toThrow(
      `--max must be a whole number of at least 1, not ${JSON.stringify(value)}`,
    );
    try {
      read();
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});

describe('describeRebuild', () => {
  const result: RecomputeResult = {
    status: 'done',
    mode: 'full',
    touchedSuggestions: 3,
    suggestionsRemoved: 1,
    suggestionsWritten: 2,
    daysRebuilt: ['2025-10-08', '2025-10-09'],
    activityRanges: [],
    watermark: null,
  };

  it('describes a run', () => {
    expect(describeRebuild(result, 'gca-analytics recompute')).toBe(
      'Recomputed (full): 3 suggestions looked at, 2 written, 1 replaced; 2 days rebuilt (2025-10-08 .. 2025-10-09).',
    );
  });

  it('names the command to run when another recompute held the lease', () => {
    expect(describeRebuild({ ...result, status: 'locked' }, 'gca-analytics recompute --full')).toBe(
      'Another recompute holds the lease: run `gca-analytics recompute --full` when it is done.',
    );
  });
});
