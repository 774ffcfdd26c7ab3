/** The memory-latency probe printed beside a large run's times (bench/paper/machine.ts). */
import { describe, expect, it } from "vitest";
import { chain, memoryLatencyNs } from "../../bench/paper/machine.js";

describe("the memory-latency probe", () => {
  it("chases one cycle through every entry, so that no read finds its line already fetched", () => {
    for (const size of [4, 1024, 1 << 16]) {
      const next = chain(size);
      const seen = new Uint8Array(size);
      let at = 0;
      for (let k = 0; k < size; k++) {
        expect(seen[at]).toBe(0);
        seen[at] = 1;
        at = next[at]!;
      }
      expect(at).toBe(0);
    }
    expect(() => chain(1000)).toThrow(RangeError);
  });

  it("gives a time per read", () => {
    const ns = memoryLatencyNs();
    expect(Number.isFinite(ns)).toBe(true);
    expect(ns).toBeGreaterThan(0);
  });
});
