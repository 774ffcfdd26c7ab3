/** Worker thread entry of bench/paper/parallel.ts: revives the stabilised overlay it was sent and
 * runs its share of the experiments, in order; posts their results. */
import { parentPort, workerData } from "node:worker_threads";
import { Overlay } from "./overlay.js";
import { runTask, type TaskResult } from "./run.js";
import { logLine } from "./stderr.js";
import { reply, type Baseline, type ToTaskWorker } from "./parallel.js";

const port = parentPort!;
const { options, tasks, overlay } = workerData as ToTaskWorker;
const baseline = new Promise<number>((resolve) => port.once("message", (m: Baseline) => resolve(m.baseline)));
await reply(async () => {
  const base = Overlay.fromTransferable(overlay);
  const results: TaskResult[] = [];
  for (let k = 0; k < tasks.length; k++) {
    const t = tasks[k]!;
    // Only healing is measured against the stable overlay's reliability.
    const b = t.kind === "healing" ? await baseline : NaN;
    results.push(runTask(base, options, t, b, k === tasks.length - 1, logLine));
  }
  return results;
});
port.close();
