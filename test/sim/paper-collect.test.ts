/** The full collections bench:paper runs near Linux's limit of memory maps (bench/paper/collect.ts):
 * a collection frees what nothing reaches any more, and a thread's valve collects when the RSS
 * reaches its mark, then again only after a step of growth. */
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { collectGarbage, MAPS_PER_GIB, MemoryValve, VALVE_SHARE, VALVE_STEP_BYTES, valveThreshold } from "../../bench/paper/collect.js";

const GIB = 2 ** 30;

/** A weak reference to an object that nothing else holds: made in a function of its own, so that no
 * variable of the test keeps it. */
function unreachable(): WeakRef<object> {
  return new WeakRef({ copy: new Array<number>(100_000).fill(1) });
}

describe("full collections near the limit of memory maps", () => {
  it("frees an object that nothing reaches, and says how long it took", async () => {
    const ref = unreachable();
    // A weak reference keeps its target until the end of the job that made or read it.
    await nextTurn();
    const ms = collectGarbage();
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ref.deref()).toBeUndefined();
  });

  it("keeps what is still reached", async () => {
    const held = { copy: new Array<number>(1000).fill(2) };
    const ref = new WeakRef(held);
    await nextTurn();
    collectGarbage();
    collectGarbage();
    expect(ref.deref()).toBe(held);
  });

  it("reads the RSS at most once a second", () => {
    let reads = 0;
    const valve = new MemoryValve(
      10 * GIB,
      () => {
        reads++;
        return GIB;
      },
      () => 0,
    );
    for (let k = 0; k < 1000; k++) valve.check();
    expect(reads).toBe(1);
  });

  it("starts collecting at a share of the limit, in RSS at the most maps a GiB seen", () => {
    // The default limit: about 13.3 GiB, below the 18 GiB at which runs reached it.
    expect(valveThreshold(65530) / GIB).toBeCloseTo((65530 * VALVE_SHARE) / MAPS_PER_GIB, 6);
    expect(valveThreshold(65530) / GIB).toBeGreaterThan(13);
    expect(valveThreshold(65530) / GIB).toBeLessThan(14);
    expect(valveThreshold(262144) / valveThreshold(65536)).toBeCloseTo(4, 9);
  });

  it("collects at the threshold, then only after a step of growth past what a collection left", () => {
    let rss = 5 * GIB;
    /** What the next collection frees, and how long it takes. */
    let frees = 3 * GIB;
    let takes = 250;
    const freed: number[] = [];
    const lines: string[] = [];
    const valve = new MemoryValve(
      10 * GIB,
      () => rss,
      () => {
        freed.push(rss);
        rss -= frees;
        return takes;
      },
      (line) => lines.push(line),
      // Every check reads the RSS.
      0,
    );
    expect(valve.check()).toBe(false);
    rss = 10 * GIB - 1;
    expect(valve.check()).toBe(false);
    rss = 10 * GIB;
    expect(valve.check()).toBe(true);
    expect(rss).toBe(7 * GIB);
    // Back under the threshold: the next mark is the threshold itself.
    rss = 10 * GIB;
    expect(valve.check()).toBe(true);
    expect(freed).toEqual([10 * GIB, 10 * GIB]);
    // A collection that frees little leaves the mark a step above what it left.
    frees = 0.1 * GIB;
    takes = 100;
    rss = 12 * GIB;
    expect(valve.check()).toBe(true);
    expect(valve.check()).toBe(false);
    rss = 11.9 * GIB + VALVE_STEP_BYTES - 1;
    expect(valve.check()).toBe(false);
    rss = 11.9 * GIB + VALVE_STEP_BYTES;
    expect(valve.check()).toBe(true);
    expect(valve.collections).toBe(4);
    expect(valve.ms).toBe(700);
    expect(lines.length).toBe(4);
    expect(lines[0]).toBe("bench:paper: a full collection of one thread's heap at 10.0 GiB of RSS, near the limit of memory maps: 0.3 s, 7.0 GiB after");
  });
});
