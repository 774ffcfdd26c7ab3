import { describe, expect, test } from "vitest";
import { randomInt, SeededRng } from "../../src/protocol/index.js";
import { Flooder } from "../../bench/paper/flood.js";
import { CachedFlooder } from "../../bench/paper/flood-cache.js";
import { directedCsr, undirected, type Csr, type RowSource } from "../../bench/paper/graph.js";
import {
  averageShortestPath,
  clusteringCoefficient,
  connectedComponents,
  histogramMode,
  inDegreeHistogram,
  sampleAlive,
  type PathStats,
} from "../../bench/paper/metrics.js";
import { deepCopy } from "../../bench/paper/snapshot.js";
import { ActiveViews } from "../../bench/paper/views.js";

/** A directed graph from an edge list, as the views the flood and the metrics read. */
function views(n: number, edges: [number, number][], width = 8): ActiveViews {
  const v = new ActiveViews(n, width);
  for (const [a, b] of edges) v.add(a, b);
  return v;
}

function both(n: number, edges: [number, number][]): ActiveViews {
  return views(n, edges.flatMap(([a, b]) => [[a, b], [b, a]] as [number, number][]));
}

const all = (n: number) => new Uint8Array(n).fill(1);
const und = (src: RowSource, alive = all(src.n)): Csr => undirected(directedCsr(src, alive, 8));

/** One plain BFS per source: the implementation averageShortestPath replaced, kept as its reference. */
function referencePaths(g: Csr, alive: Uint8Array, sources: Int32Array): PathStats {
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

/** A CSR from directed edge lists, taken as given (self-loops, repeated edges, edges to dead nodes). */
function csr(n: number, rows: number[][]): Csr {
  const offsets = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) offsets[u + 1] = offsets[u]! + rows[u]!.length;
  return { n, offsets, targets: Int32Array.from(rows.flat()) };
}

/** A random graph of one of several shapes: sparse or dense, directed or not, or long paths
 * (line, ring) whose levels stay small, so that both kinds of MS-BFS level are exercised. */
function randomGraph(rng: SeededRng, n: number): Csr {
  const rows: number[][] = Array.from({ length: n }, () => []);
  const shape = randomInt(rng, 5);
  if (shape <= 2 && n > 0) {
    const degree = [1, 3, 8][shape]!;
    for (let u = 0; u < n; u++) for (let j = randomInt(rng, degree + 1); j > 0; j--) rows[u]!.push(randomInt(rng, n));
  } else {
    for (let u = 0; u + 1 < n; u++) rows[u]!.push(u + 1);
    if (shape === 4 && n > 1) rows[n - 1]!.push(0);
    // A few chords and a few self-loops.
    for (let j = randomInt(rng, 3); j > 0 && n > 0; j--) rows[randomInt(rng, n)]!.push(randomInt(rng, n));
  }
  const g = csr(n, rows);
  // Half the time symmetric, as the overlay's graph is; otherwise as drawn (directed).
  return rng.next() < 0.5 ? undirected(g) : g;
}

describe("graph", () => {
  test("undirected merges one-sided and twin edges and drops self-loops", () => {
    const g = und(views(3, [[0, 1], [1, 0], [1, 2], [2, 2]]));
    const row = (u: number) => Array.from(g.targets.subarray(g.offsets[u]!, g.offsets[u + 1]!)).sort();
    expect(row(0)).toEqual([1]);
    expect(row(1)).toEqual([0, 2]);
    expect(row(2)).toEqual([1]);
  });

  test("edges to failed nodes are left out", () => {
    const alive = all(3);
    alive[2] = 0;
    const g = directedCsr(views(3, [[0, 1], [0, 2], [2, 0]]), alive, 8);
    expect(Array.from(g.targets)).toEqual([1]);
  });

  test("ActiveViews ignores duplicates and removes by swapping", () => {
    const v = views(3, [[0, 1], [0, 2], [0, 1]]);
    expect(v.degree(0)).toBe(2);
    v.remove(0, 1);
    const out = new Int32Array(8);
    expect(Array.from(out.subarray(0, v.row(0, out)))).toEqual([2]);
    expect(() => views(2, [[0, 1], [0, 2], [0, 3]], 2)).toThrow(/more than 2/);
  });
});

