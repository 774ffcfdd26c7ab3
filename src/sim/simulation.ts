/**
 * A seeded discrete-event network running many instances of the production HyParView core. Nodes
 * are integers; node `i` is id "n<i>" at address "sim:<i>". Effects become events (message
 * deliveries after a latency, timers, failure notices); a crash or a partition breaks the links the
 * cores asked for, and the nodes holding them learn it as `linkLost`, as they would from a real
 * connection. Same seed and same script give the same run, bit for bit.
 */
import {
  HyParView,
  resolveConfig,
  SeededRng,
  type Effect,
  type Input,
  type Message,
  type PeerRecord,
  type ProtocolConfig,
  type TimerKind,
} from "../protocol/index.js";
import {
  EV_ACTION,
  EV_CONTACT_FAILED,
  EV_DELIVER,
  EV_DELIVER_CONTACT,
  EV_DELIVER_LINKED,
  EV_LINK_LOST,
  EV_LINK_CLOSED,
  EV_LINK_UP,
  EV_TIMER,
  EventQueue,
  isNetworkKind,
} from "./events.js";
import { LinkTable } from "./links.js";
import { PairClock } from "./pairs.js";
import {
  newStats,
  resolveSimOptions,
  SimOptionError,
  type ResolvedSimOptions,
  type SimHooks,
  type SimOptions,
  type SimStats,
} from "./options.js";

const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});
const ADDRESS_PREFIX = "sim:";

