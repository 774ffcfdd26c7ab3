/**
 * Property tests over random schedules of joins, crashes, restarts, leaves, partitions, heals and
 * membership cycles on 20-60 nodes. Replay a failure with the seed (and path) fast-check prints:
 *   SEED=<seed> FC_PATH=<path> npx vitest run test/sim/properties.test.ts
 * NUM_RUNS=<n> runs more schedules.
 */
import fc from "fast-check";
import { describe, test } from "vitest";
import { expectInvariants } from "./helpers.js";
import { apply, pick, scenario, setUp } from "./schedule.js";

describe("invariants under random schedules", () => {
  test("hold after every step; without loss, active views are symmetric whenever the network is quiet", () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const sim = setUp(sc);
        sc.actions.forEach((a, step) => {
          apply(sim, a, pick);
          const ctx = `step ${step} ${JSON.stringify(a)}`;
          expectInvariants(sim, {}, ctx);
          if (!sc.timers && sc.loss === 0) {
            // Without timers the network runs dry: every link must then be agreed on both sides,
            // partition or not, and no crashed peer may linger (crashes are detected).
            sim.runUntilQuiet();
            expectInvariants(sim, { quiet: true }, `${ctx}, quiet`);
          }
        });
        sim.heal();
        if (sc.timers) {
          sim.runFor(10_000);
          // Shuffles and repair retries never stop by themselves: stop the timers, let it drain.
          sim.stopTimers();
          if (!sim.runUntilQuiet(1_000_000)) throw new Error(`seed ${sc.seed}: the network never went quiet`);
        } else {
          for (let c = 0; c < 3; c++) sim.cycle();
        }
        expectInvariants(sim, { quiet: sc.loss === 0 }, "after healing");
      }),
      {
        numRuns: Number(process.env.NUM_RUNS ?? 40),
        seed: process.env.SEED === undefined ? undefined : Number(process.env.SEED),
        path: process.env.FC_PATH,
      },
    );
  });
});
