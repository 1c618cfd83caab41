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

/** Index just after the value starting at `i` (an object, array or string); -1 if malformed. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return skipString(text, i);
  let depth = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
      if (depth < 0) return -1;
    } else if (depth === 0 && (c === 0x2c || c === 0x7d)) {
      return i;
    }
    i++;
  }
  return -1;
}

function skipBlank(text: string, i: number): number {
  let c = text.charCodeAt(i);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
  return i;
}

/** The `jsonPayload` value of an entry's JSON text, exactly as written; null if unsure. */
export function findPayloadText(text: string): string | null {
  let i = skipBlank(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null;
  i++;
  let found: string | null = null;
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
    // An escaped key ("json\u0050ayload") decodes to the same name: give up rather than guess.
    if (text.slice(i, keyEnd).includes('\\')) return null;
    const isPayload = keyEnd - i === KEY.length && text.startsWith(KEY, i);
    i = skipBlank(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return null;
    i = skipBlank(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (valueEnd < 0) return null;
    if (isPayload) {
      if (found !== null) return null; // duplicate key: JSON.parse keeps the last; be safe
      found = text.slice(i, valueEnd);
    }
    i = valueEnd;
  }
}
