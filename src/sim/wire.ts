/**
 * The simulator's messages as numbers, for a split simulation (src/sim/partition.ts): a message
 * for a node on the other thread is written into a Float64Array and read back there. A peer record
 * is its node index and incarnation; the reader takes its own thread's record of that node when
 * the incarnation matches, so views keep sharing one record per node as in one thread.
 */
import { newRecordList, ShuffleMessage, ShuffleReplyMessage, type Message, type PeerRecord } from "../protocol/index.js";
import { isSimRecord, simRecord } from "./records.js";

const JOIN = 0;
const FORWARD_JOIN = 1;
const NEIGHBOR = 2;
const NEIGHBOR_REPLY = 3;
const DISCONNECT = 4;
const SHUFFLE = 5;
const SHUFFLE_REPLY = 6;

/** A growable list of numbers. */
export class NumberBuffer {
  data: Float64Array;
  length = 0;

  /** `capacity`: numbers it holds before it first grows. Room that is never written costs no
   * memory (a large buffer's pages are mapped on first write), and every growth copies the whole
   * buffer into fresh pages: a page's first write is a fault, which costs microseconds here.
   * Or an array to write into from its start (it is used until it is full, then copied like any
   * other when the buffer grows). */
  constructor(capacity: number | Float64Array = 1 << 12) {
    this.data = typeof capacity === "number" ? new Float64Array(Math.max(1, capacity)) : capacity;
  }

  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }

  /** Appends every number of `xs`. An element loop, not `Float64Array.set`: from an ordinary
   * array, `set` takes a generic path that cost about 100 ns a number here. */
  pushAll(xs: ArrayLike<number>): void {
    this.reserve(xs.length);
    const d = this.data;
    let at = this.length;
    for (let i = 0; i < xs.length; i++) d[at++] = xs[i]!;
    this.length = at;
  }

  /** Room for `k` more numbers. */
  reserve(k: number): void {
    let c = this.data.length;
    while (this.length + k > c) c *= 2;
    if (c === this.data.length) return;
    const d = new Float64Array(c);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }
}

/** Appends `m` to `out`. */
export function writeMessage(out: NumberBuffer, m: Message): void {
  switch (m.kind) {
    case "join":
      out.push(JOIN);
      out.push(m.requestId);
      return;
    case "forwardJoin":
      out.push(FORWARD_JOIN);
      writeRecord(out, m.joiner);
      out.push(m.ttl);
      return;
    case "neighbor":
      out.push(NEIGHBOR);
      out.push(m.priority === "high" ? 1 : 0);
      out.push(m.requestId);
      return;
    case "neighborReply":
      out.push(NEIGHBOR_REPLY);
      out.push(m.requestId);
      out.push(m.accepted ? 1 : 0);
      return;
    case "disconnect":
      out.push(DISCONNECT);
      out.push(m.leaving ? 1 : 0);
      return;
    case "shuffle":
      out.push(SHUFFLE);
      writeRecord(out, m.origin);
      out.push(m.ttl);
      out.push(m.shuffleId);
      writeRecords(out, m.entries);
      return;
    case "shuffleReply":
      out.push(SHUFFLE_REPLY);
      out.push(m.shuffleId);
      writeRecords(out, m.entries);
      return;
  }
}

/** Reads a message written by `writeMessage` at `d[at]`; `records[i]`: this thread's record of
 * node i. Returns the message; `end.at` is set to the position after it. */
export function readMessage(d: Float64Array, at: number, records: readonly PeerRecord[], end: { at: number }): Message {
  const kind = d[at++]!;
  let m: Message;
  switch (kind) {
    case JOIN:
      m = { kind: "join", requestId: d[at++]! };
      break;
    case FORWARD_JOIN: {
      const joiner = readRecord(d, at, records);
      m = { kind: "forwardJoin", joiner, ttl: d[at + 2]! };
      at += 3;
      break;
    }
    case NEIGHBOR:
      m = { kind: "neighbor", priority: d[at]! === 1 ? "high" : "low", requestId: d[at + 1]! };
      at += 2;
      break;
    case NEIGHBOR_REPLY:
      m = { kind: "neighborReply", requestId: d[at]!, accepted: d[at + 1]! === 1 };
      at += 2;
      break;
    case DISCONNECT:
      m = { kind: "disconnect", leaving: d[at++]! === 1 };
      break;
    case SHUFFLE: {
      const origin = readRecord(d, at, records);
      const ttl = d[at + 2]!;
      const shuffleId = d[at + 3]!;
      at += 4;
      const entries = readRecords(d, at, records);
      at += 1 + 2 * entries.length;
      m = new ShuffleMessage(origin, entries, ttl, shuffleId);
      break;
    }
    case SHUFFLE_REPLY: {
      const shuffleId = d[at++]!;
      const entries = readRecords(d, at, records);
      at += 1 + 2 * entries.length;
      m = new ShuffleReplyMessage(shuffleId, entries);
      break;
    }
    default:
      throw new Error(`wire: unknown message kind ${kind} at ${at - 1}`);
  }
  end.at = at;
  return m;
}

function writeRecord(out: NumberBuffer, p: PeerRecord): void {
  if (!isSimRecord(p)) throw new Error(`wire: peer "${p.id}" is not a simulator record`);
  out.push(p.index);
  out.push(p.incarnation);
}

function writeRecords(out: NumberBuffer, ps: readonly PeerRecord[]): void {
  out.reserve(1 + 2 * ps.length);
  out.push(ps.length);
  for (let k = 0; k < ps.length; k++) writeRecord(out, ps[k]!);
}

function readRecord(d: Float64Array, at: number, records: readonly PeerRecord[]): PeerRecord {
  const i = d[at]!;
  const inc = d[at + 1]!;
  const own = records[i];
  return own !== undefined && own.incarnation === inc ? own : simRecord(i, inc);
}

function readRecords(d: Float64Array, at: number, records: readonly PeerRecord[]): PeerRecord[] {
  const n = d[at]!;
  // No literals, as the core makes these (src/protocol/shuffle-messages.ts).
  const out = newRecordList();
  for (let k = 0; k < n; k++) out.push(readRecord(d, at + 1 + 2 * k, records));
  return out;
}
