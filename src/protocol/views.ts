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
  /** Not to be asked before this time, ms: after a rejection or a DISCONNECT it rests one
   * shuffle period; after a failure, a delay that doubles per failure. 0 = at once. */
  retryAt: number;
}

/** A passive entry; the one way they are made, so they all share one shape (and the lookups
 * below stay monomorphic, which the simulator's hot paths depend on). */
export function passiveEntry(peer: PeerRecord, failures = 0, firstFailureAt = 0, retryAt = 0): PassiveEntry {
  return { peer, failures, firstFailureAt, retryAt };
}

/**
 * A 30-bit FNV-1a hash of an id. Views keep the hashes of their ids in a parallel array of small
 * integers, so a lookup compares numbers that sit side by side in memory and dereferences an
 * entry only on a hash match. Scanning entry -> record -> id string instead costs a cache miss per
 * entry, which dominated the simulator's time at 10,000 nodes and more.
 */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** An insertion-ordered view keyed by peer id. Mutate only through its methods (they keep the
 * hash index in step); read `entries` freely. */
export class View<E extends { peer: PeerRecord }> {
  readonly entries: E[] = [];
  private readonly hashes: number[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Index of the entry for `id`, or -1. Pass `hash` when the caller already has it. */
  indexOf(id: string, hash: number = idHash(id)): number {
    const hs = this.hashes;
    for (let i = 0; i < hs.length; i++) {
      if (hs[i] === hash && this.entries[i]!.peer.id === id) return i;
    }
    return -1;
  }

  push(e: E): void {
    this.entries.push(e);
    this.hashes.push(idHash(e.peer.id));
  }

  removeAt(i: number): E {
    this.hashes.splice(i, 1);
    return this.entries.splice(i, 1)[0]!;
  }

  /** Replaces the entry at `i` with one for the same id. */
  replaceAt(i: number, e: E): void {
    this.entries[i] = e;
  }

  clear(): void {
    this.entries.length = 0;
    this.hashes.length = 0;
  }

  /**
   * Removes up to `max` entries whose id is one of `peers`' ids, keeping the order of the rest;
   * returns how many it removed. Compares hashes first, so it touches only matching entries.
   */
  removeSome(peers: readonly PeerRecord[], max: number): number {
    if (max <= 0 || peers.length === 0) return 0;
    const drop = scratchHashes(peers);
    const n = this.entries.length;
    let removed = 0;
    let w = 0;
    for (let r = 0; r < n; r++) {
      const e = this.entries[r]!;
      const h = this.hashes[r]!;
      if (removed < max && listed(h, e.peer.id, peers, drop)) {
        removed++;
        continue;
      }
      if (w !== r) {
        this.entries[w] = e;
        this.hashes[w] = h;
      }
      w++;
    }
    if (w !== n) {
      this.entries.length = w;
      this.hashes.length = w;
    }
    return removed;
  }

  /**
   * A uniformly random index among the entries that pass `ok` and whose id is neither `notA` nor
   * `notB`, or -1. The two ids are excluded by hash first, so no entry's record is read unless
   * its hash matches: this runs at every hop of a FORWARD_JOIN or SHUFFLE walk. (The same draw as
   * pickRandomIndex with the equivalent filter.)
   */
  pickRandom(rng: Rng, ok: (e: E) => boolean, notA: string, notB: string): number {
    const ha = idHash(notA);
    const hb = idHash(notB);
    const n = this.entries.length;
    let count = 0;
    for (let i = 0; i < n; i++) if (this.allowed(i, ok, ha, notA, hb, notB)) count++;
    if (count === 0) return -1;
    let k = randomInt(rng, count);
    for (let i = 0; i < n; i++) {
      if (this.allowed(i, ok, ha, notA, hb, notB) && k-- === 0) return i;
    }
    return -1;
  }

  private allowed(i: number, ok: (e: E) => boolean, ha: number, a: string, hb: number, b: string): boolean {
    const h = this.hashes[i]!;
    const e = this.entries[i]!;
    if ((h === ha && e.peer.id === a) || (h === hb && e.peer.id === b)) return false;
    return ok(e);
  }
}

/** Hashes of `peers`' ids, in a scratch array reused from call to call (no allocation). */
const scratch: number[] = [];
function scratchHashes(peers: readonly PeerRecord[]): number[] {
  for (let j = 0; j < peers.length; j++) scratch[j] = idHash(peers[j]!.id);
  return scratch;
}

/** Whether `id` (with hash `h`) is one of `peers` (hashes in `hashes`). */
function listed(h: number, id: string, peers: readonly PeerRecord[], hashes: readonly number[]): boolean {
  for (let j = 0; j < peers.length; j++) if (hashes[j] === h && peers[j]!.id === id) return true;
  return false;
}

/** Passes confirmed (not pending) active entries; one shared function, no closure per call. */
export const confirmed = (e: ActiveEntry): boolean => !e.pending;

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
  if (pool.length !== n) pool.length = n;
  return pool;
}
