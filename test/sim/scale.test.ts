/**
 * 1,000 nodes: all join through one contact, shuffle cycles, then half of them crash at once.
 * Bounds are what was measured over seeds 1-8 (see the printed figures), with margin:
 *   before the crash: 1 component, 99.1-99.5 % of views full, smallest view 2;
 *   after crashing 50 %: 1 component after the 1st cycle in every seed, 93-97 % full after 1 cycle,
 *   96-98 % after 3, 98.6-99.6 % after 10 (seeds 1-4, lockstep and spread cycles). Not 100 %: a view
 *   stuck short probes at high priority, which moves the free slot to the evicted peer; it closes
 *   only when two short nodes meet.
 * SEED=<n> runs another seed.
 */
import { describe, expect, test } from "vitest";
import { SeededRng } from "../../src/protocol/index.js";
import { activeSizeHistogram, components, Simulation } from "../../src/sim/index.js";
import { expectInvariants } from "./helpers.js";

const N = 1000;
const seed = Number(process.env.SEED ?? 1);

function shape(sim: Simulation) {
  const hist = activeSizeHistogram(sim);
  const members = hist.reduce((a, b) => a + b, 0);
  return {
    components: components(sim).count,
    members,
    fullShare: hist[sim.config.activeViewSize]! / members,
    smallest: hist.findIndex((k) => k > 0),
    hist,
  };
}

describe(`1,000 nodes (seed ${seed})`, () => {
  test("join through one contact, converge, then heal after half the nodes crash", () => {
    const sim = new Simulation({ seed, nodes: N, timers: false });
    sim.joinAll({ contact: 0 });
    for (let c = 0; c < 10; c++) sim.cycle();
    const before = shape(sim);
    console.log(`after 10 cycles: ${JSON.stringify(before)}`);
    expect(before.components).toBe(1);
    expect(before.members).toBe(N);
    expect(before.fullShare).toBeGreaterThanOrEqual(0.97);
    expect(before.smallest).toBeGreaterThanOrEqual(1);
    expectInvariants(sim, { quiet: true }, "before the crash");

    // Crash a random half at once.
    const rng = new SeededRng(seed * 7919);
    const order = [...Array(N).keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    sim.crash(order.slice(0, N / 2));

    const perCycle: ReturnType<typeof shape>[] = [];
    for (let c = 1; c <= 10; c++) {
      sim.cycle();
      perCycle.push(shape(sim));
    }
    const oneComponentAt = perCycle.findIndex((s) => s.components === 1) + 1;
    console.log(
      `after crashing 50 %: ${perCycle
        .map((s, k) => `cycle ${k + 1}: ${s.components} component(s), ${(100 * s.fullShare).toFixed(1)} % full, smallest ${s.smallest}`)
        .join("; ")} -> one component after ${oneComponentAt} cycle(s)`,
    );
    expect(perCycle.every((s) => s.members === N / 2)).toBe(true);
    expect(oneComponentAt).toBeGreaterThanOrEqual(1);
    expect(oneComponentAt).toBeLessThanOrEqual(2);
    expect(perCycle[2]!.components).toBe(1);
    expect(perCycle[2]!.fullShare).toBeGreaterThanOrEqual(0.95);
    expect(perCycle[2]!.smallest).toBeGreaterThanOrEqual(1);
    expect(perCycle[9]!.components).toBe(1);
    expect(perCycle[9]!.fullShare).toBeGreaterThanOrEqual(0.975);
    expectInvariants(sim, { quiet: true }, "after healing");
  });
});
