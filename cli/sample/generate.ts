/**
 * The one seeded generator of realistic Gemini Code Assist log entries (Cloud Logging LogEntry
 * objects in the shapes of seeds/gemini-for-google-cloud-logs.md), used by the demo, the
 * benchmarks and tests.
 *
 * The mix (defaults; see SampleOptions):
 * - Interactions, each from its own seeded PRNG so any one can be rebuilt alone (that is how the
 *   newest-first order is produced in constant memory):
 *   - ~62% inline completion: request (`codeCompletionRequest`, current file with prefix/suffix
 *     segments + recently opened files), response, `codeExposure`, then 0-3 `codeAcceptance`s
 *     (repeats: typeover then tab, different `linesCount`; sometimes `commentLinesCount`);
 *   - ~7% generation: `codeGenerationRequest` (method GenerateCode), response, exposure, acceptance;
 *   - ~18% chat: `taskCompletionRequest` (sometimes with history), response (a code block,
 *     sometimes `attribution_context`), `apiRequest` metadata, `chatExposure`, `chatAcceptance`
 *     (`interactionType` ACCEPT_CODE_BLOCK);
 *   - ~13% agent mode: 2-4 turns of request / `apiRequest` / response with tool calls
 *     (`read_file({...})`, `replace({...})`) and `FunctionResponse{name: read_file, ...}` tool
 *     results, then `chatExposure`/`chatAcceptance` flagged `is_agentic` or `isAgentic`.
 * - IDEs: CloudCodeVscode, IntelliJ (exposures and acceptances) and cloudcode_cli (request,
 *   response and apiRequest only, like the spec's agent sample). Users (Zipf-like activity) each
 *   have a main IDE, 1-3 main languages, an acceptance and an agent-mode propensity.
 * - Time: weekdays' working hours (UTC) are busiest, weekends quiet; nanosecond timestamps
 *   (some microsecond); receiveTimestamp a little later.
 * - Drift the pipeline must absorb: `linesCount` as number or string, `is_agentic` vs
 *   `isAgentic`, metadata without `request_id` label, rare unknown metadata kinds
 *   (`suggestionFeedback`).
 * - Figures-relevant cases: late acceptances (the next UTC day), repeated acceptances, orphan
 *   acceptances (exposure not logged), redelivered duplicates (an identical copy right after).
 * - Optional (off by default): entries of a foreign resource type, and malformed entries (bad
 *   timestamp, payload type not matching the log, unknown log, no payload).
 *
 * Order: `oldest-first` (default) or `newest-first` (like `gcloud logging read`); interactions are
 * in time order, entries of one interaction stay together, so a late acceptance sits beside its
 * exposure rather than a day later in the stream.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  agentPrompt,
  chatPrompt,
  codeLines,
  EXTENSIONS,
  filePath,
  FIRST_NAMES,
  LANGUAGE_WEIGHTS,
  LAST_NAMES,
  thought,
  type SampleLanguage,
} from './content';
import { GEMINI_RESOURCE_TYPE } from '../../shared/schemas/log-entry';
import { mixSeed, Rng } from './prng';

const TYPE_PREFIX = 'type.googleapis.com/google.cloud.cloudaicompanion.logging.v1.';

export const SAMPLE_CLIENTS = ['CloudCodeVscode', 'IntelliJ', 'cloudcode_cli'] as const;
export type SampleClient = (typeof SAMPLE_CLIENTS)[number];

const CLIENT_VERSIONS: Record<SampleClient, readonly string[]> = {
  CloudCodeVscode: ['1.93.1', '1.101.0', '1.103.2'],
  IntelliJ: ['1.21.0', '1.22.2'],
  cloudcode_cli: ['unknown'],
};

// Options as a const list and an interface with one documented field each (the house form).
export const SAMPLE_ORDERS = ['oldest-first', 'newest-first'] as const;
export type SampleOrder = (typeof SAMPLE_ORDERS)[number];

export interface SampleOptions {
  /** PRNG seed; the same seed gives the same entries. Default 42. */
  seed?: number;
  /** Number of distinct users. Default 40. */
  users?: number;
  /** Number of UTC days covered. Default 28. */
  days?: number;
  /** First day, `YYYY-MM-DD`. Default 2025-10-06 (a Monday). */
  start?: string;
  /** Exact number of entries to yield (the last interaction is cut). Default: about 4
   *  interactions per user per day. */
  entries?: number;
  /** Default oldest-first. */
  order?: SampleOrder;
  /** Share of entries redelivered (an identical copy follows). Default 0.02. */
  duplicateRate?: number;
  /** Share of accepted suggestions whose first acceptance lands the next UTC day. Default 0.05. */
  lateAcceptanceRate?: number;
  /** Share of accepted suggestions whose exposure was not logged. Default 0.02. */
  orphanRate?: number;
  /** Share of interactions followed by a metadata event of a kind the spec does not know.
   *  Default 0.003. */
  unknownEventRate?: number;
  /** Share of interactions followed by an entry of another resource type. Default 0. */
  foreignRate?: number;
  /** Share of interactions followed by a malformed entry. Default 0. */
  malformedRate?: number;
  /** Use these user ids instead of generated ones (e.g. a hostile one in a test). */
  userIds?: readonly string[];
  /** resource_container values. Default ['acme-dev-tools', 'acme-payments']. */
  projects?: readonly string[];
  /** Multiplies the amount of code in prompts and files. Default 1 (entries average ~1 KB). */
  contentScale?: number;
}

