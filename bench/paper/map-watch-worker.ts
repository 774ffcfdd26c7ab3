/** Worker thread entry of memory-maps.ts: reads the process's maps (how often: `nextReadingMs`),
 * keeps the peak, and warns once when they near the limit, straight to the standard error
 * (stderr.ts: not through the main thread, which may not turn its event loop for minutes). */
import { workerData } from "node:worker_threads";
import { countMaps, nearLimitWarning, nextReadingMs, raisePeak, WARN_AT, type ToMapWatch } from "./memory-maps.js";
import { logLine } from "./stderr.js";

const { shared, limit, intervalMs } = workerData as ToMapWatch;
const state = new Int32Array(shared);

function sample(): void {
  const maps = countMaps();
  if (maps === null) return;
  // Warned before the peak is raised, so that whoever sees the peak may count on the warning.
  if (maps >= WARN_AT * limit && Atomics.compareExchange(state, 1, 0, 1) === 0) logLine(nearLimitWarning(maps, limit));
  raisePeak(state, maps);
  setTimeout(sample, nextReadingMs(maps, limit, intervalMs));
}

sample();
