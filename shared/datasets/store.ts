/**
 * Curated datasets of interactions: create (from a filter), list, read, delete. The selection is
 * stored in the raw dataset (gca_raw.datasets, gca_raw.dataset_members), never in gca_analytics:
 * it points at content, so only those who may read content may read it.
 *
 * Every statement goes through the Warehouse port in BigQuery Standard SQL. BigQuery runs no
 * multi-statement transaction here, so the dataset row is written last: a dataset exists (is
 * listed, shown, exported) only once all its members are written, and a failed create leaves
 * members that the next create or delete of the name removes.
 */
import { toMicrosIso } from '../normalize/time';
import type { QueryParams, Warehouse } from '../warehouse/port';
import { DATASET_NAME, DatasetFilterSchema, selectionSql, type DatasetFilter } from './selection';

/** A failure the user can fix (bad name, exists, nothing to curate): the CLI prints it. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

export interface DatasetInfo {
  name: string;
  description: string | null;
  filter: DatasetFilter;
  createdAt: string;
  /** Interactions selected at creation. */
  memberCount: number;
  /** Interactions in it now (erasure removes some). */
  members: number;
}

export interface CreateOptions {
  name: string;
  description?: string;
  filter: DatasetFilter;
  replace?: boolean;
  now: Date;
}

export interface CreateResult {
  dataset: DatasetInfo;
  /** Interactions that matched but were stored in metadata-only mode (no content to curate). */
  metadataOnly: number;
  /** Interactions that matched but whose content had expired. */
  expired: number;
  replaced: boolean;
}

/** Throws DatasetError for a name outside DATASET_NAME. */
export function checkDatasetName(name: string): void {
  if (!DATASET_NAME.test(name)) {
    throw new DatasetError(
      `invalid dataset name ${JSON.stringify(name)}: use letters, digits, _, - and . (at most 128, starting with a letter or digit)`,
    );
  }
}

const LIST_SQL = `SELECT d.dataset_name, d.description, d.filter_json, d.created_at, d.member_count,
  COALESCE(m.members, 0) AS members
FROM \`gca_raw.datasets\` AS d
LEFT JOIN (
  SELECT dataset_name, COUNT(*) AS members FROM \`gca_raw.dataset_members\` GROUP BY dataset_name
) AS m ON m.dataset_name = d.dataset_name`;

type Row = Record<string, unknown>;

function infoOf(r: Row): DatasetInfo {
  return {
    name: String(r.dataset_name),
    description:
      r.description === null || r.description === undefined ? null : String(r.description),
    filter: DatasetFilterSchema.parse(JSON.parse(String(r.filter_json))),
    createdAt: String(r.created_at),
    memberCount: Number(r.member_count ?? 0),
    members: Number(r.members ?? 0),
  };
}

/** Every dataset, by name. */
export async function listDatasets(warehouse: Warehouse): Promise<DatasetInfo[]> {
  const rows = await warehouse.query<Row>(`${LIST_SQL}\nORDER BY d.dataset_name`);
  return rows.map(infoOf);
}

/** The dataset `name`, or null. */
export async function getDataset(warehouse: Warehouse, name: string): Promise<DatasetInfo | null> {
  const rows = await warehouse.query<Row>(`${LIST_SQL}\nWHERE d.dataset_name = @name`, { name });
  return rows[0] ? infoOf(rows[0]) : null;
}

async function removeDataset(warehouse: Warehouse, name: string): Promise<number> {
  await warehouse.execute('DELETE FROM `gca_raw.datasets` WHERE dataset_name = @name', { name });
  return warehouse.execute('DELETE FROM `gca_raw.dataset_members` WHERE dataset_name = @name', {
    name,
  });
}

/** Deletes the dataset and its membership rows (never the interactions); false if unknown. */
export async function deleteDataset(warehouse: Warehouse, name: string): Promise<boolean> {
  const existing = await getDataset(warehouse, name);
  if (!existing) return false;
  await removeDataset(warehouse, name);
  return true;
}

/**
 * Creates dataset `name` from `filter`. Refuses an existing name unless `replace`, a filter that
 * matches nothing, and one whose matches hold no content (metadata-only mode, or expired).
 */
