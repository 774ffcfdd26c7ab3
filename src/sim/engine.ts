/**
 * The simulator's engine: node state, the event queue and the simulated links, and the hot loop
 * that runs the events. What a step's effects do on the network (deliveries after a latency,
 * timers, failure notices) is its base class, src/sim/network.ts; `Simulation` is the
 * experiment-facing API over it.
 *
 * Network model (see also src/sim/index.ts): one connection per pair of nodes, FIFO, carrying the
 * long-lived links the cores ask for (`connect` / `disconnect`) and short-lived exchanges. A send to
 * a node that is down or across a partition fails at once; a failure reaches the sender as
 * `linkLost` (`contactFailed` for a JOIN) after the detection delay. A crash or a partition breaks
 * links, and only their holders learn it. Notices about a connection that was replaced since are
 * stale and dropped, as a real transport keyed by peer id would.
 */
import {
  HyParView,
  resolveConfig,
  SeededRng,
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
  EV_LINK_CLOSED,
  EV_LINK_LOST,
  EV_LINK_UP,
  EV_TIMER,
  EventQueue,
  isNetworkKind,
} from "./events.js";
import { LinkTable } from "./links.js";
import { Network } from "./network.js";
import { parseIndex, peerIndex, simRecord } from "./records.js";
import { ReadAhead } from "./read-ahead.js";
import { grown } from "./typed.js";
import { newStats, resolveSimOptions, type ResolvedSimOptions, type SimHooks, type SimOptions, type SimStats } from "./options.js";

/** Timer inputs are constant: shared, never allocated per event. */
export const TIMER_INPUT: Record<TimerKind, Input> = {
  shuffle: Object.freeze({ type: "timer", timer: "shuffle" }),
  maintenance: Object.freeze({ type: "timer", timer: "maintenance" }),
  join: Object.freeze({ type: "timer", timer: "join" }),
};

/** Where a split engine sends the events of the other thread's nodes (src/sim/partition.ts). */
export interface Remote {
  /** Whether node `i` is this thread's. */
  owns(i: number): boolean;
  send(at: number, key: number, kind: number, to: number, toInc: number, from: number, message: Message): void;
}

export class Engine extends Network {
  readonly options: ResolvedSimOptions;
  readonly config: ProtocolConfig;
  readonly stats: SimStats = newStats();
  /** Simulated time, ms. */
  now = 0;
  /** Passed to scripted actions (the `Simulation`). */
  owner: unknown = null;

  readonly queue = new EventQueue(4096);
  readonly links: LinkTable;
  /** Latency, loss and cycle-spread draws. */
  readonly netRng: SeededRng;
  /** One fork per node run: each core gets its own stream. */
  private readonly seedRng: SeededRng;
  readonly hooks: SimHooks | undefined;
  cores: HyParView[] = [];
  records: PeerRecord[] = [];
  /** 1 while the node processes events. */
  up = new Uint8Array(16);
  /** 1 after a crash (0 when gone after leaving, or up). */
  crashed = new Uint8Array(16);
  incarnation = new Int32Array(16);
  /** Partition side; 0 for everyone when there is no partition. */
  side = new Int32Array(16);
  partitioned = false;
  /** Nodes created. */
  n = 0;
  /** Set while the nodes are split between threads: where events for the other thread's nodes go. */
  remote: Remote | null = null;
  /** Per origin (0: outside any node's step; i + 1: node i), the events it has scheduled: with the
   * origin, the key that orders simultaneous events, the same however the nodes are split. */
  private scheduled = new Float64Array(17);
  /** The origin of the events scheduled now. */
  private origin = 0;
  timersOn: boolean;
  /** Network events (deliveries, failure notices) waiting; timers and actions are not counted. */
  networkPending = 0;
  private readonly scratchHolders: number[] = [];
  /** Events taken off the queue together (see `run`). */
  private readonly batch: Int32Array;
  private readonly readAhead: ReadAhead;
  /** The input of every delivery, refilled each time rather than allocated per message: a core
   * reads its input during `step` and keeps nothing of it but the record and message inside. */
  private readonly delivery: { type: "message"; from: PeerRecord; message: Message } = {
    type: "message",
    from: { id: "", address: "", incarnation: 0, metadata: {} },
    message: { kind: "disconnect", leaving: false },
  };

  constructor(options: SimOptions) {
    super();
    this.options = resolveSimOptions(options);
    this.timersOn = this.options.timers;
    this.config = resolveConfig(options.protocol ?? {});
    this.hooks = options.hooks;
    this.netRng = new SeededRng(this.options.seed);
    this.seedRng = new SeededRng(this.options.seed).fork();
    this.links = new LinkTable(options.nodes ?? 0);
    this.batch = new Int32Array(this.options.batch);
    this.readAhead = new ReadAhead(this.options.batch, this.config.prwl);
  }

