/**
 * The second core. A run of `bench:paper` is mostly one long single-threaded event loop (the build:
 * joins and 50 cycles), so the two models run at once, each in its own worker thread
 * (model-worker.ts); with one model, the experiments after the build are shared with a worker
 * thread that gets a copy of the stabilised overlay (task-worker.ts). Workers run the same code
 * with the same seeds as the main thread would, so the results are the same; only the wall time
 * changes.
 */
import { parentPort, Worker } from "node:worker_threads";
import type { Overlay } from "./overlay.js";
import { runModel, type ModelResult, type RunOptions, type Task, type TaskResult } from "./run.js";

/** What the main thread sends a model worker, and what it sends back. */
export type ToModelWorker = RunOptions;
export type FromWorker<T> = { readonly result: T } | { readonly error: string };

/** What a task worker gets: the run's options, its tasks, the overlay; then, in a second message,
 * the stable overlay's reliability (healing is measured against it). */
export interface ToTaskWorker {
  readonly options: RunOptions;
  readonly tasks: readonly Task[];
  readonly overlay: unknown;
}
export interface Baseline {
  readonly baseline: number;
}

/** Heap limits for a worker, as `npm run bench:paper` sets them for the main thread: a
 * 1,000,000-node overlay needs about 7 GiB, and the young generation matches --max-semi-space-size=128. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 20_000, maxYoungGenerationSizeMb: 384 };

/** Runs `runs` (one per model) with at most `jobs` at a time, each in a worker (1: in this
 * thread, one after the other); results in the order of `runs`. */
export async function runModels(runs: readonly RunOptions[], jobs: number, log: (line: string) => void): Promise<ModelResult[]> {
  if (jobs <= 1) {
    const out: ModelResult[] = [];
    for (const o of runs) out.push(await runModel(o, log));
    return out;
  }
  if (runs.length === 1) return [await runModel(runs[0]!, log, true)];
  const results: ModelResult[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const k = next++;
      const o = runs[k]!;
      results[k] = await settled<ModelResult>(spawn("./model-worker.js", o satisfies ToModelWorker), `model "${o.model}"`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, lane));
  return results;
}

/** Starts `tasks` in a worker on a copy of `base` (sent now, before `base` changes). Healing
 * tasks wait there for `setBaseline`. */
export function startTaskWorker(
  base: Overlay,
  options: RunOptions,
  tasks: readonly Task[],
): { setBaseline(baseline: number): void; readonly results: Promise<TaskResult[]> } {
  const worker = spawn("./task-worker.js", { options, tasks, overlay: base.transferable() } satisfies ToTaskWorker);
  return {
    setBaseline: (baseline) => worker.postMessage({ baseline } satisfies Baseline),
    results: settled<TaskResult[]>(worker, `model "${options.model}" experiments`),
  };
}

/** In a worker: runs `work` and posts its result, or the error it threw, to the main thread. */
export async function reply<T>(work: () => T | Promise<T>): Promise<void> {
  let answer: FromWorker<T>;
  try {
    answer = { result: await work() };
  } catch (err) {
    answer = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort!.postMessage(answer);
}

function spawn(entry: string, workerData: unknown): Worker {
  return new Worker(new URL(entry, import.meta.url), { workerData, resourceLimits: RESOURCE_LIMITS });
}

/** The result `w` posts (see `reply`), or its error. */
function settled<T>(w: Worker, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    w.once("message", (m: FromWorker<T>) => {
      done = true;
      if ("result" in m) resolve(m.result);
      else reject(new Error(`${what}: ${m.error}`));
    });
    w.once("error", (err) => {
      done = true;
      reject(err);
    });
    w.once("exit", (code) => {
      if (!done) reject(new Error(`${what}: worker exited with code ${code} before reporting`));
    });
  });
}