export async function createDataset(
  warehouse: Warehouse,
  opts: CreateOptions,
): Promise<CreateResult> {
  checkDatasetName(opts.name);
  const filter = DatasetFilterSchema.parse(opts.filter);
  const existing = await getDataset(warehouse, opts.name);
  if (existing && !opts.replace) {
    throw new DatasetError(
      `dataset ${opts.name} exists (${existing.members} interactions, created ${existing.createdAt}); use --replace to replace it`,
    );
  }
  const sel = selectionSql(filter);
  const [counts] = await warehouse.query<Row>(sel.countSql, sel.params);
  const matched = Number(counts?.matched ?? 0);
  const metadataOnly = Number(counts?.metadata_only ?? 0);
  const expired = Number(counts?.expired ?? 0);
  if (matched === 0) {
    throw new DatasetError(`no interaction matches the filter; dataset ${opts.name} not created`);
  }
  if (matched === metadataOnly + expired) {
    const why: string[] = [];
    if (metadataOnly > 0) {
      why.push(
        `${metadataOnly} stored in metadata-only content mode (no prompt or response text to curate)`,
      );
    }
    if (expired > 0) why.push(`${expired} past content expiry`);
    throw new DatasetError(
      `the ${matched} matching interactions hold no content: ${why.join(', ')}; dataset ${opts.name} not created`,
    );
  }
  // A leftover of a create that failed half-way, or the dataset being replaced.
  await removeDataset(warehouse, opts.name);
  const now = toMicrosIso(opts.now);
  const params: QueryParams = {
    ...sel.params,
    dataset_name: opts.name,
    added_at: { type: 'TIMESTAMP', value: now },
  };
  const members = await warehouse.execute(
    `INSERT INTO \`gca_raw.dataset_members\` (dataset_name, request_id, user_id, request_time, added_at)
SELECT @dataset_name, request_id, user_id, request_time, @added_at
FROM (
${sel.selectSql}
) AS selected`,
    params,
  );
  await warehouse.execute(
    `INSERT INTO \`gca_raw.datasets\` (dataset_name, description, filter_json, created_at, member_count)
SELECT @dataset_name, @description, @filter_json, @created_at, @member_count`,
    {
      dataset_name: opts.name,
      description: { type: 'STRING', value: opts.description ?? null },
      filter_json: JSON.stringify(filter),
      created_at: { type: 'TIMESTAMP', value: now },
      member_count: { type: 'INT64', value: members },
    },
  );
  const dataset = await getDataset(warehouse, opts.name);
  if (!dataset) throw new Error(`dataset ${opts.name} was not written`);
  return { dataset, metadataOnly, expired, replaced: existing !== null };
}

/** One member as `datasets show` lists it. */
export interface DatasetMemberView {
  requestId: string;
  requestTime: string | null;
  userId: string | null;
  /** request_kind of its request row; null when the row is gone (row expiry). */
  kind: string | null;
  contentMode: string | null;
  /** The request row still holds content (payload). */
  hasContent: boolean;
}

/** Members of a dataset in request_id order, at most `limit` (all when null). */
export async function listDatasetMembers(
  warehouse: Warehouse,
  name: string,
  limit: number | null,
): Promise<DatasetMemberView[]> {
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new DatasetError(`invalid limit ${limit}`);
  }
  const rows = await warehouse.query<Row>(
    `SELECT m.request_id, m.request_time, m.user_id, r.request_kind, r.content_mode,
  r.has_content
FROM \`gca_raw.dataset_members\` AS m
LEFT JOIN (
  SELECT request_id, ANY_VALUE(request_kind) AS request_kind,
    ANY_VALUE(content_mode) AS content_mode, LOGICAL_OR(payload IS NOT NULL) AS has_content
  FROM \`gca_raw.requests\`
  WHERE request_id IN (SELECT request_id FROM \`gca_raw.dataset_members\` WHERE dataset_name = @name)
  GROUP BY request_id
) AS r ON r.request_id = m.request_id
WHERE m.dataset_name = @name
ORDER BY m.request_id${limit === null ? '' : `\nLIMIT ${limit}`}`,
    { name },
  );
  return rows.map((r) => ({
    requestId: String(r.request_id),
    requestTime: r.request_time === null ? null : String(r.request_time),
    userId: r.user_id === null ? null : String(r.user_id),
    kind: r.request_kind === null ? null : String(r.request_kind),
    contentMode: r.content_mode === null ? null : String(r.content_mode),
    hasContent: r.has_content === true,
  }));
}
