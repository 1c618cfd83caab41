/**
 * Secret scrubber: replaces credentials in free text (prompts, file segments, responses, tool
 * arguments, quarantined raw input) with `[FILTERED]`.
 *
 * It runs on the ingest hot path in the default `scrubbed` mode, so it is built for speed:
 * - a cheap prefilter per pass (a literal alternation V8 scans fast) decides whether any pattern
 *   of that pass can match at all; most text stops there;
 * - the fixed-format tokens (key blocks, API keys, tokens, JWTs) are ONE combined, case-sensitive
 *   regex, and the assignment-style patterns (`password = "..."`, `Authorization: Bearer ...`)
 *   are ONE combined, case-insensitive regex; each runs only when its prefilter fired;
 * - every repetition is bounded and every alternation is disjoint on its first character, so no
 *   input can make the regexes backtrack catastrophically (see the adversarial tests).
 *
 * Run on JSON text it never breaks an escape sequence (value classes stop at `\` and `"`), but
 * escaping hides what it would find in the strings (a tab is `\t` there, a quote inside a string
 * literal `\\\"`), so `scrubJsonText` scrubs the parsed strings instead, each exactly as
 * `scrubSecrets` scrubs it alone, and keeps the result valid JSON.
 *
 * Where the line is drawn (see docs/privacy.md): a value after a secret-named key (its LAST word
 * is password, secret, token, api key, ...) is filtered when it is a literal (quoted, or an
 * unquoted word that is not a code reference); it stays when it is a reference (a call such as
 * `getenv("X")`, a member path such as `os.environ`, a variable such as `$TOKEN` or `${X}`, a
 * type such as `str`, an identifier that itself names a secret such as `password = password`)
 * or a placeholder (`""`, `"<your token>"`, `"****"`).
 */

/** The marker a secret is replaced with (the same one GitLab's request logging uses). */
export const FILTERED = '[FILTERED]';

