/**
 * The paper's evaluation (§5) with the production core in the simulator: nodes join one by one
 * through a single contact, membership cycles stabilise the overlay, a fraction of the nodes fails
 * at once, and broadcasts flooded over the active views measure reliability while the failures
 * are detected (by failed sends, or by every link holder) and repaired.
 */
import { SeededRng, randomInt } from "../../src/protocol/index.js";
import { Flooder } from "./flood.js";
import { CachedFlooder } from "./flood-cache.js";
import { memoryValve } from "./collect.js";
import { directedCsr, undirected } from "./graph.js";
import {
  averageShortestPath,
  clusteringCoefficient,
  connectedComponents,
  histogramMode,
  inDegreeHistogram,
  sampleAlive,
  type Components,
  type PathStats,
} from "./metrics.js";
import { cycle, type Detection, type Model, type Overlay } from "./overlay.js";

/** Table 1 and Fig. 5: the shape of the overlay. */
export interface OverlayMetrics {
  readonly clustering: number;
  readonly path: PathStats;
  readonly components: Components;
  /** hist[d] = alive nodes held by d active views. */
  readonly inDegree: Int32Array;
  readonly inDegreeMode: number;
  /** Over `broadcasts` floods in the overlay as it is: mean and largest of the per-broadcast
   * maximum hop count, and mean reliability. */
  readonly maxHopsMean: number;
  readonly maxHopsMax: number;
  readonly reliability: number;
  readonly broadcasts: number;
}

export function measureOverlay(ov: Overlay, alive: Uint8Array, pathSources: number, broadcasts: number, rng: SeededRng): OverlayMetrics {
  const width = ov.sim.config.activeViewSize;
  const dir = directedCsr(ov.views, alive, width);
  const und = undirected(dir);
  const inDegree = inDegreeHistogram(dir, alive);
  const path = averageShortestPath(und, alive, sampleAlive(alive, pathSources, rng));
  const flooder = new Flooder(alive, width);
  const aliveList = sampleAlive(alive, Infinity, rng);
  let hopsSum = 0;
  let hopsMax = 0;
  let relSum = 0;
  for (let b = 0; b < broadcasts; b++) {
    const r = flooder.flood(ov.views, aliveList[randomInt(rng, aliveList.length)]!);
    hopsSum += r.maxHops;
    if (r.maxHops > hopsMax) hopsMax = r.maxHops;
    relSum += r.delivered / aliveList.length;
  }
  return {
    clustering: clusteringCoefficient(und, alive).mean,
    path,
    components: connectedComponents(und, alive),
    inDegree,
    inDegreeMode: histogramMode(inDegree),
    maxHopsMean: broadcasts === 0 ? 0 : hopsSum / broadcasts,
    maxHopsMax: hopsMax,
    reliability: broadcasts === 0 ? 1 : relSum / broadcasts,
    broadcasts,
  };
}

/** The `fraction` of the nodes to fail, chosen uniformly at random. */
export function chooseFailed(n: number, fraction: number, rng: SeededRng): Int32Array {
  return sampleAlive(new Uint8Array(n).fill(1), Math.round(fraction * n), rng);
}

/** Crashes `failed`, with "send" detection silently (noticed only when a send to them fails).
 * Returns the alive mask. */
export function failNodes(ov: Overlay, failed: Int32Array, detection: Detection): Uint8Array {
  const alive = new Uint8Array(ov.sim.size).fill(1);
  for (const i of failed) alive[i] = 0;
  ov.sim.crash(failed, { detect: detection === "links" });
  return alive;
}

/** The overlay an experiment runs on: `base` itself if `consume`, else a copy of it that shares
 * the cores of the nodes it is about to crash (see `Overlay.copy`). */
function overlayFor(base: Overlay, failed: Int32Array, consume: boolean): Overlay {
  return (consume ? base : base.copy(failed)).use();
}

/** Broadcast state for one failure run: reused scratch, counters. */
export class Broadcaster {
  private readonly flooder: CachedFlooder;
  private readonly aliveList: Int32Array;
  get aliveCount(): number {
    return this.aliveList.length;
  }

  /** Broadcast copies sent (flood traffic, not protocol traffic). */
  copies = 0;
  detections = 0;

  constructor(
    private readonly ov: Overlay,
    alive: Uint8Array,
    private readonly detection: Detection,
    private readonly rng: SeededRng,
  ) {
    this.flooder = new CachedFlooder(alive, ov.sim.config.activeViewSize);
    this.aliveList = sampleAlive(alive, Infinity, rng);
  }

