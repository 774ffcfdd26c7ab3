/**
 * A stabilised overlay sent to a worker (bench/paper/transfer.ts): after structured clone and
 * revival it is the same simulation, down to every later event.
 */
import { describe, expect, it } from "vitest";
import { Overlay } from "../../bench/paper/overlay.js";
import { runFailure, runHealing } from "../../bench/paper/experiment.js";
import { fromTransferable, toTransferable, transferList } from "../../bench/paper/transfer.js";
import { Simulation } from "../../src/sim/index.js";
import { simRecord } from "../../src/sim/records.js";

describe("overlay transfer", () => {
  const base = Overlay.build({ nodes: 400, seed: 3, model: "ours", cycles: 5, latencyMs: 10 });

  it("revives into an overlay that runs every experiment exactly as the original", () => {
    const revived = Overlay.fromTransferable(structuredClone(base.transferable()));
    expect(revived.sim).toBeInstanceOf(Simulation);
    expect(revived.sim.record(5)).not.toBe(base.sim.record(5));
    expect(revived.sim.record(5)).toEqual(base.sim.record(5));
    for (let i = 0; i < 400; i += 37) {
      expect(revived.sim.activeIndices(i, true)).toEqual(base.sim.activeIndices(i, true));
      expect(revived.sim.passiveIndices(i)).toEqual(base.sim.passiveIndices(i));
    }
    const a = runFailure(base, 0.5, "send", 30, 11);
    const b = runFailure(revived, 0.5, "send", 30, 11);
    expect(Array.from(b.reliability)).toEqual(Array.from(a.reliability));
    expect(b.protocolMessages).toBe(a.protocolMessages);
    expect(b.componentsAfter).toEqual(a.componentsAfter);
    const h1 = runHealing(base, "ours", 0.5, "links", 1, 5, 3, 12);
    const h2 = runHealing(revived, "ours", 0.5, "links", 1, 5, 3, 12);
    expect(h2.perCycle).toEqual(h1.perCycle);
    expect(h2.protocolMessages).toBe(h1.protocolMessages);
    // The revived overlay's hooks write to its own views, not to the original's.
    runFailure(revived, 0.9, "links", 5, 13, true);
    const again = runFailure(base, 0.5, "send", 30, 11);
    expect(Array.from(again.reliability)).toEqual(Array.from(a.reliability));
  });

  it("keeps values, sharing, cycles, records and frozen objects through the stream", () => {
    const own = [simRecord(0, 1), simRecord(1, 1)];
    const older = simRecord(1, 0);
    const nums = [0, 0.5, -3, 1e300];
    const list: unknown[] = [own[0], older, older, undefined, null, true, false, "x", nums, nums];
    const frozen = Object.freeze({ k: 1 });
    const root: Record<string, unknown> = { list, map: new Map<unknown, unknown>([["a", frozen]]), set: new Set([1, "b"]), typed: new Int32Array([7]), frozen, empty: [] };
    root.self = root;
    const back = fromTransferable(structuredClone(toTransferable(root)), {}, own) as typeof root;
    const l = back.list as unknown[];
    expect(l[0]).toBe(own[0]);
    expect(l[1]).not.toBe(older);
    expect(l[1]).toEqual(older);
    expect(l[2]).toBe(l[1]);
    expect(l.slice(3, 8)).toEqual([undefined, null, true, false, "x"]);
    expect(l[8]).toEqual(nums);
    expect(l[9]).toBe(l[8]);
    expect((back.map as Map<string, unknown>).get("a")).toBe(back.frozen);
    expect(Object.isFrozen(back.frozen)).toBe(true);
    expect([...(back.set as Set<unknown>)]).toEqual([1, "b"]);
    expect(Array.from(back.typed as Int32Array)).toEqual([7]);
    expect(back.empty).toEqual([]);
    expect(back.self).toBe(back);
  });

  it("reads into the objects this thread holds where they match, and makes the rest anew", () => {
    const config = Object.freeze({ a: 1, b: "x" });
    const source = {
      config,
      xs: [3, 0.25, 7],
      items: [{ k: 2 }, { k: 3 }],
      map: new Map([["m", 1]]),
      odd: { k: 9 },
      twice: [{ k: 4 }, { k: 5 }],
      other: Object.freeze({ a: 2, b: "x" }),
    };
    const shared = { k: 0 };
    const held = {
      config: Object.freeze({ a: 1, b: "x" }),
      xs: [0, 0, 0, 0],
      items: [{ k: 0 }],
      map: new Map([["old", 2]]),
      odd: { k: 0, extra: 1 },
      twice: [shared, shared],
      other: Object.freeze({ a: 1, b: "x" }),
    };
    const parts = { config: held.config, xs: held.xs, items: held.items, item: held.items[0], map: held.map, odd: held.odd, other: held.other };
    const back = fromTransferable(structuredClone(toTransferable(source)), {}, [], held) as typeof held;
    expect(back).toBe(held);
    expect(back).toEqual(source);
    // Filled in place: the same objects, with the stream's values.
    expect(back.xs).toBe(parts.xs);
    expect(back.items).toBe(parts.items);
    expect(back.items[0]).toBe(parts.item);
    expect(back.map).toBe(parts.map);
    expect([...back.map]).toEqual([["m", 1]]);
    // A frozen object equal to the one held is the one held; one that differs is made anew.
    expect(back.config).toBe(parts.config);
    expect(back.other).not.toBe(parts.other);
    // Other properties than the stream's: made anew, the held object untouched.
    expect(back.odd).not.toBe(parts.odd);
    expect(parts.odd).toEqual({ k: 0, extra: 1 });
    // One held object in two places is filled once: two objects of the stream never share it.
    expect(back.twice[0]).toBe(shared);
    expect(back.twice[1]).not.toBe(shared);
    expect(back.twice.map((x) => x.k)).toEqual([4, 5]);
  });

  it("with only frozen objects shared, keeps frozen sharing, numbers the rest the same and fills in place", () => {
    const config = Object.freeze({ a: 1 });
    const records = [simRecord(0, 1), simRecord(1, 1)];
    const rec = records[1]!;
    const make = (k: number) => ({ config, rec, xs: [k, k + 0.5], inner: { k }, list: [{ k: k + 1 }, config] });
    const source = [make(1), make(2)];
    const held = [make(0), make(0)];
    const parts = held.map((h) => ({ xs: h.xs, inner: h.inner, list: h.list, first: h.list[0] }));
    const plain = toTransferable(source) as { length: number };
    const t = toTransferable(source, 1 << 12, true) as { length: number };
    // The numbering is the same: a frozen object met again is still written as a reference.
    expect(t.length).toBe(plain.length);
    const back = fromTransferable(structuredClone(t), {}, records, held, true) as typeof held;
    expect(back).toBe(held);
    expect(back).toEqual(source);
    for (let k = 0; k < 2; k++) {
      expect(back[k]!.xs).toBe(parts[k]!.xs);
      expect(back[k]!.inner).toBe(parts[k]!.inner);
      expect(back[k]!.list).toBe(parts[k]!.list);
      expect(back[k]!.list[0]).toBe(parts[k]!.first);
      expect(back[k]!.config).toBe(config);
      expect(back[k]!.list[1]).toBe(config);
      expect(back[k]!.rec).toBe(rec);
    }
    // An unfrozen object reached twice is written twice, and read back as two (the caller's promise
    // that none is was broken).
    const twice = { k: 7 };
    const copy = fromTransferable(structuredClone(toTransferable([twice, twice], 16, true)), {}, [], undefined, true) as unknown[];
    expect(copy).toEqual([twice, twice]);
    expect(copy[1]).not.toBe(copy[0]);
  });

  it("finds no unfrozen object shared between or within the cores the simulator makes (mergeHalves' promise)", () => {
    // mergeHalves writes cores with `onlyFrozenShared`, which is right only if nothing but frozen
    // objects (and records, written by node) is reached twice. Then the stream is the very same
    // with and without the flag; an unfrozen object met twice would be a reference in one and a
    // second copy in the other. Checked on the cores of both models, after the cycles and after
    // failures and their repair, when the most kinds of state are held.
    const streamOf = (cores: unknown[], flag: boolean) => {
      const t = toTransferable(cores, 1 << 16, flag) as { stream: Float64Array; length: number };
      return Array.from(t.stream.subarray(0, t.length));
    };
    const coresOf = (sim: Simulation) => Array.from({ length: sim.size }, (_, i) => sim.core(i));
    const paper = Overlay.build({ nodes: 300, seed: 4, model: "paper", cycles: 3, latencyMs: 10 });
    for (const ov of [base, paper]) {
      expect(streamOf(coresOf(ov.sim), true)).toEqual(streamOf(coresOf(ov.sim), false));
      const failed = ov.copy().use();
      const before = failed.sim.stats.messagesDelivered;
      failed.sim.crash(Array.from({ length: 120 }, (_, k) => 2 * k + 1), { detect: true });
      failed.sim.runUntilQuiet();
      expect(failed.sim.stats.messagesDelivered).toBeGreaterThan(before);
      const survivors = coresOf(failed.sim).filter((_, i) => i % 2 === 0 || i >= 240);
      expect(streamOf(survivors, true)).toEqual(streamOf(survivors, false));
    }
    // The check can fail: one core listed twice is an unfrozen object reached twice.
    const twice = [paper.sim.core(0), paper.sim.core(0)];
    expect(streamOf(twice, true)).not.toEqual(streamOf(twice, false));
  });

  it("refuses what it cannot send, and a stream that is not one", () => {
    expect(() => toTransferable({ s: Symbol("s") })).toThrow(/a symbol \(property "s"\) cannot be sent/);
    const t = toTransferable({ a: 1 }) as { stream: Float64Array };
    t.stream[0] = 99;
    expect(() => fromTransferable(t, {})).toThrow(/bad stream \(tag 99 at 0\)/);
    // A stream that says it holds more than the value read from it.
    const long = toTransferable([1, 2]) as { length: number };
    expect(() => fromTransferable({ ...long, length: long.length + 1 }, {})).toThrow(/read \d+ of \d+ numbers/);
  });

  it("sends the same whatever room the stream starts with, and only what was written", () => {
    const root = { xs: Array.from({ length: 700 }, (_, i) => i + 0.5), more: [[1, 2], { y: 3 }, "s"] };
    for (const capacity of [1, 16, 4096]) {
      const t = toTransferable(root, capacity) as { stream: Float64Array; length: number };
      expect(t.stream.length).toBeGreaterThanOrEqual(t.length);
      expect(fromTransferable(structuredClone(t), {})).toEqual(root);
    }
    const small = toTransferable(root, 1) as { length: number };
    expect((toTransferable(root, 1 << 20) as { length: number }).length).toBe(small.length);
  });

  it("writes into shared memory it is given when that has room, and then nothing needs moving", () => {
    const root = { xs: Array.from({ length: 700 }, (_, i) => i + 0.5), more: [[1, 2], { y: 3 }, "s"] };
    const plain = toTransferable(root) as { stream: Float64Array; length: number };
    const shared = new Float64Array(new SharedArrayBuffer(8 * 1024));
    expect(shared.length).toBeGreaterThan(plain.length);
    const inShared = toTransferable(root, shared.length, false, shared) as { stream: Float64Array; length: number };
    expect(inShared.stream).toBe(shared);
    expect(transferList(inShared)).toEqual([]);
    expect(Array.from(shared.subarray(0, inShared.length))).toEqual(Array.from(plain.stream.subarray(0, plain.length)));
    // Posted, the other side reads the same memory (structured clone shares it).
    const posted = structuredClone(inShared);
    expect(posted.stream.buffer).toBeInstanceOf(SharedArrayBuffer);
    shared[inShared.length] = 42;
    expect(posted.stream[inShared.length]).toBe(42);
    expect(fromTransferable(posted, {})).toEqual(root);
    // An array smaller than the room asked for is not used.
    const small = new Float64Array(new SharedArrayBuffer(8 * 16));
    const own = toTransferable(root, 32, false, small) as { stream: Float64Array; length: number };
    expect(own.stream).not.toBe(small);
    expect(transferList(own)).toEqual([own.stream.buffer]);
    expect(fromTransferable(structuredClone(own), {})).toEqual(root);
  });

  it("refuses an object of a class it does not know", () => {
    class Stranger {
      x = 1;
    }
    expect(() => toTransferable({ s: new Stranger() })).toThrow(/class Stranger cannot be sent/);
  });
});
