/**
 * Random schedules for the property tests: the actions, their generators, and how one is applied
 * to a simulation. Shared so that a failing schedule can be replayed outside the test runner.
 */
import fc from "fast-check";
import { Simulation } from "../../src/sim/index.js";

export type Action =
  | { readonly t: "join" }
  | { readonly t: "crash"; readonly k: number }
  | { readonly t: "restart"; readonly k: number; readonly via: number }
  | { readonly t: "leave"; readonly k: number }
  | { readonly t: "partition"; readonly salt: number }
  | { readonly t: "heal" }
  | { readonly t: "cycle" }
  | { readonly t: "run"; readonly ms: number };

export const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.constant({ t: "join" } as const), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("crash" as const), k: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("restart" as const), k: fc.nat(), via: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("leave" as const), k: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant("partition" as const), salt: fc.nat() }), weight: 1 },
  { arbitrary: fc.constant({ t: "heal" } as const), weight: 1 },
  { arbitrary: fc.constant({ t: "cycle" } as const), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("run" as const), ms: fc.integer({ min: 1, max: 8000 }) }), weight: 2 },
);

export const scenario = fc.record({
  seed: fc.nat(),
  nodes: fc.integer({ min: 20, max: 60 }),
  timers: fc.boolean(),
  uniformLatency: fc.boolean(),
  /** Lossy runs: a lost DISCONNECT may leave a link one-sided for good, so only the structural
   * invariants are checked there (no symmetry at quiet). */
  loss: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.constant(0.05), weight: 1 }),
  actions: fc.array(action, { minLength: 5, maxLength: 25 }),
});

/** Nodes created beyond the initial ones, for joins. */
export const SPARE = 8;

export function apply(sim: Simulation, a: Action, pick: (xs: number[], k: number) => number | undefined): void {
  const up = sim.upNodes().filter((i) => sim.core(i).status === "running");
  switch (a.t) {
    case "join": {
      const fresh = [...Array(sim.size).keys()].find((i) => sim.core(i).status === "idle");
      const via = pick(up, fresh ?? 0);
      if (fresh === undefined || via === undefined) return;
      sim.start(fresh);
      sim.join(fresh, [via]);
      return;
    }
    case "crash": {
      const i = pick(up, a.k);
      if (i !== undefined && up.length > 2) sim.crash(i);
      return;
    }
    case "restart": {
      const down = [...Array(sim.size).keys()].filter((i) => !sim.isUp(i));
      const i = pick(down, a.k);
      const via = pick(up, a.via);
      if (i !== undefined) sim.restart(i, via === undefined ? [] : [via]);
      return;
    }
    case "leave": {
      const i = pick(up, a.k);
      if (i !== undefined && up.length > 2) sim.leave(i);
      return;
    }
    case "partition": {
      const sides = 2 + (a.salt % 2);
      const groups: number[][] = Array.from({ length: sides - 1 }, () => []);
      for (let i = 0; i < sim.size; i++) {
        const s = (((i + 1) * 2654435761 + a.salt * 40503) >>> 0) % sides;
        if (s > 0) groups[s - 1]!.push(i);
      }
      sim.partition(groups);
      return;
    }
    case "heal":
      sim.heal();
      return;
    case "cycle":
      if (sim.options.timers) sim.runFor(sim.config.shuffleIntervalMs);
      else sim.cycle();
      return;
    case "run":
      sim.runFor(a.ms);
      return;
  }
}

export type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Builds the simulation of a scenario and joins its initial nodes. */
export function setUp(sc: Scenario): Simulation {
  const sim = new Simulation({
    seed: sc.seed,
    nodes: sc.nodes + SPARE,
    timers: sc.timers,
    latency: sc.uniformLatency ? { min: 1, max: 40 } : 10,
    loss: sc.loss,
  });
  sim.joinAll({ nodes: [...Array(sc.nodes).keys()], between: sc.timers ? 20 : "quiet" });
  return sim;
}

export const pick = (xs: number[], k: number): number | undefined => (xs.length === 0 ? undefined : xs[k % xs.length]);
