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

/** Reusable scratch space for floods over one node population: allocated once, no per-broadcast
 * garbage even at a million nodes. */
export class Flooder {
  private readonly stamp: Int32Array;
  private readonly parent: Int32Array;
  private readonly hop: Int32Array;
  private readonly queue: Int32Array;
  private readonly row: Int32Array;
  private round = 0;
  /** Detections of the last flood: sender at 2i, failed peer at 2i+1. */
  detected: Int32Array;

  constructor(
    readonly n: number,
    maxDegree: number,
  ) {
    this.stamp = new Int32Array(n).fill(-1);
    this.parent = new Int32Array(n);
    this.hop = new Int32Array(n);
    this.queue = new Int32Array(n);
    this.row = new Int32Array(maxDegree);
    this.detected = new Int32Array(1024);
  }

  /** Floods one broadcast from `source` over `views`; `alive[u]` is 0 for failed nodes. */
  flood(views: RowSource, alive: Uint8Array, source: number): FloodResult {
    const r = ++this.round;
    const { stamp, parent, hop, queue, row } = this;
    let head = 0;
    let tail = 0;
    queue[tail++] = source;
    stamp[source] = r;
    parent[source] = -1;
    hop[source] = 0;
    let maxHops = 0;
    let messages = 0;
    let duplicates = 0;
    let detections = 0;
    while (head < tail) {
      const u = queue[head++]!;
      const k = views.row(u, row);
      const h = hop[u]! + 1;
      for (let i = 0; i < k; i++) {
        const v = row[i]!;
        if (v === parent[u]) continue;
        messages++;
        if (!alive[v]) {
          if (2 * detections + 2 > this.detected.length) this.growDetected();
          this.detected[2 * detections] = u;
          this.detected[2 * detections + 1] = v;
          detections++;
          continue;
        }
        if (stamp[v] === r) {
          duplicates++;
          continue;
        }
        stamp[v] = r;
        parent[v] = u;
        hop[v] = h;
        if (h > maxHops) maxHops = h;
        queue[tail++] = v;
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
