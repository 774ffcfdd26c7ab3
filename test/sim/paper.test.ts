/**
 * The paper's qualitative results (§5) at 2,000 nodes with the production core: one connected
 * overlay whose in-degree is the active view size, broadcast reliability back above 99 % after
 * half the nodes fail, and healing within 3 cycles. The numbers are printed; `npm run bench:paper`
 * runs the full experiment.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { SeededRng } from "../../src/protocol/index.js";
import { measureOverlay, runFailure, runHealing, type OverlayMetrics } from "../../bench/paper/experiment.js";
import { Overlay } from "../../bench/paper/overlay.js";

const SEED = Number(process.env.SEED ?? 1);
const NODES = 2000;

describe(`paper evaluation at ${NODES} nodes (seed ${SEED})`, () => {
  let base: Overlay;
  let stable: OverlayMetrics;

  beforeAll(() => {
    base = Overlay.build({ nodes: NODES, seed: SEED, model: "ours", cycles: 50, latencyMs: 10 });
    stable = measureOverlay(base, new Uint8Array(NODES).fill(1), 200, 20, new SeededRng(SEED + 1));
    console.log(
      `stable: components ${stable.components.count}, in-degree ${Array.from(stable.inDegree).join("/")}, ` +
        `clustering ${stable.clustering.toFixed(5)}, path ${stable.path.mean.toFixed(3)}, max hops ${stable.maxHopsMean}`,
    );
  });

  test("the stabilised overlay is one connected component and every broadcast reaches everyone", () => {
    expect(stable.components.count).toBe(1);
    expect(stable.components.largest).toBe(NODES);
    expect(stable.reliability).toBe(1);
  });

  test("the most common in-degree is the active view size (Fig. 5)", () => {
    expect(stable.inDegreeMode).toBe(base.sim.config.activeViewSize);
    // "Almost all": well over nine in ten.
    expect(stable.inDegree[stable.inDegreeMode]! / NODES).toBeGreaterThan(0.9);
  });

  test("with 50 % of the nodes failed, reliability is back above 99 % once repaired (Fig. 2, 3)", () => {
    const r = runFailure(base, 0.5, "links", 30, SEED + 7);
    const after = Array.from(r.reliability.subarray(1));
    console.log(`50 % failed: first broadcast ${(100 * r.reliability[0]!).toFixed(2)} %, then min ${(100 * Math.min(...after)).toFixed(2)} %`);
    // The first broadcast meets every failure at once; repair runs before the next one.
    expect(r.reliability[0]!).toBeLessThan(1);
    for (const x of after) expect(x).toBeGreaterThanOrEqual(0.99);
    expect(r.componentsAfter.count).toBe(1);
  });

  test("each run works on its own copy of the overlay: the same run twice gives the same figures", () => {
    const delivered = base.sim.stats.messagesDelivered;
    const a = runFailure(base, 0.3, "send", 5, SEED + 9);
    const b = runFailure(base, 0.3, "send", 5, SEED + 9);
    expect(Array.from(b.reliability)).toEqual(Array.from(a.reliability));
    expect(b.protocolMessages).toBe(a.protocolMessages);
    expect(base.sim.stats.messagesDelivered).toBe(delivered);
    expect(base.sim.upNodes().length).toBe(NODES);
  });

  test("with 50 % of the nodes failed, the overlay heals within 3 cycles (Fig. 4)", () => {
    const h = runHealing(base, "ours", 0.5, "links", stable.reliability, 10, 6, SEED + 8);
    console.log(`50 % failed: healed in cycle ${h.cycles}; reliability per cycle ${h.perCycle.map((x) => (100 * x).toFixed(2)).join(" ")}`);
    expect(h.cycles).toBeGreaterThanOrEqual(1);
    expect(h.cycles).toBeLessThanOrEqual(3);
  });
});
