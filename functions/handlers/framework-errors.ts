/**
 * JSON answers for requests that fail inside functions-framework, before a target runs.
 *
 * functions-framework parses every body with Express's body parsers before calling the
 * function; when one fails (a `Content-Type: application/json` body that is not JSON, an
 * unsupported charset, an aborted upload) the error goes to Express's default final handler,
 * which answers an HTML page, with the stack trace and the server's paths outside
 * NODE_ENV=production. The framework has no hook for it (GoogleCloudPlatform/
 * functions-framework-nodejs#686; the fix, PR #685, is not released in 5.0.5), so this replaces
 * the default final handler of Express applications with one that answers JSON naming the
 * problem, like every other answer of the targets, and writes one log line. A request that
 * reaches a target is not affected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { createLogger, type Logger } from '../../shared/log';

type Handle = (
  req: IncomingMessage,
  res: ServerResponse,
  callback?: (err?: unknown) => void,
) => void;

let installed = false;
let logger: Logger = createLogger().child({ component: 'http' });

/** body-parser's error types (http-errors' `type`) and what to say for each. */
const BODY_ERRORS: Readonly<Record<string, string>> = {
  // The parser's SyntaxError quotes part of the body: never echoed (it may hold content).
  'entity.parse.failed': 'the request body is not valid JSON (Content-Type says JSON)',
  'entity.too.large': 'the request body is too large',
  'encoding.unsupported': 'the request body has an unsupported Content-Encoding',
  'charset.unsupported': 'the request body has an unsupported charset',
  'request.aborted': 'the request was aborted before its body was read',
  'request.size.invalid': 'the request body is shorter or longer than its Content-Length',
};

/** The status and one-line reason of an error that ended a request before the function. */
function describeFrameworkError(err: unknown): { status: number; error: string } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    status?: unknown;
    statusCode?: unknown;
    type?: unknown;
  };
  const raw = typeof e.status === 'number' ? e.status : e.statusCode;
  const status = typeof raw === 'number' && raw >= 400 && raw < 600 ? raw : 500;
  const known = typeof e.type === 'string' ? BODY_ERRORS[e.type] : undefined;
  return { status, error: known ?? (status < 500 ? 'bad request' : 'internal error') };
}

/**
 * Installs the JSON final handler on every Express application of the process (the ones
 * functions-framework creates, for `functions-framework --target` and for getTestServer).
 * Idempotent; `log` (if given) receives the line of each such request, component `http`
 * (the process may serve any of the targets: functions/index.ts registers all three).
 */
export function installJsonErrorAnswers(log?: Logger): void {
  if (log) logger = log.child({ component: 'http' });
  if (installed) return;
  installed = true;
  const proto = express.application as unknown as { handle: Handle };
  const original = proto.handle;
  proto.handle = function handle(this: unknown, req, res, callback) {
    // A mounted sub-application gets its parent's callback; only the outermost one falls back
    // to the default final handler, which this replaces.
    original.call(this, req, res, callback ?? ((err?: unknown) => answer(req, res, err)));
  };
}

function answer(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const { status, error } =
    err === undefined || err === null
      ? { status: 404, error: `no route for ${req.method ?? ''} ${req.url ?? ''}` }
      : describeFrameworkError(err);
  logger.summary(status >= 500 ? 'ERROR' : 'WARNING', 'request rejected', {
    status: 'rejected',
    httpStatus: status,
    method: req.method ?? null,
    error,
  });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Read (and drop) what is left of the body, so the connection can be reused.
  req.resume();
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ status: 'error', error }));
}
