/**
 * The experiment-facing API of the simulator: many instances of the production HyParView core over
 * a seeded, discrete-event network (src/sim/engine.ts). Nodes are integers; node `i` is id "n<i>"
 * at address "sim:<i>". Same seed and same script give the same run, bit for bit.
 */
import type { HyParView, Input, PeerRecord, ProtocolConfig } from "../protocol/index.js";
import type { Channel } from "./channel.js";
import { Engine, TIMER_INPUT } from "./engine.js";
import { bisect, bothWays } from "./bisection.js";
import { activeGraph } from "./graph.js";
import { Partition, type Mirrored } from "./partition.js";
import { ADDRESS_PREFIX, parseIndex, peerIndex } from "./records.js";
import { SimOptionError, type ResolvedSimOptions, type SimOptions, type SimStats } from "./options.js";

const START: Input = Object.freeze({ type: "start" });
const LEAVE: Input = Object.freeze({ type: "leave" });

/** Node lifecycle as the network sees it (the core has its own `status`). */
export type NodeState = "up" | "crashed" | "gone";

export interface CycleOptions {
  /** Also inject a `maintenance` timer into every node before its shuffle (request expiry and
   * periodic repair, beyond the paper). Default true. */
  readonly maintenance?: boolean;
  /** Inject a `shuffle` timer into every node (one membership cycle, §4.4). Default true. */
  readonly shuffle?: boolean;
  /** The cycle lasts at least this long: the clock is advanced to its end after the network is
   * quiet. Default the protocol's shuffle interval. */
  readonly periodMs?: number;
  /** Spread the nodes' timers uniformly at random over this many ms from the start of the cycle,
   * instead of firing them all at the same instant. All at once, short nodes fill their free slots
   * with concurrent NEIGHBOR requests and reject each other; spread, they behave like real timers
   * with independent phases. Default 0 (all at once). */
  readonly spreadMs?: number;
  /** Give up waiting for quiet after this many events. Default Infinity. */
  readonly maxEvents?: number;
}

export interface JoinAllOptions {
  /** The node everyone joins through; it starts the overlay. Default 0. */
  readonly contact?: number;
  /** Nodes to join, in order (the contact is skipped). Default: every node. */
  readonly nodes?: Iterable<number>;
  /** Between two joins: "quiet" runs until the network is quiet (the paper's "no cycles between
   * joins"; needs timers off to ever be quiet in a large overlay), a number runs the clock that many
   * ms. Default "quiet". */
  readonly between?: "quiet" | number;
  /** With "quiet": give up waiting after this many events per join. Default Infinity. */
  readonly maxEventsPerJoin?: number;
}

export class Simulation {
  private readonly e: Engine;
  /** Set while the nodes are split with another thread (see `split`). */
  private part: Partition | null = null;

  constructor(options: SimOptions) {
    this.e = new Engine(options);
    this.e.owner = this;
    for (let i = 0; i < (options.nodes ?? 0); i++) this.e.addNode();
  }

  get options(): ResolvedSimOptions {
    return this.e.options;
  }

  /** The protocol configuration every core runs with. */
  get config(): ProtocolConfig {
    return this.e.config;
  }

  /** Counters of the run (live). */
  get stats(): SimStats {
    return this.e.stats;
  }

  /** Simulated time, ms. */
  get now(): number {
    return this.e.now;
  }

  // ---- two threads ----

  /**
   * Splits the nodes with another thread that holds the same simulation (built the same way, from
   * the same seed) and calls `split` with the other end of `channel`: each side runs half of the
   * expected work, and few active-view links join the halves (src/sim/bisection.ts). While split,
   * only `cycle` may run, on both sides in step, and the results are those of one thread
   * (src/sim/partition.ts). `merge` ends it.
   */
  split(channel: Channel): void {
    if (this.part !== null) throw new SimOptionError("split", "already split");
    const sides = bisect(bothWays(activeGraph(this)), this.expectedLoad());
    this.part = new Partition(this.e, sides, channel.index, channel);
    this.e.remote = this.part;
  }

