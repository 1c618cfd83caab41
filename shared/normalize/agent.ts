/**
 * Agent traffic inside ordinary messages. Agent mode logs each tool call the model makes as a
 * whole output message `name({...json arguments...})` (e.g. `read_file({"absolute_path":"..."})`)
 * and each tool result the client sends back as an input message
 * `FunctionResponse{name: read_file, response: {...}}`. Anything else is text.
 */
import { jsonDepth } from './payload-text';

export interface ToolCall {
  name: string;
  /** The arguments object as JSON text (exactly as sent, validated), or null for `name()`. */
  arguments: string | null;
}

export interface ToolResult {
  name: string;
  /** Characters of the result (the `response: ...` part). */
  chars: number;
}

/** Deepest tool-argument nesting read as a call (real arguments nest 2-4 levels). */
export const MAX_ARGUMENT_DEPTH = 100;

const TOOL_CALL_HEAD = /^([A-Za-z_][A-Za-z0-9_.-]{0,127})\(/;
const TOOL_RESULT_HEAD = /^FunctionResponse\{\s*name:\s*([^,{}\s]{1,128})\s*,\s*response:\s*/;
const CLOSE_PAREN = 0x29;
const CLOSE_BRACE = 0x7d;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a message that is one whole tool call, `name({...})` or `name()`; null when it is not
 * (prose that merely mentions a call, arguments that are not a JSON object).
 */
export function parseToolCall(content: string): ToolCall | null {
  const text = content.trim();
  if (text.charCodeAt(text.length - 1) !== CLOSE_PAREN) return null;
  const head = TOOL_CALL_HEAD.exec(text);
  if (!head) return null;
  const name = head[1] as string;
  const args = text.slice(head[0].length, -1).trim();
  if (args === '') return { name, arguments: null };
  if (args.charCodeAt(0) !== 0x7b) return null;
  // Arguments are stored as JSON and walked recursively by the content policy: bound the depth.
  const depth = jsonDepth(args);
  if (depth < 1 || depth > MAX_ARGUMENT_DEPTH) return null;
  try {
    return isPlainObject(JSON.parse(args)) ? { name, arguments: args } : null;
  } catch {
    return null;
  }
}

/** Parses a message that is a tool result, `FunctionResponse{name: X, response: ...}`; else null. */
export function parseToolResult(content: string): ToolResult | null {
  if (!content.startsWith('FunctionResponse{')) return null;
  const text = content.trimEnd();
  if (text.charCodeAt(text.length - 1) !== CLOSE_BRACE) return null;
  const head = TOOL_RESULT_HEAD.exec(text);
  if (!head) return null;
  return { name: head[1] as string, chars: text.length - head[0].length - 1 };
}
