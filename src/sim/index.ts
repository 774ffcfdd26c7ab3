/**
 * The simulator: many instances of the production HyParView core (src/protocol) over a seeded,
 * discrete-event network in one process. Experiments and simulation tests import from here.
 *
 * ```ts
 * import { Simulation, checkInvariants, components } from "../src/sim/index.js";
 *
 * const sim = new Simulation({ seed: 42, nodes: 1000, timers: false });
 * sim.joinAll();                          // node 0 starts the overlay; 1..999 join through it, one by one
 * for (let c = 0; c < 50; c++) sim.cycle(); // 50 membership cycles (maintenance + shuffle at every node)
 * sim.crash(someNodes);                   // peers holding links to them get linkLost after detectionDelayMs
 * sim.cycle();
 * components(sim);                        // { count, largest, members }
 * checkInvariants(sim, { quiet: true });  // [] when every invariant holds
 * ```
 *
 * Model, in short:
 * - Node `i` is id "n<i>", address "sim:<i>", incarnation 1, then +1 per `restart`. Each run of a
 *   node gets a fresh core with its own generator forked from the seed.
 * - One connection per pair of nodes: messages between two nodes arrive in the order sent (`fifo`),
 *   after a fixed or uniform latency, unless lost (probability `loss`).
 * - A send to a node that is down or across a partition fails: the sender gets `linkLost`
 *   (`contactFailed` for a JOIN) after `detectionDelayMs`. So does a delivery whose target crashed,
 *   restarted or got cut off while it was in flight (silently if it travelled on a held link:
 *   the link's break is reported instead).
 * - `connect` / `disconnect` hold and release a simulated link. Links break on crash (holders get
 *   `linkLost` if crashes are detected, `detectCrashes`) and across partitions (holders on both
 *   sides get it). A core's `disconnect` closes the pair's connection: the other side gets
 *   `linkLost` if it still uses it. A notice about a connection replaced since is dropped.
 * - A dial or send that reaches a newer incarnation than the record used reports `linkUp` with the
 *   running one to the dialler, as the real handshake does.
 * - `schedule` becomes a timer event, or nothing with `timers: false` (then drive cycles with
 *   `cycle()` or `inject(i, {type: "timer", timer})`); `stopTimers()` lets a run drain to quiet.
 * - `peerUp` / `peerDown` go to optional hooks; everything is counted in `sim.stats`.
 * - Events are applied in time order; simultaneous events at a node in the order their senders
 *   scheduled them (by sender, then by the sender's own count). The same seed and script replay
 *   the same run.
 * - Two threads can share a run (`split` / `merge`, src/sim/partition.ts): each builds the same
 *   simulation, then runs the cycles of half of the nodes, with the fixed latency as lookahead.
 *   The result is the one thread's. Only message deliveries may cross, so only cycles that change
 *   no link (the paper's shuffles) can run split.
 *
 * Reading state: `sim.core(i)` (activePeers, activeEntries, passivePeers, status), `activeIndices`,
 * `passiveIndices`, `isUp`, `nodeState`, `upNodes`, `record`, `indexOf(id)`, `now`, `stats`.
 */
export {
  Simulation,
  type CycleOptions,
  type JoinAllOptions,
  type NodeState,
} from "./simulation.js";
export {
  resolveSimOptions,
  SimOptionError,
  snapshotStats,
  type Latency,
  type ResolvedSimOptions,
  type SimHooks,
  type SimOptions,
  type SimStats,
} from "./options.js";
export { checkInvariants, formatViolations, type CheckOptions, type InvariantRule, type Violation } from "./invariants.js";
export { activeGraph, activeSizeHistogram, components, isMember, type Components, type Csr } from "./graph.js";
export { Channel, channelPair, type ChannelEnd } from "./channel.js";
export type { Mirrored } from "./partition.js";
