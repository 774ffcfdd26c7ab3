/**
 * A blocking, two-sided exchange between two threads: each side posts its value, then waits for
 * the other's value of the same round. A split simulation (src/sim/partition.ts) swaps the events
 * of each time window this way; blocking keeps its event loop synchronous, as it is in one thread.
 *
 * The values travel on a MessagePort (structured clone) and are taken with `receiveMessageOnPort`;
 * a shared counter per side says how many rounds it has posted, and `Atomics.wait` blocks on it.
 * A side that fails calls `abort`, so that the other one throws instead of waiting forever.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";

/** One side's end: give it to `new Channel` in the thread that uses it. */
export interface ChannelEnd {
  readonly port: MessagePort;
  readonly posted: SharedArrayBuffer;
  readonly side: 0 | 1;
}

/** The two ends of a new channel; send `[1]` to the other thread (its port in the transfer list). */
export function channelPair(): [ChannelEnd, ChannelEnd] {
  const { port1, port2 } = new MessageChannel();
  const posted = new SharedArrayBuffer(8);
  return [
    { port: port1, posted, side: 0 },
    { port: port2, posted, side: 1 },
  ];
}

/** A side's counter after `abort`. */
const ABORTED = -1;
/** How long a side waits for the other's post before it gives up. */
const PATIENCE_MS = 600_000;

export class Channel {
  private readonly posted: Int32Array;
  private readonly port: MessagePort;
  private readonly side: 0 | 1;
  private round = 0;
  private waited = 0;

  /**
   * `spinMs`: how long `swap` polls for the other side's post before it sleeps on it. A split
   * simulation swaps every few milliseconds, and the two sides mostly finish a window within a
   * fraction of a millisecond of each other; a thread that sleeps there wakes up late, and its
   * processor's caches cold. Polling pays only when each side has a core of its own: on a shared
   * one it takes time from the side being waited for. Default 0: sleep at once.
   */
  constructor(
    end: ChannelEnd,
    private readonly spinMs = 0,
  ) {
    this.posted = new Int32Array(end.posted);
    this.port = end.port;
    this.side = end.side;
  }

  /** How long `swap` has waited for the other side so far, ms: from this side's post until the
   * other's of the same round (polling and sleeping). In a split simulation, the time this side's
   * windows took less than the other's. */
  get waitedMs(): number {
    return this.waited;
  }

  /** Which side this is: 0 or 1. */
  get index(): 0 | 1 {
    return this.side;
  }

  /** Posts `value` and returns the other side's value of the same round (blocking until it is
   * posted). `transfer`: buffers moved rather than copied. */
  swap<T>(value: unknown, transfer: readonly ArrayBuffer[] = []): T {
    const round = ++this.round;
    this.port.postMessage(value, transfer as ArrayBuffer[]);
    Atomics.store(this.posted, this.side, round);
    Atomics.notify(this.posted, this.side);
    const other = 1 - this.side;
    // The other side may already be one round ahead, never two: it waits for this round's post.
    if (Atomics.load(this.posted, other) < round) this.wait(round, other);
    const got = receiveMessageOnPort(this.port);
    if (got === undefined) throw new Error(`channel: round ${round} was posted but its message is missing`);
    return got.message as T;
  }

  /** Waits until side `other` has posted round `round` (or failed), and counts the time. */
  private wait(round: number, other: number): void {
    const start = performance.now();
    try {
      if (this.spinMs > 0) {
        const until = start + this.spinMs;
        while (Atomics.load(this.posted, other) < round && performance.now() < until);
      }
      for (let seen = Atomics.load(this.posted, other); seen < round; seen = Atomics.load(this.posted, other)) {
        if (seen === ABORTED) throw new Error("channel: the other thread failed");
        if (Atomics.wait(this.posted, other, seen, PATIENCE_MS) === "timed-out") {
          throw new Error(`channel: the other thread posted nothing for ${PATIENCE_MS / 1000} s (round ${round})`);
        }
      }
    } finally {
      this.waited += performance.now() - start;
    }
  }

  /** Tells the other side that this one failed: its `swap` throws rather than waits. */
  abort(): void {
    Atomics.store(this.posted, this.side, ABORTED);
    Atomics.notify(this.posted, this.side);
  }

  close(): void {
    this.port.close();
  }
}
