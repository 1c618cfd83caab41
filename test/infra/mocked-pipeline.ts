/**
 * The program built under Pulumi mocks from a stack's config keys: the prologue every infra test
 * shares. The mocks are installed before any program module loads (the modules must load
 * against the mocked runtime), so those are required here, after `installMocks`.
 */
import * as path from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import type { FunctionArtifact, FunctionName } from '../../infra/bundle';
import type { InfraConfig } from '../../infra/config';
import type { PipelineOutputs } from '../../infra/pipeline';
import { installMocks, settle, stackConfig, valueOf, type Recorded } from './pulumi-mocks';

const ROOT = path.resolve(__dirname, '../..');

export interface MockedPipeline {
  /** Every resource registered (filled in as the program runs: await `deployed` first). */
  recorded: Recorded[];
  config: InfraConfig;
  artifacts: Record<FunctionName, FunctionArtifact>;
  outputs: PipelineOutputs;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded after setMocks, on purpose */
function program(): {
  config: typeof import('../../infra/config');
  pipeline: typeof import('../../infra/pipeline');
  bundle: typeof import('../../infra/bundle');
} {
  return {
    config: require('../../infra/config') as typeof import('../../infra/config'),
    pipeline: require('../../infra/pipeline') as typeof import('../../infra/pipeline'),
    bundle: require('../../infra/bundle') as typeof import('../../infra/bundle'),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * One small fixture bundle standing in for the three functions, for the files that check wiring
 * or settings rather than bundles (bundling the real functions takes seconds).
 */
export function fixtureArtifacts(): Record<FunctionName, FunctionArtifact> {
  const fixture = program().bundle.bundleFunction('hello', {
    rootDir: ROOT,
    entry: 'test/infra/fixtures/hello.ts',
  });
  return {
    ingest: { ...fixture, name: 'ingest' },
    recompute: { ...fixture, name: 'recompute' },
    retention: { ...fixture, name: 'retention' },
  };
}

/**
 * Installs the mocks, then builds the pipeline from `gcp:project`, `gcp:region` and `keys`
 * (full keys, values as Pulumi stores them), with the real function bundles or the fixture.
 */
export function mockPipeline(
  keys: Record<string, string> = {},
  options: { artifacts?: 'real' | 'fixture'; aliasUrns?: boolean } = {},
): MockedPipeline {
  const recorded = installMocks({ aliasUrns: options.aliasUrns ?? false });
  const { config: configModule, pipeline } = program();
  const config = configModule.parseInfraConfig(stackConfig(keys));
  const artifacts =
    options.artifacts === 'real' ? pipeline.buildFunctionArtifacts(ROOT) : fixtureArtifacts();
  return { recorded, config, artifacts, outputs: pipeline.createPipeline(config, artifacts) };
}

/** Resolves once the program's outputs are known and no resource is being registered any more. */
export async function deployed(
  recorded: readonly Recorded[],
  outputs: { functionUrls: pulumi.Output<unknown> },
): Promise<void> {
  await valueOf(outputs.functionUrls);
  await settle(recorded);
}