  /**
   * Each node's expected events per cycle, to split the nodes evenly: its shuffle timer and the
   * reply, and its share of the walks' hops, which go to a node in proportion to its active view
   * (nodes that joined early hold fuller views: halves by count would leave one thread waiting).
   */
  private expectedLoad(): Float64Array {
    const e = this.e;
    const load = new Float64Array(e.n);
    let active = 0;
    for (let i = 0; i < e.n; i++) active += load[i] = e.cores[i]!.activeEntries().length;
    const perEntry = active === 0 ? 0 : (e.config.arwl * e.n) / active;
    for (let i = 0; i < e.n; i++) load[i] = 2 + perEntry * load[i]!;
    return load;
  }

  /** Ends the split: the two sides swap their nodes' cores (`mirror` makes them sendable to the
   * other thread, `revive` makes them cores again), `piece` cores a side at a time (Partition.merge),
   * and each holds the whole simulation again. */
  merge(mirror: (cores: HyParView[], round: number) => Mirrored, revive: (x: unknown, stale: HyParView[]) => HyParView[], piece?: number): void {
    const p = this.part;
    if (p === null) throw new SimOptionError("merge", "not split");
    if (piece !== undefined && !(piece >= 1)) throw new SimOptionError("merge", `pieces of ${piece} cores (at least 1)`);
    this.e.remote = null;
    this.part = null;
    p.merge(mirror, revive, piece);
  }

  private notSplit(what: string): void {
    if (this.part !== null) throw new SimOptionError(what, "not while the nodes are split between threads (only cycle)");
  }

  // ---- nodes ----

  /** Number of nodes ever created (indices 0 .. size-1). */
  get size(): number {
    return this.e.n;
  }

  /** Creates a node (not started) and returns its index. */
  addNode(): number {
    return this.e.addNode();
  }

  /** The core of node `i` (its latest incarnation). Read views from it; feed it through `inject`. */
  core(i: number): HyParView {
    return this.e.cores[this.check(i)]!;
  }

  record(i: number): PeerRecord {
    return this.e.records[this.check(i)]!;
  }

  addressOf(i: number): string {
    return ADDRESS_PREFIX + this.check(i);
  }

  /** Node index of a peer id ("n<i>"), or -1 if no such node. */
  indexOf(id: string): number {
    if (id.length < 2 || id.charCodeAt(0) !== 110 /* n */) return -1;
    const i = parseIndex(id, 1);
    return i >= 0 && i < this.e.n ? i : -1;
  }

  /** Whether node `i` processes events (not crashed, not gone after leaving). */
  isUp(i: number): boolean {
    return this.e.up[this.check(i)] === 1;
  }

  nodeState(i: number): NodeState {
    this.check(i);
    return this.e.up[i] === 1 ? "up" : this.e.crashed[i] === 1 ? "crashed" : "gone";
  }

