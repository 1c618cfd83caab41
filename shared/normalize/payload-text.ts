/**
 * Finds the text of `jsonPayload` inside the JSON text of a log entry, so the `payload` column
 * can store the payload as received without serializing the parsed object again (that
 * JSON.stringify cost about as much as all the rest of normalization; measured in bench/).
 *
 * Scans the top-level object only: strings are skipped with indexOf (native, fast), nested
 * values by depth. Returns null when it cannot be sure (no such key, a duplicate key, which
 * JSON.parse resolves to the last one, or malformed text); the caller then serializes.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const KEY = '"jsonPayload"';

/** Index just after the string starting at `i` (a quote), or -1 if unterminated. */
function skipString(text: string, i: number): number {
  let q = text.indexOf('"', i + 1);
  while (q !== -1) {
    let bs = 0;
    while (text.charCodeAt(q - 1 - bs) === BACKSLASH) bs++;
    if (bs % 2 === 0) return q + 1;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

/**
 * Deepest nesting seen by the last skipValue call: skipValue's second result, read right after the
 * call with no await in between (so no other call can interleave), without allocating a pair per value.
 */
let lastDepth = 0;

/** Index just after the value starting at `i` (an object, array or string); -1 if malformed. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  lastDepth = 0;
  if (first === QUOTE) return skipString(text, i);
  const n = text.length;
  if (first !== 0x7b && first !== 0x5b) {
    // A number or literal: it ends at the next separator, or with the text.
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x2c || c === 0x7d || c === 0x5d) return i;
      i++;
    }
    return n;
  }
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > lastDepth) lastDepth = depth;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

function decodeKey(quoted: string): unknown {
  try {
    return JSON.parse(quoted);
  } catch {
    return null;
  }
}

function skipBlank(text: string, i: number): number {
  let c = text.charCodeAt(i);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
  return i;
}

/** Text of a JSON value and its nesting depth (0 for a scalar, 1 for `{}`, ...). */
export interface JsonSlice {
  text: string;
  depth: number;
}

/** Nesting depth of valid JSON text (strings are skipped); -1 if it is not well formed. */
export function jsonDepth(text: string): number {
  const i = skipBlank(text, 0);
  return skipValue(text, i) < 0 ? -1 : lastDepth;
}

/** True when a parsed JSON value nests deeper than `max`. Iterative: any depth is safe. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return false;
}

/**
 * The `jsonPayload` value of an entry's JSON text, exactly as written, with its depth; null if
 * unsure.
 */
export function findPayloadText(text: string): JsonSlice | null {
  let i = skipBlank(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null;
  i++;
  let found: JsonSlice | null = null;
  for (;;) {
    i = skipBlank(text, i);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return found;
    if (c === 0x2c) {
      i++;
      continue;
    }
    if (c !== QUOTE) return null;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return null;
    // A key with escapes ("json\u0050ayload") is decoded to compare it (rare, so cheap).
    const isPayload = text.slice(i, keyEnd).includes('\\')
      ? decodeKey(text.slice(i, keyEnd)) === 'jsonPayload'
      : keyEnd - i === KEY.length && text.startsWith(KEY, i);
    i = skipBlank(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return null;
    i = skipBlank(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (valueEnd < 0) return null;
    if (isPayload) {
      if (found !== null) return null; // duplicate key: JSON.parse keeps the last; be safe
      found = { text: text.slice(i, valueEnd), depth: lastDepth };
      // The rest can only hold a second payload key if the name, or an escape that could spell
      // it, occurs there at all; two native searches spare scanning the rest (labels, resource).
      if (text.indexOf(KEY, valueEnd) < 0 && text.indexOf('\\u', valueEnd) < 0) return found;
    }
    i = valueEnd;
  }
}
