/**
 * Builders of what Pub/Sub sends to `ingest` (push body, structured and binary CloudEvents) and
 * temp local-mode environments for the functions tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../shared/config';
import { createDeps } from '../../shared/deps';
import { buildReport } from '../../shared/metrics/report';
import type { NormalizeContext } from '../../shared/normalize/outcome';
import { ingestRecords } from '../../shared/pipeline/ingest';
import type { Report } from '../../shared/metrics/report-schema';
import { openDuckDbWarehouse } from '../../shared/warehouse/duckdb';
import { entryText } from '../helpers/entries';

export const SUBSCRIPTION = 'projects/gca-test/subscriptions/gca-logs-push';
export const TOPIC = 'projects/gca-test/topics/gca-logs';
export const PUBLISH_TIME = '2025-10-08T10:09:53.123Z';

/** A Pub/Sub message carrying `text` (base64), as push and CloudEvents carry it. */
export function pubsubMessage(text: string, messageId: string): Record<string, unknown> {
  return {
    data: Buffer.from(text, 'utf8').toString('base64'),
    attributes: { 'logging.googleapis.com/timestamp': '2025-10-08T10:09:52.225165428Z' },
    messageId,
    message_id: messageId,
    publishTime: PUBLISH_TIME,
    publish_time: PUBLISH_TIME,
  };
}

/** The body of a push request, exactly as a push subscription POSTs it. */
export function pushBody(text: string, messageId: string): Record<string, unknown> {
  return { message: pubsubMessage(text, messageId), subscription: SUBSCRIPTION };
}

/** A structured-mode Pub/Sub CloudEvent (`Content-Type: application/cloudevents+json`). */
export function structuredCloudEvent(text: string, messageId: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: messageId,
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: `//pubsub.googleapis.com/${TOPIC}`,
    time: PUBLISH_TIME,
    datacontenttype: 'application/json',
    data: pushBody(text, messageId),
  };
}

/** The `ce-*` headers of a binary-mode Pub/Sub CloudEvent (the body is the push body). */
export function binaryCloudEventHeaders(messageId: string): Record<string, string> {
  return {
    'ce-specversion': '1.0',
    'ce-id': messageId,
    'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
    'ce-source': `//pubsub.googleapis.com/${TOPIC}`,
    'ce-time': PUBLISH_TIME,
  };
}

/** A temp directory with a DuckDB file and a state file, and its local-mode environment. */
export interface LocalSetup {
  dir: string;
  dbPath: string;
  statePath: string;
  env: Record<string, string>;
  config: Config;
  cleanup(): void;
}

export function makeLocalSetup(extraEnv: Record<string, string> = {}): LocalSetup {
  const dir = mkdtempSync(join(tmpdir(), 'gca-functions-'));
  const dbPath = join(dir, 'gca.duckdb');
  const statePath = join(dir, 'gca.state.json');
  const env = {
    GCA_WAREHOUSE: `duckdb:${dbPath}`,
    GCA_STATE: `local:${statePath}`,
    GCA_LOG_LEVEL: 'WARNING',
    ...extraEnv,
  };
  return {
    dir,
    dbPath,
    statePath,
    env,
    config: parseConfig(env),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The report over a setup's warehouse, as the command computes it (ports opened and closed here). */
export async function reportOf(setup: LocalSetup): Promise<Report> {
  const deps = await createDeps(setup.config);
  try {
    return await buildReport(deps.warehouse);
  } finally {
    await deps.warehouse.close();
    await deps.state.close();
  }
}

/** Ingests log entries into a setup's DuckDB file (opened and closed here: the lock is released). */
export async function ingestEntries(
  setup: LocalSetup,
  entries: object[],
  context: NormalizeContext,
): Promise<void> {
  const warehouse = await openDuckDbWarehouse(setup.dbPath);
  try {
    await warehouse.ensureSchema();
    await ingestRecords(
      entries.map((e, i) => ({ text: entryText(e), source: `test#${i}` })),
      warehouse,
      { context },
    );
  } finally {
    await warehouse.close();
  }
}

/** Rows of each raw table of a DuckDB file (opened and closed here: the file lock is released). */
export async function rawTableCounts(dbPath: string): Promise<Record<string, number>> {
  const warehouse = await openDuckDbWarehouse(dbPath);
  try {
    const out: Record<string, number> = {};
    for (const table of ['requests', 'responses', 'metadata_events', 'quarantine']) {
      const rows = await warehouse.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM \`gca_raw.${table}\``,
      );
      out[table] = rows[0]?.n ?? -1;
    }
    return out;
  } finally {
    await warehouse.close();
  }
}

/** Captures log lines of a logger built with `write`. */
export function captureLines(): {
  lines: string[];
  write: (line: string) => void;
  json(): Record<string, unknown>[];
} {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => lines.push(line),
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
