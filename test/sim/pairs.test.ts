import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { PairClock } from "../../src/sim/pairs.js";

describe("PairClock", () => {
  test("returns max(due, last due on that pair) and records it, like a map of pairs", () => {
    const op = fc.record({ a: fc.nat(20), b: fc.nat(20), delay: fc.integer({ min: 0, max: 30 }), advance: fc.nat(10) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const clock = new PairClock(16); // small: forces reuse of past entries and rebuilds
        const model = new Map<string, number>();
        let now = 0;
        for (const { a, b, delay, advance } of ops) {
          now += advance;
          const at = now + delay;
          const last = model.get(`${a}>${b}`);
          const want = last !== undefined && last > at ? last : at;
          expect(clock.next(a, b, at, now)).toBe(want);
          model.set(`${a}>${b}`, want);
        }
        let live = 0;
        for (const t of model.values()) if (t > now) live++;
        expect(clock.live(now)).toBe(live);
      }),
      { numRuns: 300 },
    );
  });
});
