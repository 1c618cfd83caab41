/**
 * The Pulumi program (Pulumi.yaml `main`): validate the stack config before anything else, build
 * the function bundles, compose the pipeline (`pipeline.ts`) and export the stack outputs.
 */
import { loadInfraConfig } from './config';
import { buildFunctionArtifacts, createPipeline } from './pipeline';

const outputs = createPipeline(loadInfraConfig(), buildFunctionArtifacts());

export const rawDatasetId = outputs.rawDatasetId;
export const analyticsDatasetId = outputs.analyticsDatasetId;
export const topic = outputs.topic;
export const deadLetterSubscription = outputs.deadLetterSubscription;
export const functionUrls = outputs.functionUrls;
export const sinkWriterIdentity = outputs.sinkWriterIdentity;
export const firestoreDatabase = outputs.firestoreDatabase;
