/** Worker thread entry of bench/paper/parallel.ts: runs one model and posts its result. */
import { parentPort, workerData } from "node:worker_threads";
import { runModel } from "./run.js";
import type { FromWorker, ToWorker } from "./parallel.js";

const o = workerData as ToWorker;
let reply: FromWorker;
try {
  reply = { result: runModel(o, (line) => process.stderr.write(`${line}\n`)) };
} catch (err) {
  reply = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
parentPort!.postMessage(reply);