/** A Cloud Logging LogEntry as a plain JSON object. */
export type SampleEntry = Record<string, unknown>;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

type Kind = 'completion' | 'generation' | 'chat' | 'agent';
const MALFORMED_KINDS = ['bad_timestamp', 'type_mismatch', 'unknown_log', 'no_payload'] as const;
type MalformedKind = (typeof MALFORMED_KINDS)[number];

interface UserProfile {
  id: string;
  client: SampleClient;
  languages: SampleLanguage[];
  acceptRate: number;
  agentRate: number;
  project: string;
}

/** What an interaction contains; drawn first, so entries can be counted without building them. */
interface Plan {
  kind: Kind;
  user: UserProfile;
  client: SampleClient;
  language: SampleLanguage;
  /** Agent tool calls in order; the turn after the last one answers in text. */
  tools: string[];
  /** Exposure/acceptance telemetry is sent (VS Code and IntelliJ only). */
  telemetry: boolean;
  exposureLogged: boolean;
  acceptances: number;
  late: boolean;
  unknownEvent: boolean;
  foreign: boolean;
  malformed: MalformedKind | null;
  /** Base entries, before duplicates. */
  base: number;
  /** Bit k set: entry k is redelivered. */
  dupMask: number;
  dups: number;
}

interface Resolved {
  seed: number;
  users: UserProfile[];
  userCdf: number[];
  startMs: number;
  days: number;
  timeCdf: number[];
  opts: Required<
    Pick<
      SampleOptions,
      | 'duplicateRate'
      | 'lateAcceptanceRate'
      | 'orphanRate'
      | 'unknownEventRate'
      | 'foreignRate'
      | 'malformedRate'
      | 'contentScale'
    >
  >;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function resolve(opts: SampleOptions): Resolved {
  const seed = (opts.seed ?? 42) >>> 0;
  const start = opts.start ?? '2025-10-06';
  const startMs = Date.parse(`${start}T00:00:00Z`);
  if (!DAY_RE.test(start) || Number.isNaN(startMs)) {
    throw new RangeError(`sample start must be YYYY-MM-DD, got ${start}`);
  }
  const days = opts.days ?? 28;
  if (!Number.isInteger(days) || days < 1) throw new RangeError('sample days must be >= 1');
  const projects = opts.projects ?? ['acme-dev-tools', 'acme-payments'];
  const count = opts.userIds?.length ?? opts.users ?? 40;
  if (count < 1 || projects.length < 1) throw new RangeError('sample needs users and projects');
  const users: UserProfile[] = [];
  for (let u = 0; u < count; u++) {
    const rng = new Rng(mixSeed(seed, 0x7fff0000 + u));
    const first = FIRST_NAMES[u % FIRST_NAMES.length] ?? 'dev';
    // Every (first, last) pair once before any repeats: the last name shifts with each round.
    const round = Math.floor(u / FIRST_NAMES.length);
    const last = LAST_NAMES[((u % FIRST_NAMES.length) + round) % LAST_NAMES.length] ?? 'user';
    const suffix = u >= FIRST_NAMES.length * LAST_NAMES.length ? String(u) : '';
    const id = opts.userIds?.[u] ?? `${first}.${last}${suffix}@example.com`;
    const client = rng.weighted<SampleClient>([
      ['CloudCodeVscode', 60],
      ['IntelliJ', 30],
      ['cloudcode_cli', 10],
    ]);
    const languages: SampleLanguage[] = [];
    const nLang = rng.int(1, 3);
    while (languages.length < nLang) {
      const l = rng.weighted(LANGUAGE_WEIGHTS);
      if (!languages.includes(l)) languages.push(l);
    }
    users.push({
      id,
      client,
      languages,
      acceptRate: 0.15 + rng.next() * 0.35,
      agentRate: rng.next() * 0.35,
      project: projects[u % projects.length] ?? 'acme-dev-tools',
    });
  }
  // Zipf-like activity: a few heavy users, a long tail.
  const userCdf: number[] = [];
  let acc = 0;
  for (let u = 0; u < count; u++) {
    acc += 1 / Math.pow(u + 1, 0.7);
    userCdf.push(acc);
  }
  // Hour buckets: working hours on weekdays are busy, nights and weekends quiet.
  const timeCdf: number[] = [];
  let t = 0;
  for (let h = 0; h < days * 24; h++) {
    const dow = new Date(startMs + h * HOUR_MS).getUTCDay();
    const hour = h % 24;
    let w = hour >= 7 && hour < 18 ? 10 : hour >= 18 && hour < 22 ? 2 : 0.4;
    if (dow === 0 || dow === 6) w *= 0.15;
    t += w;
    timeCdf.push(t);
  }
  return {
    seed,
    users,
    userCdf,
    startMs,
    days,
    timeCdf,
    opts: {
      duplicateRate: opts.duplicateRate ?? 0.02,
      lateAcceptanceRate: opts.lateAcceptanceRate ?? 0.05,
      orphanRate: opts.orphanRate ?? 0.02,
      unknownEventRate: opts.unknownEventRate ?? 0.003,
      foreignRate: opts.foreignRate ?? 0,
      malformedRate: opts.malformedRate ?? 0,
      contentScale: opts.contentScale ?? 1,
    },
  };
}

function searchCdf(cdf: readonly number[], x: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] ?? 0) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Maps a position in [0, 1) to a time, monotonically, following the hourly weights. */
function timeAt(r: Resolved, u: number): number {
  const total = r.timeCdf[r.timeCdf.length - 1] ?? 1;
  const x = u * total;
  const h = searchCdf(r.timeCdf, x);
  const before = h > 0 ? (r.timeCdf[h - 1] ?? 0) : 0;
  const width = (r.timeCdf[h] ?? total) - before;
  const frac = width > 0 ? (x - before) / width : 0;
  return r.startMs + (h + frac) * HOUR_MS;
}

