/**
 * The split of the nodes between two threads (src/sim/bisection.ts): equal expected work, few
 * links across, and the same answer every time (both threads compute it and must agree).
 */
import { describe, expect, it } from "vitest";
import { bisect, bothWays, cutFraction } from "../../src/sim/bisection.js";
import { SeededRng } from "../../src/protocol/index.js";

/** Each node lists `degree` others at random (no self link, no repeat): the shape of a HyParView
 * overlay's active views, without their symmetry. */
function randomViews(n: number, degree: number, seed: number): number[][] {
  const rng = new SeededRng(seed);
  const rows: number[][] = [];
  for (let u = 0; u < n; u++) {
    const row: number[] = [];
    while (row.length < degree) {
      const v = Math.floor(rng.next() * n);
      if (v !== u && !row.includes(v)) row.push(v);
    }
    rows.push(row);
  }
  return rows;
}

/** The links of `rows` (node u lists rows[u]), as the split reads the active views. */
function linksOf(rows: readonly number[][]) {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, u) => (offsets[u + 1] = offsets[u]! + r.length));
  return bothWays({ nodes: rows.length, offsets, targets: Int32Array.from(rows.flat()) });
}

function work0(side: Uint8Array, load: ArrayLike<number>): number {
  let w = 0;
  for (let u = 0; u < side.length; u++) if (side[u] === 0) w += load[u]!;
  return w;
}

describe("bisection", () => {
  it("lists every link at both of its ends", () => {
    const links = linksOf([[1, 2], [0], []]);
    expect(Array.from(links.from)).toEqual([0, 3, 5, 6]);
    const of = (u: number) => Array.from(links.to.subarray(links.from[u]!, links.from[u + 1]!)).sort();
    // 0 -> 1 and 1 -> 0 are two links: hops cross them both ways.
    expect(of(0)).toEqual([1, 1, 2]);
    expect(of(1)).toEqual([0, 0]);
    expect(of(2)).toEqual([0]);
    expect(() => linksOf([[0]])).toThrow(/node 0 lists 0/);
    expect(() => linksOf([[3], []])).toThrow(/node 0 lists 3/);
  });

  it("cuts far fewer links than halves by node number, with the work halved", () => {
    const n = 2000;
    const rows = randomViews(n, 5, 7);
    const links = linksOf(rows);
    // Early nodes busier, as on an overlay built by joins one by one.
    const load = Float64Array.from({ length: n }, (_, u) => (u < 100 ? 4 : 2));
    const side = bisect(links, load);
    const total = load.reduce((a, b) => a + b, 0);
    expect(Math.abs(work0(side, load) - total / 2)).toBeLessThanOrEqual(0.002 * total + 4);

    const byNumber = new Uint8Array(n);
    for (let u = n / 2; u < n; u++) byNumber[u] = 1;
    expect(cutFraction(links, byNumber)).toBeGreaterThan(0.45);
    expect(cutFraction(links, side)).toBeLessThan(0.3);
  });

  it("gives the same answer every time", () => {
    const rows = randomViews(500, 5, 3);
    const load = new Float64Array(500).fill(1);
    expect(Array.from(bisect(linksOf(rows), load))).toEqual(Array.from(bisect(linksOf(rows), load)));
  });

  it("puts two rings that share no link on a side each", () => {
    // Ring A is the even nodes, ring B the odd ones: halves by number would cut every link.
    const n = 40;
    const rows = Array.from({ length: n }, (_, u) => [(u + 2) % n]);
    const side = bisect(linksOf(rows), new Float64Array(n).fill(1));
    expect(cutFraction(linksOf(rows), side)).toBe(0);
    expect(side.filter((s) => s === 0).length).toBe(n / 2);
    for (let u = 2; u < n; u += 2) expect(side[u]).toBe(side[0]);
  });

  it("halves the work of nodes without links, and handles none or one node", () => {
    const load = [5, 1, 1, 1, 1, 1];
    const side = bisect(linksOf(load.map(() => [])), load);
    expect(work0(side, load)).toBe(5);
    expect(Array.from(bisect(linksOf([]), []))).toEqual([]);
    expect(Array.from(bisect(linksOf([[]]), [3]))).toEqual([0]);
    expect(() => bisect(linksOf([[], []]), [1])).toThrow(/links for 2 nodes, load for 1/);
  });
});
