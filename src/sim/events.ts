/**
 * The simulator's event queue: events ordered by (time, sequence), stored as pooled records in
 * parallel typed arrays so that scheduling a message allocates nothing.
 *
 * Two structures share the pool. Most events are pushed in time order (every message with a fixed
 * latency is due at now + L, and now never goes back), so they go to a FIFO ring: O(1) both ways.
 * An event due earlier than the ring's last one (a timer, a uniformly random latency) goes to an
 * array-based binary heap instead. `pop` takes the smaller head of the two.
 *
 * A key breaks ties between events due at the same time. `push` keys events by push order;
 * `pushKeyed` takes the key from the caller. The engine keys each event by the node whose step
 * scheduled it and that node's own count of events scheduled, so the order of simultaneous events
 * at a node does not depend on how the nodes are split between threads (src/sim/partition.ts).
 */
import { grown } from "./typed.js";

/** Event kinds (plain numbers: no enum object in the hot loop). */
/** A message sent outside any held link (a short-lived exchange): a failure is reported. */
export const EV_DELIVER = 0;
/** A message sent over a link the sender holds: if the link breaks, the break is what the sender
 * hears about (once), not each message lost with it. */
export const EV_DELIVER_LINKED = 1;
/** A JOIN sent through `sendToContact`; a failure becomes `contactFailed`, not `linkLost`. */
export const EV_DELIVER_CONTACT = 2;
export const EV_LINK_LOST = 3;
export const EV_CONTACT_FAILED = 4;
/** A dial reached a newer incarnation than the record it dialled: the handshake tells the dialler. */
export const EV_LINK_UP = 5;
/** The other side closed the pair's connection (its core dropped us): we notice if we still use it. */
export const EV_LINK_CLOSED = 6;
export const EV_TIMER = 7;
/** A scripted action (a callback) run at its time. */
export const EV_ACTION = 8;

/** Whether events of this kind are network traffic (what `runUntilQuiet` waits out). */
export function isNetworkKind(kind: number): boolean {
  return kind <= EV_LINK_CLOSED;
}

export class EventQueue {
  /** Due time, ms. */
  time: Float64Array;
  /** The tie-breaker (see the file comment). */
  seq: Float64Array;
  kind: Uint8Array;
  /** Node the event happens at. */
  node: Int32Array;
  /** That node's incarnation when the event was scheduled (stale events are skipped). */
  inc: Int32Array;
  /** Kind-specific number (the sending node for deliveries). */
  aux: Int32Array;
  /** 1 when a delivery's path was cut while it was in flight (a partition): it is lost. */
  cut: Uint8Array;
  /** Kind-specific references: the message and the sender's record for deliveries, the peer id
   * for linkLost, the address for contactFailed, the timer kind, the action callback. Shared,
   * never copied. */
  ref: unknown[];
  ref2: unknown[];

