/**
 * A stabilised overlay sent to a worker (bench/paper/transfer.ts): after structured clone and
 * revival it is the same simulation, down to every later event.
 */
import { describe, expect, it } from "vitest";
import { Overlay } from "../../bench/paper/overlay.js";
import { runFailure, runHealing } from "../../bench/paper/experiment.js";
import { toTransferable } from "../../bench/paper/transfer.js";
import { Simulation } from "../../src/sim/index.js";

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

  it("refuses an object of a class it does not know", () => {
    class Stranger {
      x = 1;
    }
    expect(() => toTransferable({ s: new Stranger() })).toThrow(/class Stranger cannot be sent/);
  });
});
