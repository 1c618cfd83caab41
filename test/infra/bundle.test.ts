import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  bundleFunction,
  packageNameOf,
  writeArtifact,
  type FunctionArtifact,
} from '../../infra/bundle';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = 'test/infra/fixtures/hello.ts';
const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** Runs `script` in a fresh Node process in `dir`, resolving externals from the repo's modules. */
function runNode(dir: string, script: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['-e', script], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), ...env },
    encoding: 'utf8',
  });
}

describe('bundleFunction', () => {
  let tmp: string;
  let artifact: FunctionArtifact;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gca-bundle-'));
    // Bundled once for the whole file: esbuild is fast, but not free.
    artifact = bundleFunction('hello', { rootDir: ROOT, entry: FIXTURE });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps the functions framework external and lists it with the root version', () => {
    expect(artifact.dependencies).toEqual({
      '@google-cloud/functions-framework':
        rootPackage.dependencies['@google-cloud/functions-framework'],
    });
    expect(artifact.code).toContain('require("@google-cloud/functions-framework")');
  });

  it('bundles other packages (zod) into the file', () => {
    expect(artifact.dependencies).not.toHaveProperty('zod');
    expect(artifact.code).not.toContain('require("zod")');
  });

  it('leaves @duckdb/node-api external and out of package.json (local mode only)', () => {
    expect(artifact.code).toContain('require("@duckdb/node-api")');
    expect(artifact.packageJson).not.toContain('duckdb');
  });

  it('writes a package.json whose main is the bundle', () => {
    const pkg = JSON.parse(artifact.packageJson) as { main: string; dependencies: object };
    expect(pkg.main).toBe('index.js');
    expect(pkg.dependencies).toEqual(artifact.dependencies);
  });

  it('is deterministic, and its hash changes with the code', () => {
    const again = bundleFunction('hello', { rootDir: ROOT, entry: FIXTURE });
    expect(again.hash).toBe(artifact.hash);
    expect(again.code).toBe(artifact.code);
    expect(artifact.hash).toMatch(/^[0-9a-f]{16}$/);

    const changedEntry = path.join(tmp, 'changed.ts');
    fs.writeFileSync(
      changedEntry,
      `import ${JSON.stringify(path.join(ROOT, FIXTURE).replace(/\.ts$/, ''))};\nconsole.log('changed');\n`,
    );
    const changed = bundleFunction('hello', { rootDir: ROOT, entry: changedEntry });
    expect(changed.hash).not.toBe(artifact.hash);
  });

  it('loads in Node and registers its target in the framework the runtime uses', () => {
    const dir = path.join(tmp, 'hello');
    writeArtifact(artifact, dir);
    const out = runNode(
      dir,
      `require('./index.js');
       const fn = require('@google-cloud/functions-framework/testing').getFunction('hello');
       fn({ body: { name: 'bundle' } }, { send: (s) => process.stdout.write(s) });`,
    );
    expect(out).toBe('hello bundle');
  });

  it('fails clearly when the bundle needs a package that package.json does not list', () => {
    const entry = path.join(tmp, 'needs-unlisted.ts');
    // functions-framework's own dependency: installed, but not a root dependency.
    fs.writeFileSync(entry, `import '@google-cloud/promisify';\n`);
    expect(() => bundleFunction('bad', { rootDir: ROOT, entry })).toThrow(
      /@google-cloud\/promisify, which package.json does not list/,
    );
  });
});

describe('packageNameOf', () => {
  it.each([
    ['zod', 'zod'],
    ['zod/v4', 'zod'],
    ['@google-cloud/bigquery', '@google-cloud/bigquery'],
    ['@google-cloud/functions-framework/testing', '@google-cloud/functions-framework'],
  ])('%s -> %s', (spec, name) => expect(packageNameOf(spec)).toBe(name));
});

describe('the real function entries', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gca-functions-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each(['ingest', 'recompute', 'retention'])(
    '%s bundles, needs only root dependencies (never DuckDB), loads and registers its target',
    (name) => {
      const artifact = bundleFunction(name, { rootDir: ROOT });
      for (const [pkg, version] of Object.entries(artifact.dependencies)) {
        expect([pkg, rootPackage.dependencies[pkg]]).toEqual([pkg, version]);
      }
      expect(artifact.dependencies).toHaveProperty('@google-cloud/functions-framework');
      expect(artifact.dependencies).not.toHaveProperty('@duckdb/node-api');
      const dir = path.join(tmp, name);
      writeArtifact(artifact, dir);
      const out = runNode(
        dir,
        `require('./index.js');
         const fn = require('@google-cloud/functions-framework/testing').getFunction(${JSON.stringify(name)});
         process.stdout.write(typeof fn);`,
        // The cloud environment the stack sets (infra/pipeline.ts).
        {
          GOOGLE_CLOUD_PROJECT: 'acme-gca-prod',
          GCA_WAREHOUSE: 'bigquery',
          GCA_STATE: 'firestore',
        },
      );
      expect(out).toBe('function');
    },
  );
});
