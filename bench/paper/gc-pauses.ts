/**
 * The collector's pauses in one thread, summed over phases of the build (V8's `gc` performance
 * entries). In split cycles every window waits for the slower thread, so a pause in either thread
 * stalls both. Before the core made the shuffle's objects without allocation sites, one thread's
 * collector paused several times as long as the other's in a few runs (V8 had pretenured the
 * shuffle's messages there: bench/paper/PERFORMANCE.md, "The shuffle's objects made without
 * allocation sites"); the report gives each thread's pauses, to tell such a run from a slow machine.
 */
import { PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { BuildTimes } from "./overlay.js";

/** Pauses, ms, of each thread that ran the phase (the main thread first). */
export interface GcPausesMs {
  readonly joins: number[];
  readonly cycles: number[];
}

export class GcPauses {
  private readonly seen: { readonly start: number; readonly ms: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => this.keep(list.getEntries()));

  /** Starts observing this thread's collections. */
  constructor() {
    this.observer.observe({ entryTypes: ["gc"] });
  }

  /**
   * Stops observing and sums, for each range [from, to) of this thread's `performance.now()`, the
   * pauses that started in it (ms). Node reports a collection through the event loop, which a
   * synchronous build does not run: this first lets the loop turn until the reports stop coming.
   */
  async sums(ranges: readonly (readonly [number, number])[]): Promise<number[]> {
    for (let before = -1; before !== this.seen.length; ) {
      before = this.seen.length;
      await nextTurn();
      await nextTurn();
      this.keep(this.observer.takeRecords());
    }
    this.observer.disconnect();
    return ranges.map(([from, to]) => this.seen.reduce((sum, p) => (p.start >= from && p.start < to ? sum + p.ms : sum), 0));
  }

  /** Stops observing, without summing (the build failed). */
  stop(): void {
    this.observer.disconnect();
  }

  private keep(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) this.seen.push({ start: e.startTime, ms: e.duration });
  }
}

/** This thread's pauses in the joins and in the cycles of the build that `t` times. */
export async function buildPauses(gc: GcPauses, t: BuildTimes): Promise<[joins: number, cycles: number]> {
  const [joins, cycles] = await gc.sums([
    [t.startedAt, t.joinedAt],
    [t.joinedAt, t.cycledAt],
  ]);
  return [joins!, cycles!];
}
