/**
 * The two views (random selection over them: selection.ts). Views are small (5 and 30 by
 * default), so they are insertion-ordered arrays scanned linearly: cheaper in time and memory than
 * maps at this size, which matters when a simulator holds a million of them.
 *
 * A view is a struct of arrays, not an array of entry objects: the peer records, a parallel array
 * of id hashes, and one array of numbers with a fixed number of fields per entry. Times (epoch
 * milliseconds in the daemon, fractions in the simulator) are not small integers, so as fields of
 * an entry object each would be a separate boxed number; in a number array they are stored
 * unboxed, side by side. The walks, shuffles and lookups that run at every
 * message then read two or three arrays per view instead of a dozen scattered objects: at 100,000
 * simulated nodes every one of those objects is a cache miss.
 */
import type { PeerRecord } from "./types.js";
import { idHash, recordHash } from "./id-hash.js";
import { randomInt, type Rng } from "./rng.js";
import { indexPool, pickWhere, takeRandom } from "./selection.js";

/** Scratch of `View.warmAll`: the arrays of a batch of views. */
const warmHashes: (number[] | undefined)[] = [];
const warmNums: (number[] | undefined)[] = [];

/**
 * An insertion-ordered view keyed by peer id, with `width` numeric fields per entry. Mutate only
 * through its methods (they keep the arrays in step). Its three arrays are made with the view, at
 * the view's capacity, and never shrink: they sit next to the view in memory rather than wherever
 * a later growth would have put them, and slots from `length` on are unused.
 */
export class View {
  private readonly recs: (PeerRecord | undefined)[];
  private readonly hashes: number[];
  /** Entry i's field f is at i * width + f. */
  protected readonly nums: number[];
  private n = 0;
  /** Whether a field of some entry may be other than 0. Slots past the last entry are always 0, and
   * while this is false every slot is: moving or dropping entries then leaves `nums` alone. A
   * passive entry's fields are nearly always 0 (no failure, no rest), and they are most of a
   * passive view's memory. */
  private dirty = false;

  constructor(
    private readonly width: number,
    capacity: number,
  ) {
    this.recs = new Array<PeerRecord | undefined>(capacity).fill(undefined);
    this.hashes = new Array<number>(capacity).fill(0);
    // A double array from the start (filled with a fraction, then zeros): an array of small
    // integers turns into one of doubles at its first fraction, and its storage moves away.
    this.nums = new Array<number>(width * capacity).fill(0.5).fill(0);
  }

  get length(): number {
    return this.n;
  }

  peer(i: number): PeerRecord {
    return this.recs[i]!;
  }

  /** The entries' records, in order (a fresh array). */
  peers(): PeerRecord[] {
    return this.recs.slice(0, this.n) as PeerRecord[];
  }

  /** Index of the entry for `id`, or -1. Pass `hash` when the caller already has it. */
  indexOf(id: string, hash: number = idHash(id)): number {
    const hs = this.hashes;
    for (let i = 0; i < this.n; i++) {
      if (hs[i] === hash && this.recs[i]!.id === id) return i;
    }
    return -1;
  }

  /** Index of the entry for `peer`'s id (`hash`: its hash), or -1. Reads `peer` only on a hash
   * match, and then not at all if the entry holds this very record. */
  indexOfPeer(peer: PeerRecord, hash: number): number {
    const hs = this.hashes;
    for (let i = 0; i < this.n; i++) {
      if (hs[i] === hash) {
        const r = this.recs[i]!;
        if (r === peer || r.id === peer.id) return i;
      }
    }
    return -1;
  }

  /** Index of the entry for `peer`'s id, or -1: `indexOfPeer` with the hash the record carries (its
   * id string is then not read, as `indexOf(peer.id)` would). */
  indexOfRecord(peer: PeerRecord): number {
    return this.indexOfPeer(peer, recordHash(peer));
  }

