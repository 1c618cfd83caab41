/**
 * A lower bound for a SQL path of the local job (docs/performance.md): what it would take DuckDB
 * alone to load an export into the raw tables, normalizing in SQL. A prototype, not the command:
 * its semantics are approximate (no fallback to the TypeScript normalizer, a crude secret
 * prefilter, no tool-call parsing, no dedup against stored rows), which only makes it cheaper
 * than a real SQL path. It runs against the peer of `local` (DuckDB's `read_json` into a file +
 * one query), alternately, in child processes, and prints the ratio of the two.
 *
 * Steps, each timed: a typed read of the export into a temporary table (`jsonPayload` as JSON),
 * then one `INSERT ... SELECT` into each of requests, responses and metadata_events (the
 * registry's DDL; nothing is quarantined), then commit and checkpoint. The temporary table holds
 * the whole export in memory and DuckDB runs on every thread, where the command's bulk inserts
 * run on one: a SQL path held to the command's memory bounds would cost more, not less.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleFile } from '../cli/sample/generate';
import { runNode, USAGE_LINES, type ChildRun } from './child';
import { median, runPeer } from './local';
import type { BenchOptions, BenchResult } from './types';

const FULL_ENTRIES = 200_000;
const QUICK_ENTRIES = 5_000;
const ROUNDS = 3;

/** The prototype; prints the seconds of each step and the rows of each table as JSON. */
const SQL_PATH = String.raw`
const { DuckDBInstance } = require(process.env.GCA_BENCH_DUCKDB);
const { renderDuckDbDdl } = require(process.env.GCA_BENCH_RENDER);
(async () => {
  const [file, db] = process.argv.slice(1);
  const lit = (s) => "'" + s.replace(/'/g, "''") + "'";
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run('SET temp_directory = ' + lit(db + '.tmp'));
  await c.run('ATTACH ' + lit(db) + ' AS gca (ROW_GROUP_SIZE 16384)');
  await c.run('USE gca');
  await c.run("SET TimeZone = 'UTC'");
  for (const ddl of renderDuckDbDdl()) await c.run(ddl);
  const steps = {};
  const rows = {};
  let t = performance.now();
  const step = async (name, sql) => {
    const result = await c.run(sql);
    const now = performance.now();
    steps[name] = (now - t) / 1000;
    t = now;
    return result.rowsChanged;
  };
  await step('begin', 'BEGIN');
  await step('read', 'CREATE TEMP TABLE src AS SELECT * FROM read_json(' + lit(file) + ", format = 'array', columns = {" +
    "logName: 'VARCHAR', timestamp: 'VARCHAR', receiveTimestamp: 'VARCHAR', insertId: 'VARCHAR', " +
    "resource: 'STRUCT(type VARCHAR, labels STRUCT(resource_container VARCHAR, location VARCHAR, instance_id VARCHAR))', " +
    "labels: 'STRUCT(user_id VARCHAR, product VARCHAR, method VARCHAR, request_id VARCHAR, client_name VARCHAR, client_version VARCHAR)', " +
    "jsonPayload: 'JSON'})");
  const envelope =
    "replace(replace(rtrim(to_base64(unhex(sha256(logName || chr(10) || timestamp || chr(10) || coalesce(insertId, '')))), '='), '+', '-'), '/', '_'), " +
    'logName, insertId, TRY_CAST(timestamp AS TIMESTAMPTZ), TRY_CAST(receiveTimestamp AS TIMESTAMPTZ), now(), ' +
    "nullif(resource.labels.resource_container, ''), nullif(resource.labels.location, ''), nullif(resource.labels.instance_id, ''), " +
    "nullif(labels.user_id, ''), nullif(labels.product, ''), nullif(labels.method, ''), " +
    "coalesce(nullif(labels.client_name, ''), p.clientName), coalesce(nullif(labels.client_version, ''), p.clientVersion), " +
    "coalesce(nullif(labels.request_id, ''), p.requestId)";
  const envelopeColumns =
    'entry_key, log_name, insert_id, event_timestamp, receive_timestamp, ingest_time, project_id, location, ' +
    'instance_id, user_id, product, method, client_name, client_version, request_id';
  // What the prototype declines (a real SQL path would send it to the TypeScript normalizer).
  const accepted = "TRY_CAST(timestamp AS TIMESTAMPTZ) IS NOT NULL AND NOT regexp_matches(jsonPayload, 'PRIVATE KEY|AIza|ya29\\.|1//0|GOCSPX-|A[KSB]IA|ACCA|gh[pousr]_|github_pat_|xox[abprs]-|hooks\\.slack\\.com|eyJ|(?i)passw|secret|token|key|bearer|authorization')";
  const common = '"requestId": "VARCHAR", "clientName": "VARCHAR", "clientVersion": "VARCHAR"';
  const event = '{"originalRequestId": "VARCHAR", "programmingLanguage": "VARCHAR", "interactionType": "VARCHAR", "linesCount": "JSON", "commentLinesCount": "JSON", "isAgentic": "JSON"}';
  const e = 'coalesce(p.codeExposure, p.codeAcceptance, p.chatExposure, p.chatAcceptance, p.apiRequest)';
  rows.metadata_events = await step('metadata_events',
    'INSERT INTO gca_raw.metadata_events (' + envelopeColumns + ', event_id, event_type, original_request_id, ' +
    'programming_language, lines_count, comment_lines_count, interaction_type, is_agentic, payload) ' +
    'SELECT ' + envelope + ', p.requestId, ' +
    "CASE WHEN p.codeExposure IS NOT NULL THEN 'code_exposure' WHEN p.codeAcceptance IS NOT NULL THEN 'code_acceptance' " +
    "WHEN p.chatExposure IS NOT NULL THEN 'chat_exposure' WHEN p.chatAcceptance IS NOT NULL THEN 'chat_acceptance' " +
    "WHEN p.apiRequest IS NOT NULL THEN 'api_request' ELSE 'unknown' END, " +
    e + '.originalRequestId, lower(trim(' + e + '.programmingLanguage)), ' +
    'TRY_CAST(' + e + ".linesCount ->> '$' AS BIGINT), TRY_CAST(" + e + ".commentLinesCount ->> '$' AS BIGINT), " +
    e + '.interactionType, TRY_CAST(' + e + ".isAgentic ->> '$' AS BOOLEAN), json(jsonPayload) " +
    "FROM (SELECT *, from_json(jsonPayload, '{" + common + ', "codeExposure": ' + event + ', "codeAcceptance": ' + event +
    ', "chatExposure": ' + event + ', "chatAcceptance": ' + event + ', "apiRequest": ' + event + "}') p " +
    "FROM src WHERE logName LIKE '%metadata') WHERE " + accepted);
  const chars = (list, field) =>
    'coalesce(list_sum(list_transform(' + list + ', x -> length(coalesce(x.' + field + ", '')))), 0)";
  // Requests and responses: the body under the first of three keys, its kind, its messages' text.
  const kind = (suffix) =>
    "CASE WHEN p.taskCompletion" + suffix + " IS NOT NULL THEN 'task_completion' WHEN p.codeCompletion" + suffix +
    " IS NOT NULL THEN 'code_completion' ELSE 'code_generation' END";
  const bodies = (suffix, schema, log) =>
    'FROM (SELECT *, coalesce(p.taskCompletion' + suffix + ', p.codeCompletion' + suffix + ', p.codeGeneration' + suffix + ') b ' +
    "FROM (SELECT *, from_json(jsonPayload, '{" + common + ', "taskCompletion' + suffix + '": ' + schema +
    ', "codeCompletion' + suffix + '": ' + schema + ', "codeGeneration' + suffix + '": ' + schema + "}') p " +
    "FROM src WHERE logName LIKE '%" + log + "')) WHERE " + accepted;
  const text = (messages, notTool) =>
    "nullif(array_to_string(list_filter(list_transform(" + messages + ", m -> coalesce(m.content, '')), " +
    "x -> x <> '' AND NOT " + notTool + "), chr(10) || chr(10)), '')";
  // The two INSERTs below are alike in shape only: each lists its own table's columns.
  const request = '{"input": {"messages": [{"author": "VARCHAR", "content": "VARCHAR"}], "preamble": "VARCHAR"}, ' +
    '"input_data_context": {"additional_context": {"files": [{"path": "VARCHAR", "language": "VARCHAR", "segments": [{"content": "VARCHAR"}]}]}}}';
  const files = 'b.input_data_context.additional_context.files';
  rows.requests = await step('requests',
    'INSERT INTO gca_raw.requests (' + envelopeColumns + ', request_kind, prompt_text, preamble, message_count, ' +
    'prompt_chars, context_files, tool_results, payload, content_mode) ' +
    'SELECT ' + envelope + ', ' + kind('Request') + ', ' +
    text('b.input.messages', "starts_with(x, 'FunctionResponse{')") + ', ' +
    'b.input.preamble, coalesce(len(b.input.messages), 0), ' +
    chars('b.input.messages', 'content') + ' + coalesce(list_sum(list_transform(' + files + ', f -> ' + chars('f.segments', 'content') + ')), 0), ' +
    'coalesce(list_transform(' + files + ", f -> {path: nullif(f.path, ''), " +
    "extension: lower(nullif(regexp_extract(f.path, '\\.([^./\\\\]+)$', 1), '')), " +
    "language: nullif(lower(trim(f.language)), ''), states: CAST([] AS VARCHAR[]), chars: " + chars('f.segments', 'content') + '}), []), ' +
    "[], json(jsonPayload), 'scrubbed' " + bodies('Request', request, 'request'));
  const response = '{"output": {"messages": [{"author": "VARCHAR", "content": "VARCHAR"}]}, "attribution_context": "JSON"}';
  rows.responses = await step('responses',
    'INSERT INTO gca_raw.responses (' + envelopeColumns + ', response_kind, response_text, message_count, ' +
    'response_chars, tool_calls, attribution, payload, content_mode) ' +
    'SELECT ' + envelope + ', ' + kind('Response') + ', ' +
    text('b.output.messages', "regexp_matches(x, '^[A-Za-z_][A-Za-z0-9_.-]*\\(.*\\)$')") + ', ' +
    'coalesce(len(b.output.messages), 0), ' + chars('b.output.messages', 'content') + ', ' +
    "[], b.attribution_context, json(jsonPayload), 'scrubbed' " + bodies('Response', response, 'response'));
  await step('commit', 'COMMIT');
  await step('checkpoint', 'CHECKPOINT');
  c.closeSync();
  instance.closeSync();
  process.stdout.write(JSON.stringify({ steps, rows }) + '\n');${USAGE_LINES}
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** Rows the prototype must load, as a share of the entries, for its time to mean anything. */
const MIN_LOADED_SHARE = 0.9;

interface PrototypeRun extends ChildRun {
  steps: Record<string, number>;
  rows: Record<string, number>;
}

async function runPrototype(file: string, db: string): Promise<PrototypeRun> {
  rmSync(db, { force: true });
  const run = await runNode(SQL_PATH, [file, db], {
    GCA_BENCH_DUCKDB: require.resolve('@duckdb/node-api'),
    GCA_BENCH_RENDER: require.resolve('../shared/tables/render'),
  });
  const out = JSON.parse(run.stdout) as Pick<PrototypeRun, 'steps' | 'rows'>;
  return { ...run, ...out };
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const entries = opts.quick ? QUICK_ENTRIES : FULL_ENTRIES;
  const rounds = opts.quick ? 1 : ROUNDS;
  const dir = mkdtempSync(join(tmpdir(), 'gca-bench-sql-path-'));
  try {
    const file = join(dir, `export-${entries}.json`);
    await writeSampleFile(file, { seed: 20251008, entries, users: 200, days: 28 });
    const peers: ChildRun[] = [];
    const prototypes: PrototypeRun[] = [];
    const rawDb = join(dir, 'raw.duckdb');
    const prototypeDb = join(dir, 'prototype.duckdb');
    for (let i = 0; i < rounds; i++) {
      peers.push(await runPeer(file, rawDb));
      prototypes.push(await runPrototype(file, prototypeDb));
    }
    const rawDbBytes = statSync(rawDb).size;
    const prototypeDbBytes = statSync(prototypeDb).size;
    const raw = median(peers.map((p) => p.seconds));
    const seconds = median(prototypes.map((p) => p.seconds));
    const stepNames = Object.keys(prototypes[0]?.steps ?? {}).filter((s) => s !== 'begin');
    const stepMedians = stepNames.map(
      (s) => [s, median(prototypes.map((p) => p.steps[s] ?? NaN))] as const,
    );
    const rows = prototypes[0]?.rows ?? {};
    const loaded = Object.values(rows).reduce((a, b) => a + b, 0);
    if (loaded < MIN_LOADED_SHARE * entries) {
      throw new Error(
        `the SQL path prototype loaded ${loaded} rows of ${entries} entries: its time says nothing`,
      );
    }
    const rss = median(prototypes.map((p) => p.peakRssBytes));
    const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;
    return {
      figures: {
        'sqlPath.rawDuckDbSeconds': Number(raw.toFixed(2)),
        'sqlPath.prototypeSeconds': Number(seconds.toFixed(2)),
        'sqlPath.ratioToRawDuckDb': Number((seconds / raw).toFixed(2)),
        'sqlPath.rowsLoaded': loaded,
        'sqlPath.prototypePeakRssBytes': rss,
        'sqlPath.prototypeDbBytes': prototypeDbBytes,
        'sqlPath.rawDuckDbDbBytes': rawDbBytes,
      },
      lines: [
        `${entries.toLocaleString('en')} entries (${(statSync(file).size / 1048576).toFixed(0)} MiB ` +
          `gcloud export), ${rounds} alternating rounds, medians:`,
        `  raw DuckDB (read_json into a file + the code acceptance query): ${raw.toFixed(2)} s`,
        `  SQL path prototype (typed read + one INSERT ... SELECT into each event table, approximate ` +
          `semantics): ${seconds.toFixed(2)} s, ratio ${(seconds / raw).toFixed(2)}, before any ` +
          'recompute or report',
        `  its steps: ${stepMedians.map(([s, v]) => `${s} ${v.toFixed(2)} s`).join(', ')} (the ` +
          'rest of the process: starting Node, opening DuckDB, the DDL)',
        `  peak RSS ${mib(rss)} (the whole export in a temporary table); database file ` +
          `${mib(prototypeDbBytes)}, the peer's ${mib(rawDbBytes)}`,
        `  rows loaded: ${Object.entries(rows)
          .map(([t, n]) => `${t} ${n.toLocaleString('en')}`)
          .join(', ')}: ${((100 * loaded) / entries).toFixed(1)}% of ` +
          `${entries.toLocaleString('en')} entries (repeated entries loaded again, as nothing ` +
          'dedups; the rest would go to the TypeScript normalizer)',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
