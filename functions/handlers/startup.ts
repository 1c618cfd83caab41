/** Start-up of an entry point: the configuration, parsed once at the process edge. */
import { ConfigError, parseConfig, type Config } from '../../shared/config';

/**
 * Parses the environment for target `name`. A bad value is logged as one structured ERROR line
 * (Cloud Logging shows it as such) and rethrown, so functions-framework refuses to start.
 */
export function startupConfig(
  name: string,
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): Config {
  try {
    return parseConfig(env);
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
