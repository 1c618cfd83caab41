/**
 * Pulumi mocks for the infra tests: every resource the program registers is recorded with its
 * resolved inputs, and the outputs the cloud would compute (emails, writer identities, function
 * URLs, ids) are given explicit fake values, so an assertion on them can never pass on undefined.
 */
import * as pulumi from '@pulumi/pulumi';

export const PROJECT = 'acme-gca-prod';
export const PROJECT_NUMBER = '123456789012';
export const PUBSUB_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
export const BIGQUERY_AGENT = `serviceAccount:bq-${PROJECT_NUMBER}@bigquery-encryption.iam.gserviceaccount.com`;

/** The writer identity each sink type gets (distinct, so a test can tell them apart). */
export const WRITER_IDENTITIES: Record<string, string> = {
  'gcp:logging/projectSink:ProjectSink': `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com`,
  'gcp:logging/folderSink:FolderSink':
    'serviceAccount:service-folder-777@gcp-sa-logging.iam.gserviceaccount.com',
  'gcp:logging/organizationSink:OrganizationSink':
    'serviceAccount:service-org-888@gcp-sa-logging.iam.gserviceaccount.com',
};

/** The URL the mocked cloud gives a function named `name`. */
export function functionUrl(name: string): string {
  return `https://${name}-x7k2q9abcd-ew.a.run.app`;
}

export function saEmail(accountId: string): string {
  return `${accountId}@${PROJECT}.iam.gserviceaccount.com`;
}

/** A registered resource: its type token, logical name and resolved inputs. */
export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  /**
   * What the engine would create first, as `type::name`: the resources the SDK sent as this
   * one's dependencies (its `dependsOn`, components expanded to their children, and the
   * resources its inputs come from).
   */
  dependsOn: string[];
  /** The URN the mocked engine gave it. */
  urn: string;
  /** The URNs it answers to besides its own (its aliases, parents' aliases included). */
  aliasUrns: string[];
}

/** `urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME` -> `TYPE::NAME`. */
function fromUrn(urn: string): string {
  const parts = urn.split('::');
  const types = parts[2] ?? '';
  return `${types.split('$').pop() ?? types}::${parts.slice(3).join('::')}`;
}