export const SECRET_KINDS = [
  'private_key',
  'google_api_key',
  'google_oauth_token',
  'google_oauth_client_secret',
  'aws_access_key_id',
  'github_token',
  'gitlab_token',
  'slack_token',
  'slack_webhook',
  'jwt',
  'url_credentials',
  'bearer_token',
  'assignment',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

// ---------------------------------------------------------------------------------------------
// Fixed-format tokens: one case-sensitive regex, one capture group per kind (in SECRET_KINDS
// order up to url_credentials). Boundaries are lookarounds so the token is matched whole.

const B = '(?<![A-Za-z0-9_-])'; // not preceded by a token character
const E = '(?![A-Za-z0-9_-])'; // not followed by one

/** Body of a PEM/OpenSSH block: base64 lines, `\n` escapes (JSON text) and `Key: value` headers. */
const PEM_LABEL = '[A-Z0-9]{1,16}(?: [A-Z0-9]{1,16}){0,3} ';
const PRIVATE_KEY =
  `-----BEGIN (?:${PEM_LABEL})?PRIVATE KEY(?: BLOCK)?-----` +
  // Bounded lazy body up to the matching END line (a 4096-bit RSA key is ~3.3 kB).
  `(?:[\\s\\S]{0,16384}?-----END (?:${PEM_LABEL})?PRIVATE KEY(?: BLOCK)?-----` +
  // No END within reach (truncated text): the header plus the base64-looking lines after it.
  `|(?:(?:\\s|\\\\[rn]){1,8}(?:[A-Za-z0-9+/=]{8,128}|[A-Za-z-]{1,32}: [A-Za-z0-9,-]{1,128})){0,512})`;

const TOKEN_PATTERNS: readonly [SecretKind, string][] = [
  ['private_key', PRIVATE_KEY],
  ['google_api_key', `${B}AIza[0-9A-Za-z_-]{35}${E}`],
  // Access tokens (ya29.) and refresh tokens (1//0...).
  ['google_oauth_token', `${B}(?:ya29\\.[0-9A-Za-z_-]{20,2048}|1//0[0-9A-Za-z_-]{30,512})${E}`],
  ['google_oauth_client_secret', `${B}GOCSPX-[0-9A-Za-z_-]{20,64}${E}`],
  ['aws_access_key_id', `(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])`],
  ['github_token', `${B}(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})${E}`],
  ['gitlab_token', `${B}gl(?:pat|dt|rt|ptt|soat|ft|cbt)-[0-9A-Za-z_-]{20,255}${E}`],
  ['slack_token', `${B}xox[abprs]-[0-9A-Za-z-]{10,255}${E}`],
  [
    'slack_webhook',
    'https://hooks\\.slack\\.com/(?:services|workflows)/[A-Za-z0-9_/-]{20,255}(?![A-Za-z0-9_/-])',
  ],
  // header.payload.signature, both JSON parts start with `{"` = eyJ; signature may be empty.
  ['jwt', `${B}eyJ[A-Za-z0-9_-]{4,8192}\\.eyJ[A-Za-z0-9_-]{4,16384}\\.[A-Za-z0-9_-]{0,2048}${E}`],
];

/** `scheme://user:password@host`: only the password part is replaced (group 1). */
const URL_CREDENTIALS = `(://[^\\s:/@"'<>\\\\]{1,128}:)([^\\s/@"'<>\\\\]{1,256})(?=@)`;

const TOKEN_RE = new RegExp(
  TOKEN_PATTERNS.map(([, p]) => `(${p})`).join('|') + `|${URL_CREDENTIALS}`,
  'g',
);
/** Capture-group index of each token kind in TOKEN_RE; URL credentials use the last two. */
const URL_GROUP = TOKEN_PATTERNS.length + 1;

/**
 * Prefilter: the distinctive literal every fixed-format token starts with (and, for URL
 * credentials, the whole `://user:pass@` shape). A plain literal alternation, which V8 scans
 * several times faster than TOKEN_RE with its lookbehinds and groups; almost all text fails it.
 * `slash` stands for `/` and `scale` multiplies the lengths of the URL shape, for the JSON text
 * variant (JSON_TOKEN_PREFILTER).
 */
function tokenPrefilter(slash: string, scale: number): RegExp {
  return new RegExp(
    String.raw`PRIVATE KEY|AIza|ya29\.|1${slash}${slash}0|GOCSPX-|A[KSB]IA|ACCA|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt|soat|ft|cbt)-|xox[abprs]-|hooks\.slack\.com|eyJ` +
      String.raw`|:${slash}${slash}[^\s/@:]{1,${128 * scale}}:[^\s/@]{1,${256 * scale}}@`,
  );
}
const TOKEN_PREFILTER = tokenPrefilter('/', 1);

// ---------------------------------------------------------------------------------------------
// Assignments and authorization headers: one case-insensitive regex.

/** Key words that make the value after them a secret, when they END the key. */
const SECRET_KEY_WORDS =
  'passw(?:or)?d|passphrase|secret|token|(?:api|access|secret|private|signing|encryption|master|auth|client)[_-]?key(?:[_-]?id)?|apikey|credentials?';

/**
 * Groups: 1 prefix (key word, closing quote, separator, opening quote), 2 value.
 * The separator is `=`, `:`, `=>` or `:=` (not `==`, `::`); spaces around it stay on one line.
 */
const ASSIGNMENT =
  String.raw`((?:${SECRET_KEY_WORDS})(?:\\?["'])?[ \t]{0,16}(?:=>|:=|=(?![=>~])|:(?![:=]))[ \t]{0,16})` +
  // \"...\" inside JSON text; inside it \\\" is an escaped quote and \\\\ an escaped backslash.
  String.raw`(\\"(?:\\\\\\"|\\\\|\\[^"\\\r\n]|[^"\\\r\n]){0,4096}\\"` +
  String.raw`|"(?:[^"\\\r\n]|\\.){0,4096}"` + // "..."
  String.raw`|'(?:[^'\\\r\n]|\\.){0,4096}'` + // '...'
  String.raw`|[^\s"'${'`'}\\,;&(){}\[\]<>|]{1,4096})`; // unquoted

/** `Authorization: Bearer xyz`, `Bearer xyz`, `Authorization: Basic xyz`. Groups 3 prefix, 4 value. */
const AUTH_HEADER =
  `((?:authorization(?:\\\\?["'])?[ \\t]{0,16}[:=][ \\t]{0,16}(?:\\\\?["'])?[ \\t]{0,16}(?:basic|token|bearer)` +
  `|(?<![A-Za-z0-9_])bearer)[ \\t]{1,16})([A-Za-z0-9._~+/-]{8,4096}=*)`;

const ASSIGNMENT_RE = new RegExp(`${ASSIGNMENT}|${AUTH_HEADER}`, 'gi');

/**
 * Prefilter: a secret key word followed by a separator, or an authorization word. Most code
 * mentions `key` or `token` somewhere; far less of it assigns to one. `quote` is what may close
 * the key and `blank` one blank, for the JSON text variant (JSON_ASSIGNMENT_PREFILTER).
 */
function assignmentPrefilter(quote: string, blank: string): RegExp {
  return new RegExp(
    String.raw`(?:${SECRET_KEY_WORDS})${quote}${blank}{0,16}(?:=|:(?!:))|bearer|authorization`,
    'i',
  );
}
const ASSIGNMENT_PREFILTER = assignmentPrefilter(String.raw`(?:\\?["'])?`, String.raw`[ \t]`);

// ---------------------------------------------------------------------------------------------
// Deciding whether an assignment's value is a literal secret or a code reference / placeholder.

/** Unquoted values that are keywords or type names, never secrets. */
const CODE_WORDS = new Set([
  'null',
  'none',
  'nil',
  'undefined',
  'true',
  'false',
  'str',
  'string',
  'bytes',
  'int',
  'integer',
  'number',
  'bool',
  'boolean',
  'any',
  'unknown',
  'object',
  'optional',
  'secretstr',
  'secretbytes',
  'required',
  'env',
  'function',
  'new',
  'await',
  'return',
  'self',
  'this',
]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MEMBER_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const NAMES_A_SECRET = /pass|pwd|secret|token|key|cred|auth/i;
/** Next non-blank character after an unquoted identifier that shows it is code. */
const CODE_FOLLOWERS = new Set(['(', '[', '.', ',', ')', '}', ';']);

function nextNonBlank(text: string, from: number): string {
  for (let i = from; i < text.length && i < from + 64; i++) {
    const c = text[i]!;
    if (c !== ' ' && c !== '\t') return c;
  }
  return '';
}

/** True for a quoted literal that is empty or an obvious placeholder, not a real secret. */
function isPlaceholder(inner: string): boolean {
  if (inner.length === 0) return true;
  if (inner === FILTERED) return true;
  const c0 = inner[0]!;
  // ${VAR}, {{ .Values.x }}, %(name)s, %s, <your-token>, $VAR
  if (c0 === '$' || c0 === '{' || c0 === '%' || (c0 === '<' && inner.endsWith('>'))) return true;
  // ****, xxxx, ....: a single repeated character
  if (inner.length >= 3 && inner.split(c0).length === inner.length + 1) return true;
  return false;
}

/** True when an unquoted value is a code reference (call, member, variable, type), not a secret. */
function isCodeReference(value: string, text: string, end: number): boolean {
  const c0 = value[0]!;
  if (c0 === '$' || c0 === '%' || c0 === '*' || c0 === '@' || c0 === '!') return true;
  if (CODE_WORDS.has(value.toLowerCase())) return true;
  if (MEMBER_PATH.test(value)) return true;
  if (/^\d{1,3}$/.test(value)) return true; // small constants: `token = 0`, `secret: 1`
  if (IDENTIFIER.test(value)) {
    // password = password, token: Token; but `password: mypassword1` is a literal.
    if (NAMES_A_SECRET.test(value) && !/\d/.test(value)) return true;
    if (CODE_FOLLOWERS.has(nextNonBlank(text, end))) return true; // call, kwarg, object field
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The scrubber.

/** A secret found in a text: its kind and its [start, end) span (of the replaced part). */
export interface SecretFinding {
  kind: SecretKind;
  start: number;
  end: number;
}

function replaceTokens(text: string, onFind?: (f: SecretFinding) => void): string {
  return text.replace(TOKEN_RE, (match: string, ...args: unknown[]) => {
    const offset = args[args.length - 2] as number;
    for (let g = 0; g < TOKEN_PATTERNS.length; g++) {
      if (args[g] !== undefined) {
        onFind?.({ kind: TOKEN_PATTERNS[g]![0], start: offset, end: offset + match.length });
        return FILTERED;
      }
    }
    // URL credentials: keep `://user:`, replace the password.
    const prefix = args[URL_GROUP - 1] as string;
    const password = args[URL_GROUP] as string;
    if (password.startsWith('$') || password.startsWith('{') || password === FILTERED) {
      return match;
    }
    onFind?.({
      kind: 'url_credentials',
      start: offset + prefix.length,
      end: offset + match.length,
    });
    return prefix + FILTERED;
  });
}

function replaceAssignments(text: string, onFind?: (f: SecretFinding) => void): string {
  return text.replace(ASSIGNMENT_RE, (match: string, ...args: unknown[]) => {
    const offset = args[args.length - 2] as number;
    const assignPrefix = args[0] as string | undefined;
    if (assignPrefix !== undefined) {
      const value = args[1] as string;
      const valueStart = offset + assignPrefix.length;
      let quote = '';
      if (value.startsWith('\\"')) quote = '\\"';
      else if (value[0] === '"' || value[0] === "'") quote = value[0];
      if (quote) {
        const inner = value.slice(quote.length, value.length - quote.length);
        if (value.length < 2 * quote.length || isPlaceholder(inner)) return match;
        onFind?.({ kind: 'assignment', start: valueStart, end: valueStart + value.length });
        return assignPrefix + quote + FILTERED + quote;
      }
      if (value === FILTERED || isCodeReference(value, text, valueStart + value.length)) {
        return match;
      }
      onFind?.({ kind: 'assignment', start: valueStart, end: valueStart + value.length });
      return assignPrefix + FILTERED;
    }
    const headerPrefix = args[2] as string;
    const token = args[3] as string;
    if (token === FILTERED) return match;
    // A bare `Bearer word` in prose ("Bearer authentication is...") is not a token: outside an
    // Authorization header, require what tokens have, a digit or some length.
    const inHeader = /^authorization/i.test(headerPrefix);
    if (!inHeader && !/\d/.test(token) && token.length < 20) return match;
    onFind?.({
      kind: 'bearer_token',
      start: offset + headerPrefix.length,
      end: offset + match.length,
    });
    return headerPrefix + FILTERED;
  });
}

/**
 * Returns `text` with every secret replaced by `[FILTERED]` (keys, headers and quotes kept).
 * Returns the very same string when nothing was found, so callers can compare by identity.
 */
export function scrubSecrets(text: string): string {
  return scrubPasses(text, true, true);
}

/**
 * scrubSecrets with either pass skipped. Skipping a pass whose prefilter cannot fire on `text`
 * changes nothing: replacing tokens never makes the assignment pass replace more.
 */
function scrubPasses(text: string, tokens: boolean, assignments: boolean): string {
  let out = text;
  if (tokens && TOKEN_PREFILTER.test(out)) out = replaceTokens(out);
  if (assignments && ASSIGNMENT_PREFILTER.test(out)) out = replaceAssignments(out);
  return out;
}

/**
 * Lists the secrets `scrubSecrets` would replace, with their kinds. Spans of the assignment and
 * header findings refer to the text after the fixed-format tokens were replaced.
 */
export function findSecrets(text: string): SecretFinding[] {
  const found: SecretFinding[] = [];
  const push = (f: SecretFinding): void => {
    found.push(f);
  };
  let out = text;
  if (TOKEN_PREFILTER.test(out)) out = replaceTokens(out, push);
  if (ASSIGNMENT_PREFILTER.test(out)) replaceAssignments(out, push);
  return found;
}

/** Key names whose string value in a JSON object is a secret whatever it looks like. */
const SECRET_JSON_KEY = new RegExp(`(?:${SECRET_KEY_WORDS})$`, 'i');

/** Deepest nesting walked by scrubJsonValue; a deeper subtree is replaced whole. */
export const MAX_JSON_DEPTH = 128;

/** A walk's passes, and what it noticed beyond the strings it scrubbed. */
interface WalkState {
  /** Run the token pass, the assignment pass on strings (else no string can need it). */
  readonly tokens: boolean;
  readonly assignments: boolean;
  /** An object key on which a prefilter fires: it may hold a secret or start one in its value. */
  keyMayMatch: boolean;
}

function walk(value: unknown, key: string | undefined, depth: number, state: WalkState): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_JSON_KEY.test(key) && !isPlaceholder(value)) return FILTERED;
    return scrubPasses(value, state.tokens, state.assignments);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) return FILTERED;
  if (Array.isArray(value)) {
    let arr: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const s = walk(v, undefined, depth + 1, state);
      if (s !== v) (arr ??= value.slice())[i] = s;
    }
    return arr ?? value;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    if (!state.keyMayMatch && (TOKEN_PREFILTER.test(k) || ASSIGNMENT_PREFILTER.test(k))) {
      state.keyMayMatch = true;
    }
    const v = obj[k];
    const s = walk(v, k, depth + 1, state);
    // The spread copies own properties, `"__proto__"` included, which `out[k] =` then updates.
    if (s !== v) (out ??= { ...obj })[k] = s;
  }
  return out ?? value;
}