describe("metrics", () => {
  test("clustering: triangle 1, square 0, star 0, a leaf counts 1 as in PeerSim", () => {
    expect(clusteringCoefficient(und(both(3, [[0, 1], [1, 2], [2, 0]])), all(3)).mean).toBe(1);
    expect(clusteringCoefficient(und(both(4, [[0, 1], [1, 2], [2, 3], [3, 0]])), all(4)).mean).toBe(0);
    // Triangle 0-1-2 plus a leaf 3 on node 0: c0 = 1/3, c1 = c2 = 1, c3 = 1 (one neighbour).
    const c = clusteringCoefficient(und(both(4, [[0, 1], [1, 2], [2, 0], [0, 3]])), all(4));
    expect(c.mean).toBeCloseTo((1 / 3 + 1 + 1 + 1) / 4, 12);
    expect(c.counted).toBe(4);
  });

  test("average shortest path of a line, exactly and with failed nodes cutting it", () => {
    // 0-1-2-3: distances 1,2,3,1,1,2,2,1,1,3,2,1 over 12 ordered pairs = 20/12.
    const g = und(both(4, [[0, 1], [1, 2], [2, 3]]));
    const p = averageShortestPath(g, all(4), sampleAlive(all(4), 100, new SeededRng(1)));
    expect(p.mean).toBeCloseTo(20 / 12, 12);
    expect(p.maxDistance).toBe(3);
    expect(p.unreachable).toBe(0);
    const alive = all(4);
    alive[1] = 0;
    const q = averageShortestPath(g, alive, sampleAlive(alive, 100, new SeededRng(1)));
    expect(q.pairs).toBe(2); // 2-3 and 3-2 only
    expect(q.unreachable).toBe(4);
  });

  test("average shortest path counts duplicate and dead sources as one BFS each would", () => {
    // 0-1-2 line, 3 isolated, 4 dead but linked to 0.
    const g = csr(5, [[1, 4], [0, 2], [1], [], [0]]);
    const alive = Uint8Array.from([1, 1, 1, 1, 0]);
    // From 0: 1 at 1, 2 at 2, 3 unreachable. Twice.
    expect(averageShortestPath(g, alive, Int32Array.from([0, 0]))).toEqual({
      mean: 1.5, sources: 2, pairs: 4, unreachable: 2, maxDistance: 2,
    });
    // From dead 4: 0 at 1, 1 at 2, 2 at 3; unreachable 4 - 4 = 0 (the source counts as visited).
    expect(averageShortestPath(g, alive, Int32Array.from([4]))).toEqual({
      mean: 2, sources: 1, pairs: 3, unreachable: 0, maxDistance: 3,
    });
    // A source outside the graph reaches nothing; no source, nothing at all.
    expect(averageShortestPath(g, alive, Int32Array.from([5, -1]))).toEqual({
      mean: 0, sources: 2, pairs: 0, unreachable: 6, maxDistance: 0,
    });
    expect(averageShortestPath(g, alive, new Int32Array(0))).toEqual({
      mean: 0, sources: 0, pairs: 0, unreachable: 0, maxDistance: 0,
    });
    expect(averageShortestPath(csr(0, []), new Uint8Array(0), new Int32Array(0)).pairs).toBe(0);
  });

  test("average shortest path (MS-BFS) equals one plain BFS per source on random graphs", () => {
    const rng = new SeededRng(2024);
    let checked = 0;
    for (let round = 0; round < 300; round++) {
      const n = round < 20 ? round % 4 : 1 + randomInt(rng, round % 10 === 0 ? 400 : 80);
      const g = randomGraph(rng, n);
      const alive = new Uint8Array(n);
      const deadRate = [0, 0.1, 0.5, 0.9][randomInt(rng, 4)]!;
      for (let u = 0; u < n; u++) alive[u] = rng.next() < deadRate ? 0 : 1;
      for (const k of [0, 1, 31, 32, 33, 100, n]) {
        // Any node, dead ones and repeats included; distinct alive ones as the bench draws them;
        // every node in order.
        const anyNode = Int32Array.from({ length: n === 0 ? 0 : k }, () => randomInt(rng, n));
        const distinct = sampleAlive(alive, k, rng);
        const every = Int32Array.from({ length: n }, (_, i) => i);
        for (const sources of [anyNode, distinct, every]) {
          expect(averageShortestPath(g, alive, sources)).toEqual(referencePaths(g, alive, sources));
          checked++;
        }
      }
    }
    expect(checked).toBe(300 * 7 * 3);
  });

  test("components, isolated nodes and in-degree mode", () => {
    const v = views(6, [[0, 1], [1, 0], [2, 3], [3, 4], [4, 2]]);
    const c = connectedComponents(und(v), all(6));
    expect(c).toEqual({ count: 3, largest: 3, isolated: 1 });
    const hist = inDegreeHistogram(directedCsr(v, all(6), 8), all(6));
    expect(Array.from(hist)).toEqual([1, 5]);
    expect(histogramMode(Int32Array.from([1, 7, 7, 2]))).toBe(1);
  });

  test("sampleAlive draws distinct alive nodes", () => {
    const alive = all(100);
    for (let i = 0; i < 100; i += 2) alive[i] = 0;
    const s = sampleAlive(alive, 20, new SeededRng(3));
    expect(new Set(s).size).toBe(20);
    for (const u of s) expect(alive[u]).toBe(1);
    expect(sampleAlive(alive, 1000, new SeededRng(3)).length).toBe(50);
  });
});

