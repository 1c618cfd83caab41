/**
 * Small HTTP helpers shared by the three targets: reading an optional JSON body the way
 * functions-framework hands it over, and answering with JSON.
 */
import type { Request, Response } from '@google-cloud/functions-framework';

/**
 * Answers with a JSON body (also for errors, so curl and Scheduler logs show a reason). Through
 * Node's own response methods, not Express's `res.send`, which per answer re-derives the
 * content type and charset, converts the body to a Buffer and checks request freshness: none of
 * it applies to a JSON answer to a POST (the framework disables ETags), and it was a visible
 * part of `ingest`'s CPU per message in a profile.
 */
export function sendJson(res: Response, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * The request body as a JSON value: functions-framework parses `application/json` (an object),
 * gives text types as a string and anything else as a Buffer; no body at all is `undefined`.
 * An empty body is `{}`, as Cloud Scheduler sends none by default.
 */
export function readJsonBody(
  req: Request,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const body: unknown = req.body;
  if (body === undefined || body === null) return { ok: true, value: {} };
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return { ok: true, value: body };
  const text = (Buffer.isBuffer(body) ? body.toString('utf8') : body).trim();
  if (text === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: 'the request body is not JSON' };
  }
}

/** Milliseconds since `start` (from `performance.now()`), rounded to 0.1 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/**
 * The Cloud Logging trace field of a request, so the summary line is shown under its request in
 * the console: `projects/P/traces/T` from `traceparent` (W3C) or `X-Cloud-Trace-Context`.
 */
export function traceFields(req: Request, projectId: string | null): Record<string, string> {
  if (!projectId) return {};
  const traceparent = req.get('traceparent');
  const w3c = traceparent ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;
  const legacy = req.get('x-cloud-trace-context')?.match(/^([0-9a-f]{32})/)?.[1];
  const trace = w3c ?? legacy;
  return trace ? { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${trace}` } : {};
}
