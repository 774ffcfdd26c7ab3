/**
 * The simulator's event queue: events ordered by (time, sequence), stored as pooled records in
 * parallel typed arrays so that scheduling a message allocates nothing.
 *
 * Most events are pushed in time order (every message with a fixed latency is due at now + L, and
 * now never goes back), so they go to a FIFO ring: O(1) both ways. A push goes to the first of
 * three rings whose last event it follows, because there are three such sequences: a membership
 * cycle pushes its spread timers first, in time order (src/sim/simulation.ts, `cycle`), and fills
 * a ring; the messages that follow, due before its last timer, fill the next; and in a split
 * (src/sim/partition.ts) the messages from the other thread, due among those, the third. An event
 * that follows no ring's last (a uniformly random latency, say) goes to an array-based binary heap
 * instead. `pop` takes the smallest of the heads.
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

/** A FIFO ring of record indices in (time, key) order: it takes only events due after its last. */
export class Ring {
  buf: Int32Array;
  head = 0;
  len = 0;
  /** Time and key of the last event: a push after it keeps the ring sorted. */
  lastTime = -Infinity;
  lastKey = -Infinity;

  constructor(capacity: number) {
    this.buf = new Int32Array(capacity);
  }

  /** Whether an event at (`time`, `key`) goes after the last one. */
  takes(time: number, key: number): boolean {
    return time > this.lastTime || (time === this.lastTime && key > this.lastKey);
  }

  /** Appends record `e`, due at (`time`, `key`): `takes` said yes. `mask`: capacity - 1. */
  add(e: number, time: number, key: number, mask: number): void {
    this.buf[(this.head + this.len) & mask] = e;
    this.len++;
    this.lastTime = time;
    this.lastKey = key;
  }

  /** The first record, or -1 when empty. */
  first(): number {
    return this.len > 0 ? this.buf[this.head]! : -1;
  }

  /** Drops the first record. `mask`: capacity - 1. */
  shift(mask: number): void {
    this.head = (this.head + 1) & mask;
    if (--this.len === 0) {
      this.head = 0;
      this.lastTime = -Infinity;
      this.lastKey = -Infinity;
    }
  }

  forEach(f: (e: number) => void, mask: number): void {
    for (let i = 0; i < this.len; i++) f(this.buf[(this.head + i) & mask]!);
  }

  /** Moves to a buffer of `capacity` (larger), unrolled to start at 0. `mask`: the old capacity - 1. */
  grow(capacity: number, mask: number): void {
    const buf = new Int32Array(capacity);
    for (let i = 0; i < this.len; i++) buf[i] = this.buf[(this.head + i) & mask]!;
    this.buf = buf;
    this.head = 0;
  }
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
  /** The FIFO rings (see the file comment), tried in this order. Fields rather than an array:
   * `peekTime` and `pop` run for every event, and with a loop over an array the joins at 100,000
   * nodes took 3-8 % longer than with these fields. */
  private readonly ring1: Ring;
  private readonly ring2: Ring;
  private readonly ring3: Ring;
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
    this.ring1 = new Ring(c);
    this.ring2 = new Ring(c);
    this.ring3 = new Ring(c);
    this.freeList = new Int32Array(c);
    for (let i = 0; i < c; i++) this.freeList[i] = c - 1 - i;
    this.freeTop = c;
  }

  /** Events waiting. */
  get size(): number {
    return this.heapSize + this.ring1.len + this.ring2.len + this.ring3.len;
  }

  /** Of those, the events in the heap (the rest are in the rings): for tests. */
  get heaped(): number {
    return this.heapSize;
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
    const mask = this.capacity - 1;
    if (this.ring1.takes(time, key)) this.ring1.add(e, time, key, mask);
    else if (this.ring2.takes(time, key)) this.ring2.add(e, time, key, mask);
    else if (this.ring3.takes(time, key)) this.ring3.add(e, time, key, mask);
    else this.heapPush(e);
  }

  /** Due time of the next event, or Infinity when empty. */
  peekTime(): number {
    const e = this.next();
    return e < 0 ? Infinity : this.time[e]!;
  }

  /** Calls `f` with the record index of every waiting event, in no particular order (scripted
   * events only: partitions). */
  forEachWaiting(f: (e: number) => void): void {
    for (let i = 0; i < this.heapSize; i++) f(this.heap[i]!);
    for (const ring of [this.ring1, this.ring2, this.ring3]) ring.forEach(f, this.capacity - 1);
  }

  /** Removes the next event and returns its record index (-1 when empty). Read its fields, then
   * give it back with `release`. */
  pop(): number {
    const r = this.firstRing();
    const e = r === null ? -1 : r.first();
    const h = this.heapSize > 0 ? this.heap[0]! : -1;
    if (e >= 0 && (h < 0 || this.before(e, h))) {
      r!.shift(this.capacity - 1);
      return e;
    }
    if (h < 0) return -1;
    this.heapPop();
    return h;
  }

  /** The record `pop` would return, or -1 when empty; takes nothing off. */
  private next(): number {
    const r = this.firstRing();
    const e = r === null ? -1 : r.first();
    const h = this.heapSize > 0 ? this.heap[0]! : -1;
    return e >= 0 && (h < 0 || this.before(e, h)) ? e : h;
  }

  /** The ring whose head comes first, or null when all are empty. */
  private firstRing(): Ring | null {
    let ring: Ring | null = null;
    let best = -1;
    const a = this.ring1.first();
    if (a >= 0) {
      ring = this.ring1;
      best = a;
    }
    const b = this.ring2.first();
    if (b >= 0 && (best < 0 || this.before(b, best))) {
      ring = this.ring2;
      best = b;
    }
    const c = this.ring3.first();
    if (c >= 0 && (best < 0 || this.before(c, best))) ring = this.ring3;
    return ring;
  }

  /** Whether the next event is due before popped record `e` (by time, then key). */
  headBefore(e: number): boolean {
    const n = this.next();
    return n >= 0 && this.before(n, e);
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
    for (const ring of [this.ring1, this.ring2, this.ring3]) ring.grow(c, old - 1);
    this.capacity = c;
    // Every record was in use (that is why we grow): the new half is free.
    const free = new Int32Array(c);
    for (let i = 0; i < c - old; i++) free[i] = c - 1 - i;
    this.freeList = free;
    this.freeTop = c - old;
  }
}
