/**
 * The graph metrics of the paper's evaluation (§5: Table 1, Fig. 5), computed as PeerSim computes
 * them, over flat CSR graphs so they stay linear-ish at a million nodes.
 */
import { randomInt, type Rng } from "../../src/protocol/index.js";
import type { Csr } from "./graph.js";

/**
 * Average local clustering coefficient over the undirected active-view graph, as PeerSim's
 * `GraphAlgorithms.clustering`: for a node with k >= 2 neighbours, the edges among them divided
 * by k(k-1)/2; a node with one neighbour counts as 1 (PeerSim's convention). Nodes with no
 * neighbour (PeerSim yields NaN for them) and nodes not `alive` are left out of the average.
 */
export function clusteringCoefficient(g: Csr, alive: Uint8Array): { mean: number; counted: number } {
  const mark = new Int32Array(g.n).fill(-1);
  let sum = 0;
  let counted = 0;
  for (let u = 0; u < g.n; u++) {
    if (!alive[u]) continue;
    const a = g.offsets[u]!;
    const b = g.offsets[u + 1]!;
    const k = b - a;
    if (k === 0) continue;
    counted++;
    if (k === 1) {
      sum += 1;
      continue;
    }
    for (let e = a; e < b; e++) mark[g.targets[e]!] = u;
    // Each edge between two neighbours is seen from both ends: twice.
    let twice = 0;
    for (let e = a; e < b; e++) {
      const v = g.targets[e]!;
      for (let f = g.offsets[v]!; f < g.offsets[v + 1]!; f++) if (mark[g.targets[f]!] === u) twice++;
    }
    sum += twice / (k * (k - 1));
  }
  return { mean: counted === 0 ? 0 : sum / counted, counted };
}

/** Up to `k` distinct alive nodes, uniformly at random (all of them, in order, when k >= count). */
export function sampleAlive(alive: Uint8Array, k: number, rng: Rng): Int32Array {
  let count = 0;
  for (let u = 0; u < alive.length; u++) if (alive[u]) count++;
  const pool = new Int32Array(count);
  let w = 0;
  for (let u = 0; u < alive.length; u++) if (alive[u]) pool[w++] = u;
  if (k >= count) return pool;
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rng, count - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, k);
}

export interface PathStats {
  /** Mean hop distance over the (source, reachable target) pairs, target != source. */
  readonly mean: number;
  /** Sources the BFS ran from. */
  readonly sources: number;
  readonly pairs: number;
  /** Pairs (source, alive target) with no path. */
  readonly unreachable: number;
  /** Largest distance seen: the diameter when every node is a source, a lower bound otherwise. */
  readonly maxDistance: number;
}

/** A level is processed by sweeping all n nodes once its frontier holds at least n / 16 of them
 * (measured at 100,000 nodes: n / 4 to n / 32 are within noise of each other). */
const DENSE_FRACTION = 16;

/**
 * Average shortest path: a BFS from each of `sources` over `g`, restricted to alive nodes.
 * Exact when `sources` holds every alive node; otherwise an unbiased estimate (PeerSim's
 * GraphStats samples sources the same way).
 *
 * The BFSs run 32 at a time as one multi-source bit-parallel BFS (MS-BFS, Then et al., VLDB 2015):
 * bit i of a node's word stands for the i-th source of the batch, so a node reached by many of the
 * 32 at the same level is expanded once, not once each. At 100,000 nodes with 1,000 sources this
 * is the measure phase's largest cost, and MS-BFS cuts it by about 30 times.
 *
 * The results are those of one plain BFS per source, quirks included: a duplicate source counts
 * again; a source that is not alive still starts a BFS, and is subtracted from `unreachable` as if
 * it were alive; a source outside 0 .. n-1 reaches nothing.
 */