function plan(r: Resolved, rng: Rng): Plan {
  const total = r.userCdf[r.userCdf.length - 1] ?? 1;
  const user = r.users[searchCdf(r.userCdf, rng.next() * total)] ?? r.users[0];
  if (!user) throw new Error('no users');
  const client: SampleClient = rng.chance(0.9)
    ? user.client
    : rng.pick<SampleClient>(['CloudCodeVscode', 'IntelliJ']);
  const language = rng.pick(user.languages);
  let kind: Kind;
  if (client === 'cloudcode_cli') kind = rng.chance(0.7) ? 'agent' : 'chat';
  else if (rng.chance(user.agentRate * 0.4)) kind = 'agent';
  else
    kind = rng.weighted<Kind>([
      ['completion', 75],
      ['generation', 8],
      ['chat', 17],
    ]);
  const tools: string[] = [];
  if (kind === 'agent') {
    tools.push('read_file');
    const extra = rng.int(0, 2);
    for (let k = 0; k < extra; k++) tools.push('read_file');
    tools.push('replace');
  }
  const telemetry = client !== 'cloudcode_cli';
  const acceptP = kind === 'completion' ? user.acceptRate : user.acceptRate * 0.8;
  let acceptances = 0;
  if (telemetry && rng.chance(acceptP)) {
    acceptances = 1;
    if (rng.chance(0.2)) acceptances += rng.int(1, 2);
  }
  const late = acceptances > 0 && rng.chance(r.opts.lateAcceptanceRate);
  const exposureLogged = !(acceptances > 0 && rng.chance(r.opts.orphanRate));
  const unknownEvent = telemetry && rng.chance(r.opts.unknownEventRate);
  const foreign = rng.chance(r.opts.foreignRate);
  const malformed = rng.chance(r.opts.malformedRate) ? rng.pick(MALFORMED_KINDS) : null;
  let base: number;
  if (kind === 'agent') base = (tools.length + 1) * 3;
  else if (kind === 'chat') base = 3;
  else base = 2;
  if (telemetry) base += (exposureLogged ? 1 : 0) + acceptances;
  base += (unknownEvent ? 1 : 0) + (foreign ? 1 : 0) + (malformed ? 1 : 0);
  let dupMask = 0;
  let dups = 0;
  for (let k = 0; k < base && k < 31; k++) {
    if (rng.chance(r.opts.duplicateRate)) {
      dupMask |= 1 << k;
      dups++;
    }
  }
  return {
    kind,
    user,
    client,
    language,
    tools,
    telemetry,
    exposureLogged,
    acceptances,
    late,
    unknownEvent,
    foreign,
    malformed,
    base,
    dupMask,
    dups,
  };
}

