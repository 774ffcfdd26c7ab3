/**
 * One full run of the paper's evaluation for one model: build and stabilise the overlay, measure
 * it (Table 1, Fig. 5), then per failure rate the broadcasts (Fig. 2, Fig. 3) and the healing
 * (Fig. 4), each from its own copy of the stabilised overlay. Returns plain data for the report.
 */
import { SeededRng } from "../../src/protocol/index.js";
import { measureOverlay, runFailure, runHealing, type FailureRun, type HealingRun, type OverlayMetrics } from "./experiment.js";
import { MODEL_PROTOCOL, Overlay, type Detection, type Model } from "./overlay.js";
import type { Components, PathStats } from "./metrics.js";
import { buildPauses, GcPauses, type GcPausesMs } from "./gc-pauses.js";
import { startTaskWorker, startTwin, type Taken } from "./parallel.js";

export interface RunOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly model: Model;
  /** Failure detection variants to run from the same stabilised overlay. */
  readonly detections: readonly Detection[];
  readonly cycles: number;
  /** Failure rates, as fractions in (0, 1). */
  readonly failures: readonly number[];
  readonly broadcasts: number;
  /** BFS sources for the average shortest path. */
  readonly pathSources: number;
  /** Broadcasts in the stable overlay (maximum hops, pre-failure reliability). */
  readonly stableBroadcasts: number;
  /** Fig. 4: broadcasts per cycle, and the cycles given to heal. 0 cycles skips Fig. 4. */
  readonly healingPerCycle: number;
  readonly healingMaxCycles: number;
  readonly latencyMs: number;
}

export interface FailureSummary {
  readonly detection: Detection;
  readonly failedPercent: number;
  readonly meanReliability: number;
  /** Reliability of each broadcast, in order (Fig. 3). */
  readonly reliability: number[];
  /** Median reliability of the broadcasts: the level the overlay settles at. */
  readonly medianReliability: number;
  /** First broadcast (1-based) that reaches the median: how many messages recovery took (Fig. 3).
   * A median rather than the last value, because a broadcast from a source that is itself cut off
   * reaches almost no one however well the rest of the overlay has healed. -1 with no broadcasts. */
  readonly recoveredAt: number;
  readonly componentsBefore: Components;
  readonly componentsAfter: Components;
  readonly broadcastCopies: number;
  readonly detections: number;
  readonly ms: number;
}

export interface HealingSummary {
  readonly detection: Detection;
  readonly failedPercent: number;
  readonly cycles: number;
  /** The first cycle within 0.1 percentage point of the pre-failure reliability. */
  readonly cyclesNear: number;
  readonly perCycle: number[];
  readonly ms: number;
}

export interface ModelResult {
  readonly model: Model;
  readonly detections: readonly Detection[];
  readonly protocol: Record<string, unknown>;
  /** The build (joins, cycles, swap), ms. */
  readonly buildMs: number;
  /** Of the build: the joins, and the swap of the halves (0 when not split), ms. */
  readonly joinMs: number;
  readonly swapMs: number;
  /** The collector's pauses in the joins and in the cycles, per thread that ran them (see
   * gc-pauses.ts), ms. */
  readonly gcMs: GcPausesMs;
  /** In a split build, how long each thread (the main thread first) waited for the other: for its
   * joins to end, and in the cycles for its windows (see `BuildTimes`), ms. Empty when one thread
   * built. */
  readonly waitMs: { readonly joins: number[]; readonly cycles: number[] };
  /** From the end of the build to the last experiment's end (the stable overlay measured, the
   * experiments shared between the threads), ms. */
  readonly afterBuildMs: number;
  readonly stable: Omit<OverlayMetrics, "inDegree" | "path"> & { inDegree: number[]; path: PathStats };
  readonly failures: FailureSummary[];
  readonly healing: HealingSummary[];
  /** Protocol messages the simulator delivered, over all copies of the overlay. */
  readonly protocolMessages: number;
  readonly broadcastCopies: number;
  readonly wallMs: number;
}

/** One experiment of a run, on its own copy of the stabilised overlay. */
export interface Task {
  readonly kind: "failure" | "healing";
  readonly fraction: number;
  readonly detection: Detection;
}

export type TaskResult = { readonly kind: "failure"; readonly run: FailureRun } | { readonly kind: "healing"; readonly run: HealingRun };

