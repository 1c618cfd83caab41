/**
 * Child processes for the benchmarks, so each measured run has its own heap, peak RSS and CPU
 * time: a `node -e SCRIPT` whose script writes `GCA_MAXRSS_KB=` and `GCA_CPU_US=` lines to
 * stderr when done (see CLI_SCRIPT). CPU time (user + system, all threads) is the steadier
 * figure on a shared machine: wall time also counts what other processes took from the cores.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface ChildRun {
  seconds: number;
  /** User + system CPU time of the process (all its threads). */
  cpuSeconds: number;
  peakRssBytes: number;
  stdout: string;
}

/** The lines a child script writes last, on stderr, for runNode to read. */
export const USAGE_LINES = `
  const usage = process.resourceUsage();
  process.stderr.write('\\nGCA_MAXRSS_KB=' + usage.maxRSS + '\\n');
  process.stderr.write('GCA_CPU_US=' + (usage.userCPUTime + usage.systemCPUTime) + '\\n');`;

/** Runs the built command's main (path in GCA_BENCH_MAIN) with the child's arguments. */
export const CLI_SCRIPT = `
const { main } = require(process.env.GCA_BENCH_MAIN);
main(['node', 'gca-analytics', ...process.argv.slice(1)]).then((code) => {${USAGE_LINES}
  process.exitCode = code;
});
`;

/** Runs `node -e script ...args` and reads its time, CPU time and peak RSS. */
export function runNode(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rss = /GCA_MAXRSS_KB=(\d+)/.exec(stderr);
      const cpu = /GCA_CPU_US=(\d+)/.exec(stderr);
      if (code !== 0 || !rss || !cpu) {
        reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.trim().slice(-500)}`));
        return;
      }
      resolve({
        seconds,
        cpuSeconds: Number(cpu[1]) / 1e6,
        peakRssBytes: Number(rss[1]) * 1024,
        stdout,
      });
    });
  });
}

/** Runs the built command (`mainJs`: dist/cli/main.js) with `args` in a child process. */
export function runCli(mainJs: string, args: string[]): Promise<ChildRun> {
  return runNode(CLI_SCRIPT, args, { GCA_BENCH_MAIN: mainJs });
}

/** The repository root: the nearest ancestor holding package.json (from bench/ or dist/bench/). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('bench: cannot find the repository root');
    dir = parent;
  }
  return dir;
}