  /**
   * Reads what a step reads first of each of `views[0]` to `views[count - 1]`: the view, the
   * first, middle and last slots of its hashes and, unless they are all 0, two of its numbers.
   * Changes nothing (see `HyParView.warm`). Each of those is one more pointer away than the last,
   * so it reads one level of every view before the next level of any: the views, then their
   * arrays, then the arrays' elements. Read view by view, each view's reads wait for each other.
   * The sum is returned only so that the reads are kept.
   */
  static warmAll(views: readonly (View | undefined)[], count: number): number {
    const hs = warmHashes;
    const ns = warmNums;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const v = views[k]!;
      hs[k] = v.hashes;
      ns[k] = v.dirty ? v.nums : undefined;
      sum += v.n;
    }
    for (let k = 0; k < count; k++) {
      const nums = ns[k];
      sum += nums === undefined ? hs[k]!.length : hs[k]!.length + nums.length;
    }
    for (let k = 0; k < count; k++) {
      const h = hs[k]!;
      const nums = ns[k];
      sum += h[0]! + h[h.length >> 1]! + h[h.length - 1]!;
      if (nums !== undefined) sum += nums[0]! + nums[nums.length >> 1]!;
      hs[k] = undefined;
      ns[k] = undefined;
    }
    return sum;
  }

  /** Appends an entry for `peer` (`hash`: its id's hash, if the caller has it) with every field 0;
   * returns its index. (A view that outgrows its capacity grows its arrays.) */
  protected append(peer: PeerRecord, hash: number = recordHash(peer)): number {
    const i = this.n++;
    const w = this.width;
    if (i < this.recs.length) {
      this.recs[i] = peer;
      this.hashes[i] = hash;
    } else {
      this.recs.push(peer);
      this.hashes.push(hash);
    }
    // Slots past the last entry are 0 (see `settle`).
    if (this.nums.length < (i + 1) * w) for (let f = 0; f < w; f++) this.nums.push(0);
    return i;
  }

  protected num(i: number, f: number): number {
    return this.nums[i * this.width + f]!;
  }

  protected setNum(i: number, f: number, v: number): void {
    if (v !== 0) this.dirty = true;
    else if (!this.dirty) return;
    this.nums[i * this.width + f] = v;
  }

  /** After entries moved or were dropped: zeroes the slots of entries `n` to `upTo - 1`, then finds
   * out whether any field is still other than 0. */
  private settle(upTo: number): void {
    const nums = this.nums;
    const end = this.n * this.width;
    for (let k = end; k < upTo * this.width; k++) nums[k] = 0;
    let any = false;
    for (let k = 0; k < end && !any; k++) any = nums[k] !== 0;
    this.dirty = any;
  }

  removeAt(i: number): void {
    if (i < 0 || i >= this.n) return;
    const last = --this.n;
    const recs = this.recs;
    const hs = this.hashes;
    for (let k = i; k < last; k++) {
      recs[k] = recs[k + 1];
      hs[k] = hs[k + 1]!;
    }
    recs[last] = undefined;
    if (!this.dirty) return;
    const nums = this.nums;
    const w = this.width;
    for (let k = i * w; k < last * w; k++) nums[k] = nums[k + w]!;
    this.settle(last + 1);
  }

  /** Replaces the record at `i` with another of the same id (a newer incarnation); fields reset. */
  replacePeer(i: number, peer: PeerRecord): void {
    this.recs[i] = peer;
    for (let f = 0; f < this.width; f++) this.setNum(i, f, 0);
  }

  clear(): void {
    const n = this.n;
    for (let i = 0; i < n; i++) this.recs[i] = undefined;
    this.n = 0;
    if (this.dirty) this.settle(n);
  }

  /**
   * Removes up to `max` entries whose id is one of `peers`' ids (`drop`: their id hashes, in the
   * same order), keeping the order of the rest; returns how many it removed. Compares hashes
   * first, so it reads only matching records: `peers` are other nodes' records, and at 100,000
   * simulated nodes reading each one to hash its id is a cache miss.
   */
  removeSome(peers: readonly PeerRecord[], drop: readonly number[], max: number): number {
    if (max <= 0 || peers.length === 0) return 0;
    // One bit per listed hash's low 5 bits: most entries are ruled out by one test.
    let mask = 0;
    for (let j = 0; j < peers.length; j++) mask |= 1 << (drop[j]! & 31);
    const n = this.n;
    const w = this.width;
    const recs = this.recs;
    const hs = this.hashes;
    const nums = this.nums;
    const moveNums = this.dirty;
    let removed = 0;
    let to = 0;
    for (let from = 0; from < n; from++) {
      const p = recs[from]!;
      const h = hs[from]!;
      if (removed < max && ((mask >>> (h & 31)) & 1) !== 0 && listed(h, p, peers, drop)) {
        removed++;
        continue;
      }
      if (to !== from) {
        recs[to] = p;
        hs[to] = h;
        if (moveNums) for (let f = 0; f < w; f++) nums[to * w + f] = nums[from * w + f]!;
      }
      to++;
    }
    for (let k = to; k < n; k++) recs[k] = undefined;
    this.n = to;
    if (moveNums) this.settle(n);
    return removed;
  }

  /** Appends up to `k` distinct entries of `pool` (entry indices; consumed), uniformly at random,
   * to `into`, and their id hashes to `hashes`: the hashes come from the view, so the sampled
   * records are not read. */
  protected take(rng: Rng, pool: number[], k: number, into: PeerRecord[], hashes: number[]): void {
    takeRandom(rng, pool, k);
    for (let j = 0; j < pool.length; j++) {
      into.push(this.recs[pool[j]!]!);
      hashes.push(this.hashes[pool[j]!]!);
    }
  }

  /** Whether entry `i` is for `a`'s or `b`'s id (hashes `ha`, `hb`; null matches nothing). */
  protected isOneOf(i: number, ha: number, a: PeerRecord | null, hb: number, b: PeerRecord | null): boolean {
    const h = this.hashes[i]!;
    if (h !== ha && h !== hb) return false;
    const r = this.recs[i]!;
    return (a !== null && (r === a || r.id === a.id)) || (b !== null && (r === b || r.id === b.id));
  }
}

