/** Views and random selection: sampling must be uniform (a biased shuffle is a classic bug). */
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/protocol/index.js";
import { View, idHash, pickRandomIndex, sample } from "../../src/protocol/views.js";
import { peer } from "./harness.js";

/** Pearson's chi-square statistic of `counts` against a uniform expectation. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}

// Critical values at p = 0.001 (a correct sampler exceeds them once in a thousand seeds; the seed
// is fixed, so the test is deterministic; a biased one exceeds them by orders of magnitude).
const CHI2_999 = { 4: 18.47, 9: 27.88, 23: 49.73 } as const;

describe("random selection over views", () => {
  const items = Array.from({ length: 10 }, (_, i) => i);

  it("pickRandomIndex is uniform over the entries that pass the filter, and never picks one that does not", () => {
    const rng = new SeededRng(11);
    const counts = new Map<number, number>();
    for (let d = 0; d < 50_000; d++) {
      const i = pickRandomIndex(rng, items, (x) => x % 2 === 0);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8]);
    expect(chiSquare([...counts.values()])).toBeLessThan(CHI2_999[4]);
  });

  it("pickRandomIndex returns -1 when nothing passes", () => {
    expect(pickRandomIndex(new SeededRng(1), items, () => false)).toBe(-1);
    expect(pickRandomIndex(new SeededRng(1), [], () => true)).toBe(-1);
  });

  it("sample(k) includes every entry equally often, in every position equally often", () => {
    const rng = new SeededRng(12);
    const included = new Array<number>(10).fill(0);
    const first = new Array<number>(10).fill(0);
    let duplicates = 0;
    for (let d = 0; d < 30_000; d++) {
      const s = sample(rng, items, 3);
      if (new Set(s).size !== 3) duplicates++;
      for (const x of s) included[x]!++;
      first[s[0]!]!++;
    }
    expect(duplicates).toBe(0);
    expect(chiSquare(included)).toBeLessThan(CHI2_999[9]);
    expect(chiSquare(first)).toBeLessThan(CHI2_999[9]);
  });

  it("sample(n) of n entries draws every permutation equally often (no biased Fisher-Yates)", () => {
    // The classic bug (swapping with any index instead of one not yet placed) makes some of the
    // 24 orders of 4 items about 1.5x as likely as others; this sees it at once.
    const rng = new SeededRng(13);
    const counts = new Map<string, number>();
    for (let d = 0; d < 48_000; d++) {
      const key = sample(rng, [0, 1, 2, 3], 4).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquare([...counts.values()])).toBeLessThan(CHI2_999[23]);
  });

  it("sample with a filter, or asking for more than there is, returns distinct passing entries and leaves the view alone", () => {
    const view = items.slice();
    const s = sample(new SeededRng(2), view, 50, (x) => x >= 7);
    expect(s.slice().sort()).toEqual([7, 8, 9]);
    expect(view).toEqual(items);
    expect(sample(new SeededRng(2), view, 0)).toEqual([]);
  });
});

describe("View (insertion-ordered, keyed by peer id)", () => {
  const entry = (id: string, incarnation = 1) => ({ peer: peer(id, incarnation) });

  it("keeps its id index in step through push, removeAt, replaceAt, removeSome and clear", () => {
    const v = new View<{ peer: ReturnType<typeof peer> }>();
    for (const id of ["a", "b", "c", "d", "e"]) v.push(entry(id));
    expect(v.length).toBe(5);
    expect(v.indexOf("c")).toBe(2);
    expect(v.removeAt(1).peer.id).toBe("b");
    expect(v.indexOf("b")).toBe(-1);
    expect(v.indexOf("c")).toBe(1);
    expect(v.indexOf("e", idHash("e"))).toBe(3);
    v.replaceAt(0, entry("a", 2));
    expect(v.entries[v.indexOf("a")]!.peer.incarnation).toBe(2);
    // removeSome removes at most `max`, keeps the order of the rest.
    expect(v.removeSome([peer("a"), peer("d"), peer("zz")], 1)).toBe(1);
    expect(v.entries.map((e) => e.peer.id)).toEqual(["c", "d", "e"]);
    expect(v.indexOf("d")).toBe(1);
    expect(v.indexOf("e")).toBe(2);
    expect(v.removeSome([peer("e"), peer("c")], 5)).toBe(2);
    expect(v.entries.map((e) => e.peer.id)).toEqual(["d"]);
    expect(v.indexOf("d")).toBe(0);
    v.clear();
    expect(v.length).toBe(0);
    expect(v.indexOf("d")).toBe(-1);
  });
});
