/**
 * GoogleSQL's own analyzer (ZetaSQL, the front end BigQuery's dialect is defined by), run as the
 * local gRPC server that the npm package `@fivetrandevelopers/zetasql` ships for Linux x86-64, so
 * the BigQuery SQL we send is checked by BigQuery's grammar, name resolution and type rules rather
 * than only after rendering it to DuckDB:
 *
 *   const analyzer = await startBigQueryAnalyzer({ projectId: 'p' });
 *   const error = await analyzer.analyze(sql, encodeQueryParameters(params)); // null when valid
 *   await analyzer.close();
 *
 * The catalog is generated from the table registry: every table and view, named as the BigQuery
 * adapter renders it (`project.dataset.table`, one quoted identifier), with the registry's column
 * types (RECORD -> STRUCT, REPEATED -> ARRAY). Query parameters are declared with the types the
 * adapter sends (its REST encoding), so a parameter of the wrong type fails as it would in
 * BigQuery.
 *
 * The server is started here, not through the package's `runServer` (which never resolves and
 * kills by a module global): in its own process group on a free loopback port, stopped with the
 * group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { LanguageOptions, ZetaSQLClient, type AnalyzeRequest } from '@fivetrandevelopers/zetasql';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto';
import type { SimpleTableProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleTableProto';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto';
import { REGISTRY, type ColumnDef } from '../../shared/tables/registry';
import { renderSql } from '../../shared/sql/render';

/** A query parameter as the BigQuery adapter sends it (the REST `QueryParameter`, types only). */
export interface TypedParameter {
  name: string;
  parameterType: { type: string; arrayType?: { type: string } };
}

export interface BigQueryAnalyzer {
  /** Analyzes one statement; returns null when BigQuery's analyzer accepts it, else its error. */
  analyze(sql: string, params?: readonly TypedParameter[]): Promise<string | null>;
  close(): Promise<void>;
}

const SCALAR_KINDS: Record<string, TypeProto['typeKind']> = {
  STRING: 'TYPE_STRING',
  INT64: 'TYPE_INT64',
  FLOAT64: 'TYPE_DOUBLE',
  BOOL: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP',
  DATE: 'TYPE_DATE',
  JSON: 'TYPE_JSON',
};

function scalarType(type: string): TypeProto {
  const kind = SCALAR_KINDS[type];
  if (!kind) throw new Error(`no ZetaSQL type for BigQuery type ${type}`);
  return { typeKind: kind };
}

function columnType(col: ColumnDef): TypeProto {
  const element: TypeProto =
    col.type === 'RECORD'
      ? {
          typeKind: 'TYPE_STRUCT',
          structType: {
            field: (col.fields ?? []).map((f) => ({ fieldName: f.name, fieldType: columnType(f) })),
          },
        }
      : scalarType(col.type);
  return col.mode === 'REPEATED'
    ? { typeKind: 'TYPE_ARRAY', arrayType: { elementType: element } }
    : element;
}

function parameterType(p: TypedParameter): TypeProto {
  if (p.parameterType.type === 'ARRAY') {
    return {
      typeKind: 'TYPE_ARRAY',
      arrayType: { elementType: scalarType(p.parameterType.arrayType?.type ?? 'STRING') },
    };
  }
  return scalarType(p.parameterType.type);
}

/** Every registry table as BigQuery sees it: named exactly as the adapter renders references. */
function catalogTables(projectId: string): SimpleTableProto[] {
  return REGISTRY.map((def) => {
    const rendered = renderSql(`\`${def.dataset}.${def.name}\``, { engine: 'bigquery', projectId });
    return {
      name: rendered.replace(/`/g, ''),
      column: def.columns.map((c) => ({ name: c.name, type: columnType(c) })),
    };
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The server binary of the package, for this machine; a clear error where there is none. */
function serverBinary(): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the ZetaSQL analyzer server ships for Linux x86-64 only (this is ${process.platform}/${process.arch})`,
    );
  }
  const pkg = dirname(require.resolve('@fivetrandevelopers/zetasql/package.json'));
  const binary = join(pkg, 'lib', 'zetasql', 'remote_server.so');
  if (!existsSync(binary)) throw new Error(`ZetaSQL server binary missing: ${binary}`);
  return binary;
}

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(serverBinary(), ['localhost', String(port)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ZetaSQL server did not start in 60 s: ${output}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ZetaSQL server exited (${String(code)}): ${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      resolve();
    }
  });
}

/**
 * Starts the analyzer with a catalog of the registry's tables for `projectId` and BigQuery's
 * language: external product mode (FLOAT64, no unsigned types) with every released feature.
 */
export async function startBigQueryAnalyzer(opts: {
  projectId: string;
}): Promise<BigQueryAnalyzer> {
  const port = await freePort();
  const child = await startServer(port);
  try {
    ZetaSQLClient.init(port);
    const client = ZetaSQLClient.getInstance();
    if (!(await client.testConnection())) throw new Error('ZetaSQL server does not answer');
    const features = await new LanguageOptions().enableMaximumLanguageFeatures();
    const languageOptions: LanguageOptionsProto = {
      ...features.serialize(),
      productMode: 'PRODUCT_EXTERNAL',
    };
    const registered = await client.registerCatalog({
      simpleCatalog: {
        name: 'bigquery',
        table: catalogTables(opts.projectId),
        builtinFunctionOptions: { languageOptions },
      },
    });
    if (!registered) throw new Error('ZetaSQL did not register the catalog');
    const catalogId = registered.registeredId;
    return {
      async analyze(sql, params = []) {
        const request: AnalyzeRequest = {
          registeredCatalogId: catalogId,
          sqlStatement: sql,
          options: {
            languageOptions,
            parameterMode: 'PARAMETER_NAMED',
            errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
            queryParameters: params.map((p) => ({ name: p.name, type: parameterType(p) })),
          },
        };
        try {
          await client.analyze(request);
          return null;
        } catch (err) {
          const details = (err as { details?: unknown }).details;
          return typeof details === 'string' && details ? details : String(err);
        }
      },
      async close() {
        ZetaSQLClient.API.close();
        await stopServer(child);
      },
    };
  } catch (err) {
    await stopServer(child);
    throw err;
  }
}
