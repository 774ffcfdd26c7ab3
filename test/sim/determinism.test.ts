import { describe, expect, test } from "vitest";
import { Simulation, snapshotStats } from "../../src/sim/index.js";

/** A run with every kind of event: uniform latency, loss, timers, crashes, a restart, a partition. */
function run(seed: number): string {
  const sim = new Simulation({ seed, nodes: 80, latency: { min: 2, max: 30 }, loss: 0.01 });
  sim.joinAll({ between: 30 });
  sim.runFor(20_000);
  sim.crash([3, 12, 14, 15]);
  sim.at(sim.now + 2000, (s) => s.partition([s.upNodes().filter((i) => i % 3 === 0)]));
  sim.at(sim.now + 9000, (s) => s.heal());
  sim.runFor(5000);
  sim.restart(14, [0]);
  sim.runFor(20_000);
  const views = sim.upNodes().map((i) => {
    const c = sim.core(i);
    return `${i}:${c.activeEntries().map((e) => `${e.peer.id}${e.pending ? "?" : ""}`).join(",")}|${c.passivePeers().map((p) => p.id).join(",")}`;
  });
  return JSON.stringify({ now: sim.now, views, stats: snapshotStats(sim.stats) });
}

describe("determinism", () => {
  test("same seed, same run: views and counters identical", () => {
    const a = run(42);
    expect(run(42)).toBe(a);
    expect(a).toContain('"crashes":4');
  });

  test("different seed, different run", () => {
    expect(run(43)).not.toBe(run(42));
  });
});
