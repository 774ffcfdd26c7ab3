/**
 * The second core. A run of `bench:paper` is mostly one long event loop (the build: joins and 50
 * cycles), so the two models run at once, each in its own worker thread (model-worker.ts). With
 * one model:
 * - "paper": a twin worker thread (twin-worker.ts) builds the same overlay; the two split the
 *   cycles between them (src/sim/partition.ts), then both hold the whole overlay and take the
 *   experiments one at a time from a shared counter.
 * - "ours": its cycles change links, which a split cannot carry; the experiments after the build
 *   are shared with a worker thread that gets a copy of the stabilised overlay (task-worker.ts).
 * Workers run the same code with the same seeds as the main thread would, so the results are the
 * same; only the wall time changes.
 */
import { availableParallelism } from "node:os";
import { parentPort, Worker, type TransferListItem } from "node:worker_threads";
import { Channel, channelPair, type ChannelEnd } from "../../src/sim/channel.js";
import type { Overlay } from "./overlay.js";
import { transferList } from "./transfer.js";
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

/** What a twin worker gets: the run's options, its end of the channel, the shared task counter. */
export interface ToTwinWorker {
  readonly options: RunOptions;
  readonly end: ChannelEnd;
  readonly next: SharedArrayBuffer;
}
/** Experiments a thread ran: (position in the order they are taken, result). */
export type Taken = [number, TaskResult][];
/** What a twin worker posts: the experiments it ran, its collector's pauses in its build's joins
 * and cycles (ms; see gc-pauses.ts), and how long it waited for the main thread there (ms; see
 * `BuildTimes`). */
export interface TwinResult {
  readonly taken: Taken;
  readonly pauses: [joins: number, cycles: number];
  readonly waits: [joins: number, cycles: number];
}

/** Heap limits for a worker, as `npm run bench:paper` sets them for the main thread: a
 * 1,000,000-node overlay needs about 7 GiB, and the young generation (three semi-spaces) matches
 * --max-semi-space-size=128. (256 made the split cycles faster in some runs, but `--jobs 1` runs
 * 8-13 % slower.) */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 20_000, maxYoungGenerationSizeMb: 384 };

/** How long each of the twins polls for the other's window before sleeping on it (see `Channel`),
 * when there is a core for each. At 100,000 nodes, polling up to 5 ms made 8 split cycles 13 %
 * faster than sleeping at once (runs alternating), and the 50 cycles of three whole runs 4 %, 11 %
 * and 15 % faster. */
export const TWIN_SPIN_MS = availableParallelism() > 1 ? 5 : 0;

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
  const overlay = base.transferable();
  const worker = spawn("./task-worker.js", { options, tasks, overlay } satisfies ToTaskWorker, transferList(overlay));
  return {
    setBaseline: (baseline) => worker.postMessage({ baseline } satisfies Baseline),
    results: settled<TaskResult[]>(worker, `model "${options.model}" experiments`),
  };
}

/** Starts the twin of this thread's run of `options` (see the file comment): build with `channel`,
 * take experiments from `next` (their order is `run.ts`'s `takingOrder`). */
export function startTwin(options: RunOptions): {
  readonly channel: Channel;
  readonly next: Int32Array;
  setBaseline(baseline: number): void;
  readonly results: Promise<TwinResult>;
} {
  const [mine, theirs] = channelPair();
  const next = new SharedArrayBuffer(4);
  const worker = spawn("./twin-worker.js", { options, end: theirs, next } satisfies ToTwinWorker, [theirs.port]);
  return {
    channel: new Channel(mine, TWIN_SPIN_MS),
    next: new Int32Array(next),
    setBaseline: (baseline) => worker.postMessage({ baseline } satisfies Baseline),
    results: settled<TwinResult>(worker, `model "${options.model}" twin`),
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

function spawn(entry: string, workerData: unknown, transferList: TransferListItem[] = []): Worker {
  return new Worker(new URL(entry, import.meta.url), { workerData, transferList, resourceLimits: RESOURCE_LIMITS });
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
