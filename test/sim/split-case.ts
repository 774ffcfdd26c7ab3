/** The simulation test/sim/partition.test.ts runs in one thread and split between two. */
import { createHash } from "node:crypto";
import type { Channel } from "../../src/sim/channel.js";
import { Simulation } from "../../src/sim/index.js";
import { mergeHalves } from "../../bench/paper/transfer.js";

export interface SplitCase {
  readonly nodes: number;
  readonly seed: number;
  readonly cycles: number;
}

/** Joined one by one through node 0, in the paper's model (cycles are shuffles only). */
export function buildSplitCase(c: SplitCase): Simulation {
  const sim = new Simulation({
    seed: c.seed,
    nodes: c.nodes,
    latency: 10,
    timers: false,
    detectCrashes: false,
    protocol: { keepFailedAsPassive: false, passiveMaxFailures: 1, passiveRetentionMs: 0 },
  });
  sim.joinAll();
  return sim;
}

function cycles(sim: Simulation, c: SplitCase): void {
  for (let k = 0; k < c.cycles; k++) sim.cycle({ maintenance: false, spreadMs: sim.config.shuffleIntervalMs });
}

/** The cycles in one thread. */
export function runAlone(sim: Simulation, c: SplitCase): void {
  cycles(sim, c);
}

/** The cycles split with the other side of `channel`, then merged. */
export function runSplit(sim: Simulation, c: SplitCase, channel: Channel): void {
  sim.split(channel);
  cycles(sim, c);
  mergeHalves(sim);
}

/** Every node's active and passive view, in order, the clock and the counters. */
export function digestOf(sim: Simulation): { views: string; now: number; stats: string } {
  const h = createHash("sha256");
  for (let i = 0; i < sim.size; i++) h.update(`${sim.activeIndices(i).join(",")}|${sim.passiveIndices(i).join(",")};`);
  return { views: h.digest("hex"), now: sim.now, stats: JSON.stringify(sim.stats) };
}
