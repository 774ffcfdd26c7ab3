/**
 * Floods that reuse an earlier flood's outcome while the overlay stands still. After a mass
 * failure the first broadcasts find the failed peers and repair runs; from then on, until the
 * next membership cycle, nothing changes, and the rest of an experiment's 1,000 broadcasts would
 * each flood the same component again. What a broadcast needs of a flood (how many correct nodes
 * deliver it, how many copies are sent, how many sends fail) is then the same from every source
 * in that component, so it is computed once.
 *
 * This is exact, not a sample: a flood's outcome is reused only for a source it reached, while
 * the views are unchanged since (their `version`), and only if that flood found no failed peer
 * and every edge among the nodes it reached goes both ways. Then the reached set R is closed (a
 * node in it sends only to nodes in it) and strongly connected, so a flood from any node of R
 * reaches exactly R; and each node but the source has its parent in its own view (the edge back),
 * so it sends one copy fewer than its degree: copies = sum of degrees over R - (|R| - 1).
 * Hop counts and duplicates do depend on the source: this flood does not report them.
 */
import { Flooder } from "./flood.js";
import type { RowSource } from "./graph.js";

/** Rows that say when they change. */
export interface VersionedRows extends RowSource {
  /** Changes whenever a row does. */
  readonly version: number;
}

/** What a broadcast needs of a flood (see `FloodResult`). */
export interface FloodOutcome {
  readonly delivered: number;
  readonly messages: number;
  /** Failed sends: (sender, failed peer) pairs in `detected`, as `Flooder.detected`. */
  readonly detections: number;
}

export class CachedFlooder {
  private readonly flooder: Flooder;
  /** member[u] === stamp: u is in the cached set. */
  private readonly member: Int32Array;
  private readonly row: Int32Array;
  private readonly back: Int32Array;
  private stamp = 0;
  /** The views' version the cached set was flooded at; -1: nothing cached. */
  private cachedVersion = -1;
  private cached: FloodOutcome = { delivered: 0, messages: 0, detections: 0 };
  /** Floods answered from the cache (for tests and curiosity). */
  hits = 0;

  constructor(alive: Uint8Array, maxDegree: number) {
    this.flooder = new Flooder(alive, maxDegree);
    this.member = new Int32Array(alive.length);
    this.row = new Int32Array(maxDegree);
    this.back = new Int32Array(maxDegree);
  }

  /** Failed sends of the last flood that was run rather than reused (a reused one has none). */
  get detected(): Int32Array {
    return this.flooder.detected;
  }

  /** One broadcast from `source` (an alive node) over `views`. */
  flood(views: VersionedRows, source: number): FloodOutcome {
    if (views.version === this.cachedVersion && this.member[source] === this.stamp) {
      this.hits++;
      return this.cached;
    }
    const r = this.flooder.flood(views, source);
    const outcome = { delivered: r.delivered, messages: r.messages, detections: r.detections };
    const replaces = views.version !== this.cachedVersion || r.delivered > this.cached.delivered;
    if (r.detections === 0 && replaces && this.symmetric(views, r.delivered)) {
      this.stamp++;
      const reached = this.flooder.reachedOrder;
      for (let k = 0; k < r.delivered; k++) this.member[reached[k]!] = this.stamp;
      this.cachedVersion = views.version;
      this.cached = outcome;
    }
    return outcome;
  }

  /** Whether every edge out of the `count` nodes the last flood reached has its reverse. */
  private symmetric(views: RowSource, count: number): boolean {
    const { row, back } = this;
    const reached = this.flooder.reachedOrder;
    for (let k = 0; k < count; k++) {
      const u = reached[k]!;
      const d = views.row(u, row);
      for (let i = 0; i < d; i++) {
        const b = views.row(row[i]!, back);
        let found = false;
        for (let j = 0; j < b && !found; j++) found = back[j] === u;
        if (!found) return false;
      }
    }
    return true;
  }
}