/** The part of the mock monitor's register request the recording reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getAliasurnsList(): string[];
}

/** The URN the mock monitor gives a resource (its `newUrn`: the parent's type, then its own). */
function urnOf(req: RegisterRequest): string {
  const parent = req.getParent();
  const parentType = parent ? `${(parent.split('::')[2] ?? '').split('$').pop() ?? ''}$` : '';
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${parentType}${req.getType()}::${req.getName()}`;
}

type Inputs = Record<string, unknown>;

function text(inputs: Inputs, key: string, fallback: string): string {
  const v = inputs[key];
  return typeof v === 'string' ? v : fallback;
}

/** The outputs the provider would compute for a resource. */
function computed(type: string, name: string, inputs: Inputs): { id: string; state: Inputs } {
  const project = text(inputs, 'project', PROJECT);
  switch (type) {
    case 'gcp:serviceaccount/account:Account': {
      const email = saEmail(text(inputs, 'accountId', name));
      const id = `projects/${project}/serviceAccounts/${email}`;
      return { id, state: { email, member: `serviceAccount:${email}`, name: id } };
    }
    case 'gcp:projects/serviceIdentity:ServiceIdentity':
      return {
        id: `${name}-id`,
        state: {
          email: PUBSUB_AGENT.slice('serviceAccount:'.length),
          member: PUBSUB_AGENT,
        },
      };
    case 'gcp:logging/projectSink:ProjectSink':
    case 'gcp:logging/folderSink:FolderSink':
    case 'gcp:logging/organizationSink:OrganizationSink':
      return { id: `${name}-id`, state: { writerIdentity: WRITER_IDENTITIES[type] } };
    case 'gcp:pubsub/topic:Topic': {
      const topic = text(inputs, 'name', name);
      return { id: `projects/${project}/topics/${topic}`, state: { name: topic } };
    }
    case 'gcp:pubsub/subscription:Subscription': {
      const sub = text(inputs, 'name', name);
      return { id: `projects/${project}/subscriptions/${sub}`, state: { name: sub } };
    }
    case 'gcp:cloudfunctionsv2/function:Function': {
      const fn = text(inputs, 'name', name);
      const serviceConfig = (inputs.serviceConfig ?? {}) as Inputs;
      return {
        id: `projects/${project}/locations/${text(inputs, 'location', 'x')}/functions/${fn}`,
        state: { name: fn, serviceConfig: { ...serviceConfig, uri: functionUrl(fn) } },
      };
    }
    case 'gcp:bigquery/dataset:Dataset':
      return {
        id: `projects/${project}/datasets/${text(inputs, 'datasetId', name)}`,
        state: { project },
      };
    case 'gcp:bigquery/table:Table':
      return {
        id: `projects/${project}/datasets/${text(inputs, 'datasetId', '?')}/tables/${text(inputs, 'tableId', name)}`,
        state: { project },
      };
    case 'gcp:storage/bucket:Bucket':
    case 'gcp:storage/bucketObject:BucketObject':
    case 'gcp:firestore/database:Database':
    case 'gcp:logging/metric:Metric':
      return { id: `${name}-id`, state: { name: text(inputs, 'name', name) } };
    default:
      return { id: `${name}-id`, state: {} };
  }
}

/**
 * Installs the mocks (call BEFORE importing any program module) and returns the live list of
 * registered resources.
 */
export function installMocks(options: { aliasUrns?: boolean } = {}): Recorded[] {
  const recorded: Recorded[] = [];
  const requests = new Map<string, RegisterRequest>();
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Inputs } {
        const inputs = args.inputs as Inputs;
        const { id, state } = computed(args.type, args.name, inputs);
        const full = { ...inputs, ...state };
        const req = requests.get(`${args.type}::${args.name}`);
        recorded.push({
          type: args.type,
          name: args.name,
          inputs,
          state: full,
          dependsOn: req?.getDependenciesList().map(fromUrn) ?? [],
          urn: req ? urnOf(req) : '',
          aliasUrns: req?.getAliasurnsList() ?? [],
        });
        return { id, state: full };
      },
      call(args: pulumi.runtime.MockCallArgs): Inputs {
        if (args.token === 'gcp:bigquery/getDefaultServiceAccount:getDefaultServiceAccount') {
          return {
            email: BIGQUERY_AGENT.slice('serviceAccount:'.length),
            member: BIGQUERY_AGENT,
            project: PROJECT,
          };
        }
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    'gca-analytics',
    'test',
    false,
  );
  // Mocks give newResource no options; the register request carries the dependency list the
  // engine orders creation by, so the monitor's entry point records it first.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    requests.set(`${req.getType()}::${req.getName()}`, req);
    return register(req, callback);
  };
  if (options.aliasUrns) {
    // The SDK then resolves every alias, parents' included, to URNs itself, as it does for an
    // engine without alias specs; with specs the engine resolves them the same way.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime's own store
    const state = require('@pulumi/pulumi/runtime/state') as {
      getStore(): { supportsAliasSpecs: boolean };
    };
    state.getStore().supportsAliasSpecs = false;
  }
  return recorded;
}

/** Resolves an output's value (mocks always know it). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until no resource has been registered for a few turns of the event loop. */
export async function settle(recorded: readonly Recorded[]): Promise<void> {
  let stable = 0;
  let last = -1;
  while (stable < 5) {
    await new Promise((r) => setTimeout(r, 20));
    if (recorded.length === last) stable += 1;
    else {
      stable = 0;
      last = recorded.length;
    }
  }
}

/** Config as `pulumi.runtime.allConfig()` would return it. */
export function stackConfig(extra: Record<string, string> = {}): Record<string, string> {
  return { 'gcp:project': PROJECT, 'gcp:region': 'europe-west1', ...extra };
}
