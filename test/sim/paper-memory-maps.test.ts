/** Linux's limit on a process's memory maps, which the largest bench:paper runs reach
 * (bench/paper/memory-maps.ts): reading it, counting maps, and when to warn. */
import { describe, expect, it } from "vitest";
import { countLines, expectedPeakMaps, nearLimitWarning, nextReadingMs, preflightWarning, raisePeak, readMapLimit, RAISE_LIMIT } from "../../bench/paper/memory-maps.js";

describe("memory maps", () => {
  it("reads the limit, and none where it is missing or not a positive integer", () => {
    expect(readMapLimit(() => "65530\n")).toBe(65530);
    expect(
      readMapLimit(() => {
        throw new Error("ENOENT");
      }),
    ).toBeNull();
    expect(readMapLimit(() => "")).toBeNull();
    expect(readMapLimit(() => "lots\n")).toBeNull();
    expect(readMapLimit(() => "0\n")).toBeNull();
  });

  it("counts one map a line", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(countLines(enc(""))).toBe(0);
    expect(countLines(enc("a b\n"))).toBe(1);
    expect(countLines(enc("a\nb\n\nc\n"))).toBe(4);
  });

  it("warns before a run that may reach the limit, naming the sysctl that raises it", () => {
    // Measured at 1,000,000 nodes in two threads: one detection needed 37,620 maps; both
    // detections reached the default limit in one run and were aborted near it in another. One
    // thread holds fewer copies.
    expect(expectedPeakMaps(1_000_000, 1, 2)).toBeLessThan(65_530);
    expect(preflightWarning(1_000_000, 1, 2, 65_530)).toBeNull();
    const w = preflightWarning(1_000_000, 2, 2, 65_530);
    expect(w).toContain("vm.max_map_count = 65,530");
    expect(w).toContain(RAISE_LIMIT);
    expect(preflightWarning(1_000_000, 2, 1, 65_530)).toBeNull();
    expect(preflightWarning(3_000_000, 2, 1, 65_530)).toContain("in one thread");
    expect(preflightWarning(1_000_000, 2, 2, 262_144)).toBeNull();
    expect(preflightWarning(100_000, 2, 2, 65_530)).toBeNull();
    expect(preflightWarning(1_000_000, 2, 2, null)).toBeNull();
    expect(nearLimitWarning(60_000, 65_530)).toContain("92 % of Linux's limit");
  });

  it("reads the maps more often from half the limit on", () => {
    expect(nextReadingMs(1_000, 65_530, 2000)).toBe(10_000);
    expect(nextReadingMs(32_764, 65_530, 2000)).toBe(10_000);
    expect(nextReadingMs(32_765, 65_530, 2000)).toBe(2000);
    expect(nextReadingMs(65_532, 65_530, 2000)).toBe(2000);
  });

  it("keeps the peak whichever reading comes last", () => {
    const state = new Int32Array(new SharedArrayBuffer(8));
    raisePeak(state, 5);
    raisePeak(state, 3);
    expect(state[0]).toBe(5);
    raisePeak(state, 9);
    expect(state[0]).toBe(9);
  });
});