// Fields of an active entry.
const PENDING = 0;
const REQUEST_ID = 1;
const SINCE = 2;
const FAILURES_A = 3;
const FIRST_FAILURE_AT_A = 4;

/**
 * The active view. An entry is `pending` until the other side accepted our NEIGHBOR (or the walk's
 * NEIGHBOR reached the joiner): pending entries hold a slot but are never reported up. Each entry
 * also keeps the request id of our NEIGHBOR while pending (0 when the other side asked us), when
 * it was added (for request expiry), and the failure history carried over from the passive view,
 * so a failed attempt counts.
 */
export class ActiveView extends View {
  /** `capacity`: the active view size (the view never holds more). */
  constructor(capacity: number) {
    super(5, capacity);
  }

  add(peer: PeerRecord, pending: boolean, requestId: number, since: number, failures: number, firstFailureAt: number): void {
    const i = this.append(peer);
    this.setNum(i, PENDING, pending ? 1 : 0);
    this.setNum(i, REQUEST_ID, requestId);
    this.setNum(i, SINCE, since);
    this.setNum(i, FAILURES_A, failures);
    this.setNum(i, FIRST_FAILURE_AT_A, firstFailureAt);
  }

  pending(i: number): boolean {
    return this.num(i, PENDING) !== 0;
  }

  requestId(i: number): number {
    return this.num(i, REQUEST_ID);
  }

  since(i: number): number {
    return this.num(i, SINCE);
  }

  failures(i: number): number {
    return this.num(i, FAILURES_A);
  }

  firstFailureAt(i: number): number {
    return this.num(i, FIRST_FAILURE_AT_A);
  }

  /** Both sides agree on the link now: no longer pending, and its failures are over. */
  confirm(i: number): void {
    this.setNum(i, PENDING, 0);
    this.setNum(i, FAILURES_A, 0);
  }

  /** Number of confirmed (not pending) entries. */
  upCount(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (!this.pending(i)) n++;
    return n;
  }

  /** Confirmed entries' records, in order. */
  confirmedPeers(): PeerRecord[] {
    const out: PeerRecord[] = [];
    for (let i = 0; i < this.length; i++) if (!this.pending(i)) out.push(this.peer(i));
    return out;
  }

  /**
   * A uniformly random index among the confirmed entries whose id is neither `notA`'s nor `notB`'s
   * (null: no exclusion), or -1. This runs at every hop of a FORWARD_JOIN or SHUFFLE walk: it
   * reads the hashes and the numbers, and a record only on a hash match.
   */
  pickConfirmed(rng: Rng, notA: PeerRecord | null, notB: PeerRecord | null): number {
    const ha = notA === null ? -1 : recordHash(notA);
    const hb = notB === null ? -1 : recordHash(notB);
    const n = this.length;
    let count = 0;
    for (let i = 0; i < n; i++) if (!this.pending(i) && !this.isOneOf(i, ha, notA, hb, notB)) count++;
    if (count === 0) return -1;
    let k = randomInt(rng, count);
    for (let i = 0; i < n; i++) {
      if (!this.pending(i) && !this.isOneOf(i, ha, notA, hb, notB) && k-- === 0) return i;
    }
    return -1;
  }

