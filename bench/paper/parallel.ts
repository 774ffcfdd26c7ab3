/**
 * Runs each model of a `bench:paper` run in its own worker thread, so that the two models' builds
 * (joins and 50 cycles, most of the time) use both cores of a 2-core machine at once. Each worker
 * runs exactly what the main thread would (`runModel`), with the same options and seeds, so the
 * results are the same as one after the other; only the wall time changes.
 */
import { Worker } from "node:worker_threads";
import { runModel, type ModelResult, type RunOptions } from "./run.js";

/** What the main thread sends a worker, and what the worker sends back. */
export type ToWorker = RunOptions;
export type FromWorker = { readonly result: ModelResult } | { readonly error: string };

/** Heap limits for a worker, as `npm run bench:paper` sets them for the main thread: a
 * 1,000,000-node overlay needs about 7 GiB, and the young generation matches --max-semi-space-size=128. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 20_000, maxYoungGenerationSizeMb: 384 };

/** Runs `runs` with at most `jobs` at a time (1: in this thread, one after the other); results in
 * the order of `runs`. Progress lines go to `log` (a worker writes them to stderr itself). */
export async function runModels(runs: readonly RunOptions[], jobs: number, log: (line: string) => void): Promise<ModelResult[]> {
  if (jobs <= 1 || runs.length <= 1) return runs.map((o) => runModel(o, log));
  const results: ModelResult[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const k = next++;
      results[k] = await inWorker(runs[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, lane));
  return results;
}

function inWorker(o: RunOptions): Promise<ModelResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./model-worker.js", import.meta.url), { workerData: o satisfies ToWorker, resourceLimits: RESOURCE_LIMITS });
    let settled = false;
    w.once("message", (m: FromWorker) => {
      settled = true;
      if ("result" in m) resolve(m.result);
      else reject(new Error(`model "${o.model}": ${m.error}`));
    });
    w.once("error", (err) => {
      settled = true;
      reject(err);
    });
    w.once("exit", (code) => {
      if (!settled) reject(new Error(`model "${o.model}": worker exited with code ${code} before reporting`));
    });
  });
}