/** ISO timestamp with nanoseconds (or, now and then, microseconds) like Cloud Logging's. */
function timestamp(rng: Rng, ms: number, micros = false): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  const extra = micros ? 3 : 6;
  let digits = '';
  for (let k = 0; k < extra; k++) digits += String(rng.int(0, 9));
  return `${iso.slice(0, -1)}${digits}Z`;
}

interface Timed {
  ms: number;
  entry: SampleEntry;
}

class Builder {
  readonly out: Timed[] = [];
  constructor(
    private readonly rng: Rng,
    private readonly p: Plan,
  ) {}

  private resource(): SampleEntry {
    return {
      type: GEMINI_RESOURCE_TYPE,
      labels: {
        resource_container: this.p.user.project,
        location: 'global',
        instance_id: 'default',
      },
    };
  }

  private logName(log: string): string {
    return `projects/${this.p.user.project}/logs/cloudaicompanion.googleapis.com%2F${log}`;
  }

  /** Adds one LogEntry at `ms`. */
  add(ms: number, log: string, payload: SampleEntry | null, labels: SampleEntry): void {
    const rng = this.rng;
    const entry: SampleEntry = { insertId: rng.base36(rng.chance(0.5) ? 9 : 10) };
    if (payload) entry.jsonPayload = payload;
    entry.resource = this.resource();
    entry.timestamp = timestamp(rng, ms, rng.chance(0.05));
    entry.severity = 'INFO';
    entry.labels = labels;
    entry.logName = this.logName(log);
    entry.receiveTimestamp = timestamp(rng, ms + rng.int(5, 700));
    this.out.push({ ms, entry });
  }

