/**
 * The stabilised overlay the paper's experiments start from (§5): nodes join one by one through a
 * single contact, then membership cycles. Built once per model, then copied for each experiment.
 */
import type { PeerRecord, ProtocolConfig } from "../../src/protocol/index.js";
import type { Channel } from "../../src/sim/channel.js";
import { Simulation } from "../../src/sim/index.js";
import { peerIndex } from "../../src/sim/records.js";
import { deepCopy } from "./snapshot.js";
import { fromTransferable, mergeHalves, NUMBERS_PER_CORE, toTransferable } from "./transfer.js";
import { ActiveViews } from "./views.js";

/**
 * Which reading of the protocol runs.
 * - "paper": the paper's model. A failed active peer is forgotten, a passive peer that cannot be
 *   reached is dropped at the first attempt (keepFailedAsPassive false, passiveMaxFailures 1,
 *   passiveRetentionMs 0), and a membership cycle is a shuffle only.
 * - "ours": the daemon's defaults. Failed peers are kept as last-resort passive candidates and
 *   dropped after repeated failures over time; each cycle also runs maintenance (repair of a short
 *   active view, request expiry).
 */
export type Model = "paper" | "ours";

/**
 * How the survivors learn of the failures.
 * - "send": only when a broadcast copy sent to a failed active peer fails; the sender's core gets
 *   `linkLost` (the reading of §5: the broadcast itself is the failure detector).
 * - "links": every node holding a link to a failed node gets `linkLost` after the simulator's
 *   detection delay, as when the crashed process's kernel resets its connections, or as the daemon
 *   sees a stream end or its heartbeats stop. The first broadcast still meets every failure (it
 *   takes no simulated time); the notices and the repair they trigger run before the second.
 */
export type Detection = "send" | "links";

export const MODEL_PROTOCOL: Record<Model, Partial<ProtocolConfig>> = {
  paper: { keepFailedAsPassive: false, passiveMaxFailures: 1, passiveRetentionMs: 0 },
  ours: {},
};

export interface ExperimentOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly model: Model;
  /** Membership cycles before the failures. Paper: 50. */
  readonly cycles: number;
  /** One-way message latency, ms (fixed). */
  readonly latencyMs: number;
}

/** How long the build took (ms of wall time), whole and in the phases that cannot overlap. */
export interface BuildTimes {
  /** The joins and the cycles, and the swap of a split run's halves. */
  readonly buildMs: number;
  /** The joins, one by one to quiet (each thread of a split run joins every node). */
  readonly joinMs: number;
  /** The swap of the halves after split cycles; 0 when one thread ran them all. */
  readonly swapMs: number;
  /** In a split build, how long this thread waited for the other: for its joins to end (the two
   * threads join every node each, side by side), and in the cycles, for the other's windows (each
   * window of the split cycles ends when the slower thread's does). 0 when one thread built. */
  readonly joinsWaitMs: number;
  readonly cyclesWaitMs: number;
  /** On the building thread's clock (`performance.now()`): when the build started, when the joins
   * ended, and when the cycles ended (before the swap). */
  readonly startedAt: number;
  readonly joinedAt: number;
  readonly cycledAt: number;
}

/** The stabilised overlay: a simulation plus the views the flood reads, copied once per run. */
export class Overlay {
  private constructor(
    readonly sim: Simulation,
    readonly views: ActiveViews,
    /** The box the simulator's hooks write through. Copies of the simulation share the hook
     * functions, hence this box: `use` points it at the overlay that runs. */
    private readonly box: { views: ActiveViews },
    readonly times: BuildTimes,
  ) {}

