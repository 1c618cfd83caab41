/**
 * The SDK clients behind the backfill sources (shared/ops/logging-source.ts, storage-source.ts),
 * loaded only by `backfill`.
 *
 * Cloud Logging: the generated LoggingServiceV2Client of @google-cloud/logging with `fallback:
 * true`, i.e. REST (HTTP/1.1 + JSON) instead of gRPC, which is its default: one call per page,
 * and a local REST endpoint in the tests (`apiEndpoint`, `port`, `protocol: 'http'`).
 * Cloud Storage: @google-cloud/storage with `apiEndpoint` (the tests' local JSON API endpoint,
 * or STORAGE_EMULATOR_HOST); a custom endpoint gets no credentials (the client's default).
 */
import type { ListEntries, ListEntriesPage } from '../shared/ops/logging-source';
import type { StoragePort } from '../shared/ops/storage-source';

/** An auth client that adds no header: for a local endpoint, which needs none. */
const NO_AUTH = {
  getRequestHeaders: async () => ({}),
  universeDomain: 'googleapis.com',
};

export interface Closable<T> {
  port: T;
  close(): Promise<void>;
}

/** entries.list over REST; `endpoint` (`http://host:port`) for a local endpoint. */
export function openLoggingList(opts: { endpoint?: string }): Closable<ListEntries> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const logging = require('@google-cloud/logging') as typeof import('@google-cloud/logging');
  let local: Record<string, unknown> = {};
  if (opts.endpoint) {
    const url = new URL(opts.endpoint);
    local = {
      apiEndpoint: url.hostname,
      port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
      protocol: url.protocol.replace(':', ''),
      authClient: NO_AUTH,
    };
  }
  const client = new logging.v2.LoggingServiceV2Client({ fallback: true, ...local });
  const list: ListEntries = async (request) => {
    // autoPaginate off: one request per page, so the caller paces them and checkpoints.
    const [entries, , response] = await client.listLogEntries(request, {
      autoPaginate: false,
      // Our own backoff handles quota errors; gax retries only what it retries by default.
    });
    const next = (response as { nextPageToken?: string | null } | undefined)?.nextPageToken;
    return { entries: entries as unknown[], nextPageToken: next || null } satisfies ListEntriesPage;
  };
  return { port: list, close: () => client.close() };
}

/** Cloud Storage reads of one bucket; `endpoint` for a local JSON API endpoint. */
export function openStoragePort(opts: {
  bucket: string;
  endpoint?: string;
  projectId?: string;
}): Closable<StoragePort> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
  const storage = new sdk.Storage({
    ...(opts.endpoint ? { apiEndpoint: opts.endpoint } : {}),
    ...(opts.projectId ? { projectId: opts.projectId } : {}),
  });
  const bucket = storage.bucket(opts.bucket);
  return {
    port: {
      async list(prefix) {
        const [files] = await bucket.getFiles({ prefix, autoPaginate: true });
        return files.map((f) => f.name);
      },
      read(name) {
        return bucket.file(name).createReadStream() as AsyncIterable<Uint8Array>;
      },
    },
    close: async () => undefined,
  };
}