  /** Creates a node (not started) and returns its index. */
  addNode(): number {
    const i = this.n++;
    if (i >= this.up.length) this.growNodes(this.up.length * 2);
    this.links.ensureNodes(this.n);
    this.incarnation[i] = 1;
    this.records.push(simRecord(i, 1));
    this.cores.push(new HyParView(this.records[i]!, this.config, this.seedRng.fork()));
    this.up[i] = 1;
    return i;
  }

  /** Node `i` runs again: same id, next incarnation, a fresh core (not started). */
  rerun(i: number): void {
    const inc = ++this.incarnation[i]!;
    this.records[i] = simRecord(i, inc);
    this.cores[i] = new HyParView(this.records[i]!, this.config, this.seedRng.fork());
    this.up[i] = 1;
    this.crashed[i] = 0;
  }

  /** Node `i` stops: its links break, and (if `notify`) their holders hear of it. */
  stop(i: number, crashed: boolean, notify: boolean): void {
    this.up[i] = 0;
    if (crashed) this.crashed[i] = 1;
    const holders = this.scratchHolders;
    holders.length = 0;
    this.links.detach(i, holders);
    if (!notify) return;
    const id = this.records[i]!.id;
    for (const h of holders) this.notifyLinkLost(h, id);
  }

  /**
   * A new partition (sides already written to `side`): links across break, both holders hear of
   * it, and messages in flight across are lost with their connections, even if it heals first.
   */
  cut(): void {
    this.partitioned = true;
    const side = this.side;
    const cut: number[] = [];
    this.links.forEach((h, t) => {
      if (side[h] !== side[t]) cut.push(h, t);
    });
    for (let k = 0; k < cut.length; k += 2) {
      const h = cut[k]!;
      const t = cut[k + 1]!;
      this.links.remove(h, t);
      this.notifyLinkLost(h, this.records[t]!.id);
    }
    const q = this.queue;
    q.forEachWaiting((e) => {
      const kind = q.kind[e]!;
      if (kind !== EV_DELIVER && kind !== EV_DELIVER_LINKED && kind !== EV_DELIVER_CONTACT) return;
      if (side[q.node[e]!] !== side[q.aux[e]!]) q.cut[e] = 1;
    });
  }

  /** A timer driven from outside (cycles): it fires even with the cores' own timers off. */
  pushDrivenTimer(at: number, i: number, timer: TimerKind): void {
    this.queue.pushKeyed(at, this.nextKey(), EV_TIMER, i, this.incarnation[i]!, 1, timer, null);
  }

  pushAction(at: number, action: (owner: never) => void): void {
    this.queue.pushKeyed(at, this.nextKey(), EV_ACTION, 0, 0, 0, action, null);
  }

  /** Processes every event due at or before `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    this.run(time, true, Infinity, false);
    if (time > this.now) this.now = time;
  }

  /** Processes events until no network event is pending or `maxEvents` were processed. */
  runUntilQuiet(maxEvents: number): boolean {
    this.run(Infinity, true, maxEvents, true);
    return this.networkPending === 0;
  }

  /** Processes every event due before `time` (not at it); the clock stays at the last event's. */
  runBefore(time: number): void {
    this.run(time, false, Infinity, false);
  }

  /**
   * Processes events in order while the next one is due before `time` (at or before it if
   * `inclusive`), at most `budget` of them, and if `quiet` only while network events are pending.
   *
   * Events are taken off the queue a batch at a time, and what their steps read first is read
   * ahead across the batch (src/sim/read-ahead.ts): at 100,000 nodes each core is a cache miss,
   * and fetched side by side they cost less than one after another. The order stays the queue's:
   * a batch spans less than the least latency, and an event that the batch's own events schedule
   * before its remaining ones all the same (a failure notice with a shorter detection delay) puts
   * the rest back, as does stopping early.
   */
  private run(time: number, inclusive: boolean, budget: number, quiet: boolean): void {
    const q = this.queue;
    const batch = this.batch;
    // A batch spans less than the least latency: what its events send is due after it. (Other
    // delays may be shorter: then the check below puts the rest back.)
    const span = this.options.latencyMin;
    let left = budget;
    while (left > 0 && !(quiet && this.networkPending === 0)) {
      let m = 0;
      let first = Infinity;
      while (m < batch.length && m < left && q.size > 0) {
        const t = q.peekTime();
        if (inclusive ? t > time : t >= time) break;
        if (m === 0) first = t;
        else if (t >= first + span) break;
        const e = q.pop();
        batch[m++] = e;
        // An action may run anything on the simulation: it runs on its own, with the queue whole.
        if (q.kind[e] === EV_ACTION) {
          if (m > 1) {
            q.putBack(batch, m - 1, m);
            m--;
          }
          break;
        }
      }
      if (m === 0) return;
      if (m > 1) this.readAhead.run(q, batch, m, this.cores);
      for (let k = 0; k < m; k++) {
        this.process(batch[k]!);
        left--;
        if (k + 1 < m && ((quiet && this.networkPending === 0) || q.headBefore(batch[k + 1]!))) {
          q.putBack(batch, k + 1, m);
          break;
        }
      }
    }
  }

