/**
 * A simulation split between two threads, each running the events of its own half of the nodes:
 * conservative parallel discrete-event simulation with the fixed latency as lookahead. A message
 * sent at time t arrives at t + L, so within a window of L ms no event at one thread can cause an
 * event at the other: each thread runs its window alone, then the two swap the messages sent
 * across (src/sim/channel.ts, src/sim/wire.ts), which are due in a later window.
 *
 * The result is the same as in one thread: events at a node run in (time, key) order, and the key
 * (src/sim/events.ts) comes from the sending node's own count, which does not depend on the split.
 * Nothing else is shared: with a fixed latency, no loss and the cores' timers off, no draw of the
 * network's random generator happens while the events run.
 *
 * What may cross is a message. A link change, a failure notice or a close notice for the other
 * thread's node throws (Engine.mustOwn / notSplit): their handling reads the other node's links
 * at the same instant, which a window cannot provide. The paper's membership cycles (shuffles
 * only, no failures) need none of them.
 *
 * Which thread runs which node is src/sim/bisection.ts's choice: equal expected work, and few
 * active-view links between the two sides, since every hop across is a message that crosses.
 */
import type { HyParView, Message } from "../protocol/index.js";
import type { Channel } from "./channel.js";
import type { Engine, Remote } from "./engine.js";
import { snapshotStats, type SimStats } from "./options.js";
import { NumberBuffer, readMessage, writeMessage } from "./wire.js";

/** Cores made sendable to the other thread (see `Partition.merge`): the data, and the buffers in
 * it that move to the other thread rather than being copied (this side no longer uses them). */
export interface Mirrored {
  readonly data: unknown;
  readonly transfer: readonly ArrayBuffer[];
}

/** What each side posts after a window. */
interface WindowPost {
  /** Events sent to the other side, as numbers (see `send`). */
  readonly events: Float64Array;
  readonly count: number;
  /** Network events still waiting on this side. */
  readonly pending: number;
  /** This side's clock. */
  readonly now: number;
}

/** What each side posts in each round of `merge`: a piece of its nodes' cores (in the form `mirror`
 * makes), and in the first round its share of the statistics and the event counts of its nodes. */
interface PiecePost {
  readonly cores: unknown;
  readonly stats?: SimStats;
  readonly scheduled?: Float64Array;
}

export class Partition implements Remote {
  private readonly out = new NumberBuffer();
  private sentCount = 0;
  private readonly end = { at: 0 };
  private readonly statsAtSplit: SimStats;
  /** This side's nodes and the other side's, in node order. */
  private readonly mine: number[] = [];
  private readonly theirs: number[] = [];

  constructor(
    private readonly engine: Engine,
    /** The side (0 or 1) of every node. */
    private readonly sides: Uint8Array,
    /** This side. */
    private readonly side: 0 | 1,
    private readonly channel: Channel,
  ) {
    const o = engine.options;
    if (o.latencyMin !== o.latencyMax || !(o.latencyMin > 0)) throw new Error("split simulation: needs a fixed latency above 0 (the lookahead)");
    if (o.loss > 0) throw new Error("split simulation: needs no message loss");
    if (engine.timersOn) throw new Error("split simulation: needs the cores' own timers off (cycles driven from outside)");
    if (engine.partitioned) throw new Error("split simulation: not with a network partition");
    if (sides.length !== engine.n) throw new Error(`split simulation: sides for ${sides.length} nodes, not ${engine.n}`);
    for (let i = 0; i < sides.length; i++) {
      if (sides[i] === side) this.mine.push(i);
      else if (sides[i] === 1 - side) this.theirs.push(i);
      else throw new Error(`split simulation: node ${i} on side ${sides[i]}`);
    }
    this.statsAtSplit = snapshotStats(engine.stats);
  }

  owns(i: number): boolean {
    return this.sides[i] === this.side;
  }

  /** A delivery for the other side's node: written out, sent after the window. */
  send(at: number, key: number, kind: number, to: number, toInc: number, from: number, message: Message): void {
    const o = this.out;
    o.reserve(6);
    o.push(at);
    o.push(key);
    o.push(kind);
    o.push(to);
    o.push(toInc);
    o.push(from);
    writeMessage(o, message);
    this.sentCount++;
  }