/** Timer inputs are constant: shared, never allocated per event. */
const TIMER_INPUT: Record<TimerKind, Input> = {
  shuffle: Object.freeze({ type: "timer", timer: "shuffle" }),
  maintenance: Object.freeze({ type: "timer", timer: "maintenance" }),
  join: Object.freeze({ type: "timer", timer: "join" }),
};
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
  readonly options: ResolvedSimOptions;
  readonly config: ProtocolConfig;
  readonly stats: SimStats = newStats();
  /** Simulated time, ms. */
  now = 0;

  private readonly hooks: SimHooks | undefined;
  private readonly queue = new EventQueue(4096);
  private readonly links: LinkTable;
  /** Latency and loss draws. */
  private readonly netRng: SeededRng;
  /** One fork per node start: each core gets its own stream. */
  private readonly seedRng: SeededRng;
  private cores: HyParView[] = [];
  private records: PeerRecord[] = [];
  /** 1 while the node processes events. */
  private up = new Uint8Array(16);
  /** 1 after a crash (0 when gone after leaving, or up). */
  private crashed = new Uint8Array(16);
  private incarnation = new Int32Array(16);
  /** Partition side; 0 for everyone when there is no partition. */
  private side = new Int32Array(16);
  private partitioned = false;
  private n = 0;
  private timersOn: boolean;
  /** Network events (deliveries, failure notices) waiting; timers and actions are not counted. */
  private networkPending = 0;
  private readonly scratchHolders: number[] = [];
  /** Per-pair time of the last delivery scheduled, for FIFO order with random latencies. */
  private readonly pairClock = new PairClock();
  /** The last handshake scheduled (see `handshake`). */
  private lastHandshakeFrom = -1;
  private lastHandshakeTo = -1;
  private lastHandshakeAt = -1;
  /** The last failure notice scheduled (see `notifyLinkLost`). */
  private lastNoticeHolder = -1;
  private lastNoticePeer = "";
  private lastNoticeAt = -1;

  constructor(options: SimOptions) {
    this.options = resolveSimOptions(options);
    this.timersOn = this.options.timers;
    this.config = resolveConfig(options.protocol ?? {});
    this.hooks = options.hooks;
    this.netRng = new SeededRng(this.options.seed);
    this.seedRng = new SeededRng(this.options.seed).fork();
    this.links = new LinkTable(options.nodes ?? 0);
    for (let i = 0; i < (options.nodes ?? 0); i++) this.addNode();
  }

  // ---- nodes ----

  /** Number of nodes ever created (indices 0 .. size-1). */
  get size(): number {
    return this.n;
  }

  /** Creates a node (not started) and returns its index. */
  addNode(): number {
    const i = this.n++;
    if (i >= this.up.length) this.growNodes(this.up.length * 2);
    this.links.ensureNodes(this.n);
    this.incarnation[i] = 1;
    this.records.push(this.newRecord(i, 1));
    this.cores.push(new HyParView(this.records[i]!, this.config, this.seedRng.fork()));
    this.up[i] = 1;
    return i;
  }

  /** The core of node `i` (its latest incarnation). Read views from it; feed it through `inject`. */
  core(i: number): HyParView {
    return this.cores[this.check(i)]!;
  }

  record(i: number): PeerRecord {
    return this.records[this.check(i)]!;
  }

  addressOf(i: number): string {
    return ADDRESS_PREFIX + this.check(i);
  }

  /** Node index of a peer id ("n<i>"), or -1 if no such node. */
  indexOf(id: string): number {
    if (id.length < 2 || id.charCodeAt(0) !== 110 /* n */) return -1;
    const i = parseIndex(id, 1);
    return i >= 0 && i < this.n ? i : -1;
  }

  /** Whether node `i` processes events (not crashed, not gone after leaving). */
  isUp(i: number): boolean {
    return this.up[this.check(i)] === 1;
  }

  nodeState(i: number): NodeState {
    this.check(i);
    return this.up[i] === 1 ? "up" : this.crashed[i] === 1 ? "crashed" : "gone";
  }

  /** Indices of the nodes that are up. */
  upNodes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.up[i] === 1) out.push(i);
    return out;
  }

  /** Node indices of `i`'s active view (confirmed entries only unless `withPending`). */
  activeIndices(i: number, withPending = false): number[] {
    const out: number[] = [];
    for (const e of this.core(i).activeEntries()) {
      if (withPending || !e.pending) out.push(parseIndex(e.peer.id, 1));
    }
    return out;
  }

  /** Node indices of `i`'s passive view. */
  passiveIndices(i: number): number[] {
    return this.core(i).passivePeers().map((p) => parseIndex(p.id, 1));
  }

  /** Nodes `i` holds a simulated link to (diagnostics). */
  linksOf(i: number): number[] {
    return this.links.targetsOf(this.check(i));
  }

  /** Partition side of node `i` (0 when not partitioned). */
  sideOf(i: number): number {
    return this.side[this.check(i)]!;
  }

  // ---- driving nodes ----

  /** Gives `input` to node `i` now and applies its effects. Ignored if the node is not up. */
  inject(i: number, input: Input): void {
    this.check(i);
    if (this.up[i] !== 1) return;
    if (input.type === "timer") this.stats.timers++;
    this.stepNode(i, input);
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
    const nodes = opts.nodes ?? range(this.n);
    for (const i of nodes) {
      if (i === contact) continue;
      if (this.core(i).status === "idle") this.start(i);
      this.join(i, [contact]);
      settle();
    }
  }

  /**
   * One membership cycle driven from outside (timers off): every node that is up gets a
   * `maintenance` timer (optional) and a `shuffle` timer now, the network runs until quiet, and the
   * clock moves on to the end of the period. Returns whether quiet was reached.
   */
  cycle(opts: CycleOptions = {}): boolean {
    const startedAt = this.now;
    const maintenance = opts.maintenance ?? true;
    const shuffle = opts.shuffle ?? true;
    const spread = opts.spreadMs ?? 0;
    const period = opts.periodMs ?? this.config.shuffleIntervalMs;
    if (!(spread >= 0 && spread <= period)) throw new SimOptionError("spreadMs", "must be in [0, periodMs]");
    for (let i = 0; i < this.n; i++) {
      if (this.up[i] !== 1 || this.cores[i]!.status !== "running") continue;
      if (spread === 0) {
        if (maintenance) this.inject(i, TIMER_INPUT.maintenance);
        if (shuffle) this.inject(i, TIMER_INPUT.shuffle);
      } else {
        const at = startedAt + this.netRng.next() * spread;
        const inc = this.incarnation[i]!;
        // aux 1: driven from outside, so it fires even with the cores' own timers off.
        if (maintenance) this.queue.push(at, EV_TIMER, i, inc, 1, "maintenance", null);
        if (shuffle) this.queue.push(at, EV_TIMER, i, inc, 1, "shuffle", null);
      }
    }
    if (spread > 0) this.runUntil(startedAt + spread);
    const quiet = this.runUntilQuiet(opts.maxEvents ?? Infinity);
    if (this.now < startedAt + period) this.runUntil(startedAt + period);
    return quiet;
  }

  // ---- failures ----

  /**
   * Crashes nodes: they stop processing at once; their links break. With detection (the default,
   * see `SimOptions.detectCrashes`), every node that held a link to a crashed one gets `linkLost`
   * after the detection delay. Messages already in flight from them are still delivered.
   */
  crash(nodes: number | Iterable<number>, opts: { readonly detect?: boolean } = {}): void {
    const detect = opts.detect ?? this.options.detectCrashes;
    const holders = this.scratchHolders;
    for (const i of typeof nodes === "number" ? [nodes] : nodes) {
      this.check(i);
      if (this.up[i] !== 1) continue;
      this.up[i] = 0;
      this.crashed[i] = 1;
      this.stats.crashes++;
      holders.length = 0;
      this.links.detach(i, holders);
      if (!detect) continue;
      const id = this.records[i]!.id;
      for (const h of holders) this.notifyLinkLost(h, id);
    }
  }

  /**
   * Restarts a crashed (or gone) node with the same id and a new incarnation: a fresh core, started
   * and joined through `contacts` (node indices; empty: it starts a new overlay on its own).
   */
  restart(i: number, contacts: readonly number[]): void {
    this.check(i);
    if (this.up[i] === 1) throw new SimOptionError("restart", `node ${i} is up`);
    const inc = ++this.incarnation[i]!;
    this.records[i] = this.newRecord(i, inc);
    this.cores[i] = new HyParView(this.records[i]!, this.config, this.seedRng.fork());
    this.up[i] = 1;
    this.crashed[i] = 0;
    this.stats.restarts++;
    this.start(i);
    this.join(i, contacts);
  }

  /** Node `i` leaves gracefully (DISCONNECT to its active peers), then is gone: it processes
   * nothing more, and messages to it fail as to a crashed node. */
  leave(i: number): void {
    this.check(i);
    if (this.up[i] !== 1) return;
    this.stepNode(i, LEAVE);
    this.stats.leaves++;
    this.up[i] = 0;
    // Its process exits and its connections close: whoever still holds one hears of it (usually
    // after the DISCONNECT, which says more).
    const holders = this.scratchHolders;
    holders.length = 0;
    this.links.detach(i, holders);
    const id = this.records[i]!.id;
    for (const h of holders) this.notifyLinkLost(h, id);
  }

  /**
   * Splits the network: each listed group is one side, every unlisted node is on one more side
   * together. Messages across are dropped (the sender gets `linkLost`, a JOIN's sender
   * `contactFailed`) and links across break (`linkLost` on each holding side). Replaces any
   * partition in force.
   */
  partition(groups: readonly (readonly number[])[]): void {
    this.side.fill(0);
    groups.forEach((g, k) => {
      for (const i of g) this.side[this.check(i)] = k + 1;
    });
    this.partitioned = true;
    const cut: number[] = [];
    this.links.forEach((h, t) => {
      if (this.side[h] !== this.side[t]) cut.push(h, t);
    });
    for (let k = 0; k < cut.length; k += 2) {
      const h = cut[k]!;
      const t = cut[k + 1]!;
      this.links.remove(h, t);
      this.notifyLinkLost(h, this.records[t]!.id);
    }
    // Messages in flight across the cut are lost with their connections, even if the partition
    // heals before they would have arrived.
    const q = this.queue;
    q.forEachWaiting((e) => {
      const kind = q.kind[e]!;
      if (kind !== EV_DELIVER && kind !== EV_DELIVER_LINKED && kind !== EV_DELIVER_CONTACT) return;
      if (this.side[q.node[e]!] !== this.side[q.aux[e]!]) q.cut[e] = 1;
    });
  }

  /** Ends the partition. Nothing is restored by itself: the cores re-merge the halves. */
  heal(): void {
    this.side.fill(0);
    this.partitioned = false;
  }

  /** Whether the cores' timers fire (`SimOptions.timers`, until `stopTimers`). */
  get timersRunning(): boolean {
    return this.timersOn;
  }

  /**
   * Stops every core's timers for good: armed ones are skipped, new ones are not armed. The
   * network then drains (`runUntilQuiet` ends): useful to check the state at rest after a run
   * with timers, since periodic shuffles and repairs otherwise keep messages in flight forever.
   */
  stopTimers(): void {
    this.timersOn = false;
  }

  /** Runs `action` at simulated time `time` (at once if that is not in the future). */
  at(time: number, action: (sim: Simulation) => void): void {
    this.queue.push(Math.max(time, this.now), EV_ACTION, 0, 0, 0, action, null);
  }

  // ---- running ----

  /** Network events (deliveries, failure notices) not yet processed. */
  get pendingNetworkEvents(): number {
    return this.networkPending;
  }

  /** Events waiting, timers included. */
  get pendingEvents(): number {
    return this.queue.size;
  }

  /** Processes every event due at or before `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    const q = this.queue;
    while (q.size > 0 && q.peekTime() <= time) this.processNext();
    if (time > this.now) this.now = time;
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /**
   * Processes events in order until no network event is pending (timers may remain), or until
   * `maxEvents` were processed. Returns whether the network is quiet. With timers on, a large
   * overlay is rarely quiet: prefer `runFor` there.
   */
  runUntilQuiet(maxEvents = Infinity): boolean {
    let budget = maxEvents;
    while (this.networkPending > 0 && budget-- > 0) this.processNext();
    return this.networkPending === 0;
  }

  // ---- internals ----

  private processNext(): void {
    const q = this.queue;
    const e = q.pop();
    if (e < 0) return;
    const time = q.time[e]!;
    if (time > this.now) this.now = time;
    const kind = q.kind[e]!;
    const node = q.node[e]!;
    const inc = q.inc[e]!;
    const ref = q.ref[e];
    const ref2 = q.ref2[e];
    const aux = q.aux[e]!;
    const cut = q.cut[e] === 1;
    q.release(e);
    this.stats.events++;
    if (isNetworkKind(kind)) this.networkPending--;
    switch (kind) {
      case EV_DELIVER:
      case EV_DELIVER_LINKED:
      case EV_DELIVER_CONTACT:
        this.deliver(kind, node, inc, aux, cut, ref as Message, ref2 as PeerRecord);
        return;
      case EV_LINK_LOST:
        if (this.up[node] !== 1 || this.incarnation[node] !== inc) {
          this.stats.stale++;
          return;
        }
        // A link between the two (dialled by either: one connection per pair) was made since the
        // failure, which removed every link between them: the notice is about an old one.
        if (this.linkedEitherWay(node, parseIndex(ref as string, 1))) {
          this.stats.stale++;
          return;
        }
        this.stats.linkLost++;
        this.stepNode(node, { type: "linkLost", peerId: ref as string });
        return;
      case EV_CONTACT_FAILED:
        if (this.up[node] !== 1 || this.incarnation[node] !== inc) {
          this.stats.stale++;
          return;
        }
        this.stats.contactFailed++;
        this.stepNode(node, { type: "contactFailed", address: ref as string });
        return;
      case EV_LINK_UP: {
        const peer = ref as PeerRecord;
        const t = parseIndex(peer.id, 1);
        if (this.up[node] !== 1 || this.incarnation[node] !== inc || this.records[t] !== peer || this.up[t] !== 1) {
          this.stats.stale++;
          return;
        }
        this.stats.linkUp++;
        this.stepNode(node, { type: "linkUp", peer });
        return;
      }
      case EV_LINK_CLOSED: {
        // `aux` closed its connection to `node` at `closedAt` (ref): `node` notices only if it
        // still uses a link made before that, and `aux` has not linked to it again since.
        const closedAt = ref as number;
        const made = this.links.madeTime(node, aux);
        if (this.up[node] !== 1 || this.incarnation[node] !== inc || !(made <= closedAt) || this.links.has(aux, node)) {
          this.stats.stale++;
          return;
        }
        this.stats.linkLost++;
        this.stats.closedByPeer++;
        this.stepNode(node, { type: "linkLost", peerId: this.records[aux]!.id });
        return;
      }
      case EV_TIMER:
        if (this.up[node] !== 1 || this.incarnation[node] !== inc || (!this.timersOn && aux !== 1)) {
          this.stats.stale++;
          return;
        }
        this.stats.timers++;
        this.stepNode(node, TIMER_INPUT[ref as TimerKind]);
        return;
      case EV_ACTION:
        (ref as (sim: Simulation) => void)(this);
        return;
    }
  }

  /** Hands a message to `to`, unless it went down (or restarted: `toInc` is the incarnation it was
   * sent to) or a partition came between them while it was in flight. */
  private deliver(
    kind: number,
    to: number,
    toInc: number,
    sender: number,
    cut: boolean,
    message: Message,
    from: PeerRecord,
  ): void {
    if (this.up[to] !== 1 || this.incarnation[to] !== toInc) {
      this.stats.deadTarget++;
      if (kind !== EV_DELIVER_LINKED) this.sendFailed(kind, sender, from.incarnation, to);
      return;
    }
    if (cut || (this.partitioned && this.side[to] !== this.side[sender])) {
      this.stats.partitioned++;
      if (kind !== EV_DELIVER_LINKED) this.sendFailed(kind, sender, from.incarnation, to);
      return;
    }
    this.stats.messagesDelivered++;
    this.stepNode(to, { type: "message", from, message });
  }

  /** A message from `sender` (run `senderInc`) could not reach `to`: tell the sender, if it is
   * still the same run. */
  private sendFailed(kind: number, sender: number, senderInc: number, to: number): void {
    if (this.up[sender] !== 1 || this.incarnation[sender] !== senderInc) return;
    if (kind === EV_DELIVER_CONTACT) {
      this.networkPending++;
      this.queue.push(this.now + this.options.detectionDelayMs, EV_CONTACT_FAILED, sender, senderInc, 0, ADDRESS_PREFIX + to, null);
    } else {
      this.notifyLinkLost(sender, this.records[to]!.id);
    }
  }

  /**
   * `closer`'s core dropped `t` (`disconnect`): the transport closes the pair's one connection once
   * what is queued on it is sent. If `t` still uses that connection (holds a link to `closer`,
   * e.g. after `closer` declared it failed without a DISCONNECT), it sees it end: `linkLost`.
   * A graceful DISCONNECT arrives first and makes `t` drop its link, so nothing more happens.
   */
  private closeConnection(closer: number, t: number): void {
    if (this.up[t] !== 1 || (this.partitioned && this.side[t] !== this.side[closer])) return;
    const o = this.options;
    let at = this.now + o.latencyMax;
    if (o.latencyMax !== o.latencyMin && o.fifo) at = this.fifoTime(closer, t, at);
    this.networkPending++;
    this.queue.push(at, EV_LINK_CLOSED, t, this.incarnation[t]!, closer, this.now, null);
  }

  /**
   * `dialler` reached node `t` holding an older record of it (t restarted since): the handshake
   * names the running incarnation, which the transport reports as `linkUp` one latency later.
   * One per dialler, peer and instant (a connect and its message are one dial).
   */
  private handshake(dialler: number, t: number): void {
    const at = this.now + this.options.latencyMin;
    if (this.lastHandshakeFrom === dialler && this.lastHandshakeTo === t && this.lastHandshakeAt === at) return;
    this.lastHandshakeFrom = dialler;
    this.lastHandshakeTo = t;
    this.lastHandshakeAt = at;
    this.networkPending++;
    this.queue.push(at, EV_LINK_UP, dialler, this.incarnation[dialler]!, 0, this.records[t]!, null);
  }

  /** `holder` will learn, after the detection delay, that its link (or exchange) with `peerId`
   * failed. One notice per holder, peer and instant: a failed connect and the message sent with
   * it in the same step are one failure. */
  private notifyLinkLost(holder: number, peerId: string): void {
    if (this.up[holder] !== 1) return;
    const at = this.now + this.options.detectionDelayMs;
    if (this.lastNoticeHolder === holder && this.lastNoticePeer === peerId && this.lastNoticeAt === at) return;
    this.lastNoticeHolder = holder;
    this.lastNoticePeer = peerId;
    this.lastNoticeAt = at;
    this.networkPending++;
    this.queue.push(at, EV_LINK_LOST, holder, this.incarnation[holder]!, 0, peerId, null);
  }

  private stepNode(i: number, input: Input): void {
    const effects = this.cores[i]!.step(input, this.now);
    if (effects.length > 0) this.apply(i, effects);
  }

  /** Turns one step's effects into events, before the core is stepped again (the array is reused). */
  private apply(i: number, effects: readonly Effect[]): void {
    const stats = this.stats;
    for (let k = 0; k < effects.length; k++) {
      const e = effects[k]!;
      switch (e.type) {
        case "send": {
          const t = parseIndex(e.to.id, 1);
          this.transmit(EV_DELIVER, i, t, e.message);
          if (e.to.incarnation !== this.incarnation[t] && this.up[t] === 1) this.handshake(i, t);
          break;
        }
        case "sendToContact": {
          const t = this.addressIndex(e.address);
          if (t < 0 || t === i) {
            stats.messagesSent++;
            this.networkPending++;
            // Nobody at that address (or it is ourselves): refused after the detection delay.
            this.queue.push(this.now + this.options.detectionDelayMs, EV_CONTACT_FAILED, i, this.incarnation[i]!, 0, e.address, null);
          } else {
            this.transmit(EV_DELIVER_CONTACT, i, t, e.message);
          }
          break;
        }
        case "connect": {
          const t = parseIndex(e.peer.id, 1);
          if (this.up[t] === 1 && (!this.partitioned || this.side[t] === this.side[i])) {
            this.links.add(i, t, this.now);
            if (e.peer.incarnation !== this.incarnation[t]) this.handshake(i, t);
          } else {
            // Nothing answers the dial (down, or across a partition): the dialler finds out, whether
            // or not crashes of linked peers are detected.
            this.notifyLinkLost(i, e.peer.id);
          }
          break;
        }
        case "disconnect": {
          const t = parseIndex(e.peerId, 1);
          this.links.remove(i, t);
          this.closeConnection(i, t);
          break;
        }
        case "peerUp":
          stats.peerUp++;
          this.hooks?.peerUp?.(i, e.peer, this.now);
          break;
        case "peerDown":
          stats.peerDown++;
          this.hooks?.peerDown?.(i, e.peer, e.reason, this.now);
          break;
        case "passiveChanged":
          stats.passiveChanged++;
          break;
        case "schedule":
          if (this.timersOn) {
            this.queue.push(this.now + e.delayMs, EV_TIMER, i, this.incarnation[i]!, 0, e.timer, null);
          }
          break;
        case "dropped":
          stats.coreDropped[e.reason]++;
          break;
      }
    }
  }

  /**
   * Puts `message` from `from` to `to` on the wire: lost, failed at once (the target is down or
   * across a partition: nothing can connect), or delivered after a latency.
   */
  private transmit(kind: number, from: number, to: number, message: Message): void {
    const stats = this.stats;
    stats.messagesSent++;
    stats.sentByKind[message.kind]++;
    const o = this.options;
    if (o.loss > 0 && this.netRng.next() < o.loss) {
      stats.lost++;
      return;
    }
    if (this.up[to] !== 1 || (this.partitioned && this.side[to] !== this.side[from])) {
      if (this.up[to] !== 1) stats.deadTarget++;
      else stats.partitioned++;
      this.sendFailed(kind, from, this.incarnation[from]!, to);
      return;
    }
    if (kind === EV_DELIVER && this.links.has(from, to)) kind = EV_DELIVER_LINKED;
    let at = this.now + o.latencyMin;
    if (o.latencyMax !== o.latencyMin) {
      at += this.netRng.next() * (o.latencyMax - o.latencyMin);
      if (o.fifo) at = this.fifoTime(from, to, at);
    }
    this.networkPending++;
    this.queue.push(at, kind, to, this.incarnation[to]!, from, message, this.records[from]!);
  }

  private linkedEitherWay(a: number, b: number): boolean {
    return this.links.has(a, b) || this.links.has(b, a);
  }

  /** Delivery time of a message from `from` to `to` due at `at`, not before the previous one on
   * that pair (equal times keep push order). */
  private fifoTime(from: number, to: number, at: number): number {
    return this.pairClock.next(from, to, at, this.now);
  }

  private addressIndex(address: string): number {
    if (!address.startsWith(ADDRESS_PREFIX)) return -1;
    const i = parseIndex(address, ADDRESS_PREFIX.length);
    return i >= 0 && i < this.n ? i : -1;
  }

  private newRecord(i: number, incarnation: number): PeerRecord {
    return Object.freeze({ id: `n${i}`, address: ADDRESS_PREFIX + i, incarnation, metadata: NO_METADATA });
  }

  private check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.n) throw new RangeError(`no node ${i} (size ${this.n})`);
    return i;
  }

  private growNodes(c: number): void {
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(c);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(c);
      b.set(a);
      return b;
    };
    this.up = u8(this.up);
    this.crashed = u8(this.crashed);
    this.incarnation = i32(this.incarnation);
    this.side = i32(this.side);
  }
}

/** The decimal number in `s` from `start` to the end, or -1 if it is not one. */
function parseIndex(s: string, start: number): number {
  if (start >= s.length) return -1;
  let n = 0;
  for (let k = start; k < s.length; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function range(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i);
  return out;
}
