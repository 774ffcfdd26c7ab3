/**
 * View entries and the few random-selection helpers the rules need. Views are small (5 and 30 by
 * default), so they are plain insertion-ordered arrays scanned linearly: cheaper in time and memory
 * than maps at this size, which matters when a simulator holds a million of them.
 */
import type { PeerRecord } from "./types.js";
import { randomInt, type Rng } from "./rng.js";

/** A member of the active view. `pending` until the other side accepted our NEIGHBOR (or the
 * walk's NEIGHBOR reached the joiner): pending entries hold a slot but are never reported up. */
export interface ActiveEntry {
  peer: PeerRecord;
  pending: boolean;
  /** Request id of our NEIGHBOR while pending; 0 when the other side asked us. */
  requestId: number;
  /** When the entry was added (for request expiry), ms. */
  since: number;
  /** Failure history carried over from the passive view, so a failed attempt counts. */
  failures: number;
  firstFailureAt: number;
}

/** A member of the passive view: an address kept in reserve, with its failure history. */
export interface PassiveEntry {
  peer: PeerRecord;
  /** Failed attempts to reach it (0 = fresh). Failed entries are last-resort candidates. */
  failures: number;
  /** Time of the first of those failures, ms. */
  firstFailureAt: number;
  /** Time of the last attempt to promote it (failed or rejected), ms; -Infinity if never. */
  lastAttemptAt: number;
}

/** Index of the entry for `id`, or -1. */
export function indexOfId(view: readonly { peer: PeerRecord }[], id: string): number {
  for (let i = 0; i < view.length; i++) if (view[i]!.peer.id === id) return i;
  return -1;
}

/** A uniformly random index of `view` whose entry passes `ok`, or -1 if none does. */
export function pickRandomIndex<T>(rng: Rng, view: readonly T[], ok: (e: T) => boolean): number {
  let count = 0;
  for (const e of view) if (ok(e)) count++;
  if (count === 0) return -1;
  let k = randomInt(rng, count);
  for (let i = 0; i < view.length; i++) {
    if (ok(view[i]!) && k-- === 0) return i;
  }
  return -1;
}

/** Up to `k` distinct entries of `view` passing `ok`, uniformly at random (partial Fisher-Yates). */
export function sample<T>(rng: Rng, view: readonly T[], k: number, ok?: (e: T) => boolean): T[] {
  const pool = ok ? view.filter(ok) : view.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(rng, pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  pool.length = n;
  return pool;
}
