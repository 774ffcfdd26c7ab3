/**
 * Per-pair FIFO clock: the time of the last delivery scheduled from one node to another, so that
 * with random latencies a message never overtakes the one sent before it on the same pair (one
 * TCP connection per pair).
 *
 * An open-addressing hash table in typed arrays: no allocation per message (a Map keyed by a pair
 * number allocates a heap number per key beyond 2^31). Entries whose time is past constrain nothing:
 * they are reused in place, and the table is rebuilt from the live ones when its chains fill up.
 */
const EMPTY = -1;

export class PairClock {
  private from: Int32Array;
  private to: Int32Array;
  private time: Float64Array;
  private mask: number;
  /** Slots ever written since the last rebuild (chains end only at never-written slots). */
  private used = 0;

  constructor(capacity = 1024) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.from = new Int32Array(c).fill(EMPTY);
    this.to = new Int32Array(c);
    this.time = new Float64Array(c);
    this.mask = c - 1;
  }

  /** Pairs with a delivery still ahead of `now` (diagnostics and tests). */
  live(now: number): number {
    let n = 0;
    for (let i = 0; i <= this.mask; i++) if (this.from[i] !== EMPTY && this.time[i]! > now) n++;
    return n;
  }

  /**
   * A message from `a` to `b` is due at `at`: returns when it is delivered (`at`, or later if the
   * previous one on that pair is due later) and records it. `now` tells which entries are past.
   */
  next(a: number, b: number, at: number, now: number): number {
    const mask = this.mask;
    let i = hash(a, b) & mask;
    let reusable = -1;
    for (;;) {
      const f = this.from[i]!;
      if (f === EMPTY) break;
      if (f === a && this.to[i] === b) {
        const last = this.time[i]!;
        const t = last > at ? last : at;
        this.time[i] = t;
        return t;
      }
      if (reusable < 0 && this.time[i]! <= now) reusable = i;
      i = (i + 1) & mask;
    }
    if (reusable >= 0) {
      i = reusable;
    } else {
      this.used++;
    }
    this.from[i] = a;
    this.to[i] = b;
    this.time[i] = at;
    if (this.used * 2 > mask + 1) this.rebuild(now);
    return at;
  }

  /** Keeps only entries still ahead of `now`, in a table at most a quarter full. */
  private rebuild(now: number): void {
    const { from, to, time } = this;
    let live = 0;
    for (let i = 0; i < from.length; i++) if (from[i] !== EMPTY && time[i]! > now) live++;
    let c = 16;
    while (c < live * 4) c *= 2;
    c = Math.max(c, 1024);
    this.from = new Int32Array(c).fill(EMPTY);
    this.to = new Int32Array(c);
    this.time = new Float64Array(c);
    this.mask = c - 1;
    this.used = 0;
    for (let i = 0; i < from.length; i++) {
      if (from[i] === EMPTY || time[i]! <= now) continue;
      let j = hash(from[i]!, to[i]!) & this.mask;
      while (this.from[j] !== EMPTY) j = (j + 1) & this.mask;
      this.from[j] = from[i]!;
      this.to[j] = to[i]!;
      this.time[j] = time[i]!;
      this.used++;
    }
  }
}

function hash(a: number, b: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> 0;
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}
