/**
 * The shuffle's short-lived objects (§4.4), made by constructors and by copying empty lists rather
 * than by object and array literals.
 *
 * Why: V8 gives each literal an allocation site and, when a scavenge finds most of a site's recent
 * objects still alive, allocates all of that site's later objects in the old generation
 * ("pretenuring"). Shuffle messages live only until delivered, so such a decision, once taken in a
 * burst, makes every later message die in the old generation; until a full collection, each of
 * those dead messages keeps its young entries alive through every scavenge. Measured in the paper
 * benchmark (bench/paper/PERFORMANCE.md): a thread in that state paused two to five times longer.
 * Constructors have no allocation site, and neither has a copy made by `slice`, so V8 never
 * pretenures what they make: the lists of entries and hashes that travel with these objects are
 * copies of empty lists for that reason (`Array.of` would do too, but took five times as long).
 */
import type { PeerRecord } from "./types.js";

/** SHUFFLE (§4.4): a random walk carrying a sample of the origin's views. */
export class ShuffleMessage {
  readonly kind = "shuffle";
  constructor(
    readonly origin: PeerRecord,
    readonly entries: readonly PeerRecord[],
    readonly ttl: number,
    readonly shuffleId: number,
  ) {}
}

/** SHUFFLE_REPLY (§4.4): passive entries sent straight back to the shuffle's origin. */
export class ShuffleReplyMessage {
  readonly kind = "shuffleReply";
  constructor(
    readonly shuffleId: number,
    readonly entries: readonly PeerRecord[],
  ) {}
}

/** What we sent in one of our own shuffles, to evict first when the reply comes (§4.4). */
export class SentShuffle {
  constructor(
    readonly shuffleId: number,
    readonly entries: readonly PeerRecord[],
    /** The entries' id hashes, in the same order. */
    readonly hashes: readonly number[],
  ) {}
}

/** An empty list whose elements are objects to V8 (its one element, null, removed). Its copies
 * start with that elements kind, as a literal's objects do once its allocation site has learnt it;
 * from an empty literal list instead, the first push would change it. A copy and 8 pushes took
 * 30.5 ns against 27.0 ns for a literal, and 67 ns with that change. */
const OBJECTS: unknown[] = [null];
OBJECTS.pop();
/** An empty list of small integers (an empty literal is one). */
const SMALL_INTEGERS: number[] = [];

/** A new empty list of records, with no allocation site. */
export function newRecordList(): PeerRecord[] {
  return OBJECTS.slice() as PeerRecord[];
}

/** A new empty list of id hashes (30-bit: small integers to V8), with no allocation site. */
export function newHashList(): number[] {
  return SMALL_INTEGERS.slice();
}
