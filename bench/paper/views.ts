/**
 * Every node's confirmed active view as node indices, kept up to date from the cores' own
 * `peerUp` / `peerDown` effects (the simulator's hooks). A flood reads a row per node it reaches,
 * a thousand times per run: from a flat Int32Array that costs nothing, where asking each core for
 * its view and mapping ids to indices would dominate the run at 100,000 nodes and more.
 *
 * A crashed node's row is left as it was: it forwards nothing, and the rows of the nodes that
 * still list it are exactly what the flood needs to find failed peers.
 */
import type { RowSource } from "./graph.js";

export class ActiveViews implements RowSource {
  /** Row u is adj[u * width .. u * width + deg[u]). */
  private readonly adj: Int32Array;
  private readonly deg: Uint8Array;
  /** Changes with every row that changes (see flood-cache.ts). */
  version = 0;

  constructor(
    readonly n: number,
    readonly width: number,
  ) {
    this.adj = new Int32Array(n * width);
    this.deg = new Uint8Array(n);
  }

  /** `u` reported `v` up. */
  add(u: number, v: number): void {
    const d = this.deg[u]!;
    const base = u * this.width;
    for (let i = 0; i < d; i++) if (this.adj[base + i] === v) return;
    if (d >= this.width) throw new Error(`node ${u}: more than ${this.width} confirmed active peers`);
    this.adj[base + d] = v;
    this.deg[u] = d + 1;
    this.version++;
  }

  /** `u` reported `v` down. Order within a row does not matter: swap with the last. */
  remove(u: number, v: number): void {
    const d = this.deg[u]!;
    const base = u * this.width;
    for (let i = 0; i < d; i++) {
      if (this.adj[base + i] === v) {
        this.adj[base + i] = this.adj[base + d - 1]!;
        this.deg[u] = d - 1;
        this.version++;
        return;
      }
    }
  }

  degree(u: number): number {
    return this.deg[u]!;
  }

  row(u: number, out: Int32Array): number {
    const d = this.deg[u]!;
    const base = u * this.width;
    for (let i = 0; i < d; i++) out[i] = this.adj[base + i]!;
    return d;
  }

  /** A deep copy (for restoring a snapshot of the overlay). */
  clone(): ActiveViews {
    const c = new ActiveViews(this.n, this.width);
    c.adj.set(this.adj);
    c.deg.set(this.deg);
    c.version = this.version;
    return c;
  }
}
