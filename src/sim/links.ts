/**
 * The simulated links: which node holds a long-lived link to which (from the core's `connect`
 * until its `disconnect`). A crash or a partition breaks links, and only the nodes holding one
 * learn of it (linkLost), as with a real connection acting as the failure detector (§4.1).
 *
 * Each link is a pooled record on two intrusive singly linked lists: the holder's outgoing list and
 * the target's incoming list. A node holds about one link per active-view slot, so lists are short
 * and memory grows with the number of links, not with the number of nodes squared.
 *
 * Every node given to the constructor owns a block of `homeSlots` records, used first for the
 * links it holds; only links beyond those come from the shared pool. `has`, asked for nearly every
 * message, then walks records that sit in one cache line, instead of one random line per record
 * of a pool that a long run has shuffled.
 */
import { grown } from "./typed.js";
export class LinkTable {
  private outHead: Int32Array;
  private inHead: Int32Array;
  private holder: Int32Array;
  private target: Int32Array;
  /** Next record on the holder's list; doubles as the free list. */
  private nextOut: Int32Array;
  private nextIn: Int32Array;
  /** When each link was made (simulated ms). */
  private madeAt: Float64Array;
  /** Free list of the shared pool (records from `homeNodes * homeSlots` on). */
  private freeHead = -1;
  private used = 0;
  private capacity = 0;
  private nodes = 0;
  /** Nodes that own a block of records, and its size. */
  private readonly homeNodes: number;
  /** Bit j set: record `h * homeSlots + j` of node h's block is free (its target is then -1). */
  private readonly homeFree: Uint8Array;
  /** Per node with a block: how many records of the shared pool it holds links in. */
  private readonly pooled: Int32Array;

  constructor(
    nodes = 0,
    private readonly homeSlots = 8,
  ) {
    if (!(homeSlots >= 0 && homeSlots <= 8)) throw new RangeError(`homeSlots must be 0..8, got ${homeSlots}`);
    this.outHead = new Int32Array(0);
    this.inHead = new Int32Array(0);
    this.holder = new Int32Array(0);
    this.target = new Int32Array(0);
    this.nextOut = new Int32Array(0);
    this.nextIn = new Int32Array(0);
    this.madeAt = new Float64Array(0);
    this.ensureNodes(nodes);
    this.homeNodes = nodes;
    this.homeFree = new Uint8Array(nodes).fill((1 << homeSlots) - 1);
    this.pooled = new Int32Array(nodes);
    this.growRecords(nodes * homeSlots + Math.max(64, nodes));
    this.target.fill(-1, 0, nodes * homeSlots);
  }

  /** Links currently held. */
  get count(): number {
    return this.used;
  }

  /** Makes room for node indices below `n`. */
  ensureNodes(n: number): void {
    if (n <= this.nodes) return;
    let c = Math.max(16, this.outHead.length);
    while (c < n) c *= 2;
    if (c > this.outHead.length) {
      const o = new Int32Array(c).fill(-1);
      o.set(this.outHead);
      const i = new Int32Array(c).fill(-1);
      i.set(this.inHead);
      this.outHead = o;
      this.inHead = i;
    }
    this.nodes = n;
  }

  /** Whether `h` holds a link to `t`. */
  has(h: number, t: number): boolean {
    return this.find(h, t) >= 0;
  }

  /** When the link `h` holds to `t` was made, or NaN if it holds none. */
  madeTime(h: number, t: number): number {
    const r = this.find(h, t);
    return r < 0 ? NaN : this.madeAt[r]!;
  }

  /** The record of the link `h` holds to `t`, or -1. Looks in `h`'s block first: one cache line,
   * where a walk of its list would read the list head and each record's next pointer as well.
   * Asked for nearly every message (`has`), and for every connection close (`madeTime`), most of
   * which find no link. */
  private find(h: number, t: number): number {
    const target = this.target;
    if (h < this.homeNodes) {
      const base = h * this.homeSlots;
      for (let r = base; r < base + this.homeSlots; r++) if (target[r] === t) return r;
      if (this.pooled[h] === 0) return -1;
    }
    for (let r = this.outHead[h]!; r >= 0; r = this.nextOut[r]!) if (target[r] === t) return r;
    return -1;
  }

  /** `h` holds a link to `t`, made at `time` (idempotent: an existing link keeps its time). */
  add(h: number, t: number, time = 0): void {
    if (this.has(h, t)) return;
    const r = this.allocate(h);
    this.holder[r] = h;
    this.target[r] = t;
    this.madeAt[r] = time;
    this.nextOut[r] = this.outHead[h]!;
    this.outHead[h] = r;
    this.nextIn[r] = this.inHead[t]!;
    this.inHead[t] = r;
    this.used++;
  }