describe("flood", () => {
  test("hops, duplicates, and failed peers reported once per sender", () => {
    // 0-1, 0-2, 1-2, 2-3, 3-4 (symmetric); node 4 failed.
    const v = both(5, [[0, 1], [0, 2], [1, 2], [2, 3], [3, 4]]);
    const alive = all(5);
    alive[4] = 0;
    const f = new Flooder(alive, 8);
    const r = f.flood(v, 0);
    expect(r.delivered).toBe(4);
    expect(r.maxHops).toBe(2);
    expect(r.detections).toBe(1);
    expect(Array.from(f.detected.subarray(0, 2))).toEqual([3, 4]);
    // 0 sends 2, 1 and 2 send to each other (2 duplicates), 2 sends to 3, 3 sends to 4.
    expect(r.messages).toBe(6);
    expect(r.duplicates).toBe(2);
  });
});

describe("cached flood", () => {
  /** What a broadcast reads of a flood, cached or not, with its failed sends. */
  const outcome = (r: { delivered: number; messages: number; detections: number }, detected: Int32Array) => ({
    delivered: r.delivered,
    messages: r.messages,
    detections: r.detections,
    detected: Array.from(detected.subarray(0, 2 * r.detections)),
  });

  test("a one-way edge is not reused: from its far end the flood reaches less", () => {
    // 0-1 both ways, 1 -> 2 only: from 0 the flood reaches {0, 1, 2}; from 2, only 2.
    const v = both(3, [[0, 1]]);
    v.add(1, 2);
    const c = new CachedFlooder(all(3), 8);
    expect(c.flood(v, 0).delivered).toBe(3);
    expect(c.flood(v, 2).delivered).toBe(1);
    expect(c.hits).toBe(0);
  });

  test("a component with every edge both ways is flooded once while the views stand still", () => {
    const v = both(6, [[0, 1], [1, 2], [2, 0], [3, 4]]);
    const c = new CachedFlooder(all(6), 8);
    expect(c.flood(v, 0)).toMatchObject({ delivered: 3, messages: 4, detections: 0 });
    expect(c.flood(v, 2)).toMatchObject({ delivered: 3, messages: 4, detections: 0 });
    expect(c.hits).toBe(1);
    // Another component, then a change: neither is answered from the cache.
    expect(c.flood(v, 3)).toMatchObject({ delivered: 2, messages: 1 });
    v.add(2, 3);
    v.add(3, 2);
    expect(c.flood(v, 1)).toMatchObject({ delivered: 5, messages: 6 });
    expect(c.hits).toBe(1);
  });

  test("equals the plain flood through random changes, failed nodes and one-way edges", () => {
    const rng = new SeededRng(11);
    const n = 60;
    const alive = all(n);
    for (let k = 0; k < 6; k++) alive[randomInt(rng, n)] = 0;
    const v = new ActiveViews(n, 5);
    const row = new Int32Array(5);
    const back = new Int32Array(5);
    const link = (a: number, b: number, oneWay: boolean) => {
      if (a === b || v.degree(a) >= 5 || v.degree(b) >= 5) return;
      v.add(a, b);
      if (!oneWay) v.add(b, a);
    };
    /** Drops every edge whose reverse is missing, as the far end's DISCONNECT would. */
    const dropOneWay = () => {
      for (let a = 0; a < n; a++) {
        for (let i = v.row(a, row) - 1; i >= 0; i--) {
          const b = row[i]!;
          if (!Array.from(back.subarray(0, v.row(b, back))).includes(a)) v.remove(a, b);
        }
      }
    };
    for (let k = 0; k < 110; k++) link(randomInt(rng, n), randomInt(rng, n), false);
    const plain = new Flooder(alive, 5);
    const cached = new CachedFlooder(alive, 5);
    const sources = sampleAlive(alive, Infinity, rng);
    for (let step = 0; step < 2000; step++) {
      const roll = randomInt(rng, 200);
      const a = randomInt(rng, n);
      if (roll < 2) link(a, randomInt(rng, n), roll === 0);
      else if (roll < 4 && v.row(a, row) > 0) {
        const b = row[randomInt(rng, v.degree(a))]!;
        v.remove(a, b);
        if (roll !== 2) v.remove(b, a);
      } else if (roll === 4) dropOneWay();
      const s = sources[randomInt(rng, sources.length)]!;
      const want = plain.flood(v, s);
      expect(outcome(cached.flood(v, s), cached.detected), `step ${step}`).toEqual(outcome(want, plain.detected));
      // Now and then the senders forget the failed peers they found, as linkLost makes them; in
      // between, floods keep finding them (from each source in its own order).
      if (randomInt(rng, 4) === 0) {
        for (let k = 0; k < want.detections; k++) v.remove(plain.detected[2 * k]!, plain.detected[2 * k + 1]!);
      }
    }
    // The cache answered a good share of them: the test exercised it.
    expect(cached.hits).toBeGreaterThan(500);
  });
});