/** The experiments of a run, in the order the report lists them. */
export function tasksOf(o: RunOptions): Task[] {
  const tasks: Task[] = [];
  for (const fraction of o.failures) {
    for (const detection of o.detections) {
      tasks.push({ kind: "failure", fraction, detection });
      if (o.healingMaxCycles > 0) tasks.push({ kind: "healing", fraction, detection });
    }
  }
  return tasks;
}

/**
 * The experiments in the order two threads take them from a shared counter (indices into
 * `tasksOf(o)`): the first failure experiment, then the healing ones (they run membership cycles:
 * the longest), then the other failure experiments, each group in report order. The main thread
 * first measures the stable overlay, whose reliability healing is measured against: meanwhile the
 * twin takes the first experiment, which does not need it, and the main thread one of the longest.
 */
export function takingOrder(o: RunOptions): number[] {
  const tasks = tasksOf(o);
  const order = tasks.map((_, k) => k);
  const failures = order.filter((k) => tasks[k]!.kind === "failure");
  const healing = order.filter((k) => tasks[k]!.kind === "healing");
  return [...failures.slice(0, 1), ...healing, ...failures.slice(1)];
}

/** Takes experiments (positions in `order`) from the counter `next`, shared with the other
 * thread, and runs them on `base` until none is left. The last one of all runs on `base` itself. */
export async function runTaken(
  base: Overlay,
  o: RunOptions,
  order: readonly number[],
  next: Int32Array,
  baseline: () => number | Promise<number>,
  log: (line: string) => void,
): Promise<Taken> {
  const tasks = tasksOf(o);
  const out: Taken = [];
  for (let k = Atomics.add(next, 0, 1); k < order.length; k = Atomics.add(next, 0, 1)) {
    const t = tasks[order[k]!]!;
    // Only healing is measured against the stable overlay's reliability.
    const b = t.kind === "healing" ? await baseline() : NaN;
    out.push([k, runTask(base, o, t, b, k === order.length - 1, log)]);
  }
  return out;
}

/** The build's options from a run's. */
export function buildOptions(o: RunOptions) {
  return { nodes: o.nodes, seed: o.seed, model: o.model, cycles: o.cycles, latencyMs: o.latencyMs };
}

/** Runs `t` on a copy of `base` (on `base` itself if `consume`). `baseline`: the stable overlay's
 * reliability, which healing is measured against. The same seed per rate for every detection
 * variant: the same nodes fail, the same sources broadcast. */
export function runTask(base: Overlay, o: RunOptions, t: Task, baseline: number, consume: boolean, log: (line: string) => void): TaskResult {
  const salt = Math.round(t.fraction * 1000);
  const tag = `[${o.model}/${t.detection}] ${salt / 10} % failed`;
  if (t.kind === "failure") {
    const run = runFailure(base, t.fraction, t.detection, o.broadcasts, o.seed + 1000 + salt, consume);
    log(`${tag}: reliability ${(100 * run.mean).toFixed(2)} % (${(run.ms / 1000).toFixed(1)} s)`);
    return { kind: "failure", run };
  }
  const run = runHealing(base, o.model, t.fraction, t.detection, baseline, o.healingPerCycle, o.healingMaxCycles, o.seed + 2000 + salt, consume);
  log(`${tag}: healed in cycle ${run.cycles} (${(run.ms / 1000).toFixed(1)} s)`);
  return { kind: "healing", run };
}

/**
 * The whole run of one model. With `helper` (a second thread; see parallel.ts), the "paper" model
 * is built by two threads, which then share the experiments; "ours" sends every other experiment
 * to a worker thread with a copy of the stabilised overlay (bench/paper/task-worker.ts). Either
 * way the results are the same, in the same order.
 */
