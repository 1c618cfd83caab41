/**
 * A separate process for the cross-process tests of the local state store: bundled with esbuild
 * by local.test.ts and started several times at once. Prints one JSON line with its results.
 */
import { openLocalStateStore } from '../../../shared/state/local';

async function main(): Promise<void> {
  const [path, mode, id, countText] = process.argv.slice(2);
  if (!path || !mode || !id) throw new Error('usage: local-worker PATH lease|erasure ID [COUNT]');
  const store = await openLocalStateStore(path);
  if (mode === 'lease') {
    const lease = await store.acquireLease('recompute', id, 60_000, new Date(0));
    process.stdout.write(`${JSON.stringify({ won: lease !== null })}\n`);
  } else {
    const ids: string[] = [];
    for (let i = 0; i < Number(countText ?? '1'); i++) {
      ids.push((await store.requestErasure(`${id}-user-${i}`)).id);
    }
    process.stdout.write(`${JSON.stringify({ ids })}\n`);
  }
  await store.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
