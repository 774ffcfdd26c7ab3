/**
 * Flooding over the active views (§5): a node forwards a broadcast the first time it receives it,
 * to every active peer but the one it came from. Links have equal latency, so the first copy a
 * node receives is the one over the fewest hops and the flood is a breadth-first search.
 *
 * A copy sent to a failed peer is lost, and that failed send is how the sender detects the
 * failure (the paper relies on TCP: §4.1, §5). Detections are returned as (sender, failed peer)
 * pairs; the caller feeds them to the senders' cores as `linkLost`, so repair runs between
 * broadcasts.
 */
import type { RowSource } from "./graph.js";

export interface FloodResult {
  /** Alive nodes that delivered the broadcast, the source included. */
  delivered: number;
  /** Largest hop count at which a node first received it. */
  maxHops: number;
  /** Copies sent, duplicates and copies to failed peers included. */
  messages: number;
  /** Copies that reached a node that already had the broadcast. */
  duplicates: number;
  /** Number of (sender, failed peer) pairs in `Flooder.detected`. */
  detections: number;
}

/**
 * Reusable scratch space for floods over one node population with a fixed set of failed nodes:
 * allocated once, no per-broadcast garbage even at a million nodes.
 *
 * Each copy sent reads its target's state, at random: so that state is two bits (reached in this
 * flood; failed), in two bitsets that stay in the processor's nearest caches (25 KiB for 100,000
 * nodes), and what the BFS needs of a node it reached (the node it came from, its hop count)
 * travels with it in the queue, written and read in order.
 */
export class Flooder {
  private readonly reached: Int32Array;
  private readonly failed: Int32Array;
  private readonly queue: Int32Array;
  private readonly from: Int32Array;
  private readonly hops: Int32Array;
  private readonly row: Int32Array;
  /** Detections of the last flood: sender at 2i, failed peer at 2i+1. */
  detected: Int32Array;

  /** The nodes the last flood reached, in the order they were reached: the first `delivered`. */
  get reachedOrder(): Int32Array {
    return this.queue;
  }

  /** `alive[u]` is 0 for failed nodes; read once, here. */
  constructor(alive: Uint8Array, maxDegree: number) {
    const n = alive.length;
    const words = (n + 31) >>> 5;
    this.reached = new Int32Array(words);
    this.failed = new Int32Array(words);
    for (let u = 0; u < n; u++) if (!alive[u]) this.failed[u >>> 5]! |= 1 << (u & 31);
    this.queue = new Int32Array(n);
    this.from = new Int32Array(n);
    this.hops = new Int32Array(n);
    this.row = new Int32Array(maxDegree);
    this.detected = new Int32Array(1024);
  }

  /** Floods one broadcast from `source` (an alive node) over `views`. */
  flood(views: RowSource, source: number): FloodResult {
    const { reached, failed, queue, from, hops, row } = this;
    reached.fill(0);
    let head = 0;
    let tail = 0;
    queue[tail] = source;
    from[tail] = -1;
    hops[tail] = 0;
    tail++;
    reached[source >>> 5]! |= 1 << (source & 31);
    let maxHops = 0;
    let messages = 0;
    let duplicates = 0;
    let detections = 0;
    while (head < tail) {
      const u = queue[head]!;
      const parent = from[head]!;
      const h = hops[head]! + 1;
      head++;
      const k = views.row(u, row);
      for (let i = 0; i < k; i++) {
        const v = row[i]!;
        if (v === parent) continue;
        messages++;
        const w = v >>> 5;
        const bit = 1 << (v & 31);
        if ((reached[w]! & bit) !== 0) {
          duplicates++;
          continue;
        }
        if ((failed[w]! & bit) !== 0) {
          if (2 * detections + 2 > this.detected.length) this.growDetected();
          this.detected[2 * detections] = u;
          this.detected[2 * detections + 1] = v;
          detections++;
          continue;
        }
        reached[w]! |= bit;
        queue[tail] = v;
        from[tail] = u;
        hops[tail] = h;
        tail++;
        if (h > maxHops) maxHops = h;
      }
    }
    return { delivered: tail, maxHops, messages, duplicates, detections };
  }

  private growDetected(): void {
    const d = new Int32Array(this.detected.length * 2);
    d.set(this.detected);
    this.detected = d;
  }
}
