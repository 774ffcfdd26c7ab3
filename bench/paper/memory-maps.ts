/**
 * Linux's limit on a process's memory maps (`vm.max_map_count`, 65,530 by default). V8 maps its
 * heap in pages of 256 KiB, most of them a map of their own (3,200-3,700 maps a GiB of RSS here).
 * When the kernel refuses one more map, V8 may abort the process, with "heap out of memory" or
 * "std::bad_alloc": messages that name neither the limit nor the maps, however much memory is free.
 * Runs of 1,000,000 nodes with both detections reach it: one went on, another was aborted at the
 * same RSS (bench/paper/PERFORMANCE.md, "1,000,000 nodes with every experiment"). So the bench
 * warns before a run that may need more maps than the limit, watches the count through the run
 * (map-watch-worker.ts), warns when it nears the limit, and reports its peak; from three quarters
 * of it on, each thread collects its own heap (collect.ts).
 */
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

const LIMIT_FILE = "/proc/sys/vm/max_map_count";
const MAPS_FILE = "/proc/self/maps";

/** What to tell someone whose run needs more maps. */
export const RAISE_LIMIT = "sudo sysctl -w vm.max_map_count=262144";

/** The limit, or null where there is none to read (not Linux). */
export function readMapLimit(read: (path: string) => string = (p) => readFileSync(p, "utf8")): number | null {
  let text: string;
  try {
    text = read(LIMIT_FILE);
  } catch {
    return null;
  }
  const n = Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Lines of `text` that end with a newline: /proc/<pid>/maps has one line a map. */
export function countLines(text: Uint8Array): number {
  let n = 0;
  for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) n++;
  return n;
}

/** This process's memory maps now, or null where /proc cannot tell. */
export function countMaps(): number | null {
  try {
    return countLines(readFileSync(MAPS_FILE));
  } catch {
    return null;
  }
}

/**
 * Peak maps a node, from runs of 1,000,000 nodes. With two threads (`--model paper --jobs 2`, every
 * experiment, maps read every 2 s from /proc), by the number of detections (each detection is two
 * experiments after the build, and those copy the overlay): "links" alone peaked at 37,620; both
 * detections at 43,119, 42,527 and 41,061 in three runs, while two others reached the default limit
 * (65,532 at 18.07 and 18.1 GiB of RSS; one went on, the other was stopped there) and a sixth, its
 * maps not counted, was aborted at 17.96 GiB: how much garbage the collector leaves differs from run
 * to run, with its timing. Only the runs at 42,527 and 41,061 had the collections of collect.ts: the
 * first stayed below where they start; the second, under a limit lowered to 55,000, ran them twice
 * and they freed nothing. The estimate takes the limit's side. In one thread only the RSS of a run with
 * "links" and fewer experiments was measured (7.0 GiB), at 3,700 maps a GiB. Other settings were
 * not measured; the watcher warns during the run whatever the estimate said.
 */
const PEAK_MAPS_PER_NODE = { oneThread: 0.026, twoThreads: { 1: 0.0376, 2: 0.066 } } as const;

/** Maps a run of `nodes` with `detections` detections in `jobs` threads may need at its peak. */
export function expectedPeakMaps(nodes: number, detections: 1 | 2, jobs: number): number {
  return Math.ceil(nodes * (jobs > 1 ? PEAK_MAPS_PER_NODE.twoThreads[detections] : PEAK_MAPS_PER_NODE.oneThread));
}

/** The warning before a run whose expected peak is over the limit, or null when it is not. */
export function preflightWarning(nodes: number, detections: 1 | 2, jobs: number, limit: number | null): string | null {
  if (limit === null) return null;
  const expected = expectedPeakMaps(nodes, detections, jobs);
  if (expected <= limit) return null;
  return (
    `bench:paper: warning: a run of ${nodes.toLocaleString("en")} nodes with ${detections === 2 ? "both detections" : "one detection"} ` +
    `in ${jobs > 1 ? "two threads" : "one thread"} may need up to about ${expected.toLocaleString("en")} memory maps, more than Linux's limit ` +
    `(vm.max_map_count = ${limit.toLocaleString("en")}); at the limit V8 may abort the process ("heap out of memory"). ` +
    `Raise the limit first: ${RAISE_LIMIT}`
  );
}

/** The warning when a running process holds `maps`, near `limit`. */
export function nearLimitWarning(maps: number, limit: number): string {
  return (
    `bench:paper: warning: this process holds ${maps.toLocaleString("en")} memory maps, ` +
    `${((100 * maps) / limit).toFixed(0)} % of Linux's limit (vm.max_map_count = ${limit.toLocaleString("en")}); ` +
    `at the limit V8 may abort it ("heap out of memory", or "std::bad_alloc"), whatever memory is free. ` +
    `To run this size, raise the limit first: ${RAISE_LIMIT}`
  );
}

/** Share of the limit at which the watcher warns: at 1,000,000 nodes the count grew by up to about
 * 4,800 maps a minute, so 10 % of the default limit is more than a minute's notice. */
export const WARN_AT = 0.9;

/**
 * When to read the maps again after a reading of `maps`: every `intervalMs` from half the limit on,
 * five times as seldom below it. A reading costs 4-7 ms at 7,000 maps (100,000 nodes) and 27-43 ms
 * at 42,000, taken from threads that are all busy; at 1,000,000 nodes the count grew by up to about
 * 4,800 maps a minute, so from half the default limit to 90 % of it takes 5 minutes or more.
 */
export function nextReadingMs(maps: number, limit: number, intervalMs: number): number {
  return maps >= limit / 2 ? intervalMs : 5 * intervalMs;
}

/** What the watcher worker gets. `shared` holds [peak maps seen, 1 once it has warned]. */
export interface ToMapWatch {
  readonly shared: SharedArrayBuffer;
  readonly limit: number;
  readonly intervalMs: number;
}

/** Raises the peak in `state[0]` to `maps`, whichever thread wrote it last. */
export function raisePeak(state: Int32Array, maps: number): void {
  for (let seen = Atomics.load(state, 0); maps > seen; ) {
    const was = Atomics.compareExchange(state, 0, seen, maps);
    if (was === seen) return;
    seen = was;
  }
}

/** A running watch of this process's maps (see `startMapWatch`). */
export interface MapWatch {
  /** The most maps seen so far (0 before the first reading). */
  peak(): number;
  /** Takes a last reading and stops the watch. */
  stop(): Promise<number>;
}

/**
 * Starts reading this process's maps (every `intervalMs` from half the limit on: `nextReadingMs`)
 * in a worker thread of its own (the others run synchronous loops for minutes, and a timer there
 * would not fire), or null where there is no limit to watch. The worker does not keep the process
 * alive.
 */
export function startMapWatch(limit: number | null, intervalMs = 2000): MapWatch | null {
  if (limit === null || countMaps() === null) return null;
  const shared = new SharedArrayBuffer(8);
  const state = new Int32Array(shared);
  const worker = new Worker(new URL("./map-watch-worker.js", import.meta.url), {
    workerData: { shared, limit, intervalMs } satisfies ToMapWatch,
    // Small heaps, and none of the process's flags: it needs nothing of them.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    execArgv: [],
  });
  // The watch only informs: if it fails, the run goes on without it.
  worker.on("error", (err) => process.stderr.write(`bench:paper: the watch of memory maps stopped: ${err.message}\n`));
  worker.unref();
  const peak = () => Atomics.load(state, 0);
  return {
    peak,
    stop: async () => {
      raisePeak(state, countMaps() ?? 0);
      await worker.terminate();
      return peak();
    },
  };
}