  /** Applies popped event `e`, then releases it. */
  private process(e: number): void {
    const q = this.queue;
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
    this.origin = kind === EV_ACTION ? 0 : node + 1;
    this.dispatch(kind, node, inc, aux, cut, ref, ref2);
    this.origin = 0;
  }

  private dispatch(kind: number, node: number, inc: number, aux: number, cut: boolean, ref: unknown, ref2: unknown): void {
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
        this.step(node, { type: "linkLost", peerId: ref as string });
        return;
      case EV_CONTACT_FAILED:
        if (this.up[node] !== 1 || this.incarnation[node] !== inc) {
          this.stats.stale++;
          return;
        }
        this.stats.contactFailed++;
        this.step(node, { type: "contactFailed", address: ref as string });
        return;
      case EV_LINK_UP: {
        const peer = ref as PeerRecord;
        const t = peerIndex(peer);
        if (this.up[node] !== 1 || this.incarnation[node] !== inc || this.records[t] !== peer || this.up[t] !== 1) {
          this.stats.stale++;
          return;
        }
        this.stats.linkUp++;
        this.step(node, { type: "linkUp", peer });
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
        this.step(node, { type: "linkLost", peerId: this.records[aux]!.id });
        return;
      }
      case EV_TIMER:
        if (this.up[node] !== 1 || this.incarnation[node] !== inc || (!this.timersOn && aux !== 1)) {
          this.stats.stale++;
          return;
        }
        this.stats.timers++;
        this.step(node, TIMER_INPUT[ref as TimerKind]);
        return;
      case EV_ACTION:
        (ref as (owner: unknown) => void)(this.owner);
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
    const input = this.delivery;
    input.from = from;
    input.message = message;
    this.step(to, input);
  }

  /** Applies `input` to node `i`'s core now, and its effects. */
  step(i: number, input: Input): void {
    const outer = this.origin;
    this.origin = i + 1;
    const effects = this.cores[i]!.step(input, this.now);
    if (effects.length > 0) this.applyEffects(i, effects);
    this.origin = outer;
  }

  /** The key of the next event scheduled (see `scheduled`). */
  nextKey(): number {
    const o = this.origin;
    return o * 4294967296 + this.scheduled[o]!++;
  }

  /** The event counts of `nodes` (see `scheduled`), in their order, to hand to the other thread. */
  scheduledCounts(nodes: readonly number[]): Float64Array {
    const counts = new Float64Array(nodes.length);
    for (let k = 0; k < nodes.length; k++) counts[k] = this.scheduled[nodes[k]! + 1]!;
    return counts;
  }

  /** Sets the event counts of `nodes`, as `scheduledCounts` gave them. */
  setScheduledCounts(nodes: readonly number[], counts: Float64Array): void {
    if (counts.length !== nodes.length) throw new Error(`split simulation: ${counts.length} event counts for ${nodes.length} nodes`);
    for (let k = 0; k < nodes.length; k++) this.scheduled[nodes[k]! + 1] = counts[k]!;
  }

  /** Schedules a delivery the other thread sent: `key` was made there, by the sender's origin. */
  pushRemoteDelivery(at: number, key: number, kind: number, to: number, toInc: number, from: number, message: Message): void {
    this.networkPending++;
    this.queue.pushKeyed(at, key, kind, to, toInc, from, message, this.records[from]!);
  }

  /** Throws while split: the links table is one per thread, and a change on one would be missing
   * on the other. The paper's cycles (shuffles only) change no link. */
  notSplit(what: string): void {
    if (this.remote !== null) throw new Error(`split simulation: ${what} is not supported while the nodes are split between threads`);
  }

  /** Throws if node `i` is on the other thread: `what` cannot cross (see src/sim/partition.ts). */
  mustOwn(i: number, what: string): void {
    const r = this.remote;
    if (r !== null && !r.owns(i)) throw new Error(`split simulation: ${what} for node ${i}, on the other thread, is not supported`);
  }

  private linkedEitherWay(a: number, b: number): boolean {
    return this.links.has(a, b) || this.links.has(b, a);
  }

  private growNodes(c: number): void {
    this.up = grown(this.up, c);
    this.crashed = grown(this.crashed, c);
    this.incarnation = grown(this.incarnation, c);
    this.scheduled = grown(this.scheduled, c + 1);
    this.side = grown(this.side, c);
  }
}