/**
 * Scrubs every string inside a parsed JSON value (object keys kept); a string under a
 * secret-named key (e.g. `"client_secret"`) is replaced whole unless it is a placeholder. A
 * subtree nested deeper than MAX_JSON_DEPTH is replaced by `[FILTERED]` (no stack overflow on
 * hostile input). Copies only what changed: returns `value` itself when nothing in it did.
 */
export function scrubJsonValue(value: unknown, key?: string, depth = 0): unknown {
  return walk(value, key, depth, { tokens: true, assignments: true, keyMayMatch: false });
}

// JSON text. Its strings are escaped: a tab is `\t`, a quote `\"`, a backslash `\\`, so the text
// scrubber run on JSON text misses what escaping changes (`api_key:\t"x"`, a JSON string literal
// inside a string, a token after `\n`) while the scrub of the unescaped string finds it. The
// prefilters below fire on JSON text wherever TOKEN_PREFILTER or ASSIGNMENT_PREFILTER fires on one
// of its strings once unescaped, given the escapes JSON.stringify writes (`\"`, `\\`, `\b\f\n\r\t`,
// `\u00XX` for other control characters, `\uXXXX` for lone surrogates) and `\/`:
// - key words, token prefixes, letters, digits, `=`, `:`, `.`, `-`, `_`, space are never escaped;
// - the quote a key word may end with (`"`, `\"`, `'` or `\'` in the string) gets up to three
//   backslashes before it (the variant also takes backslashes without a quote: V8 runs that
//   form faster, and a broader prefilter only costs a walk);
// - a tab is `\t`;
// - the URL shape's parts may hold escaped characters, each at most six characters long.
// Any other escape of a printable ASCII character (`\u0041`: some serializers write `'` or `=`
// so) could hide a literal: ASCII_ESCAPE counts as a hit too. Go's `\u003c`, `\u003e`, `\u0026`
// (`<`, `>`, `&`) are in no prefilter and do not count. Each is a superset of its plain-text
// prefilter on the same text, so text they do not fire on is left as scrubSecrets would leave it.

