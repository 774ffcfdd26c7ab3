/**
 * Which thread runs which node in a split simulation (src/sim/partition.ts): two sets of equal
 * expected work that few active-view links join. A shuffle walks along active views, and
 * each hop between the two threads' nodes is a message written out, swapped after the window and
 * read back on the other side, where a hop within one thread is a reference pushed on its queue.
 * On a HyParView overlay two halves of consecutive node numbers cut about half of the links; these
 * cut about a fifth (the paper's overlay at 100,000 nodes: 0.495 against 0.20).
 *
 * The method: grow side 0 breadth first from node 0 until it holds half the work (a third of the
 * links cut on such an overlay), then a few passes that move nodes with more links to the other
 * side than to their own, from the side with more work first, so the two stay within `tolerance`
 * of half each. Deterministic: both threads compute it from the same overlay and must agree.
 */
import type { Csr } from "./graph.js";

/** Links per node, both ways: node u's are `to[from[u] .. from[u + 1])`. A link listed in both
 * nodes' views appears twice in each node's list: hops cross it both ways. */
export interface Links {
  readonly from: Int32Array;
  readonly to: Int32Array;
}

/** The links of the directed graph `g` (the active views: src/sim/graph.ts), listed at both ends.
 * Self links and nodes out of range throw. */
export function bothWays(g: Csr): Links {
  const n = g.nodes;
  const from = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) {
    for (let k = g.offsets[u]!; k < g.offsets[u + 1]!; k++) {
      const v = g.targets[k]!;
      if (!(v >= 0 && v < n) || v === u) throw new RangeError(`bisection: node ${u} lists ${v}`);
      from[u + 1]!++;
      from[v + 1]!++;
    }
  }
  for (let u = 0; u < n; u++) from[u + 1]! += from[u]!;
  const to = new Int32Array(from[n]!);
  const at = from.slice(0, n);
  for (let u = 0; u < n; u++) {
    for (let k = g.offsets[u]!; k < g.offsets[u + 1]!; k++) {
      const v = g.targets[k]!;
      to[at[u]!++] = v;
      to[at[v]!++] = u;
    }
  }
  return { from, to };
}

/** Refinement passes: at 100,000 nodes the cut stops falling after about five. */
const PASSES = 6;

/**
 * Side (0 or 1) of each node: side 0 holds half of `load` (the expected work of each node) within
 * `tolerance` of the total, unless one node alone outweighs that.
 */
export function bisect(links: Links, load: ArrayLike<number>, tolerance = 0.0005): Uint8Array {
  const n = load.length;
  if (links.from.length !== n + 1) throw new RangeError(`bisection: links for ${links.from.length - 1} nodes, load for ${n}`);
  const side = new Uint8Array(n).fill(1);
  let total = 0;
  for (let u = 0; u < n; u++) total += load[u]!;
  const half = total / 2;
  let work0 = growFromZero(links, load, side, half);
  const slack = tolerance * total;
  for (let pass = 0; pass < PASSES; pass++) work0 = refine(links, load, side, work0, half, slack, pass % 2 === 0);
  return side;
}

/** Breadth first from node 0 (then from the lowest node not reached, for a graph in pieces) into
 * side 0 until it holds `half`; returns side 0's work. */
function growFromZero(links: Links, load: ArrayLike<number>, side: Uint8Array, half: number): number {
  const n = load.length;
  const queue = new Int32Array(n);
  const queued = new Uint8Array(n);
  let work = 0;
  let head = 0;
  let tail = 0;
  for (let start = 0; start < n && work < half; start++) {
    if (queued[start] === 1) continue;
    queued[start] = 1;
    queue[tail++] = start;
    while (head < tail && work < half) {
      const u = queue[head++]!;
      // Only up to half: the node that would pass it goes only if that lands nearer to half.
      if (work + load[u]! > half && work + load[u]! - half > half - work) continue;
      side[u] = 0;
      work += load[u]!;
      for (let k = links.from[u]!; k < links.from[u + 1]!; k++) {
        const v = links.to[k]!;
        if (queued[v] === 0) {
          queued[v] = 1;
          queue[tail++] = v;
        }
      }
    }
  }
  return work;
}

/** Links of `u` to the other side minus links to its own. */
function gain(links: Links, side: Uint8Array, u: number): number {
  let g = 0;
  const s = side[u]!;
  for (let k = links.from[u]!; k < links.from[u + 1]!; k++) g += side[links.to[k]!] !== s ? 1 : -1;
  return g;
}

/**
 * One pass: the nodes that gain from moving (with `even`, also those that lose nothing, which lets
 * the next pass move their neighbours), best first, each moved if it still does not lose by it and
 * the move leaves the work nearer to half than before, or within `slack` of it. Moves come from
 * the side with more work while it has such a node, then from the other. Returns side 0's work.
 */
function refine(links: Links, load: ArrayLike<number>, side: Uint8Array, work0: number, half: number, slack: number, even: boolean): number {
  const n = load.length;
  const candidates: [number[], number[]] = [[], []];
  const gains = new Int32Array(n);
  for (let u = 0; u < n; u++) {
    const g = (gains[u] = gain(links, side, u));
    if (g > 0 || (g === 0 && even)) candidates[side[u]!]!.push(u);
  }
  // Best gain first, then lower node first (a stable order: both threads must agree).
  for (const c of candidates) c.sort((a, b) => gains[b]! - gains[a]! || a - b);
  const next = [0, 0];
  /** Side 0's work if `u` left side `s`, or NaN if that move is not taken (see above). */
  const after = (u: number, s: 0 | 1): number => {
    const w = s === 0 ? work0 - load[u]! : work0 + load[u]!;
    const off = Math.abs(w - half);
    return off < Math.abs(work0 - half) || off <= slack ? w : NaN;
  };
  /** Moves the next candidate of side `s` that may move; false if none is left. */
  const moveFrom = (s: 0 | 1): boolean => {
    const c = candidates[s];
    while (next[s]! < c.length) {
      const u = c[next[s]!++]!;
      if (side[u] !== s || gain(links, side, u) < 0) continue;
      const w = after(u, s);
      if (Number.isNaN(w)) continue;
      side[u] = s === 0 ? 1 : 0;
      work0 = w;
      return true;
    }
    return false;
  };
  for (;;) {
    const heavier: 0 | 1 = work0 > half ? 0 : 1;
    if (!moveFrom(heavier) && !moveFrom(heavier === 0 ? 1 : 0)) break;
  }
  return work0;
}

/** Fraction of the links listed in `links` whose ends are on different sides. */
export function cutFraction(links: Links, side: Uint8Array): number {
  let cut = 0;
  for (let u = 0; u < side.length; u++) {
    for (let k = links.from[u]!; k < links.from[u + 1]!; k++) if (side[links.to[k]!] !== side[u]) cut++;
  }
  return links.to.length === 0 ? 0 : cut / links.to.length;
}
