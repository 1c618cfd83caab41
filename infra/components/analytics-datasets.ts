import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { RAW_TABLES, type Dataset, type TableDef } from '../../shared/tables/registry';
import { renderBigQuerySchema, renderBigQueryTableOptions } from '../../shared/tables/render';
import { formerName } from './aliases';

/** What this component was called in the first release (type and the program's name for it). */
export const ANALYTICS_DATASETS_FORMERLY = {
  type: 'gca-analytics:infra:Warehouse',
  name: 'warehouse',
} as const;

/** Service accounts of the functions, by what they do to the datasets. */
interface DatasetWriters {
  /** Streams rows into the raw tables (insertAll). */
  ingest: pulumi.Input<string>;
  /** Reads raw, rebuilds the analytics tables. */
  recompute: pulumi.Input<string>;
  /** Nulls content, deletes old and erased rows in raw, writes audit rows in analytics. */
  retention: pulumi.Input<string>;
}

export interface AnalyticsDatasetsArgs {
  project: string;
  /** Physical dataset id of each registry dataset (infra/naming.ts; `_`, never `-`). */
  datasetIds: Readonly<Record<Dataset, string>>;
  location: string;
  kmsKeyName?: string;
  /** The table registry: every table to create. */
  registry: readonly TableDef[];
  /** Service account emails of the functions. */
  writers: DatasetWriters;
  /** IAM principals (`user:`, `group:`, `serviceAccount:`, `domain:`) reading gca_analytics. */
  readers: readonly string[];
  /**
   * True (the stack default): tables refuse deletion and a dataset is never emptied
   * on destroy. False only to tear the stack down: everything, data included, can be deleted.
   */
  deletionProtection: boolean;
  /**
   * gca_raw's storage billing (LOGICAL or PHYSICAL) and time-travel window in hours (48 to
   * 168), each left to BigQuery when undefined: its storage is the one that counts on the bill
   * (docs/deploy.md, What it costs).
   */
  rawStorage: { billingModel?: 'LOGICAL' | 'PHYSICAL'; timeTravelHours?: number };
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const DATASET_DESCRIPTIONS: Record<Dataset, string> = {
  gca_raw:
    'Gemini Code Assist log entries as rows, prompts and responses included (under the content ' +
    'policy). Restricted: only the pipeline service accounts read it.',
  gca_analytics: 'Acceptance and usage figures without content, for analysts and Looker.',
};

/** The dataset arguments of gca_raw's storage settings: only those set. */
function rawStorageArgs(storage: AnalyticsDatasetsArgs['rawStorage']): {
  storageBillingModel?: string;
  maxTimeTravelHours?: string;
} {
  return {
    ...(storage.billingModel ? { storageBillingModel: storage.billingModel } : {}),
    ...(storage.timeTravelHours ? { maxTimeTravelHours: String(storage.timeTravelHours) } : {}),
  };
}

/** The entity of a dataset access entry for an IAM principal. */
export function accessEntityOf(
  principal: string,
): { userByEmail: string } | { groupByEmail: string } | { domain: string } {
  const [kind, ...rest] = principal.split(':');
  const value = rest.join(':');
  switch (kind) {
    case 'user':
    case 'serviceAccount':
      return { userByEmail: value };
    case 'group':
      return { groupByEmail: value };
    case 'domain':
      return { domain: value };
    default:
      throw new Error(`unsupported principal ${principal}`);
  }
}

/**
 * The two datasets, every registry table (day-partitioned, clustered, deletion-protected unless
 * `deletionProtection` is off) and the dataset grants.
 *
 * Grants on the datasets are all `DatasetAccess` entries: BigQuery's dataset IAM resources would
 * rewrite the dataset's access list and drop entries made outside this program. Each dataset starts with an
 * access list of project owners only, which removes the defaults that let every project viewer
 * and editor read it (ignoreChanges lets the DatasetAccess entries live beside it, as the
 * provider documents). Ingest gets table-level dataEditor on the four raw tables: insertAll needs
 * `tables.updateData` and nothing at the dataset level.
 */
export class AnalyticsDatasets extends pulumi.ComponentResource {
  readonly datasets: Record<Dataset, gcp.bigquery.Dataset>;
  readonly tables: Record<string, gcp.bigquery.Table>;