  /**
   * Joins every node one by one through node 0, then runs the membership cycles. With `twin`, the
   * other thread builds the same overlay and the cycles are split between the two (each runs half
   * of the nodes: src/sim/partition.ts); both end with the whole overlay, the same as one thread's.
   */
  static build(o: ExperimentOptions, log: (line: string) => void = () => {}, twin?: Channel): Overlay {
    const t0 = performance.now();
    const box = { views: new ActiveViews(0, 0) };
    const sim = new Simulation({
      seed: o.seed,
      nodes: o.nodes,
      latency: o.latencyMs,
      timers: false,
      detectCrashes: false,
      protocol: MODEL_PROTOCOL[o.model],
      hooks: hooksFor(box),
    });
    box.views = new ActiveViews(o.nodes, sim.config.activeViewSize);
    sim.joinAll();
    const joinedAt = performance.now();
    const joinMs = joinedAt - t0;
    log(`joined ${o.nodes} nodes in ${(joinMs / 1000).toFixed(1)} s`);
    let swapMs = 0;
    let cycledAt = joinedAt;
    let joinsWaitMs = 0;
    let cyclesWaitMs = 0;
    const waitedBefore = twin?.waitedMs ?? 0;
    try {
      if (twin !== undefined) {
        // Both threads have joined before either cycles, so that the wait for the other's joins is
        // told apart from the waits in the cycles.
        twin.swap(null);
        joinsWaitMs = twin.waitedMs - waitedBefore;
        sim.split(twin);
      }
      for (let c = 1; c <= o.cycles; c++) {
        cycle(sim, o.model);
        if (c % 10 === 0 && c < o.cycles) log(`cycle ${c} done at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      cycledAt = performance.now();
      if (twin !== undefined) {
        cyclesWaitMs = twin.waitedMs - waitedBefore - joinsWaitMs;
        mergeHalves(sim);
        swapMs = performance.now() - cycledAt;
        log(`halves swapped with the second thread in ${(swapMs / 1000).toFixed(1)} s`);
      }
    } catch (err) {
      twin?.abort();
      throw err;
    }
    const ms = performance.now() - t0;
    log(`${o.cycles} cycles done at ${(ms / 1000).toFixed(1)} s${twin === undefined ? "" : " (split with a second thread)"}`);
    return new Overlay(sim, box.views, box, { buildMs: ms, joinMs, swapMs, joinsWaitMs, cyclesWaitMs, startedAt: t0, joinedAt, cycledAt });
  }

  /**
   * An independent copy of this overlay (every core, the queue, the links, the views), except the
   * cores of `crashing`: the copy shares those with this overlay. Only for nodes that the copy
   * crashes before it runs anything, and never restarts: a crashed node's core is never run again.
   * Half the nodes fail in an experiment at 50 %, and their cores are half the copy.
   */
  copy(crashing: Iterable<number> = []): Overlay {
    const shared: object[] = [];
    for (const i of crashing) shared.push(this.sim.core(i));
    return new Overlay(deepCopy(this.sim, shared), this.views.clone(), this.box, this.times);
  }

  /** This overlay as a worker thread can receive it (see transfer.ts). */
  transferable(): unknown {
    return toTransferable({ sim: this.sim, views: this.views, times: this.times }, NUMBERS_PER_CORE * this.sim.size);
  }

  /** The overlay `transferable` made, in this thread, with hooks of its own. */
  static fromTransferable(t: unknown): Overlay {
    const box = { views: new ActiveViews(0, 0) };
    const parts = fromTransferable(t, hooksFor(box)) as { sim: Simulation; views: ActiveViews; times: BuildTimes };
    box.views = parts.views;
    return new Overlay(parts.sim, parts.views, box, parts.times);
  }

  /** Makes the (shared) hooks write to this overlay's views. Call before running it. */
  use(): this {
    this.box.views = this.views;
    return this;
  }
}

/** The simulator hooks that keep `box.views` up to date from the cores' peerUp / peerDown. */
function hooksFor(box: { views: ActiveViews }) {
  return {
    peerUp: (i: number, p: PeerRecord) => box.views.add(i, peerIndex(p)),
    peerDown: (i: number, p: PeerRecord) => box.views.remove(i, peerIndex(p)),
  };
}

/** One membership cycle: every node shuffles once (and runs maintenance in "ours"), with the
 * nodes' timers spread over the cycle as independent real timers would be. */
export function cycle(sim: Simulation, model: Model): void {
  sim.cycle({ maintenance: model === "ours", spreadMs: sim.config.shuffleIntervalMs });
}
