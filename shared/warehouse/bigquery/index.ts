/**
 * The BigQuery warehouse adapter: the client (./client.ts), its errors (./errors.ts), insertAll
 * encoding, batching and partial failures (./insert-all.ts), query parameters
 * (./query-params.ts), result rows (./rows.ts) and the port implementation (./warehouse.ts).
 */
export { createBigQueryClient, type BigQueryClientOptions } from './client';
export {
  BigQueryInsertError,
  BigQueryQueryTimeoutError,
  BigQueryRequestError,
  type BigQueryErrorItem,
} from './errors';
export { encodeQueryParameters } from './query-params';
export { createBigQueryWarehouse, type BigQueryWarehouseOptions } from './warehouse';