const JSON_TOKEN_PREFILTER = tokenPrefilter(String.raw`\\?/`, 6);
const JSON_ASSIGNMENT_PREFILTER = assignmentPrefilter(
  String.raw`\\{0,3}["']?`,
  String.raw`(?:[ \t]|\\t)`,
);
const ASCII_ESCAPE = /\\u00(?:09|(?!26|3[CcEe])[2-7][0-9A-Fa-f])/;

/**
 * True when `a` and `b` have the same structure: the same kinds of value at the same places,
 * arrays of the same lengths, objects with as many keys (key text may differ: it is scrubbed).
 */
function sameShape(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === typeof b && (a === null) === (b === null);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const av = Object.values(a);
  const bv = Object.values(b);
  return av.length === bv.length && av.every((v, i) => sameShape(v, bv[i]));
}

/**
 * Scrubs serialized JSON and returns valid serialized JSON of the same structure. Text that is
 * not JSON is scrubbed as text: the result is then exactly `scrubSecrets(json)`.
 *
 * Contract: every string value `s` inside `json` comes out as `scrubSecrets(s)`, or as
 * `[FILTERED]` under a secret-named key (see scrubJsonValue), however JSON escaping wrote it (a
 * tab as `\t`, a newline before a token as `\n`, a string literal's `\"` as `\\\"`, `\/`,
 * `\u0041`). Only when an object key fires a prefilter does a text pass over the JSON text run
 * too, and it may filter more in a string, never less. So the stored JSON never keeps a secret
 * that the plain-text scrub of the same string removes. Limits: object keys are scrubbed only
 * when that text pass runs (by it, or one by one where it would merge or break them); a subtree
 * nested deeper than MAX_JSON_DEPTH becomes `[FILTERED]`.
 *
 * Cost: when no JSON prefilter fires on the text (the common case) nothing else runs and `json`
 * itself is returned. Otherwise the text is parsed and walked (the strings scrubbed by the
 * passes whose prefilter fired), and re-serialized only if the walk changed something. When
 * an object key fires a prefilter (`"Authorization"`, a key holding a token), the result is then
 * also scrubbed as text: that catches what spans a key and its value (`"Authorization": "Basic
 * …"`) and secrets in keys, and is kept only when it still parses to the same structure.
 * Returns the very same string when nothing was found.
 */