export function averageShortestPath(g: Csr, alive: Uint8Array, sources: Int32Array): PathStats {
  const n = g.n;
  const { offsets, targets } = g;
  // One 32-bit word per node and array (Int32Array, as JS bitwise operators give int32; Uint32Array
  // measured the same). A dead node starts each batch seen by every lane, so it is never reached
  // and no edge needs an alive test.
  const base = new Int32Array(n);
  let aliveCount = 0;
  for (let u = 0; u < n; u++) {
    if (alive[u]) aliveCount++;
    else base[u] = -1;
  }
  const seen = new Int32Array(n);
  let frontier = new Int32Array(n);
  let next = new Int32Array(n);
  // The frontier's nodes, so that a level costs the nodes it touches, not n.
  let list = new Int32Array(n);
  let nextList = new Int32Array(n);
  let total = 0;
  let pairs = 0;
  let maxDistance = 0;
  for (let b0 = 0; b0 < sources.length; b0 += 32) {
    const b1 = Math.min(b0 + 32, sources.length);
    seen.set(base);
    let count = 0;
    for (let i = b0; i < b1; i++) {
      const src = sources[i]!;
      if (src >>> 0 >= n) continue;
      const bit = 1 << (i - b0);
      if (frontier[src] === 0) list[count++] = src;
      frontier[src]! |= bit;
      seen[src]! |= bit;
    }
    // Invariant between levels: `frontier` holds the lanes that reached each node at distance
    // `level` (and `list` those nodes), `seen` every lane that reached it so far, `next` is zero.
    let level = 0;
    while (count > 0) {
      level++;
      let found = 0;
      let k = 0;
      if (count * DENSE_FRACTION < n) {
        // Sparse level: push from the listed nodes, keeping only lanes new to the target, in one
        // pass. Lanes reaching v from two nodes of this level are at the same distance, so
        // updating `seen` during the push changes nothing.
        for (let i = 0; i < count; i++) {
          const u = list[i]!;
          const f = frontier[u]!;
          frontier[u] = 0;
          const end = offsets[u + 1]!;
          for (let e = offsets[u]!; e < end; e++) {
            const v = targets[e]!;
            const sv = seen[v]!;
            const bits = f & ~sv;
            if (bits === 0) continue;
            seen[v] = sv | bits;
            const nv = next[v]!;
            if (nv === 0) nextList[k++] = v;
            next[v] = nv | bits;
            found += popcount(bits);
          }
        }
        const t = frontier;
        frontier = next;
        next = t;
        const l = list;
        list = nextList;
        nextList = l;
      } else {
        // Dense level: push in node order (rows read sequentially, not in discovery order), then
        // one sweep keeps `next & ~seen`. About three times faster than the list when most nodes
        // are in the frontier.
        for (let u = 0; u < n; u++) {
          const f = frontier[u]!;
          if (f === 0) continue;
          const end = offsets[u + 1]!;
          for (let e = offsets[u]!; e < end; e++) next[targets[e]!]! |= f;
        }
        for (let v = 0; v < n; v++) {
          const bits = next[v]! & ~seen[v]!;
          next[v] = 0;
          frontier[v] = bits;
          if (bits === 0) continue;
          seen[v]! |= bits;
          list[k++] = v;
          found += popcount(bits);
        }
      }
      total += found * level;
      pairs += found;
      if (found > 0 && level > maxDistance) maxDistance = level;
      count = k;
    }
  }
  // A plain BFS adds aliveCount minus the nodes it visited, its source included, alive or not.
  // (Without sources, 0 rather than the product's -0 when no node is alive.)
  const unreachable = sources.length === 0 ? 0 : sources.length * (aliveCount - 1) - pairs;
  return { mean: pairs === 0 ? 0 : total / pairs, sources: sources.length, pairs, unreachable, maxDistance };
}

/** Set bits of a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

export interface Components {
  readonly count: number;
  /** Size of the largest component. */
  readonly largest: number;
  /** Alive nodes with no neighbour at all. */
  readonly isolated: number;
}

/** Connected components of the undirected graph `g` among alive nodes (BFS, no recursion). */
export function connectedComponents(g: Csr, alive: Uint8Array): Components {
  const n = g.n;
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let count = 0;
  let largest = 0;
  let isolated = 0;
  for (let r = 0; r < n; r++) {
    if (!alive[r] || seen[r]) continue;
    count++;
    let head = 0;
    let tail = 0;
    queue[tail++] = r;
    seen[r] = 1;
    while (head < tail) {
      const u = queue[head++]!;
      for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
        const v = g.targets[e]!;
        if (seen[v] || !alive[v]) continue;
        seen[v] = 1;
        queue[tail++] = v;
      }
    }
    if (tail === 1) isolated++;
    if (tail > largest) largest = tail;
  }
  return { count, largest, isolated };
}

/** In-degree histogram of the directed graph `g` over alive nodes: `hist[d]` = nodes with
 * in-degree d (how many active views hold them: Fig. 5). */
export function inDegreeHistogram(g: Csr, alive: Uint8Array): Int32Array {
  const indeg = new Int32Array(g.n);
  for (let e = 0; e < g.targets.length; e++) indeg[g.targets[e]!]!++;
  let max = 0;
  for (let u = 0; u < g.n; u++) if (alive[u] && indeg[u]! > max) max = indeg[u]!;
  const hist = new Int32Array(max + 1);
  for (let u = 0; u < g.n; u++) if (alive[u]) hist[indeg[u]!]!++;
  return hist;
}

/** The most frequent value of a histogram (the smallest one on ties). */
export function histogramMode(hist: Int32Array): number {
  let best = 0;
  for (let d = 1; d < hist.length; d++) if (hist[d]! > hist[best]!) best = d;
  return best;
}
