/**
 * The BigQuery client with the adapter's bounded, deterministic retry policy.
 *
 * Whole requests that fail (HTTP 408/429/5xx, rate-limit reasons, connection errors) are retried
 * by the client `maxRetries` times (default 2) after at most `maxRetryDelayMs` (default 1 s)
 * each; then the error reaches the adapter, which wraps it in BigQueryRequestError. The client
 * has no working per-attempt time limit (see DEFAULT_CALL_TIMEOUT_MS): the adapter bounds every
 * call with its own deadline instead.
 *
 * BIGQUERY_EMULATOR_HOST (the variable of the official client and of the community BigQuery
 * emulator) points the client at an emulator or a local fake, without credentials.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';

/**
 * Deadline of one client call, its retries included (the adapter's `callTimeoutMs`): room for 3
 * attempts of about 15 s (results are long-polled for 5 s) and 2 retry delays of 1 s. The
 * client's own per-request `timeout` is ignored by its HTTP layer (teeny-request passes it to
 * node-fetch 3, which dropped the option: googleapis/google-cloud-node#7998), so a server that
 * accepts the connection and never answers would hang a call forever without this deadline.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 47_000;

/**
 * retry-request's `totalTimeout`, in seconds. It must never cut a retry short (retry-request
 * then never calls back, which would hang the call), so it sits far above any call deadline;
 * the number of attempts and the adapter's deadline bound the time.
 */
const RETRY_TOTAL_TIMEOUT_S = 600;

export interface BigQueryClientOptions {
  projectId: string;
  location?: string;
  /**
   * A BigQuery REST endpoint that takes no credentials (an emulator, a local fake): `host:port`
   * (plain HTTP) or a URL. Default: BIGQUERY_EMULATOR_HOST of the environment; unset or empty
   * means BigQuery itself, with Application Default Credentials.
   */
  emulatorHost?: string;
  /** Client retries of a failed request (HTTP 408/429/5xx, no response); default 2. */
  maxRetries?: number;
  /** Upper bound of the delay before a retry; default 1 s. */
  maxRetryDelayMs?: number;
  /**
   * The client class to instantiate; default the one imported here. Tests under jest pass the
   * class loaded through Node's own loader (see test/helpers/fake-bigquery.ts).
   */
  clientClass?: typeof BigQuery;
}

/** `host:port` or a URL -> the endpoint URL (`http://` when no scheme: emulators speak HTTP). */
export function emulatorEndpoint(host: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`;
  return url.replace(/\/+$/, '');
}

/**
 * Builds a BigQuery client with the adapter's retry policy (see the module comment). Pass it as
 * `bigquery` to createBigQueryWarehouse, or let the adapter build one. With an emulator host
 * (option, else BIGQUERY_EMULATOR_HOST in `env`) requests go there and carry no credentials.
 */
export function createBigQueryClient(
  opts: BigQueryClientOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BigQuery {
  const maxRetries = opts.maxRetries ?? 2;
  const maxRetryDelayMs = opts.maxRetryDelayMs ?? 1_000;
  const Client = opts.clientClass ?? BigQuery;
  const emulatorHost = opts.emulatorHost ?? env.BIGQUERY_EMULATOR_HOST;
  const endpoint = emulatorHost ? emulatorEndpoint(emulatorHost) : null;
  const client = new Client({
    projectId: opts.projectId,
    ...(opts.location ? { location: opts.location } : {}),
    ...(endpoint
      ? {
          apiEndpoint: endpoint,
          // The client reads BIGQUERY_EMULATOR_HOST for the endpoint but still authenticates:
          // google-auth-library would look for credentials and probe the metadata server before
          // the first request. Its PassThroughClient sends requests with no token and no lookup.
          authClient: new PassThroughClient(),
        }
      : {}),
    retryOptions: {
      // maxRetries: 0 must switch retries off: the client treats 0 as "unset" and uses 3.
      autoRetry: maxRetries > 0,
      maxRetries,
      retryDelayMultiplier: 2,
      // Seconds. Must stay > 0: retry-request never calls back when its delay comes out <= 0.
      maxRetryDelay: Math.max(maxRetryDelayMs, 1) / 1000,
      totalTimeout: RETRY_TOTAL_TIMEOUT_S,
    },
  });
  // As the client does for BIGQUERY_EMULATOR_HOST: the REST paths at the emulator's root (the
  // community emulator serves no `/bigquery/v2` prefix by default: goccy/bigquery-emulator#7),
  // here also for the option and for a variable without a scheme, which the client would use as
  // the base URL unchanged.
  if (endpoint) client.baseUrl = endpoint;
  return client;
}
