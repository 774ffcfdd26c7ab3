/** Views and random selection: sampling must be uniform (a biased shuffle is a classic bug). */
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/protocol/index.js";
import { idHash, withIdHash } from "../../src/protocol/id-hash.js";
import { sample } from "../../src/protocol/selection.js";
import { ActiveView, PassiveView } from "../../src/protocol/views.js";
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

  /** Ten entries; the even ones confirmed (active) or fresh (passive), the odd ones not. */
  const active = new ActiveView(10);
  const passive = new PassiveView(10);
  for (const x of items) {
    active.add(peer(`n${x}`), x % 2 === 1, 0, 0, 0, 0);
    passive.add(peer(`n${x}`), x % 2);
  }

  it.each([
    ["the active view's pickConfirmed", (rng: SeededRng) => active.pickConfirmed(rng, null, null)],
    ["the passive view's pick of fresh entries", (rng: SeededRng) => passive.pick(rng, "fresh", 0)],
  ])("%s is uniform over the entries that pass, and never picks one that does not", (_, pick) => {
    const rng = new SeededRng(11);
    const counts = new Map<number, number>();
    for (let d = 0; d < 50_000; d++) {
      const i = pick(rng);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8]);
    expect(chiSquare([...counts.values()])).toBeLessThan(CHI2_999[4]);
  });

  it("picks return -1 when nothing passes", () => {
    const pending = new ActiveView(2);
    pending.add(peer("a"), true, 1, 0, 0, 0);
    expect(pending.pickConfirmed(new SeededRng(1), null, null)).toBe(-1);
    expect(new ActiveView(2).pickRandom(new SeededRng(1), false)).toBe(-1);
    expect(new PassiveView(2).pick(new SeededRng(1), "any", Infinity)).toBe(-1);
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

describe("views (insertion-ordered, keyed by peer id, one row of numbers per entry)", () => {
  const ids = (v: PassiveView) => v.peers().map((p) => p.id);
  /** Each entry's failure count, which the test sets to its position in the alphabet. */
  const failures = (v: PassiveView) => v.peers().map((_, i) => v.failures(i));

  it("keeps its id index and every entry's fields in step through add, removeAt, replacePeer, removeSome and clear", () => {
    const v = new PassiveView(4);
    ["a", "b", "c", "d", "e"].forEach((id, k) => v.add(peer(id), k + 1, 100 + k, 200 + k));
    expect(v.length).toBe(5);
    expect(v.indexOf("c")).toBe(2);
    v.removeAt(1);
    expect(v.indexOf("b")).toBe(-1);
    expect(v.indexOf("c")).toBe(1);
    expect(v.indexOf("e", idHash("e"))).toBe(3);
    expect(failures(v)).toEqual([1, 3, 4, 5]);
    expect([v.firstFailureAt(1), v.retryAt(1)]).toEqual([102, 202]);
    // A newer record of the same id replaces the old one and starts with a clean history.
    v.replacePeer(0, peer("a", 2));
    expect(v.peer(v.indexOf("a")).incarnation).toBe(2);
    expect([v.failures(0), v.firstFailureAt(0), v.retryAt(0)]).toEqual([0, 0, 0]);
    // removeSome removes at most `max`, keeps the order of the rest, and their fields with them.
    expect(v.removeSome([peer("a"), peer("d"), peer("zz")], ["a", "d", "zz"].map(idHash), 1)).toBe(1);
    expect(ids(v)).toEqual(["c", "d", "e"]);
    expect(failures(v)).toEqual([3, 4, 5]);
    expect([v.firstFailureAt(2), v.retryAt(2)]).toEqual([104, 204]);
    expect(v.indexOf("d")).toBe(1);
    expect(v.indexOf("e")).toBe(2);
    expect(v.removeSome([peer("e"), peer("c")], ["e", "c"].map(idHash), 5)).toBe(2);
    expect(ids(v)).toEqual(["d"]);
    expect([v.failures(0), v.firstFailureAt(0), v.retryAt(0)]).toEqual([4, 103, 203]);
    expect(v.indexOf("d")).toBe(0);
    v.clear();
    expect(v.length).toBe(0);
    expect(v.indexOf("d")).toBe(-1);
    v.add(peer("f"));
    expect([v.failures(0), v.firstFailureAt(0), v.retryAt(0)]).toEqual([0, 0, 0]);
  });

  /** Removes from `v` the entries of up to `max` of the ids `drop` (records made anew), as the
   * rules do with the peers they sent; returns how many went. */
  const removeIds = (v: PassiveView | ActiveView, drop: string[], max: number) =>
    v.removeSome(drop.map((id) => peer(id)), drop.map(idHash), max);
  /** What `removeIds` must leave of a model of the view: its entries in order, without the first
   * `max` whose id is in `drop`. */
  const withoutIds = <E extends { id: string }>(model: E[], drop: string[], max: number): E[] => {
    let left = max;
    return model.filter((e) => !(left > 0 && drop.includes(e.id) && left-- > 0));
  };

  it("keeps every entry's fields through random changes, as an array of entry objects would", () => {
    // Most fields 0, as in a passive view, so that the view often has no field other than 0 and
    // then leaves its numbers alone; the model says what every field must read.
    const rng = new SeededRng(11);
    const r = (n: number) => Math.floor(rng.next() * n);
    const value = () => (r(3) === 0 ? 1 + r(1000) / 8 : 0);
    for (let run = 0; run < 20; run++) {
      const v = new PassiveView(6);
      let model: { id: string; f: [number, number, number] }[] = [];
      for (let step = 0; step < 300; step++) {
        const op = r(8);
        if (op <= 1 && model.length < 8) {
          const id = `p${r(12)}`;
          if (v.indexOf(id) >= 0) continue;
          const f: [number, number, number] = [value(), value(), value()];
          v.add(peer(id), ...f);
          model.push({ id, f });
        } else if (op === 2 && model.length > 0) {
          const i = r(model.length);
          v.removeAt(i);
          model.splice(i, 1);
        } else if (op === 3 && model.length > 0) {
          const drop = [0, 1, 2].map(() => `p${r(12)}`);
          const max = r(4);
          const kept = withoutIds(model, drop, max);
          expect(removeIds(v, drop, max)).toBe(model.length - kept.length);
          model = kept;
        } else if (op === 4 && model.length > 0) {
          const i = r(model.length);
          const f: [number, number, number] = [value(), value(), value()];
          v.setFailure(i, ...f);
          model[i]!.f = f;
        } else if (op === 5 && model.length > 0) {
          const i = r(model.length);
          v.clearFailures(i);
          model[i]!.f = [0, 0, model[i]!.f[2]];
        } else if (op === 6 && model.length > 0) {
          const i = r(model.length);
          v.replacePeer(i, peer(model[i]!.id, 2));
          model[i]!.f = [0, 0, 0];
        } else if (op === 7 && r(10) === 0) {
          v.clear();
          model = [];
        }
        expect(ids(v)).toEqual(model.map((e) => e.id));
        expect(v.peers().map((_, i) => [v.failures(i), v.firstFailureAt(i), v.retryAt(i)])).toEqual(model.map((e) => e.f));
      }
    }
  });

  it("keeps every active entry's fields through random changes, beyond its capacity too", () => {
    const rng = new SeededRng(12);
    const r = (n: number) => Math.floor(rng.next() * n);
    const v = new ActiveView(3);
    let model: { id: string; f: [boolean, number, number, number, number] }[] = [];
    const fields = () => v.peers().map((_, i) => [v.pending(i), v.requestId(i), v.since(i), v.failures(i), v.firstFailureAt(i)]);
    for (let step = 0; step < 2000; step++) {
      const op = r(6);
      if (op <= 1 && model.length < 7) {
        const id = `p${r(12)}`;
        if (v.indexOf(id) >= 0) continue;
        const f: [boolean, number, number, number, number] = [r(2) === 0, r(3), r(3) * 0.25, r(2), r(2) * 0.5];
        v.add(peer(id), ...f);
        model.push({ id, f });
      } else if (op === 2 && model.length > 0) {
        const i = r(model.length);
        v.removeAt(i);
        model.splice(i, 1);
      } else if (op === 3 && model.length > 0) {
        const drop = [`p${r(12)}`, `p${r(12)}`];
        const max = 1 + r(2);
        removeIds(v, drop, max);
        model = withoutIds(model, drop, max);
      } else if (op === 4 && model.length > 0) {
        const i = r(model.length);
        v.confirm(i);
        model[i]!.f[0] = false;
        model[i]!.f[3] = 0;
      } else if (op === 5 && r(20) === 0) {
        v.clear();
        model = [];
      }
      expect(v.peers().map((p) => p.id)).toEqual(model.map((e) => e.id));
      expect(fields()).toEqual(model.map((e) => e.f));
      expect(v.upCount()).toBe(model.filter((e) => !e.f[0]).length);
    }
  });

  it("indexOfPeer finds the record held and any other record of its id, and trusts no hash alone", () => {
    const v = new PassiveView(4);
    const a = peer("a");
    v.add(a);
    v.add(peer("b"), 0, 0, 0, idHash("b"));
    expect(v.indexOfPeer(a, idHash("a"))).toBe(0);
    expect(v.indexOfPeer(peer("a", 2), idHash("a"))).toBe(0);
    expect(v.indexOfPeer(peer("b"), idHash("b"))).toBe(1);
    // Another id given the hash of "a" (as a collision would): not a match.
    expect(v.indexOfPeer(peer("c"), idHash("a"))).toBe(-1);
    expect(v.indexOfPeer(peer("c"), idHash("c"))).toBe(-1);
  });

  it("indexOfRecord finds a record by its id, with or without a hash it carries", () => {
    const v = new ActiveView(4);
    v.add(peer("a"), false, 0, 0, 0, 0);
    v.add(withIdHash(peer("b")), false, 0, 0, 0, 0);
    expect(v.indexOfRecord(peer("a", 3))).toBe(0);
    expect(v.indexOfRecord(withIdHash(peer("a")))).toBe(0);
    expect(v.indexOfRecord(peer("b"))).toBe(1);
    expect(v.indexOfRecord(withIdHash(peer("c")))).toBe(-1);
    expect(v.indexOfRecord(peer("c"))).toBe(-1);
  });

  it("passive picks honour the rest and the kind asked for", () => {
    const v = new PassiveView(4);
    v.add(peer("fresh"));
    v.add(peer("resting"), 0, 0, 50);
    v.add(peer("failed"), 2, 10, 20);
    const rng = new SeededRng(3);
    const picked = (which: "any" | "fresh" | "failed", now: number) => {
      const seen = new Set<string>();
      for (let d = 0; d < 200; d++) {
        const i = v.pick(rng, which, now);
        seen.add(i < 0 ? "none" : v.peer(i).id);
      }
      return [...seen].sort();
    };
    expect(picked("any", 0)).toEqual(["fresh"]);
    expect(picked("any", 30)).toEqual(["failed", "fresh"]);
    expect(picked("any", Infinity)).toEqual(["failed", "fresh", "resting"]);
    expect(picked("fresh", 100)).toEqual(["fresh", "resting"]);
    expect(picked("failed", 0)).toEqual(["none"]);
    expect(picked("failed", 20)).toEqual(["failed"]);
    expect(v.hasFresh()).toBe(true);
  });

  it("active picks: confirmed entries only, never the excluded ids; pending ones on request", () => {
    const v = new ActiveView(5);
    v.add(peer("a"), false, 0, 0, 0, 0);
    v.add(peer("b"), true, 7, 5, 1, 3);
    v.add(peer("c"), false, 0, 0, 0, 0);
    v.add(peer("d"), false, 0, 0, 0, 0);
    const rng = new SeededRng(4);
    const seen = new Set<string>();
    for (let d = 0; d < 300; d++) seen.add(v.peer(v.pickConfirmed(rng, peer("a"), peer("zz"))).id);
    expect([...seen].sort()).toEqual(["c", "d"]);
    expect(v.pickConfirmed(rng, peer("c"), v.peer(3))).toBe(0);
    for (let d = 0; d < 50; d++) expect(v.pickRandom(rng, true)).toBe(1);
    expect(v.upCount()).toBe(3);
    expect(v.confirmedPeers().map((p) => p.id)).toEqual(["a", "c", "d"]);
    expect([v.pending(1), v.requestId(1), v.since(1), v.failures(1), v.firstFailureAt(1)]).toEqual([true, 7, 5, 1, 3]);
    v.confirm(1);
    expect([v.pending(1), v.failures(1)]).toEqual([false, 0]);
    expect(v.upCount()).toBe(4);
  });

  it("samples append distinct records and, in the same order, their id hashes", () => {
    const a = new ActiveView(5);
    ["a", "b", "c"].forEach((id, k) => a.add(peer(id), k === 1, 0, 0, 0, 0));
    const p = new PassiveView(30);
    for (let k = 0; k < 20; k++) p.add(peer(`p${k}`));
    const rng = new SeededRng(5);
    for (let round = 0; round < 50; round++) {
      const into = [peer("self")];
      const hashes = [idHash("self")];
      a.sampleConfirmed(rng, 3, into, hashes);
      p.sample(rng, 4, into, hashes);
      const got = into.map((x) => x.id);
      expect(got.length).toBe(7);
      expect(new Set(got).size).toBe(7);
      // The pending entry is never sampled; at most 3 asked, 2 confirmed.
      expect(got.slice(1, 3).sort()).toEqual(["a", "c"]);
      expect(hashes).toEqual(got.map(idHash));
    }
    const none: ReturnType<PassiveView["peers"]> = [];
    p.sample(rng, 0, none, []);
    expect(none).toEqual([]);
  });
});