export async function runModel(o: RunOptions, log: (line: string) => void, helper = false): Promise<ModelResult> {
  const t0 = performance.now();
  const tasks = tasksOf(o);
  const twin = helper && o.model === "paper" ? startTwin(o) : null;
  const gc = new GcPauses();
  log(`[${o.model}] building ${o.nodes} nodes (join one by one, then ${o.cycles} cycles)`);
  let base: Overlay;
  try {
    base = Overlay.build(buildOptions(o), log, twin?.channel);
  } catch (err) {
    gc.stop();
    // If the twin failed first, this side only knows that it did: say why.
    const why = twin === null ? null : await twin.results.then(() => null, (e: unknown) => e);
    if (why !== null) throw new Error(`${String(err)}; the twin thread: ${String(why)}`);
    throw err;
  }
  twin?.channel.close();
  const [joinPauses, cyclePauses] = await buildPauses(gc, base.times);
  const built = performance.now();
  const afterBuild = base.sim.stats.messagesDelivered;
  // With a helper and no twin, the helper takes the odd-numbered experiments.
  const split = twin === null && helper && tasks.length > 1;
  const mine = split ? tasks.filter((_, k) => k % 2 === 0) : tasks;
  const remote = split ? startTaskWorker(base, o, tasks.filter((_, k) => k % 2 === 1)) : null;
  const all = new Uint8Array(o.nodes).fill(1);
  const m = measureOverlay(base, all, o.pathSources, o.stableBroadcasts, new SeededRng(o.seed + 1));
  log(`[${o.model}] stable overlay measured at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  remote?.setBaseline(m.reliability);
  twin?.setBaseline(m.reliability);
  let results: TaskResult[];
  const gcMs = { joins: [joinPauses], cycles: [cyclePauses] };
  const waitMs = { joins: [] as number[], cycles: [] as number[] };
  if (twin !== null) {
    const order = takingOrder(o);
    const local = await runTaken(base, o, order, twin.next, () => m.reliability, log);
    const far = await twin.results;
    results = new Array<TaskResult>(tasks.length);
    for (const [k, r] of [...local, ...far.taken]) results[order[k]!] = r;
    gcMs.joins.push(far.pauses[0]);
    gcMs.cycles.push(far.pauses[1]);
    waitMs.joins.push(base.times.joinsWaitMs, far.waits[0]);
    waitMs.cycles.push(base.times.cyclesWaitMs, far.waits[1]);
  } else {
    // The last experiment of this thread runs on the base overlay itself instead of a copy.
    const local = mine.map((t, k) => runTask(base, o, t, m.reliability, k === mine.length - 1, log));
    const far = remote === null ? [] : await remote.results;
    results = split ? tasks.map((_, k) => (k % 2 === 0 ? local[k >> 1]! : far[k >> 1]!)) : local;
  }

  let protocolMessages = afterBuild;
  let broadcastCopies = 0;
  const failures: FailureSummary[] = [];
  const healing: HealingSummary[] = [];
  results.forEach((res, k) => {
    const t = tasks[k]!;
    const pct = Math.round(t.fraction * 1000) / 10;
    protocolMessages += res.run.protocolMessages - afterBuild;
    broadcastCopies += res.run.copies;
    if (res.kind === "failure") {
      const r = res.run;
      failures.push({
        detection: t.detection,
        failedPercent: pct,
        meanReliability: r.mean,
        reliability: Array.from(r.reliability),
        medianReliability: median(r.reliability),
        recoveredAt: recoveredAt(r.reliability, r.aliveCount),
        componentsBefore: r.componentsBefore,
        componentsAfter: r.componentsAfter,
        broadcastCopies: r.copies,
        detections: r.detections,
        ms: r.ms,
      });
    } else {
      const h = res.run;
      healing.push({ detection: t.detection, failedPercent: pct, cycles: h.cycles, cyclesNear: h.cyclesNear, perCycle: h.perCycle, ms: h.ms });
    }
  });
  return {
    model: o.model,
    detections: o.detections,
    protocol: { ...MODEL_PROTOCOL[o.model], maintenanceEachCycle: o.model === "ours" },
    buildMs: base.times.buildMs,
    joinMs: base.times.joinMs,
    swapMs: base.times.swapMs,
    gcMs,
    waitMs,
    stable: { ...m, inDegree: Array.from(m.inDegree) },
    failures,
    healing,
    protocolMessages,
    broadcastCopies,
    afterBuildMs: performance.now() - built,
    wallMs: performance.now() - t0,
  };
}

function median(xs: Float64Array): number {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** 1-based index of the first broadcast that reaches the median reliability (within half a node). */
function recoveredAt(rel: Float64Array, alive: number): number {
  const m = median(rel) - 0.5 / alive;
  for (let k = 0; k < rel.length; k++) if (rel[k]! >= m) return k + 1;
  return -1;
}
