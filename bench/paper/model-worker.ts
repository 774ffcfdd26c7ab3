/** Worker thread entry of bench/paper/parallel.ts: runs one model and posts its result. */
import { parentPort, workerData } from "node:worker_threads";
import { runModel, type ModelResult } from "./run.js";
import type { FromWorker, ToModelWorker } from "./parallel.js";

const o = workerData as ToModelWorker;
let reply: FromWorker<ModelResult>;
try {
  reply = { result: await runModel(o, (line) => process.stderr.write(`${line}\n`)) };
} catch (err) {
  reply = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
parentPort!.postMessage(reply);
