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
 * It works on raw text and on JSON text alike: value classes stop at `\` and `"`, so a
 * replacement never cuts an escape sequence; `scrubJsonText` re-parses to guarantee validity.
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
 */
const TOKEN_PREFILTER =
  /PRIVATE KEY|AIza|ya29\.|1\/\/0|GOCSPX-|A[KSB]IA|ACCA|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt|soat|ft|cbt)-|xox[abprs]-|hooks\.slack\.com|eyJ|:\/\/[^\s/@:]{1,128}:[^\s/@]{1,256}@/;

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
 * mentions `key` or `token` somewhere; far less of it assigns to one.
 */
const ASSIGNMENT_PREFILTER = new RegExp(
  String.raw`(?:${SECRET_KEY_WORDS})(?:\\?["'])?[ \t]{0,16}(?:=|:(?!:))|bearer|authorization`,
  'i',
);

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
  let out = text;
  if (TOKEN_PREFILTER.test(out)) out = replaceTokens(out);
  if (ASSIGNMENT_PREFILTER.test(out)) out = replaceAssignments(out);
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

/**
 * Scrubs every string inside a parsed JSON value (object keys kept); a string under a
 * secret-named key (e.g. `"client_secret"`) is replaced whole unless it is a placeholder. A
 * subtree nested deeper than MAX_JSON_DEPTH is replaced by `[FILTERED]` (no stack overflow on
 * hostile input).
 */
export function scrubJsonValue(value: unknown, key?: string, depth = 0): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_JSON_KEY.test(key) && !isPlaceholder(value)) return FILTERED;
    return scrubSecrets(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) return FILTERED;
  if (Array.isArray(value)) return value.map((v) => scrubJsonValue(v, undefined, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubJsonValue(v, k, depth + 1);
  return out;
}

/**
 * Scrubs serialized JSON and returns serialized JSON that is still valid. Fast path: the text
 * scrubber on the JSON text itself (its value classes never cut an escape sequence); the result
 * is re-parsed only when something was replaced, and if that ever fails the value is parsed,
 * walked and re-serialized instead. Text that is not JSON to begin with is scrubbed as text.
 */
export function scrubJsonText(json: string): string {
  const scrubbed = scrubSecrets(json);
  if (scrubbed === json) return json;
  try {
    JSON.parse(scrubbed);
    return scrubbed;
  } catch {
    try {
      return JSON.stringify(scrubJsonValue(JSON.parse(json) as unknown));
    } catch {
      return scrubbed;
    }
  }
}