  entryLabels(requestId: string, method: string, withClient: boolean): SampleEntry {
    const labels: SampleEntry = {
      product: 'code_assist',
      request_id: requestId,
      user_id: this.p.user.id,
      method,
    };
    if (withClient) {
      labels.client_name = this.p.client;
      labels.client_version = this.version();
    }
    return labels;
  }

  metadataLabels(method: string): SampleEntry {
    return { method, product: 'code_assist', user_id: this.p.user.id };
  }

  version(): string {
    return CLIENT_VERSIONS[this.p.client][0] ?? 'unknown';
  }

  metadata(ms: number, event: string, body: SampleEntry, requestId?: string): void {
    const method = event === 'apiRequest' ? 'CompleteTask' : 'Export.Metrics';
    this.add(
      ms,
      'metadata',
      {
        '@type': `${TYPE_PREFIX}MetadataLog`,
        clientName: this.p.client,
        clientVersion: this.version(),
        [event]: body,
        requestId: requestId ?? (this.rng.chance(0.5) ? this.rng.uuid() : this.rng.hex(16)),
      },
      this.metadataLabels(method),
    );
  }
}

function inputContext(rng: Rng, p: Plan, scale: number): SampleEntry {
  const lang = p.language;
  const files: SampleEntry[] = [
    {
      language: lang,
      path: filePath(rng, p.user.id, lang),
      segments: [
        { content: codeLines(rng, lang, Math.round(rng.int(4, 20) * scale)) },
        { content: codeLines(rng, lang, Math.round(rng.int(0, 8) * scale)) },
      ],
      state: ['EDITED'],
    },
  ];
  if (rng.chance(0.5)) {
    files.push({
      language: lang,
      path: filePath(rng, p.user.id, lang),
      segments: [{ content: codeLines(rng, lang, Math.round(rng.int(4, 16) * scale)) }],
      state: ['RECENTLY_OPENED'],
    });
  }
  return { additional_context: { files } };
}

/** Lines accepted, as the clients send them: a number, or a string for some. */
function linesValue(rng: Rng, n: number): number | string {
  return rng.chance(0.35) ? String(n) : n;
}

function agentFlag(rng: Rng, body: SampleEntry, agentic: boolean): void {
  // Both spellings occur in the wild; non-agent events mostly omit the flag.
  if (agentic) body[rng.chance(0.5) ? 'is_agentic' : 'isAgentic'] = true;
  else if (rng.chance(0.3)) body[rng.chance(0.5) ? 'is_agentic' : 'isAgentic'] = false;
}