  private heap: Int32Array;
  private heapSize = 0;
  private ring: Int32Array;
  private ringHead = 0;
  private ringLen = 0;
  /** Time and key of the ring's last event: a push after it keeps the ring sorted. */
  private ringLastTime = -Infinity;
  private ringLastKey = -Infinity;
  private freeList: Int32Array;
  private freeTop = 0;
  private capacity: number;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    // A power of two, so ring positions wrap with a mask.
    let c = 16;
    while (c < initialCapacity) c *= 2;
    this.capacity = c;
    this.time = new Float64Array(c);
    this.seq = new Float64Array(c);
    this.kind = new Uint8Array(c);
    this.node = new Int32Array(c);
    this.inc = new Int32Array(c);
    this.aux = new Int32Array(c);
    this.cut = new Uint8Array(c);
    this.ref = new Array<unknown>(c).fill(undefined);
    this.ref2 = new Array<unknown>(c).fill(undefined);
    this.heap = new Int32Array(c);
    this.ring = new Int32Array(c);
    this.freeList = new Int32Array(c);
    for (let i = 0; i < c; i++) this.freeList[i] = c - 1 - i;
    this.freeTop = c;
  }

  /** Events waiting. */
  get size(): number {
    return this.heapSize + this.ringLen;
  }

  /** Schedules an event, after every event pushed before it for the same time. Events are never
   * cancelled: stale ones are skipped. */
  push(time: number, kind: number, node: number, inc: number, aux: number, ref: unknown, ref2: unknown): void {
    this.pushKeyed(time, this.nextSeq++, kind, node, inc, aux, ref, ref2);
  }

  /** Schedules an event ordered by (`time`, `key`). Keys must be unique and exact in a double. */
  pushKeyed(time: number, key: number, kind: number, node: number, inc: number, aux: number, ref: unknown, ref2: unknown): void {
    if (this.freeTop === 0) this.grow();
    const e = this.freeList[--this.freeTop]!;
    this.time[e] = time;
    this.seq[e] = key;
    this.kind[e] = kind;
    this.node[e] = node;
    this.inc[e] = inc;
    this.aux[e] = aux;
    this.cut[e] = 0;
    this.ref[e] = ref;
    this.ref2[e] = ref2;
    if (time > this.ringLastTime || (time === this.ringLastTime && key > this.ringLastKey)) {
      this.ring[(this.ringHead + this.ringLen) & (this.capacity - 1)] = e;
      this.ringLen++;
      this.ringLastTime = time;
      this.ringLastKey = key;
    } else {
      this.heapPush(e);
    }
  }

  /** Due time of the next event, or Infinity when empty. */
  peekTime(): number {
    const r = this.ringLen > 0 ? this.ring[this.ringHead]! : -1;
    const h = this.heapSize > 0 ? this.heap[0]! : -1;
    if (r < 0) return h < 0 ? Infinity : this.time[h]!;
    if (h < 0) return this.time[r]!;
    return Math.min(this.time[r]!, this.time[h]!);
  }

  /** Calls `f` with the record index of every waiting event, in no particular order (scripted
   * events only: partitions). */
  forEachWaiting(f: (e: number) => void): void {
    for (let i = 0; i < this.heapSize; i++) f(this.heap[i]!);
    for (let i = 0; i < this.ringLen; i++) f(this.ring[(this.ringHead + i) & (this.capacity - 1)]!);
  }

  /** Removes the next event and returns its record index (-1 when empty). Read its fields, then
   * give it back with `release`. */
  pop(): number {
    const r = this.ringLen > 0 ? this.ring[this.ringHead]! : -1;
    const h = this.heapSize > 0 ? this.heap[0]! : -1;
    if (r >= 0 && (h < 0 || this.before(r, h))) {
      this.ringHead = (this.ringHead + 1) & (this.capacity - 1);
      if (--this.ringLen === 0) {
        this.ringHead = 0;
        this.ringLastTime = -Infinity;
        this.ringLastKey = -Infinity;
      }
      return r;
    }
    if (h < 0) return -1;
    this.heapPop();
    return h;
  }

  /** Whether the next event is due before popped record `e` (by time, then key). */
  headBefore(e: number): boolean {
    const r = this.ringLen > 0 ? this.ring[this.ringHead]! : -1;
    const h = this.heapSize > 0 ? this.heap[0]! : -1;
    return (r >= 0 && this.before(r, e)) || (h >= 0 && this.before(h, e));
  }

  /** Puts popped records back, unchanged (`records[from]` to `records[to - 1]`): they come out
   * again in their order. */
  putBack(records: Int32Array, from: number, to: number): void {
    for (let k = from; k < to; k++) this.heapPush(records[k]!);
  }

  /** Returns a popped record to the pool (drops its references so they can be collected). */
  release(e: number): void {
    this.ref[e] = undefined;
    this.ref2[e] = undefined;
    this.freeList[this.freeTop++] = e;
  }

  private before(a: number, b: number): boolean {
    const ta = this.time[a]!;
    const tb = this.time[b]!;
    return ta < tb || (ta === tb && this.seq[a]! < this.seq[b]!);
  }

  private heapPush(e: number): void {
    const heap = this.heap;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.before(e, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = e;
  }

  private heapPop(): void {
    const heap = this.heap;
    const n = --this.heapSize;
    if (n === 0) return;
    const last = heap[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!this.before(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
  }

  private grow(): void {
    const old = this.capacity;
    const c = old * 2;
    this.time = grown(this.time, c);
    this.seq = grown(this.seq, c);
    this.kind = grown(this.kind, c);
    this.cut = grown(this.cut, c);
    this.node = grown(this.node, c);
    this.inc = grown(this.inc, c);
    this.aux = grown(this.aux, c);
    for (let i = old; i < c; i++) {
      this.ref.push(undefined);
      this.ref2.push(undefined);
    }
    this.heap = grown(this.heap, c);
    // Unroll the ring so it starts at 0 in the larger buffer.
    const ring = new Int32Array(c);
    for (let i = 0; i < this.ringLen; i++) ring[i] = this.ring[(this.ringHead + i) & (old - 1)]!;
    this.ring = ring;
    this.ringHead = 0;
    this.capacity = c;
    // Every record was in use (that is why we grow): the new half is free.
    const free = new Int32Array(c);
    for (let i = 0; i < c - old; i++) free[i] = c - 1 - i;
    this.freeList = free;
    this.freeTop = c - old;
  }
}
