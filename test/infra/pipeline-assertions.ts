/** Queries over the recorded resources, shared by the infra test files. */
import type { Recorded } from './pulumi-mocks';

export function ofType(recorded: readonly Recorded[], type: string): Recorded[] {
  return recorded.filter((r) => r.type === type);
}

export function one(recorded: readonly Recorded[], type: string, name?: string): Recorded {
  const found = recorded.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}`);
  }
  return found[0] as Recorded;
}

/** Every string anywhere inside a value. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

export function get(value: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/**
 * The IAM member resources that grant a role on one resource, as `type -> [what, the input
 * naming it]`; DatasetAccess entries and table grants name theirs differently (below).
 */
const MEMBER_GRANTS: Readonly<Record<string, readonly [string, string]>> = {
  'gcp:projects/iAMMember:IAMMember': ['project', 'project'],
  'gcp:pubsub/topicIAMMember:TopicIAMMember': ['topic', 'topic'],
  'gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember': ['subscription', 'subscription'],
  'gcp:cloudrunv2/serviceIamMember:ServiceIamMember': ['service', 'name'],
  'gcp:storage/bucketIAMMember:BucketIAMMember': ['bucket', 'bucket'],
  'gcp:serviceaccount/iAMMember:IAMMember': ['serviceAccount', 'serviceAccountId'],
  'gcp:secretmanager/secretIamMember:SecretIamMember': ['secret', 'secretId'],
  'gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember': ['key', 'cryptoKeyId'],
};

/** Who a dataset access entry names, as an IAM member string. */
function datasetAccessMember(i: Record<string, unknown>): string {
  const email = String(i.userByEmail);
  if (i.userByEmail !== undefined) {
    return `${email.endsWith('.gserviceaccount.com') ? 'serviceAccount' : 'user'}:${email}`;
  }
  if (i.groupByEmail !== undefined) return `group:${String(i.groupByEmail)}`;
  if (i.domain !== undefined) return `domain:${String(i.domain)}`;
  return `other:${JSON.stringify(i)}`;
}

/**
 * Every grant in the stack as `member -> ["ROLE on RESOURCE", ...]`, from all the IAM-like
 * resources the program may use (a new kind of grant must be added here or the test fails).
 */
export function grantsByMember(recorded: readonly Recorded[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (member: unknown, grant: string): void => {
    const key = String(member);
    out.set(key, [...(out.get(key) ?? []), grant].sort());
  };
  for (const r of recorded) {
    const i = r.inputs;
    const member = MEMBER_GRANTS[r.type];
    if (member) {
      const [what, input] = member;
      add(i.member, `${String(i.role)} on ${what} ${String(i[input])}`);
    } else if (r.type === 'gcp:bigquery/datasetAccess:DatasetAccess') {
      // Authorized views are checked on their own.
      if (!i.view)
        add(datasetAccessMember(i), `${String(i.role)} on dataset ${String(i.datasetId)}`);
    } else if (r.type === 'gcp:bigquery/iamMember:IamMember') {
      add(i.member, `${String(i.role)} on table ${String(i.datasetId)}.${String(i.tableId)}`);
    } else if (/iam|access/i.test(r.type)) {
      throw new Error(`unhandled grant resource ${r.type}`);
    }
  }
  return out;
}

/**
 * What would stop `pulumi destroy` deleting each resource, or make it leave the resource behind,
 * as `logical name -> [setting, ...]` (resources with none are left out). Provider defaults
 * count: a BigQuery table is deletion-protected unless told otherwise, a dataset is not emptied,
 * a bucket with objects is not deleted, and a Firestore database is abandoned (left running).
 */
export function destroyGuards(recorded: readonly Recorded[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of recorded) {
    const i = r.inputs;
    const guards: string[] = [];
    if (i.deletionProtection === true) guards.push('deletionProtection');
    if (r.type === 'gcp:bigquery/table:Table' && i.deletionProtection === undefined) {
      guards.push('deletionProtection (provider default)');
    }
    if (i.deleteProtectionState === 'DELETE_PROTECTION_ENABLED') {
      guards.push('deleteProtectionState');
    }
    if (i.deletionPolicy === 'PREVENT' || i.deletionPolicy === 'ABANDON') {
      guards.push(`deletionPolicy ${String(i.deletionPolicy)}`);
    }
    if (r.type === 'gcp:firestore/database:Database' && i.deletionPolicy === undefined) {
      guards.push('deletionPolicy ABANDON (provider default)');
    }
    if (r.type === 'gcp:bigquery/dataset:Dataset' && i.deleteContentsOnDestroy !== true) {
      guards.push('deleteContentsOnDestroy');
    }
    if (r.type === 'gcp:storage/bucket:Bucket' && i.forceDestroy !== true) {
      guards.push('forceDestroy');
    }
    if (guards.length > 0) out.set(r.name, guards);
  }
  return out;
}
