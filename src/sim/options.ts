/**
 * Simulator settings, hooks and counters. Times are simulated milliseconds; nothing here reads a
 * clock.
 */
import type { DropReason, MessageKind, PeerDownReason, PeerRecord, ProtocolConfig } from "../protocol/index.js";

/** Per-message latency: a fixed delay, or uniform in [min, max]. */
export type Latency = number | { readonly min: number; readonly max: number };

export interface SimOptions {
  /** Seed of the whole run: same seed (and same script), same run, bit for bit. */
  readonly seed: number;
  /** Nodes created up front (not started). More can be added with `addNode`. Default 0. */
  readonly nodes?: number;
  /** Protocol configuration overrides, validated by `resolveConfig`. Default: the paper's values. */
  readonly protocol?: Partial<ProtocolConfig>;
  /** Message latency, ms. Default 10 (fixed). A fixed latency is also the fastest to simulate. */
  readonly latency?: Latency;
  /** Messages from one node to another arrive in the order sent, as over one TCP connection per
   * pair (a message waits for the one sent before it). Off: with a random latency, a later message
   * may overtake an earlier one. Default true. (A fixed latency never reorders.) */
  readonly fifo?: boolean;
  /** Probability that a message is silently lost, in [0, 1). Default 0. */
  readonly loss?: number;
  /** Delay before a node learns that a link broke (crash, partition) or that a message could not
   * be delivered (dead or unreachable target), ms. Default 100. */
  readonly detectionDelayMs?: number;
  /** Deliver the core's `schedule` effects as timer events. Off: the experiment drives membership
   * cycles itself (`cycle`, or `inject` of `{type:"timer"}`), as the paper's PeerSim runs do.
   * Default true. */
  readonly timers?: boolean;
  /** When a node crashes, the nodes holding a link to it get `linkLost` after the detection delay.
   * Off: a crash is noticed only when something is sent to the dead node (the paper's model, where
   * the broadcast itself is the failure detector). `crash(…, {detect})` overrides it. Default true. */
  readonly detectCrashes?: boolean;
  /** Events taken off the queue and run as one batch, the cores they are for read ahead together
   * (see `Engine.run`), in [1, 1024]; 1 runs them one at a time. The run is the same whatever the
   * batch: only its speed changes. Default 32. */
  readonly batch?: number;
  /** Called as effects are applied. Keep them cheap: they run inside the event loop. */
  readonly hooks?: SimHooks;
}

export interface SimHooks {
  /** `node` reported `peer` up (confirmed in its active view). */
  peerUp?(node: number, peer: PeerRecord, time: number): void;
  /** `node` reported `peer` down. */
  peerDown?(node: number, peer: PeerRecord, reason: PeerDownReason, time: number): void;
}

/** Counters of one run. Live: read them at any time (`snapshotStats` copies). */
export interface SimStats {
  /** Events taken off the queue, stale ones included. */
  events: number;
  /** `send` and `sendToContact` effects. */
  messagesSent: number;
  /** Messages handed to the receiving core. */
  messagesDelivered: number;
  sentByKind: Record<MessageKind, number>;
  /** Lost to the loss probability. */
  lost: number;
  /** Dropped because the target was down (crashed, or gone after leaving). */
  deadTarget: number;
  /** Dropped because sender and target were on different sides of a partition. */
  partitioned: number;
  /** `linkLost` inputs given to cores. */
  linkLost: number;
  /** Of `linkLost`: the other side closed the connection while this node still used it. */
  closedByPeer: number;
  /** `linkUp` inputs given to cores: a dial reached a newer incarnation than the record dialled. */
  linkUp: number;
  /** `contactFailed` inputs given to cores. */
  contactFailed: number;
  /** Timer inputs given to cores (fired timers and injected ones). */
  timers: number;
  /** Events skipped because their node crashed or restarted since they were scheduled. */
  stale: number;
  peerUp: number;
  peerDown: number;
  passiveChanged: number;
  /** Inputs the cores ignored, by reason (the core's `dropped` effect). */
  coreDropped: Record<DropReason, number>;
  crashes: number;
  restarts: number;
  leaves: number;
}

export function newStats(): SimStats {
  return {
    events: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    sentByKind: {
      join: 0,
      forwardJoin: 0,
      neighbor: 0,
      neighborReply: 0,
      disconnect: 0,
      shuffle: 0,
      shuffleReply: 0,
    },
    lost: 0,
    deadTarget: 0,
    partitioned: 0,
    linkLost: 0,
    closedByPeer: 0,
    linkUp: 0,
    contactFailed: 0,
    timers: 0,
    stale: 0,
    peerUp: 0,
    peerDown: 0,
    passiveChanged: 0,
    coreDropped: {
      "from-self": 0,
      "ttl-out-of-range": 0,
      "too-many-entries": 0,
      "stale-incarnation": 0,
      "unexpected-reply": 0,
      "not-a-neighbor": 0,
      "not-joined": 0,
      left: 0,
      "not-started": 0,
    },
    crashes: 0,
    restarts: 0,
    leaves: 0,
  };
}

/** A deep copy of `s`. */
export function snapshotStats(s: SimStats): SimStats {
  return { ...s, sentByKind: { ...s.sentByKind }, coreDropped: { ...s.coreDropped } };
}

/** A resolved, validated `SimOptions`. */
export interface ResolvedSimOptions {
  readonly seed: number;
  readonly latencyMin: number;
  readonly latencyMax: number;
  readonly fifo: boolean;
  readonly loss: number;
  readonly detectionDelayMs: number;
  readonly timers: boolean;
  readonly detectCrashes: boolean;
  readonly batch: number;
}

export class SimOptionError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = "SimOptionError";
  }
}

export function resolveSimOptions(o: SimOptions): ResolvedSimOptions {
  if (!Number.isFinite(o.seed)) throw new SimOptionError("seed", "must be a finite number");
  const lat = o.latency ?? 10;
  const [latencyMin, latencyMax] = typeof lat === "number" ? [lat, lat] : [lat.min, lat.max];
  if (!(latencyMin >= 0) || !(latencyMax >= latencyMin) || !Number.isFinite(latencyMax)) {
    throw new SimOptionError("latency", "must be >= 0, with min <= max");
  }
  const loss = o.loss ?? 0;
  if (!(loss >= 0 && loss < 1)) throw new SimOptionError("loss", "must be in [0, 1)");
  const detectionDelayMs = o.detectionDelayMs ?? 100;
  if (!(detectionDelayMs >= 0) || !Number.isFinite(detectionDelayMs)) {
    throw new SimOptionError("detectionDelayMs", "must be >= 0");
  }
  const nodes = o.nodes ?? 0;
  if (!Number.isInteger(nodes) || nodes < 0) throw new SimOptionError("nodes", "must be an integer >= 0");
  const batch = o.batch ?? 32;
  if (!Number.isInteger(batch) || batch < 1 || batch > 1024) throw new SimOptionError("batch", "must be an integer in [1, 1024]");
  return {
    batch,
    seed: o.seed,
    latencyMin,
    latencyMax,
    fifo: o.fifo ?? true,
    loss,
    detectionDelayMs,
    timers: o.timers ?? true,
    detectCrashes: o.detectCrashes ?? true,
  };
}
