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

/**
 * Average shortest path: a BFS from each of `sources` over `g`, restricted to alive nodes.
 * Exact when `sources` holds every alive node; otherwise an unbiased estimate (PeerSim's
 * GraphStats samples sources the same way).
 */
export function averageShortestPath(g: Csr, alive: Uint8Array, sources: Int32Array): PathStats {
  const n = g.n;
  const dist = new Int32Array(n);
  const stamp = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let aliveCount = 0;
  for (let u = 0; u < n; u++) if (alive[u]) aliveCount++;
  let total = 0;
  let pairs = 0;
  let unreachable = 0;
  let maxDistance = 0;
  for (let s = 0; s < sources.length; s++) {
    const src = sources[s]!;
    let head = 0;
    let tail = 0;
    queue[tail++] = src;
    stamp[src] = s;
    dist[src] = 0;
    while (head < tail) {
      const u = queue[head++]!;
      const du = dist[u]! + 1;
      for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
        const v = g.targets[e]!;
        if (stamp[v] === s || !alive[v]) continue;
        stamp[v] = s;
        dist[v] = du;
        queue[tail++] = v;
        total += du;
        if (du > maxDistance) maxDistance = du;
      }
    }
    pairs += tail - 1;
    unreachable += aliveCount - tail;
  }
  return { mean: pairs === 0 ? 0 : total / pairs, sources: sources.length, pairs, unreachable, maxDistance };
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
