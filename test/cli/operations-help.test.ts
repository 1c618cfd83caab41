/**
 * The operating commands' --help and docs/operations.md agree: each names the runbook section
 * that exists there, and every option the runbook gives a command is one its --help lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli';

const RUNBOOK = readFileSync(join(__dirname, '../../docs/operations.md'), 'utf8');

const COMMANDS: [string[], string][] = [
  [['backfill'], 'First deploy and backfill'],
  [['dead-letters', 'list'], 'Replaying dead letters'],
  [['dead-letters', 'replay'], 'Replaying dead letters'],
  [['quarantine', 'list'], 'Reprocessing the quarantine'],
  [['quarantine', 'reprocess'], 'Reprocessing the quarantine'],
];

it.each(COMMANDS)(
  '%j --help points at its runbook section and lists the options it uses',
  async (cmd, section) => {
    const run = await runCli([...cmd, '--help'], { cwd: __dirname });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`docs/operations.md ("${section}")`);
    expect(RUNBOOK).toMatch(new RegExp(`^## \\d\\. ${section}$`, 'm'));
    // Options the runbook uses with this command (in its `gca-analytics CMD ...` lines).
    const lines = RUNBOOK.split('\n').filter((l) => l.includes(`gca-analytics ${cmd.join(' ')}`));
    expect(lines.length).toBeGreaterThan(0);
    const used = new Set(lines.flatMap((l) => l.split('#')[0]?.match(/--[a-z-]+/g) ?? []));
    for (const option of used) expect(run.stdout).toContain(option);
  },
);
