/**
 * The users whose data the operating paths (backfill, dead-letter replay, quarantine reprocess)
 * must never bring back. The durable list is the erasure requests in the state store (Firestore
 * in the cloud, `<db>.state.json` locally): a request is kept after it is done, so every user
 * ever erased, or waiting to be, is listed there. A pending request counts too: the user asked.
 *
 * A record belongs to an erased user when it normalizes to a row whose user_id (after the ingest
 * pseudonymizer) is one of their ids, or, when it does not normalize, when its text contains one
 * of their ids as a JSON string: the rule erasure itself applies to quarantine rows.
 */
import { erasureUserIds } from '../jobs/erasure';
import { normalizeText } from '../normalize/normalize';
import type { NormalizeContext } from '../normalize/outcome';
import type { StateStore } from '../state/port';

export interface ErasedUsers {
  /** Stored user ids of erased users: raw ids and, with pseudonymization on, their pseudonyms. */
  readonly ids: ReadonlySet<string>;
  /** `JSON.stringify(id)` of each id: what a raw text that names the user contains. */
  readonly needles: readonly string[];
}

export const NO_ERASED_USERS: ErasedUsers = { ids: new Set(), needles: [] };

/** Every user with an erasure request (pending or done), mapped like erasure maps them. */
export async function loadErasedUsers(
  state: StateStore,
  pseudonymizeUser?: (userId: string) => string,
): Promise<ErasedUsers> {
  const ids = new Set<string>();
  for (const request of await state.listErasureRequests()) {
    for (const id of erasureUserIds(request.userId, pseudonymizeUser)) ids.add(id);
  }
  return { ids, needles: [...ids].map((id) => JSON.stringify(id)) };
}

/** True when `text` names one of the erased users as a JSON string. */
export function mentionsErasedUser(text: string, erased: ErasedUsers): boolean {
  return erased.needles.some((needle) => text.includes(needle));
}

/**
 * True when the log entry `text` belongs to an erased user (see the module comment). `ctx` is
 * the ingest context, so pseudonymization matches what would be stored.
 */
export function isOfErasedUser(text: string, erased: ErasedUsers, ctx: NormalizeContext): boolean {
  if (erased.ids.size === 0) return false;
  const outcome = normalizeText(text, ctx);
  switch (outcome.kind) {
    case 'request':
    case 'response':
    case 'metadata': {
      const user = outcome.row.user_id;
      if (user === null) return false;
      const stored = ctx.pseudonymizeUser ? ctx.pseudonymizeUser(user) : user;
      return erased.ids.has(stored) || erased.ids.has(user);
    }
    case 'skipped':
      return false;
    case 'quarantined':
      return mentionsErasedUser(text, erased);
  }
}
