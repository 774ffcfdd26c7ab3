/**
 * The overlay as flat typed arrays, for metrics and flooding at up to a million nodes.
 *
 * `Csr` is compressed sparse rows: the neighbours of node u are
 * `targets[offsets[u] .. offsets[u + 1])`. One allocation per graph instead of one array per
 * node keeps a 1M-node graph at a few tens of megabytes and BFS cache-friendly.
 */

export interface Csr {
  /** Number of nodes (indices 0 .. n-1). */
  readonly n: number;
  /** n + 1 row starts. */
  readonly offsets: Int32Array;
  /** Concatenated rows. */
  readonly targets: Int32Array;
}

/**
 * A directed graph given one row at a time: node u's confirmed active view, as node indices.
 * `row(u, out)` writes u's out-neighbours into `out` and returns how many.
 */
export interface RowSource {
  readonly n: number;
  row(u: number, out: Int32Array): number;
}

/** Directed CSR of the active-view graph, keeping only edges whose both ends are `alive`
 * (a failed node sends nothing and a link to it carries nothing). `maxDegree` bounds a row. */
export function directedCsr(src: RowSource, alive: Uint8Array, maxDegree: number): Csr {
  const n = src.n;
  const offsets = new Int32Array(n + 1);
  const buf = new Int32Array(maxDegree);
  // Two passes (count, then fill) so the target array is allocated once, exactly.
  let m = 0;
  for (let u = 0; u < n; u++) {
    offsets[u] = m;
    if (!alive[u]) continue;
    const k = src.row(u, buf);
    for (let i = 0; i < k; i++) if (alive[buf[i]!]) m++;
  }
  offsets[n] = m;
  const targets = new Int32Array(m);
  let w = 0;
  for (let u = 0; u < n; u++) {
    if (!alive[u]) continue;
    const k = src.row(u, buf);
    for (let i = 0; i < k; i++) {
      const v = buf[i]!;
      if (alive[v]) targets[w++] = v;
    }
  }
  return { n, offsets, targets };
}

/** The undirected graph underlying `g`: u-v if u->v or v->u, no duplicates, no self-loops.
 * Active views are symmetric once the overlay is quiet, so this mostly merges twin edges. */
export function undirected(g: Csr): Csr {
  const n = g.n;
  const deg = new Int32Array(n);
  for (let u = 0; u < n; u++) {
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
      const v = g.targets[e]!;
      if (v === u) continue;
      deg[u]!++;
      deg[v]!++;
    }
  }
  const start = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) start[u + 1] = start[u]! + deg[u]!;
  const fill = start.slice(0, n);
  const both = new Int32Array(start[n]!);
  for (let u = 0; u < n; u++) {
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
      const v = g.targets[e]!;
      if (v === u) continue;
      both[fill[u]!++] = v;
      both[fill[v]!++] = u;
    }
  }
  // Deduplicate each row with a stamp array (rows are tiny; no sorting needed).
  const seen = new Int32Array(n).fill(-1);
  const offsets = new Int32Array(n + 1);
  let w = 0;
  for (let u = 0; u < n; u++) {
    offsets[u] = w;
    for (let e = start[u]!; e < start[u + 1]!; e++) {
      const v = both[e]!;
      if (seen[v] === u) continue;
      seen[v] = u;
      both[w++] = v;
    }
  }
  offsets[n] = w;
  return { n, offsets, targets: both.slice(0, w) };
}