  /** `h` no longer holds a link to `t`; returns whether it did. */
  remove(h: number, t: number): boolean {
    let prev = -1;
    let r = this.outHead[h]!;
    while (r >= 0 && this.target[r] !== t) {
      prev = r;
      r = this.nextOut[r]!;
    }
    if (r < 0) return false;
    if (prev < 0) this.outHead[h] = this.nextOut[r]!;
    else this.nextOut[prev] = this.nextOut[r]!;
    this.unlinkIn(t, r);
    this.free(r);
    return true;
  }

  /**
   * Breaks every link that `x` holds or that is held to `x` (a crash). Pushes onto `holders` each
   * other node that held a link to `x`: those are the ones that notice.
   */
  detach(x: number, holders: number[]): void {
    // Links others hold to x.
    let r = this.inHead[x]!;
    while (r >= 0) {
      const next = this.nextIn[r]!;
      const h = this.holder[r]!;
      this.unlinkOut(h, r);
      if (h !== x) holders.push(h);
      this.free(r);
      r = next;
    }
    this.inHead[x] = -1;
    // Links x holds.
    r = this.outHead[x]!;
    while (r >= 0) {
      const next = this.nextOut[r]!;
      this.unlinkIn(this.target[r]!, r);
      this.free(r);
      r = next;
    }
    this.outHead[x] = -1;
  }

  /** Calls `f(holder, target)` for every link (scripted events only: partitions). */
  forEach(f: (holder: number, target: number) => void): void {
    for (let h = 0; h < this.nodes; h++) {
      for (let r = this.outHead[h]!; r >= 0; r = this.nextOut[r]!) f(h, this.target[r]!);
    }
  }

  /** Targets of the links `h` holds (tests, diagnostics). */
  targetsOf(h: number): number[] {
    const out: number[] = [];
    for (let r = this.outHead[h]!; r >= 0; r = this.nextOut[r]!) out.push(this.target[r]!);
    return out;
  }

  private unlinkOut(h: number, r: number): void {
    let prev = -1;
    let c = this.outHead[h]!;
    while (c >= 0 && c !== r) {
      prev = c;
      c = this.nextOut[c]!;
    }
    if (c < 0) return;
    if (prev < 0) this.outHead[h] = this.nextOut[r]!;
    else this.nextOut[prev] = this.nextOut[r]!;
  }

  private unlinkIn(t: number, r: number): void {
    let prev = -1;
    let c = this.inHead[t]!;
    while (c >= 0 && c !== r) {
      prev = c;
      c = this.nextIn[c]!;
    }
    if (c < 0) return;
    if (prev < 0) this.inHead[t] = this.nextIn[r]!;
    else this.nextIn[prev] = this.nextIn[r]!;
  }

  /** A free record for a link held by `h`: from its own block if it has room, else the pool. */
  private allocate(h: number): number {
    if (h < this.homeNodes) {
      const bits = this.homeFree[h]!;
      if (bits !== 0) {
        const j = 31 - Math.clz32(bits & -bits);
        this.homeFree[h] = bits & (bits - 1);
        return h * this.homeSlots + j;
      }
    }
    if (this.freeHead < 0) this.growRecords(this.capacity * 2);
    const r = this.freeHead;
    this.freeHead = this.nextOut[r]!;
    if (h < this.homeNodes) this.pooled[h] = this.pooled[h]! + 1;
    return r;
  }

  private free(r: number): void {
    const home = this.homeNodes * this.homeSlots;
    if (r < home) {
      const h = (r / this.homeSlots) | 0;
      this.homeFree[h] = this.homeFree[h]! | (1 << (r - h * this.homeSlots));
      this.target[r] = -1;
    } else {
      const h = this.holder[r]!;
      if (h < this.homeNodes) this.pooled[h] = this.pooled[h]! - 1;
      this.nextOut[r] = this.freeHead;
      this.freeHead = r;
    }
    this.used--;
  }

  /** Grows the records to `c`; the new ones join the shared pool. */
  private growRecords(c: number): void {
    const old = this.capacity;
    this.holder = grown(this.holder, c);
    this.target = grown(this.target, c);
    this.nextOut = grown(this.nextOut, c);
    this.nextIn = grown(this.nextIn, c);
    this.madeAt = grown(this.madeAt, c);
    for (let r = c - 1; r >= Math.max(old, this.homeNodes * this.homeSlots); r--) {
      this.nextOut[r] = this.freeHead;
      this.freeHead = r;
    }
    this.capacity = c;
  }
}
