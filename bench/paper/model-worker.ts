/** Worker thread entry of bench/paper/parallel.ts: runs one model and posts its result. */
import { workerData } from "node:worker_threads";
import { runModel } from "./run.js";
import { reply, type ToModelWorker } from "./parallel.js";
import { logLine } from "./stderr.js";

await reply(() => runModel(workerData as ToModelWorker, logLine));
