/** Start-up of an entry point: the configuration, parsed once at the process edge. */
import { ConfigError, parseConfig, type Config } from '../../shared/config';
import { parseGroupCommitEnv, type GroupCommitLimits } from '../../shared/pipeline/group-commit';

/**
 * Parses the environment for target `name`. A bad value is logged as one structured ERROR line
 * (Cloud Logging shows it as such) and rethrown, so functions-framework refuses to start.
 */
export function startupConfig(
  name: string,
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): Config {
  return startupParse(name, parseConfig, env, write);
}

/** The group commit limits of `ingest` (GCA_INGEST_FLUSH_*), failing start-up as above. */
export function startupGroupCommit(
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): GroupCommitLimits {
  return startupParse('ingest', parseGroupCommitEnv, env, write);
}

function startupParse<T>(
  name: string,
  parse: (env: Record<string, string | undefined>) => T,
  env: Record<string, string | undefined>,
  write: (line: string) => void,
): T {
  try {
    return parse(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      write(
        JSON.stringify({
          severity: 'ERROR',
          message: `${name}: ${err.message}`,
          component: name,
          issues: err.issues,
        }),
      );
    }
    throw err;
  }
}
