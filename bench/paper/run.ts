/**
 * One full run of the paper's evaluation for one model: build and stabilise the overlay, measure
 * it (Table 1, Fig. 5), then per failure rate the broadcasts (Fig. 2, Fig. 3) and the healing
 * (Fig. 4), each from its own copy of the stabilised overlay. Returns plain data for the report.
 */
import { SeededRng } from "../../src/protocol/index.js";
import { measureOverlay, runFailure, runHealing, type OverlayMetrics } from "./experiment.js";
import { MODEL_PROTOCOL, Overlay, type Detection, type Model } from "./overlay.js";
import type { Components, PathStats } from "./metrics.js";

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
  readonly buildMs: number;
  readonly stable: Omit<OverlayMetrics, "inDegree" | "path"> & { inDegree: number[]; path: PathStats };
  readonly failures: FailureSummary[];
  readonly healing: HealingSummary[];
  /** Protocol messages the simulator delivered, over all copies of the overlay. */
  readonly protocolMessages: number;
  readonly broadcastCopies: number;
  readonly wallMs: number;
}

export function runModel(o: RunOptions, log: (line: string) => void): ModelResult {
  const t0 = performance.now();
  log(`[${o.model}] building ${o.nodes} nodes (join one by one, then ${o.cycles} cycles)`);
  const base = Overlay.build({ nodes: o.nodes, seed: o.seed, model: o.model, cycles: o.cycles, latencyMs: o.latencyMs }, log);
  let protocolMessages = base.sim.stats.messagesDelivered;
  const afterBuild = protocolMessages;
  const all = new Uint8Array(o.nodes).fill(1);
  const m = measureOverlay(base, all, o.pathSources, o.stableBroadcasts, new SeededRng(o.seed + 1));
  log(`[${o.model}] stable overlay measured at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  let broadcastCopies = 0;
  // The last experiment runs on the base overlay itself instead of a copy.
  let left = o.failures.length * o.detections.length * (o.healingMaxCycles > 0 ? 2 : 1);
  const failures: FailureSummary[] = [];
  const healing: HealingSummary[] = [];
  for (const f of o.failures) {
    const pct = Math.round(f * 1000) / 10;
    const salt = Math.round(f * 1000);
    for (const detection of o.detections) {
      const tag = `[${o.model}/${detection}] ${pct} % failed`;
      // The same seed per rate for every detection variant: the same nodes fail, the same sources.
      const r = runFailure(base, f, detection, o.broadcasts, o.seed + 1000 + salt, --left === 0);
      failures.push({
        detection,
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
      broadcastCopies += r.copies;
      protocolMessages += r.protocolMessages - afterBuild;
      log(`${tag}: reliability ${(100 * r.mean).toFixed(2)} % (${(r.ms / 1000).toFixed(1)} s)`);
      if (o.healingMaxCycles > 0) {
        const h = runHealing(
          base,
          o.model,
          f,
          detection,
          m.reliability,
          o.healingPerCycle,
          o.healingMaxCycles,
          o.seed + 2000 + salt,
          --left === 0,
        );
        healing.push({ detection, failedPercent: pct, cycles: h.cycles, cyclesNear: h.cyclesNear, perCycle: h.perCycle, ms: h.ms });
        protocolMessages += h.protocolMessages - afterBuild;
        broadcastCopies += h.copies;
        log(`${tag}: healed in cycle ${h.cycles} (${(h.ms / 1000).toFixed(1)} s)`);
      }
    }
  }
  return {
    model: o.model,
    detections: o.detections,
    protocol: { ...MODEL_PROTOCOL[o.model], maintenanceEachCycle: o.model === "ours" },
    buildMs: base.buildMs,
    stable: { ...m, inDegree: Array.from(m.inDegree) },
    failures,
    healing,
    protocolMessages,
    broadcastCopies,
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
