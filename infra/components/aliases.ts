import type * as pulumi from '@pulumi/pulumi';

/**
 * Options for a child whose logical name changed when the components started naming their
 * children from their own name: an alias to the name it was deployed under, so `pulumi up`
 * adopts the existing resource instead of creating a second one (which would fail on the taken
 * physical name) and deleting the first (a dataset, a table, the Firestore database).
 */
export function formerName(
  current: string,
  previous: string,
): { aliases?: pulumi.Input<pulumi.Alias>[] } {
  return current === previous ? {} : { aliases: [{ name: previous }] };
}
