/** Worker thread entry of bench/paper/parallel.ts: the twin of a "paper" run. Builds the same
 * overlay, splitting the cycles with the main thread, then takes experiments from the shared
 * counter; posts what it ran. */
import { parentPort, workerData } from "node:worker_threads";
import { Channel } from "../../src/sim/channel.js";
import { Overlay } from "./overlay.js";
import { buildOptions, runTaken, takingOrder } from "./run.js";
import { buildPauses, GcPauses } from "./gc-pauses.js";
import { logLine } from "./stderr.js";
import { reply, TWIN_SPIN_MS, type Baseline, type ToTwinWorker, type TwinResult } from "./parallel.js";

const port = parentPort!;
const { options, end, next } = workerData as ToTwinWorker;
const baseline = new Promise<number>((resolve) => port.once("message", (m: Baseline) => resolve(m.baseline)));
const channel = new Channel(end, TWIN_SPIN_MS);
await reply(async (): Promise<TwinResult> => {
  const gc = new GcPauses();
  const base = Overlay.build(buildOptions(options), () => {}, channel);
  const pauses = await buildPauses(gc, base.times);
  const waits: [number, number] = [base.times.joinsWaitMs, base.times.cyclesWaitMs];
  return { taken: await runTaken(base, options, takingOrder(options), new Int32Array(next), () => baseline, logLine), pauses, waits };
});
channel.close();
port.close();
