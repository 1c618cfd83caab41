/**
 * Builds the deployable source of each function: one esbuild bundle of `functions/<name>.ts` and a
 * minimal package.json, named by a hash of both so that a code change uploads a new object and so
 * redeploys the function, and an unchanged build changes nothing.
 */
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, type Metafile } from 'esbuild';

// Name lists here and elsewhere (e.g. shared/datasets/export.ts's formats) share the shape of
// TypeScript's idiom, an `as const` tuple and its union type: nothing to factor out.
export const FUNCTION_NAMES = ['ingest', 'recompute', 'retention'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * Packages left out of the bundle and installed by the Cloud Functions build instead:
 * - `@google-cloud/functions-framework`: the runtime starts its own copy and looks the target up
 *   in that copy's registry, so the code must register through the very same module.
 * - the other Google client libraries: google-gax and protobufjs read `.proto`/`.json` files
 *   relative to `__dirname` at run time, which a bundle would not carry.
 * - `google-auth-library` (the BigQuery adapter's no-credentials client for an emulator): the
 *   Google clients load it anyway; bundling a second copy would add ~750 KB to every function.
 * - `express`: functions-framework's own web framework; functions/handlers/framework-errors.ts
 *   sets its final error handler, which must be the one of the copy the framework runs.
 * - `@duckdb/node-api`: native, loaded lazily in local mode only, so it is left out entirely.
 */
export const EXTERNAL_PACKAGES = [
  '@google-cloud/*',
  'google-auth-library',
  'express',
  '@duckdb/node-api',
] as const;

/** Packages required lazily by local mode only: never installed in the cloud. */
export const LOCAL_ONLY_PACKAGES: readonly string[] = ['@duckdb/node-api'];

/** One function's deployable source. */
export interface FunctionArtifact {
  name: string;
  /** The CommonJS bundle (`index.js`). */
  code: string;
  /** `package.json` with `main` and the external dependencies. */
  packageJson: string;
  /** Hex SHA-256 of code and package.json, first 16 characters. */
  hash: string;
  /** External packages the runtime installs, name -> version. */
  dependencies: Record<string, string>;
}

export interface BundleOptions {
  /** Repository root: holds package.json and `functions/`. */
  rootDir: string;
  /** Entry file, relative to rootDir; default `functions/<name>.ts`. */
  entry?: string;
  /** Node.js major the bundle targets; matches the functions' runtime. */
  nodeMajor?: number;
}

const BUILTINS = new Set(builtinModules);

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(packageNameOf(specifier));
}

/** External, non-builtin, non-local-only packages the bundle imports. */
export function externalPackagesOf(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const imp of input.imports) {
      if (imp.external && !isBuiltin(imp.path)) names.add(packageNameOf(imp.path));
    }
  }
  return [...names].filter((n) => !LOCAL_ONLY_PACKAGES.includes(n)).sort();
}

function rootDependencies(rootDir: string): Record<string, string> {
  const text = fs.readFileSync(path.join(rootDir, 'package.json'), 'utf8');
  const parsed = JSON.parse(text) as { dependencies?: Record<string, string> };
  return parsed.dependencies ?? {};
}

/**
 * Bundles one function. Throws when the bundle needs a package that the root package.json does
 * not list as a dependency: the cloud build could not install it.
 */
export function bundleFunction(name: string, options: BundleOptions): FunctionArtifact {
  const nodeMajor = options.nodeMajor ?? 20;
  const entry = path.resolve(options.rootDir, options.entry ?? `functions/${name}.ts`);
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: `node${nodeMajor}`,
    format: 'cjs',
    external: [...EXTERNAL_PACKAGES],
    metafile: true,
    write: false,
    minify: false,
    // No sourcemap, no banner with a path or a time: the same source gives the same bytes.
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: options.rootDir,
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no output for ${entry}`);
  const available = rootDependencies(options.rootDir);
  const dependencies: Record<string, string> = {};
  for (const pkg of externalPackagesOf(result.metafile)) {
    const version = available[pkg];
    if (!version) {
      throw new Error(`${name}: the bundle needs ${pkg}, which package.json does not list`);
    }
    dependencies[pkg] = version;
  }
  const packageJson = `${JSON.stringify(
    {
      name: `gca-analytics-${name}`,
      private: true,
      main: 'index.js',
      engines: { node: `>=${nodeMajor}` },
      dependencies,
    },
    null,
    2,
  )}\n`;
  const hash = createHash('sha256')
    .update(out.text)
    .update('\0')
    .update(packageJson)
    .digest('hex')
    .slice(0, 16);
  return { name, code: out.text, packageJson, hash, dependencies };
}

/** Writes an artifact's files into `dir` (for checks that load the bundle with Node). */
export function writeArtifact(artifact: FunctionArtifact, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.js'), artifact.code);
  fs.writeFileSync(path.join(dir, 'package.json'), artifact.packageJson);
}