  /**
   * Runs windows of one latency each from `start` until every event due by `until` has run and
   * the network is quiet on both sides; then both clocks show the later of the two. The other
   * side must call this with the same arguments.
   */
  runUntilQuiet(start: number, until: number): void {
    const e = this.engine;
    const w = e.options.latencyMin;
    // `end` grows by adding w, as delivery times do (now + w): a message sent at t >= the window's
    // start is then due at or after its end, rounding included.
    for (let end = start + w; ; end += w) {
      e.runBefore(end);
      const events = this.out.data.slice(0, this.out.length);
      const mine: WindowPost = { events, count: this.sentCount, pending: e.networkPending, now: e.now };
      const theirs = this.channel.swap<WindowPost>(mine, [events.buffer]);
      this.out.length = 0;
      this.sentCount = 0;
      this.receive(theirs, end);
      if (end > until && mine.count + mine.pending + theirs.count + theirs.pending === 0) {
        if (theirs.now > e.now) e.now = theirs.now;
        return;
      }
    }
  }

  /**
   * Ends the split: each side sends the other its nodes' cores (`mirror` makes them sendable,
   * `revive` makes them cores again, given the cores this side holds for those nodes: as they
   * were when the split began, never run since), its share of the statistics and its nodes' event
   * counts. Afterwards both sides hold the whole simulation, as one thread would.
   *
   * The cores go in rounds of at most `piece` a side, in node order: a round's cores are written,
   * swapped and read before the next round's are written, so `mirror` may write every round into
   * the same two buffers in turn (the other side has read round r before it posts round r + 1).
   * Both sides must give the same `piece`.
   */
  merge(mirror: (cores: HyParView[], round: number) => Mirrored, revive: (x: unknown, stale: HyParView[]) => HyParView[], piece = Infinity): void {
    const e = this.engine;
    // Both sides list the nodes in node order: this side's `theirs` is the other's `mine`.
    const mine = this.mine;
    const other = this.theirs;
    const most = Math.max(mine.length, other.length, 1);
    const size = Math.min(Math.floor(piece), most);
    const rounds = Math.ceil(most / size);
    for (let r = 0; r < rounds; r++) {
      const from = r * size;
      const mirrored = mirror(mine.slice(from, from + size).map((i) => e.cores[i]!), r);
      const post: PiecePost =
        r === 0
          ? { cores: mirrored.data, stats: subtract(snapshotStats(e.stats), this.statsAtSplit), scheduled: e.scheduledCounts(mine) }
          : { cores: mirrored.data };
      const theirs = this.channel.swap<PiecePost>(post, mirrored.transfer);
      const nodes = other.slice(from, from + size);
      const cores = revive(theirs.cores, nodes.map((i) => e.cores[i]!));
      if (cores.length !== nodes.length) throw new Error(`split simulation: got ${cores.length} cores from the other side in round ${r}, not ${nodes.length}`);
      for (let k = 0; k < cores.length; k++) e.cores[nodes[k]!] = cores[k]!;
      if (r === 0) {
        e.setScheduledCounts(other, theirs.scheduled!);
        add(e.stats, theirs.stats!);
      }
    }
  }

  private receive(p: WindowPost, end: number): void {
    const d = p.events;
    const e = this.engine;
    const records = e.records;
    let at = 0;
    for (let k = 0; k < p.count; k++) {
      const time = d[at]!;
      if (time < end) throw new Error(`split simulation: an event due at ${time} arrived after its window (ended ${end})`);
      const key = d[at + 1]!;
      const kind = d[at + 2]!;
      const to = d[at + 3]!;
      const toInc = d[at + 4]!;
      const from = d[at + 5]!;
      if (!this.owns(to)) throw new Error(`split simulation: got an event for node ${to}, not on this side`);
      const message = readMessage(d, at + 6, records, this.end);
      at = this.end.at;
      e.pushRemoteDelivery(time, key, kind, to, toInc, from, message);
    }
  }
}

/** `a -= b`, field by field (numbers, and objects of numbers). */
function subtract<T>(a: T, b: T): T {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k of Object.keys(x)) {
    if (typeof x[k] === "number") x[k] = (x[k] as number) - (y[k] as number);
    else subtract(x[k], y[k]);
  }
  return a;
}

/** `a += b`, field by field. */
function add<T>(a: T, b: T): void {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k of Object.keys(x)) {
    if (typeof x[k] === "number") x[k] = (x[k] as number) + (y[k] as number);
    else add(x[k], y[k]);
  }
}
