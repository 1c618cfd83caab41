/**
 * `gca-analytics`: the command. bin/gca-analytics.js calls `main(process.argv)`; tests call
 * `main(argv, deps)` in-process with their own streams, environment, directory and clock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { DEFAULT_FACTORIES, type DepsFactories } from '../shared/deps';
import { errorMessage } from '../shared/errors';
import { isCliError, type CliContext, type CliIo } from './context';
import { COMMANDS } from './commands';
import { openCommandDeps, openLocalDeps } from './open';

export { openLocalDeps };

/** Everything main reads from the process, injectable. */
export interface CliDeps extends CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => Date;
  /** How the ports are opened (shared/deps.ts); tests point BigQuery at a local endpoint. */
  factories: DepsFactories;
}

/** Exit status of a usage error (bad option, argument or variable), as most tools use. */
export const EXIT_USAGE = 2;

/** The version in package.json, found from here (cli/ in sources, dist/cli/ when built). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'gca-analytics' && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

function processDeps(): CliDeps {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    factories: DEFAULT_FACTORIES,
  };
}

/** Builds the program with every subcommand registered against `ctx`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('gca-analytics')
    .description(
      'Gemini Code Assist usage and acceptance figures from Cloud Logging exports, on a laptop (DuckDB) or in BigQuery.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  gca-analytics demo               # try it on a generated sample\n' +
        '  gcloud logging read "resource.type=cloudaicompanion.googleapis.com/Instance" \\\n' +
        '    --format=json --freshness=30d > logs.json\n' +
        '  gca-analytics ingest logs.json   # load, dedup, recompute\n' +
        '  gca-analytics report --from 2025-10-01 --html report.html\n' +
        '\nEach command has --help. Data stays in ./gca-analytics.duckdb (see --db), or where\n' +
        'GCA_WAREHOUSE and GCA_STATE say, as for the functions (bigquery, firestore).\n' +
        'Exit status: 0 done, 1 failed (a one-line reason on stderr), 2 usage error.\n',
    )
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    })
    .exitOverride();
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands inherit the output and exit behaviour of the program.
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    });
  }
  return program;
}

/** Errors are reported on one line (DuckDB's messages span several). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs the command line `argv` (node, script, args...) and resolves to the exit code; never
 * calls process.exit.
 */
export async function main(argv: string[], deps: Partial<CliDeps> = {}): Promise<number> {
  const d: CliDeps = { ...processDeps(), ...deps };
  const ctx: CliContext = {
    io: d,
    env: d.env,
    cwd: d.cwd,
    now: d.now,
    out: (text) => void d.stdout.write(`${text}\n`),
    err: (text) => void d.stderr.write(`${text}\n`),
    open: (opts) => openCommandDeps(ctx, opts, d.factories),
    openLocal: (db) => openLocalDeps(db),
    exitCode: 0,
  };
  const program = buildProgram(ctx);
  if (argv.length <= 2) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help, or the version). Its own
      // failures (unknown option or command, missing argument, bad choice) are usage errors.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isCliError(err)) {
      ctx.err(`gca-analytics: ${oneLine(err.message)}`);
      return err.exitCode;
    }
    ctx.err(`gca-analytics: ${oneLine(errorMessage(err))}`);
    return 1;
  }
}