function build(r: Resolved, rng: Rng, p: Plan, t0: number): SampleEntry[] {
  const b = new Builder(rng, p);
  const scale = r.opts.contentScale;
  const lang = p.language;
  let t = t0;
  // The suggestion the user sees: code completion/generation or the last chat/agent answer.
  let suggestionId = rng.hex(16);
  let suggestionAt = t;
  let linesShown = rng.int(1, 12);

  if (p.kind === 'completion' || p.kind === 'generation') {
    const completion = p.kind === 'completion';
    const requestId = suggestionId;
    const method = completion ? 'CompleteCode' : 'GenerateCode';
    const withClient = rng.chance(0.5);
    const request: SampleEntry = { input_data_context: inputContext(rng, p, scale) };
    if (!completion) request.instruction = chatPrompt(rng);
    b.add(
      t,
      'request',
      {
        '@type': `${TYPE_PREFIX}RequestLog`,
        [completion ? 'codeCompletionRequest' : 'codeGenerationRequest']: request,
      },
      b.entryLabels(requestId, method, withClient),
    );
    t += rng.int(120, completion ? 600 : 2500);
    b.add(
      t,
      'response',
      {
        '@type': `${TYPE_PREFIX}ResponseLog`,
        [completion ? 'codeCompletionResponse' : 'codeGenerationResponse']: {
          output: { messages: [{ author: 'MODEL', content: codeLines(rng, lang, linesShown) }] },
        },
      },
      b.entryLabels(requestId, method, withClient),
    );
    suggestionAt = t + rng.int(20, 200);
  } else {
    const agentic = p.kind === 'agent';
    const turns = agentic ? p.tools.length + 1 : 1;
    const path = filePath(rng, p.user.id, lang);
    const withClient = agentic || rng.chance(0.7);
    const fence = EXTENSIONS[lang];
    for (let turn = 0; turn < turns; turn++) {
      const requestId = rng.hex(16);
      let content: string;
      if (turn === 0) {
        content = agentic
          ? `${agentPrompt(rng)}\nCurrent File Path:\n\`\`\`${fence}\n${path}\n\`\`\`\n\n`
          : chatPrompt(rng);
      } else {
        const tool = p.tools[turn - 1] ?? 'read_file';
        const output =
          tool === 'replace'
            ? `Successfully modified file: ${path} (1 replacements).`
            : codeLines(rng, lang, Math.round(rng.int(8, 30) * scale));
        content = `FunctionResponse{name: ${tool}, response: ${JSON.stringify({ output })}}`;
      }
      const messages: SampleEntry[] = [];
      if (!agentic && rng.chance(0.3)) {
        messages.push({ author: 'USER', content: chatPrompt(rng) });
        messages.push({ author: 'MODEL', content: 'Sure, here is one way to do it.' });
      }
      messages.push({ author: 'USER', content });
      b.add(
        t,
        'request',
        {
          taskCompletionRequest: { input: { messages, preamble: '' } },
          '@type': `${TYPE_PREFIX}RequestLog`,
        },
        b.entryLabels(requestId, 'CompleteTask', withClient),
      );
      b.metadata(t + rng.int(1, 3), 'apiRequest', {}, requestId);
      t += agentic ? rng.int(2, 30) : rng.int(800, 6000);
      const out: SampleEntry[] = [];
      const tool = agentic ? p.tools[turn] : undefined;
      if (agentic) {
        for (let k = rng.int(1, 3); k > 0; k--)
          out.push({ author: 'MODEL', content: thought(rng) });
      }
      if (tool === 'read_file') {
        out.push({ author: 'MODEL', content: "I'll read the file to understand the context." });
        out.push({
          content: `read_file(${JSON.stringify({ absolute_path: path })})`,
          author: 'MODEL',
        });
      } else if (tool === 'replace') {
        linesShown = rng.int(2, 25);
        out.push({ author: 'MODEL', content: "I've reviewed the file. I'll make the change." });
        out.push({
          content: `replace(${JSON.stringify({
            file_path: path,
            instruction: 'apply the requested change',
            new_string: codeLines(rng, lang, linesShown),
            old_string: codeLines(rng, lang, 2),
          })})`,
          author: 'MODEL',
        });
      } else {
        linesShown = rng.int(3, 30);
        out.push({
          author: 'MODEL',
          content: `Here is an example:\n\n\`\`\`${fence}\n${codeLines(rng, lang, linesShown)}\n\`\`\`\n`,
        });
      }
      const response: SampleEntry = { output: { messages: out } };
      if (!agentic && rng.chance(0.05)) {
        response.attribution_context = {
          citations: [
            {
              startIndex: 0,
              endIndex: 120,
              uri: 'https://github.com/example/project',
              license: 'apache-2.0',
            },
          ],
        };
      }
      b.add(
        t,
        'response',
        { '@type': `${TYPE_PREFIX}ResponseLog`, taskCompletionResponse: response },
        b.entryLabels(requestId, 'CompleteTask', withClient),
      );
      suggestionId = requestId;
      suggestionAt = t + rng.int(20, 300);
      t += rng.int(1000, 12000);
    }
  }

  if (p.telemetry) {
    const code = p.kind === 'completion' || p.kind === 'generation';
    const agentic = p.kind === 'agent';
    if (p.exposureLogged) {
      const body: SampleEntry = { originalRequestId: suggestionId };
      if (code) body.programmingLanguage = lang;
      else agentFlag(rng, body, agentic);
      b.metadata(suggestionAt, code ? 'codeExposure' : 'chatExposure', body);
    }
    let at = suggestionAt + rng.int(300, 20_000);
    if (p.late) {
      // The next UTC day, some hours in: counted on the exposure's day all the same.
      const nextMidnight = (Math.floor(suggestionAt / DAY_MS) + 1) * DAY_MS;
      at = nextMidnight + rng.int(HOUR_MS / 2, 10 * HOUR_MS);
    }
    for (let k = 0; k < p.acceptances; k++) {
      // Repeats: typeover then tab etc.; the lines differ, the figures take the maximum.
      const lines = Math.max(1, linesShown - rng.int(0, Math.min(3, linesShown - 1)));
      const body: SampleEntry = code
        ? { linesCount: linesValue(rng, lines), originalRequestId: suggestionId }
        : {
            interactionType: 'ACCEPT_CODE_BLOCK',
            programmingLanguage: lang,
            linesCount: linesValue(rng, lines),
            originalRequestId: suggestionId,
          };
      if (code) {
        if (rng.chance(0.3)) body.commentLinesCount = rng.int(0, Math.min(3, lines));
        body.programmingLanguage = lang;
      } else agentFlag(rng, body, agentic);
      b.metadata(at, code ? 'codeAcceptance' : 'chatAcceptance', body);
      at += rng.int(200, 5000);
    }
    if (p.unknownEvent) {
      b.metadata(at, 'suggestionFeedback', { originalRequestId: suggestionId, rating: 'POSITIVE' });
    }
  }
  const last = b.out[b.out.length - 1];
  const tail = (last?.ms ?? t) + 1;
  if (p.foreign) {
    b.out.push({
      ms: tail,
      entry: {
        insertId: rng.base36(10),
        textPayload: 'systemd[1]: Started Daily apt download activities.',
        resource: {
          type: 'gce_instance',
          labels: { instance_id: rng.hex(19), zone: 'us-east1-b' },
        },
        timestamp: timestamp(rng, tail),
        severity: 'INFO',
        logName: `projects/${p.user.project}/logs/syslog`,
        receiveTimestamp: timestamp(rng, tail + 40),
      },
    });
  }
  if (p.malformed) malformedEntry(b, rng, p.malformed, tail + 2, p.user.id);
  const entries: SampleEntry[] = [];
  b.out.forEach((x, k) => {
    entries.push(x.entry);
    // A redelivery is the identical entry (same logName, timestamp and insertId).
    if (k < 31 && p.dupMask & (1 << k)) entries.push(structuredClone(x.entry));
  });
  return entries;
}