export function scrubJsonText(json: string): string {
  // The passes scrubSecrets may need on some string of `json` once unescaped: `tokens` is false
  // when TOKEN_PREFILTER can fire on none of them, `assignments` likewise. Both false: no string
  // can hold a secret, and scrubSecrets(json) would return `json` too.
  let tokens = JSON_TOKEN_PREFILTER.test(json);
  let assignments = JSON_ASSIGNMENT_PREFILTER.test(json);
  if (!(tokens && assignments) && ASCII_ESCAPE.test(json)) tokens = assignments = true;
  if (!tokens && !assignments) return json;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch {
    return scrubSecrets(json);
  }
  const state: WalkState = { tokens, assignments, keyMayMatch: false };
  const walked = walk(parsed, undefined, 0, state);
  const base = walked === parsed ? json : JSON.stringify(walked);
  if (!state.keyMayMatch) return base;
  const scrubbed = scrubSecrets(base);
  if (scrubbed === base) return base;
  try {
    if (sameShape(walked, JSON.parse(scrubbed) as unknown)) return scrubbed;
  } catch {
    // The text pass cut across the JSON syntax: the walk's result stands, its keys scrubbed.
  }
  // E.g. two keys that are secrets became one `[FILTERED]` key: scrub the keys one by one.
  return JSON.stringify(scrubKeys(walked, 0));
}

/** `value` with every object key scrubbed as text; keys that become alike are numbered. */
function scrubKeys(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth >= MAX_JSON_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => scrubKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const scrubbed = scrubSecrets(k);
    let key = scrubbed;
    for (let n = 2; key !== k && Object.hasOwn(out, key); n++) key = `${scrubbed} #${n}`;
    Object.defineProperty(out, key, {
      value: scrubKeys(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
