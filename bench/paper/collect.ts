/**
 * Full collections when the process nears Linux's limit of memory maps (memory-maps.ts). V8 maps
 * its heap in pages of 256 KiB, about 3,600 maps a GiB of RSS here, so the default limit (65,530)
 * is reached at about 18 GiB. V8 collects an old generation again only once it has grown to a
 * multiple of what the last full collection left, up to 4 times for heaps allowed as much as
 * `npm run bench:paper` allows them, and in the experiments after a build of 1,000,000 nodes with
 * both detections the RSS rose from 10 to 18 GiB in some runs and stayed at 13 in others: garbage,
 * most likely (one run fell from 17.9 to 13.5 GiB within 74 s, by V8's own collections). Each thread
 * therefore asks at the broadcasts of an experiment, at most once a second, whether the process is
 * past a share of the limit, and if so collects its own heap, once per step of growth.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { readMapLimit } from "./memory-maps.js";
import { logLine } from "./stderr.js";

/** Maps a GiB of RSS: the most seen in runs at 1,000,000 nodes (3,170-3,680). */
export const MAPS_PER_GIB = 3700;
/** The share of the limit (in RSS, at `MAPS_PER_GIB`) from which a thread collects. */
export const VALVE_SHARE = 0.75;
/** After a collection, the growth of the RSS before the next one (a heap that holds that much
 * live data is not collected over and over). */
export const VALVE_STEP_BYTES = 2 ** 30;
/** How often a thread reads the RSS, ms: a reading costs about 9 us here, and the default run
 * at 10,000 nodes makes some 50,000 broadcasts; at 1,000,000 nodes the RSS grew by about 1 GiB a
 * minute at most. */
export const VALVE_READ_EVERY_MS = 1000;

const GIB = 2 ** 30;

let gc: (() => void) | null = null;

/** Runs a full collection of this thread's heap now; returns how long it took, ms. */
export function collectGarbage(): number {
  if (gc === null) {
    // `gc` is made for a context only when the flag is set as the context is created: a fresh one.
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  const t0 = performance.now();
  gc();
  return performance.now() - t0;
}

/** The RSS (bytes) from which a thread collects under a limit of `limit` maps. */
export function valveThreshold(limit: number): number {
  return Math.floor(((limit * VALVE_SHARE) / MAPS_PER_GIB) * GIB);
}

/**
 * One thread's valve. `check` collects this thread's heap when the process's RSS is at or past
 * the next mark: first the threshold, then, after each collection, the RSS it left plus a step.
 */
export class MemoryValve {
  private next: number;
  /** Collections run, and their time, ms. */
  collections = 0;
  ms = 0;

  constructor(
    readonly threshold: number,
    private readonly rss: () => number = () => process.memoryUsage.rss(),
    private readonly collect: () => number = collectGarbage,
    private readonly log: (line: string) => void = () => {},
    private readonly readEveryMs = VALVE_READ_EVERY_MS,
  ) {
    this.next = threshold;
  }

  /** Time of the next reading of the RSS (`performance.now()`). */
  private readAt = 0;

  /** Collects if the RSS has reached the next mark; returns whether it did. Reads the RSS at most
   * once in `readEveryMs`. */
  check(): boolean {
    if (this.readEveryMs > 0) {
      const now = performance.now();
      if (now < this.readAt) return false;
      this.readAt = now + this.readEveryMs;
    }
    const before = this.rss();
    if (before < this.next) return false;
    const ms = this.collect();
    this.ms += ms;
    this.collections++;
    const after = this.rss();
    this.next = Math.max(this.threshold, after + VALVE_STEP_BYTES);
    const gib = (b: number) => (b / GIB).toFixed(1);
    this.log(`bench:paper: a full collection of one thread's heap at ${gib(before)} GiB of RSS, near the limit of memory maps: ${(ms / 1000).toFixed(1)} s, ${gib(after)} GiB after`);
    return true;
  }
}

let valve: MemoryValve | null | undefined;

/** This thread's valve, made on first use from Linux's limit; null where there is none to read. */
export function memoryValve(): MemoryValve | null {
  if (valve === undefined) {
    const limit = readMapLimit();
    valve = limit === null ? null : new MemoryValve(valveThreshold(limit), undefined, undefined, logLine);
  }
  return valve;
}