  constructor(name: string, args: AnalyticsDatasetsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Named apart from the `Warehouse` port (shared/warehouse/port.ts) that reads these datasets;
    // the alias keeps a stack deployed when this component was `Warehouse` named `warehouse`.
    super(
      'gca-analytics:infra:AnalyticsDatasets',
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), ANALYTICS_DATASETS_FORMERLY],
      },
    );
    const child = (suffix: string) => ({
      parent: this,
      ...formerName(`${name}-${suffix}`, suffix),
    });
    const encryption = args.kmsKeyName
      ? { defaultEncryptionConfiguration: { kmsKeyName: args.kmsKeyName } }
      : {};
    const datasets = {} as Record<Dataset, gcp.bigquery.Dataset>;
    for (const dataset of ['gca_raw', 'gca_analytics'] as const) {
      datasets[dataset] = new gcp.bigquery.Dataset(
        `${name}-${dataset}`,
        {
          project: args.project,
          datasetId: args.datasetIds[dataset],
          location: args.location,
          description: DATASET_DESCRIPTIONS[dataset],
          labels: { app: 'gca-analytics' },
          // Protected: a dataset holding tables Pulumi does not manage (made by hand or by a
          // tool) fails to delete rather than losing them. Unprotected: a teardown empties it.
          deleteContentsOnDestroy: !args.deletionProtection,
          accesses: [{ role: 'OWNER', specialGroup: 'projectOwners' }],
          ...encryption,
          ...(dataset === 'gca_raw' ? rawStorageArgs(args.rawStorage) : {}),
        },
        { ...child(dataset), dependsOn: args.dependsOn, ignoreChanges: ['accesses'] },
      );
    }
    this.datasets = datasets;

    const tables: Record<string, gcp.bigquery.Table> = {};
    for (const def of args.registry) {
      const options = renderBigQueryTableOptions(def);
      tables[`${def.dataset}.${def.name}`] = new gcp.bigquery.Table(
        `${name}-${def.dataset}-${def.name}`,
        {
          project: args.project,
          datasetId: datasets[def.dataset].datasetId,
          tableId: def.name,
          description: def.description,
          schema: JSON.stringify(renderBigQuerySchema(def)),
          ...(options.timePartitioning ? { timePartitioning: options.timePartitioning } : {}),
          ...(options.clustering ? { clusterings: options.clustering.fields } : {}),
          // Dropping a table loses data that the logs no longer hold: never as a side effect.
          deletionProtection: args.deletionProtection,
          labels: { app: 'gca-analytics' },
        },
        child(`${def.dataset}-${def.name}`),
      );
    }
    this.tables = tables;

    // Ingest: insert rows into the raw tables it writes (RAW_TABLES), nothing else: not the
    // curated datasets that also live in gca_raw.
    const ingestTables = args.registry.filter(
      (t) => t.dataset === 'gca_raw' && t.name in RAW_TABLES,
    );
    for (const def of ingestTables) {
      const table = tables[`${def.dataset}.${def.name}`];
      if (!table) continue;
      new gcp.bigquery.IamMember(
        `${name}-gca_raw-${def.name}-ingest-editor`,
        {
          project: args.project,
          datasetId: table.datasetId,
          tableId: table.tableId,
          role: 'roles/bigquery.dataEditor',
          member: pulumi.interpolate`serviceAccount:${args.writers.ingest}`,
        },
        child(`gca_raw-${def.name}-ingest-editor`),
      );
    }

    // Dataset access entries. Roles are given in the legacy form the API returns (READER is
    // roles/bigquery.dataViewer, WRITER is roles/bigquery.dataEditor), avoiding a diff on every
    // preview, as the provider advises.
    const entries: {
      name: string;
      dataset: Dataset;
      role: 'READER' | 'WRITER';
      email?: pulumi.Input<string>;
      principal?: string;
    }[] = [
      {
        name: 'recompute-reader',
        dataset: 'gca_raw',
        role: 'READER',
        email: args.writers.recompute,
      },
      {
        name: 'recompute-writer',
        dataset: 'gca_analytics',
        role: 'WRITER',
        email: args.writers.recompute,
      },
      {
        name: 'retention-writer',
        dataset: 'gca_raw',
        role: 'WRITER',
        email: args.writers.retention,
      },
      {
        name: 'retention-writer',
        dataset: 'gca_analytics',
        role: 'WRITER',
        email: args.writers.retention,
      },
      ...[...new Set(args.readers)].map((principal) => ({
        name: `reader-${principal.replace(/[^A-Za-z0-9]+/g, '-')}`,
        dataset: 'gca_analytics' as const,
        role: 'READER' as const,
        principal,
      })),
    ];
    for (const entry of entries) {
      const entity = entry.principal
        ? accessEntityOf(entry.principal)
        : { userByEmail: entry.email as pulumi.Input<string> };
      new gcp.bigquery.DatasetAccess(
        `${name}-${entry.dataset}-${entry.name}`,
        {
          project: args.project,
          datasetId: datasets[entry.dataset].datasetId,
          role: entry.role,
          ...entity,
        },
        child(`${entry.dataset}-${entry.name}`),
      );
    }

    this.registerOutputs({
      rawDatasetId: datasets.gca_raw.datasetId,
      analyticsDatasetId: datasets.gca_analytics.datasetId,
    });
  }
}