  /** A uniformly random index among the pending entries (`pending`) or all of them, or -1. */
  pickRandom(rng: Rng, pendingOnly: boolean): number {
    return pickWhere(rng, this.length, pendingOnly ? (i) => this.pending(i) : () => true);
  }

  /** Appends up to `k` distinct confirmed peers, uniformly at random, to `into`, and their id
   * hashes to `hashes`. */
  sampleConfirmed(rng: Rng, k: number, into: PeerRecord[], hashes: number[]): void {
    const pool = indexPool();
    for (let i = 0; i < this.length; i++) if (!this.pending(i)) pool.push(i);
    this.take(rng, pool, k, into, hashes);
  }
}

// Fields of a passive entry.
const FAILURES_P = 0;
const FIRST_FAILURE_AT_P = 1;
const RETRY_AT = 2;

/** Which passive entries a pick considers (each only once its rest is over). */
export type PassivePick = "any" | "fresh" | "failed";

/**
 * The passive view: addresses kept in reserve, each with its failure history: failed attempts to
 * reach it (0 = fresh; failed entries are last-resort candidates), the time of the first of
 * them, and the time before which it is not to be asked (after a rejection or a DISCONNECT it
 * rests one shuffle period; after a failure, a delay that doubles per failure; 0 = at once).
 */
export class PassiveView extends View {
  /** `capacity`: the passive view size (the view never holds more). */
  constructor(capacity: number) {
    super(3, capacity);
  }

  /** Adds `peer` with the given failure history (`hash`: its id's hash, if the caller has it). */
  add(peer: PeerRecord, failures = 0, firstFailureAt = 0, retryAt = 0, hash?: number): void {
    const i = this.append(peer, hash);
    this.setFailure(i, failures, firstFailureAt, retryAt);
  }

  failures(i: number): number {
    return this.num(i, FAILURES_P);
  }

  firstFailureAt(i: number): number {
    return this.num(i, FIRST_FAILURE_AT_P);
  }

  retryAt(i: number): number {
    return this.num(i, RETRY_AT);
  }

  setFailure(i: number, failures: number, firstFailureAt: number, retryAt: number): void {
    this.setNum(i, FAILURES_P, failures);
    this.setNum(i, FIRST_FAILURE_AT_P, firstFailureAt);
    this.setNum(i, RETRY_AT, retryAt);
  }

  setRetryAt(i: number, retryAt: number): void {
    this.setNum(i, RETRY_AT, retryAt);
  }

  /** Forgets entry `i`'s failures (its rest, if any, stays). */
  clearFailures(i: number): void {
    this.setNum(i, FAILURES_P, 0);
    this.setNum(i, FIRST_FAILURE_AT_P, 0);
  }

  /** Whether any entry has never failed. */
  hasFresh(): boolean {
    for (let i = 0; i < this.length; i++) if (this.failures(i) === 0) return true;
    return false;
  }

  /** A uniformly random index among the entries of kind `which` whose rest is over at `now`
   * (Infinity: all), or -1. */
  pick(rng: Rng, which: PassivePick, now: number): number {
    return pickWhere(rng, this.length, (i) => {
      if (this.retryAt(i) > now) return false;
      return which === "any" || (which === "fresh") === (this.failures(i) === 0);
    });
  }

  /** Appends up to `k` distinct peers, uniformly at random, to `into`, and their id hashes to
   * `hashes`. */
  sample(rng: Rng, k: number, into: PeerRecord[], hashes: number[]): void {
    const pool = indexPool();
    for (let i = 0; i < this.length; i++) pool.push(i);
    this.take(rng, pool, k, into, hashes);
  }
}

/** Whether `p`'s id (with hash `h`) is one of `peers`' (hashes in `hashes`). Reads the records
 * only on a hash match, and then not at all if it is the same record. */
export function listed(h: number, p: PeerRecord, peers: readonly PeerRecord[], hashes: readonly number[]): boolean {
  for (let j = 0; j < peers.length; j++) {
    if (hashes[j] === h && (peers[j] === p || peers[j]!.id === p.id)) return true;
  }
  return false;
}
