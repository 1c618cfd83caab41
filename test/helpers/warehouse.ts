/**
 * Warehouses that misbehave on purpose (fail, count or record writes) around a real one, and the
 * real port factories opening them, for the tests of retries, dead letters and quarantine.
 */
import { DEFAULT_FACTORIES, type DepsFactories } from '../../shared/deps';
import type { Warehouse } from '../../shared/warehouse/port';

/**
 * `real` with some methods replaced. The others are delegated one by one: the adapters are
 * classes, whose methods a spread (`{ ...real }`) would not copy.
 */
export function wrapWarehouse(
  real: Warehouse,
  overrides: Partial<Omit<Warehouse, 'engine'>>,
): Warehouse {
  return {
    engine: real.engine,
    ensureSchema: () => real.ensureSchema(),
    insertRaw: (batch) => real.insertRaw(batch),
    query: (sql, params) => real.query(sql, params),
    execute: (sql, params) => real.execute(sql, params),
    close: () => real.close(),
    ...overrides,
  };
}

/** The real port factories, every warehouse they open passed through `wrap`. */
export function factoriesWrapping(wrap: (real: Warehouse) => Warehouse): DepsFactories {
  return {
    ...DEFAULT_FACTORIES,
    openWarehouse: async (config) => wrap(await DEFAULT_FACTORIES.openWarehouse(config)),
  };
}

/** The error a BigQuery call gives when the service is briefly unavailable (retryable). */
export function serviceUnavailable(): Error {
  return Object.assign(new Error('Service Unavailable'), { code: 503 });
}