  /** One broadcast from a random correct node; then (with "send" detection) every failed send is
   * reported to its sender's core as `linkLost`, and the network runs until quiet: repair runs
   * between messages. Returns the fraction of correct nodes that delivered it. Once repair is
   * done, a flood's outcome is reused for the next sources in its component (flood-cache.ts). */
  broadcast(): number {
    // Near the limit of memory maps, this thread's garbage is collected first (collect.ts).
    memoryValve()?.check();
    const src = this.aliveList[randomInt(this.rng, this.aliveList.length)]!;
    const r = this.flooder.flood(this.ov.views, src);
    this.copies += r.messages;
    this.detections += r.detections;
    const sim = this.ov.sim;
    if (this.detection === "send") {
      // With "links" the link's own notice reports the same failure: reporting both would count
      // one failure twice.
      const d = this.flooder.detected;
      for (let k = 0; k < r.detections; k++) {
        sim.inject(d[2 * k]!, { type: "linkLost", peerId: sim.record(d[2 * k + 1]!).id });
      }
    }
    sim.runUntilQuiet();
    return r.delivered / this.aliveList.length;
  }
}

/** Fig. 2 and Fig. 3: reliability of each of `broadcasts` messages after the failure. */
export interface FailureRun {
  readonly failed: number;
  /** Correct nodes after the failure. */
  readonly aliveCount: number;
  readonly reliability: Float64Array;
  readonly mean: number;
  /** Components among correct nodes right after the failure and after the broadcasts. */
  readonly componentsBefore: Components;
  readonly componentsAfter: Components;
  readonly copies: number;
  readonly detections: number;
  /** Protocol messages the simulator delivered in this copy, its build included. */
  readonly protocolMessages: number;
  readonly ms: number;
}

/** Runs on a copy of `base`, or on `base` itself when `consume` (the last experiment of a run: at a
 * million nodes a copy costs gigabytes). */
export function runFailure(
  base: Overlay,
  fraction: number,
  detection: Detection,
  broadcasts: number,
  seed: number,
  consume = false,
): FailureRun {
  const t0 = performance.now();
  const rng = new SeededRng(seed);
  const failed = chooseFailed(base.sim.size, fraction, rng);
  const ov = overlayFor(base, failed, consume);
  const alive = failNodes(ov, failed, detection);
  const width = ov.sim.config.activeViewSize;
  const comps = () => connectedComponents(undirected(directedCsr(ov.views, alive, width)), alive);
  const componentsBefore = comps();
  const b = new Broadcaster(ov, alive, detection, rng);
  const reliability = new Float64Array(broadcasts);
  let sum = 0;
  for (let m = 0; m < broadcasts; m++) {
    reliability[m] = b.broadcast();
    sum += reliability[m]!;
  }
  return {
    failed: fraction,
    aliveCount: b.aliveCount,
    reliability,
    mean: broadcasts === 0 ? 0 : sum / broadcasts,
    componentsBefore,
    componentsAfter: comps(),
    copies: b.copies,
    detections: b.detections,
    protocolMessages: ov.sim.stats.messagesDelivered,
    ms: performance.now() - t0,
  };
}

/** Fig. 4: cycles until a cycle's broadcasts are as reliable as before the failure. */
export interface HealingRun {
  readonly failed: number;
  /** Number of the first cycle (1 = the cycle in which the nodes fail) whose `perCycle`
   * broadcasts deliver on average at least `baseline`; -1 if none within `maxCycles`. */
  readonly cycles: number;
  /** The same within 0.1 percentage point of `baseline`: at 100,000 nodes and more, a single
   * survivor left cut off for good keeps the exact criterion from ever being met. */
  readonly cyclesNear: number;
  /** Average reliability of each cycle's broadcasts. */
  readonly perCycle: number[];
  readonly copies: number;
  /** Protocol messages the simulator delivered in this copy, its build included. */
  readonly protocolMessages: number;
  readonly ms: number;
}

export function runHealing(
  base: Overlay,
  model: Model,
  fraction: number,
  detection: Detection,
  baseline: number,
  perCycle: number,
  maxCycles: number,
  seed: number,
  consume = false,
): HealingRun {
  const t0 = performance.now();
  const rng = new SeededRng(seed);
  const failed = chooseFailed(base.sim.size, fraction, rng);
  const ov = overlayFor(base, failed, consume);
  const alive = failNodes(ov, failed, detection);
  const b = new Broadcaster(ov, alive, detection, rng);
  const per: number[] = [];
  let healed = -1;
  let near = -1;
  for (let c = 1; c <= maxCycles && healed < 0; c++) {
    let sum = 0;
    for (let m = 0; m < perCycle; m++) sum += b.broadcast();
    const avg = sum / perCycle;
    per.push(avg);
    if (near < 0 && avg >= baseline - 0.001) near = c;
    // Reliabilities are ratios of integer counts: compare with a tolerance of half a node.
    if (avg >= baseline - 0.5 / b.aliveCount) healed = c;
    // The next cycle, unless this was the last one measured.
    else if (c < maxCycles) cycle(ov.sim, model);
  }
  return {
    failed: fraction,
    cycles: healed,
    cyclesNear: near,
    perCycle: per,
    copies: b.copies,
    protocolMessages: ov.sim.stats.messagesDelivered,
    ms: performance.now() - t0,
  };
}
