/** The simulation test/sim/partition.test.ts runs in one thread and split between two. */
import { createHash } from "node:crypto";
import type { Channel } from "../../src/sim/channel.js";
import { Simulation } from "../../src/sim/index.js";
import { mergeHalves } from "../../bench/paper/transfer.js";

export interface SplitCase {
  readonly nodes: number;
  readonly seed: number;
  readonly cycles: number;
  /** The cores each side sends at a time when the halves are swapped (mergeHalves' default if absent). */
  readonly piece?: number;
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

/**
 * After the cycles, in one thread again: every third node crashes, the others hear of it and
 * repair, and one more cycle runs. Every core of both halves then runs on its merged state, its
 * views' lookups included.
 */
function afterwards(sim: Simulation): void {
  const failed: number[] = [];
  for (let i = 1; i < sim.size; i += 3) failed.push(i);
  sim.crash(failed, { detect: true });
  sim.runUntilQuiet();
  sim.cycle({ maintenance: false, spreadMs: sim.config.shuffleIntervalMs });
}

/** The cycles in one thread, then `afterwards`. */
export function runAlone(sim: Simulation, c: SplitCase): void {
  cycles(sim, c);
  afterwards(sim);
}

/** The cycles split with the other side of `channel`, merged, then `afterwards`. */
export function runSplit(sim: Simulation, c: SplitCase, channel: Channel): void {
  sim.split(channel);
  cycles(sim, c);
  mergeHalves(sim, c.piece);
  afterwards(sim);
}

/** Every node's active and passive view, in order, the clock and the counters. */
export function digestOf(sim: Simulation): { views: string; now: number; stats: string } {
  const h = createHash("sha256");
  for (let i = 0; i < sim.size; i++) h.update(`${sim.activeIndices(i).join(",")}|${sim.passiveIndices(i).join(",")};`);
  return { views: h.digest("hex"), now: sim.now, stats: JSON.stringify(sim.stats) };
}