describe("snapshot", () => {
  test("deepCopy keeps prototypes and sharing, copies state, shares frozen objects", () => {
    class Box {
      constructor(public items: number[]) {}
      sum() {
        return this.items.reduce((a, b) => a + b, 0);
      }
    }
    const frozen = Object.freeze({ id: "n1" });
    const shared = [1, 2];
    const orig = { a: new Box(shared), b: new Box(shared), m: new Map([["k", frozen]]), t: new Int32Array([5]) };
    const c = deepCopy(orig);
    expect(c.a).toBeInstanceOf(Box);
    expect(c.a.sum()).toBe(3);
    expect(c.a.items).toBe(c.b.items);
    expect(c.a.items).not.toBe(shared);
    expect(c.m.get("k")).toBe(frozen);
    c.t[0] = 9;
    c.a.items.push(4);
    expect(orig.t[0]).toBe(5);
    expect(shared).toEqual([1, 2]);
  });

  test("deepCopy copies objects of many fields, with keys that are not identifiers, and without a prototype", () => {
    class Wide {
      f0 = 0; f1 = "x"; f2 = 2.5; f3: number[] = [1]; f4 = null; f5 = 5; f6 = 6; f7 = 7; f8 = { y: 1 }; f9 = true;
    }
    const bare = Object.assign(Object.create(null) as Record<string, number>, { a: 1 });
    const orig = { w: new Wide(), odd: { "a-b": 1, "2x": 2 }, bare };
    const c = deepCopy(orig);
    expect(c.w).toBeInstanceOf(Wide);
    expect(c.w).toEqual(orig.w);
    expect(Object.keys(c.w)).toEqual(Object.keys(orig.w));
    expect(c.w.f8).not.toBe(orig.w.f8);
    expect(c.odd).toEqual({ "a-b": 1, "2x": 2 });
    expect(Object.getPrototypeOf(c.bare)).toBeNull();
    expect(c.bare.a).toBe(1);
  });

  test("deepCopy keeps a cycle, and two objects of one class with different fields apart", () => {
    class Node {
      next: Node | null = null;
      constructor(public v: number) {}
    }
    const a = new Node(1);
    a.next = a;
    const b = Object.assign(new Node(2), { extra: [3] });
    const c = deepCopy({ a, b });
    expect(c.a.next).toBe(c.a);
    expect(c.a).not.toBe(a);
    expect(c.b).toEqual(b);
    expect(Object.keys(c.b)).toEqual(Object.keys(b));
    expect(Object.keys(c.a)).toEqual(Object.keys(a));
    expect((c.b as Node & { extra: number[] }).extra).not.toBe(b.extra);
  });

  test("deepCopy leaves the shared objects as they are, and copies the rest", () => {
    const kept = { n: [1] };
    const other = { n: [2] };
    const orig = { list: [kept, other], again: kept };
    const c = deepCopy(orig, [kept]);
    expect(c.list[0]).toBe(kept);
    expect(c.again).toBe(kept);
    expect(c.list[1]).not.toBe(other);
    expect(c.list[1]).toEqual(other);
  });
});
