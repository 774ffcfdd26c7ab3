/** Shared helpers for the simulation tests. */
import { expect } from "vitest";
import { checkInvariants, formatViolations, type CheckOptions, type Simulation } from "../../src/sim/index.js";

/** Fails with every violation printed (and the seed, to replay). */
export function expectInvariants(sim: Simulation, opts: CheckOptions = {}, context = ""): void {
  const v = checkInvariants(sim, opts);
  if (v.length > 0) {
    expect.fail(`seed ${sim.options.seed}${context ? ` (${context})` : ""}: ${v.length} violation(s)\n${formatViolations(sim, v)}`);
  }
}

/** Whether any running node that is up holds `peer` in its active view (pending entries included). */
export function anyoneHasActive(sim: Simulation, peer: number): boolean {
  for (const i of sim.upNodes()) if (i !== peer && sim.activeIndices(i, true).includes(peer)) return true;
  return false;
}

/** A joined overlay of `n` nodes, settled with `cycles` membership cycles (timers off). */
export function settledOverlay(sim: Simulation, cycles: number): Simulation {
  sim.joinAll();
  for (let c = 0; c < cycles; c++) sim.cycle();
  return sim;
}