  /** Indices of the nodes that are up. */
  upNodes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.e.n; i++) if (this.e.up[i] === 1) out.push(i);
    return out;
  }

  /** Node indices of `i`'s active view (confirmed entries only unless `withPending`). */
  activeIndices(i: number, withPending = false): number[] {
    const out: number[] = [];
    for (const e of this.core(i).activeEntries()) {
      if (withPending || !e.pending) out.push(peerIndex(e.peer));
    }
    return out;
  }

  /** Node indices of `i`'s passive view. */
  passiveIndices(i: number): number[] {
    return this.core(i).passivePeers().map(peerIndex);
  }

  /** Nodes `i` holds a simulated link to (diagnostics). */
  linksOf(i: number): number[] {
    return this.e.links.targetsOf(this.check(i));
  }

  /** Partition side of node `i` (0 when not partitioned). */
  sideOf(i: number): number {
    return this.e.side[this.check(i)]!;
  }

  // ---- driving nodes ----

  /** Gives `input` to node `i` now and applies its effects. Ignored if the node is not up. */
  inject(i: number, input: Input): void {
    this.notSplit("inject");
    this.give(i, input);
  }

  private give(i: number, input: Input): void {
    this.check(i);
    if (this.e.up[i] !== 1) return;
    if (input.type === "timer") this.e.stats.timers++;
    this.e.step(i, input);
  }

  /** Starts node `i` (arms its timers). */
  start(i: number): void {
    this.inject(i, START);
  }

  /** Node `i` joins through the given contact nodes (empty: it starts a new overlay). */
  join(i: number, contacts: readonly number[]): void {
    this.inject(i, { type: "join", contacts: contacts.map((c) => this.addressOf(c)) });
  }

  /**
   * Starts every node and joins them one by one through one contact, as the paper's evaluation
   * does (§5): the contact first with no contacts, then each other node through it.
   */
  joinAll(opts: JoinAllOptions = {}): void {
    this.notSplit("joinAll");
    const contact = opts.contact ?? 0;
    const between = opts.between ?? "quiet";
    const settle = () => {
      if (between === "quiet") this.runUntilQuiet(opts.maxEventsPerJoin ?? Infinity);
      else this.runFor(between);
    };
    if (this.core(contact).status === "idle") {
      this.start(contact);
      this.join(contact, []);
    }
    const nodes = opts.nodes ?? range(this.e.n);
    for (const i of nodes) {
      if (i === contact) continue;
      if (this.core(i).status === "idle") this.start(i);
      this.join(i, [contact]);
      settle();
    }
  }

  /**
   * One membership cycle driven from outside (timers off): every node that is up gets a
   * `maintenance` timer (optional) and a `shuffle` timer, now or spread over `spreadMs`, the
   * network runs until quiet, and the clock moves on to the end of the period. Returns whether
   * quiet was reached.
   */
  cycle(opts: CycleOptions = {}): boolean {
    const e = this.e;
    const startedAt = e.now;
    const maintenance = opts.maintenance ?? true;
    const shuffle = opts.shuffle ?? true;
    const spread = opts.spreadMs ?? 0;
    const period = opts.periodMs ?? e.config.shuffleIntervalMs;
    if (!(spread >= 0 && spread <= period)) throw new SimOptionError("spreadMs", "must be in [0, periodMs]");
    // With a spread, the timers are pushed in time order: they then sit in one of the queue's FIFO
    // rings rather than its heap, and the messages in flight go in order to the next ring (in a
    // split, the other thread's to a third). (Same draws, same order of events: only equal times,
    // which random draws do not produce, could tell the difference.)
    const nodes: number[] = [];
    const times: number[] = [];
    const part = this.part;
    for (let i = 0; i < e.n; i++) {
      if (e.up[i] !== 1 || e.cores[i]!.status !== "running") continue;
      if (part !== null && !part.owns(i)) {
        // The other side's node: its timer is pushed there, after the same draw.
        if (spread > 0) e.netRng.next();
        continue;
      }
      if (spread === 0) {
        if (maintenance) this.give(i, TIMER_INPUT.maintenance);
        if (shuffle) this.give(i, TIMER_INPUT.shuffle);
      } else {
        nodes.push(i);
        times.push(startedAt + e.netRng.next() * spread);
      }
    }
    if (nodes.length > 0) {
      const order = Array.from(nodes.keys()).sort((a, b) => times[a]! - times[b]! || a - b);
      for (const k of order) {
        if (maintenance) e.pushDrivenTimer(times[k]!, nodes[k]!, "maintenance");
        if (shuffle) e.pushDrivenTimer(times[k]!, nodes[k]!, "shuffle");
      }
    }
    let quiet = true;
    if (part !== null) {
      if (opts.maxEvents !== undefined) throw new SimOptionError("maxEvents", "is not supported while the nodes are split between threads");
      part.runUntilQuiet(startedAt, startedAt + spread);
    } else {
      if (spread > 0) e.runUntil(startedAt + spread);
      quiet = e.runUntilQuiet(opts.maxEvents ?? Infinity);
    }
    if (e.now < startedAt + period) e.runUntil(startedAt + period);
    return quiet;
  }

  // ---- failures ----

  /**
   * Crashes nodes: they stop processing at once; their links break. With detection (the default,
   * see `SimOptions.detectCrashes`), every node that held a link to a crashed one gets `linkLost`
   * after the detection delay. Messages already in flight from them are still delivered.
   */
  crash(nodes: number | Iterable<number>, opts: { readonly detect?: boolean } = {}): void {
    this.notSplit("crash");
    const detect = opts.detect ?? this.e.options.detectCrashes;
    for (const i of typeof nodes === "number" ? [nodes] : nodes) {
      this.check(i);
      if (this.e.up[i] !== 1) continue;
      this.e.stats.crashes++;
      this.e.stop(i, true, detect);
    }
  }

  /**
   * Restarts a crashed (or gone) node with the same id and a new incarnation: a fresh core, started
   * and joined through `contacts` (node indices; empty: it starts a new overlay on its own).
   */
  restart(i: number, contacts: readonly number[]): void {
    this.notSplit("restart");
    this.check(i);
    if (this.e.up[i] === 1) throw new SimOptionError("restart", `node ${i} is up`);
    this.e.rerun(i);
    this.e.stats.restarts++;
    this.start(i);
    this.join(i, contacts);
  }

  /** Node `i` leaves gracefully (DISCONNECT to its active peers), then is gone: it processes
   * nothing more, and messages to it fail as to a crashed node. */
  leave(i: number): void {
    this.notSplit("leave");
    this.check(i);
    if (this.e.up[i] !== 1) return;
    this.e.step(i, LEAVE);
    this.e.stats.leaves++;
    // Its process exits and its connections close: whoever still holds one hears of it (usually
    // after the DISCONNECT, which says more).
    this.e.stop(i, false, true);
  }

  /**
   * Splits the network: each listed group is one side, every unlisted node is on one more side
   * together. Messages across are dropped (the sender gets `linkLost`, a JOIN's sender
   * `contactFailed`) and links across break (`linkLost` on each holding side). Replaces any
   * partition in force.
   */
  partition(groups: readonly (readonly number[])[]): void {
    this.notSplit("partition");
    const side = this.e.side;
    side.fill(0);
    groups.forEach((g, k) => {
      for (const i of g) side[this.check(i)] = k + 1;
    });
    this.e.cut();
  }

  /** Ends the partition. Nothing is restored by itself: the cores re-merge the halves. */
  heal(): void {
    this.e.side.fill(0);
    this.e.partitioned = false;
  }

  /** Whether the cores' timers fire (`SimOptions.timers`, until `stopTimers`). */
  get timersRunning(): boolean {
    return this.e.timersOn;
  }

  /**
   * Stops every core's timers for good: armed ones are skipped, new ones are not armed. The
   * network then drains (`runUntilQuiet` ends): useful to check the state at rest after a run
   * with timers, since periodic shuffles and repairs otherwise keep messages in flight forever.
   */
  stopTimers(): void {
    this.e.timersOn = false;
  }

  /** Runs `action` at simulated time `time` (at once if that is not in the future). */
  at(time: number, action: (sim: Simulation) => void): void {
    this.notSplit("at");
    this.e.pushAction(Math.max(time, this.e.now), action);
  }

  // ---- running ----

  /** Network events (deliveries, failure notices) not yet processed. */
  get pendingNetworkEvents(): number {
    return this.e.networkPending;
  }

  /** Events waiting, timers included. */
  get pendingEvents(): number {
    return this.e.queue.size;
  }

  /** Processes every event due at or before `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    this.notSplit("runUntil");
    this.e.runUntil(time);
  }

  runFor(ms: number): void {
    this.notSplit("runFor");
    this.e.runUntil(this.e.now + ms);
  }

  /**
   * Processes events in order until no network event is pending (timers may remain), or until
   * `maxEvents` were processed. Returns whether the network is quiet. With timers on, a large
   * overlay is rarely quiet: prefer `runFor` there, or `stopTimers` first.
   */
  runUntilQuiet(maxEvents = Infinity): boolean {
    this.notSplit("runUntilQuiet");
    return this.e.runUntilQuiet(maxEvents);
  }

  private check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.e.n) throw new RangeError(`no node ${i} (size ${this.e.n})`);
    return i;
  }
}

function range(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i);
  return out;
}