function malformedEntry(b: Builder, rng: Rng, kind: MalformedKind, ms: number, user: string): void {
  const labels = b.metadataLabels('Export.Metrics');
  const payload: SampleEntry = {
    '@type': `${TYPE_PREFIX}MetadataLog`,
    clientName: 'CloudCodeVscode',
    codeExposure: { originalRequestId: rng.hex(16), programmingLanguage: 'python' },
    requestId: rng.uuid(),
  };
  b.add(ms, 'metadata', payload, { ...labels, user_id: user });
  const entry = b.out[b.out.length - 1]?.entry;
  if (!entry) return;
  switch (kind) {
    case 'bad_timestamp':
      entry.timestamp = 'yesterday afternoon';
      break;
    case 'type_mismatch':
      payload['@type'] = `${TYPE_PREFIX}RequestLog`;
      break;
    case 'unknown_log':
      entry.logName = String(entry.logName).replace('%2Fmetadata', '%2Ftelemetry');
      break;
    case 'no_payload':
      delete entry.jsonPayload;
      break;
  }
}

function interactionRng(r: Resolved, i: number): Rng {
  return new Rng(mixSeed(r.seed, i));
}

function entriesOf(p: Plan): number {
  return p.base + p.dups;
}

/**
 * Yields realistic LogEntry objects, deterministically for a seed. Memory is constant in the
 * number of entries (one interaction at a time).
 */
/** The user ids a sample with these options logs, in the generator's order (heaviest first). */
export function sampleUserIds(opts: SampleOptions = {}): string[] {
  return resolve(opts).users.map((u) => u.id);
}

export function* generateSample(opts: SampleOptions = {}): Generator<SampleEntry> {
  const r = resolve(opts);
  const target = opts.entries;
  if (target !== undefined && (!Number.isInteger(target) || target < 0)) {
    throw new RangeError('sample entries must be a non-negative integer');
  }
  if (target === 0) return;
  // How many interactions: enough for the target (counted from plans alone), or per user-day.
  let interactions: number;
  if (target !== undefined) {
    let sum = 0;
    interactions = 0;
    while (sum < target) sum += entriesOf(plan(r, interactionRng(r, interactions++)));
  } else {
    interactions = Math.max(1, Math.round(r.users.length * r.days * 4));
  }
  let remaining = target ?? Number.POSITIVE_INFINITY;
  // When cutting to a target, the last interaction (in time) keeps only its first entries.
  const cutLast = (i: number, entries: SampleEntry[]): SampleEntry[] => {
    if (target === undefined || i !== interactions - 1) return entries;
    let before = 0;
    for (let k = 0; k < interactions - 1; k++) {
      before += entriesOf(plan(r, interactionRng(r, k)));
    }
    return entries.slice(0, target - before);
  };
  const at = (i: number, rng: Rng): number =>
    timeAt(r, (i + 0.15 + 0.7 * rng.next()) / interactions);
  const newestFirst = opts.order === 'newest-first';
  for (let n = 0; n < interactions; n++) {
    const i = newestFirst ? interactions - 1 - n : n;
    const rng = interactionRng(r, i);
    const p = plan(r, rng);
    let entries = build(r, rng, p, at(i, rng));
    entries = cutLast(i, entries);
    if (newestFirst) entries.reverse();
    for (const e of entries) {
      if (remaining-- <= 0) return;
      yield e;
    }
  }
}

export const SAMPLE_FORMATS = ['gcloud-json', 'jsonl'] as const;
export type SampleFormat = (typeof SAMPLE_FORMATS)[number];

export interface WriteSampleOptions extends SampleOptions {
  /** `gcloud-json`: a pretty-printed array with sorted keys, newest first, like
   *  `gcloud logging read --format=json`; `jsonl`: one compact entry per line, oldest first. */
  format?: SampleFormat;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as SampleEntry)[k]);
    return out;
  }
  return value;
}

/**
 * Writes a sample to a file in constant memory (streamed, honouring backpressure).
 * Returns how many entries and bytes were written.
 */
export async function writeSampleFile(
  path: string,
  opts: WriteSampleOptions = {},
): Promise<{ entries: number; bytes: number }> {
  const format = opts.format ?? 'gcloud-json';
  const order = opts.order ?? (format === 'gcloud-json' ? 'newest-first' : 'oldest-first');
  const out = createWriteStream(path, { encoding: 'utf8' });
  const closed = once(out, 'close');
  let entries = 0;
  let bytes = 0;
  let chunk = '';
  const flush = async (): Promise<void> => {
    if (!chunk) return;
    bytes += Buffer.byteLength(chunk);
    const ok = out.write(chunk);
    chunk = '';
    if (!ok) await once(out, 'drain');
  };
  try {
    if (format === 'gcloud-json') chunk += '[';
    for (const entry of generateSample({ ...opts, order })) {
      if (format === 'gcloud-json') {
        const body = JSON.stringify(sortKeys(entry), null, 2).replace(/\n/g, '\n  ');
        chunk += `${entries === 0 ? '\n' : ',\n'}  ${body}`;
      } else {
        chunk += `${JSON.stringify(entry)}\n`;
      }
      entries++;
      if (chunk.length > 1 << 16) await flush();
    }
    if (format === 'gcloud-json') chunk += entries === 0 ? ']\n' : '\n]\n';
    await flush();
  } finally {
    out.end();
    await closed;
  }
  return { entries, bytes };
}
