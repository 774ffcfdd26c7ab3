/** The simulator's messages as numbers, for a simulation split between two threads. */
import { describe, expect, it } from "vitest";
import type { Message, PeerRecord } from "../../src/protocol/index.js";
import { simRecord } from "../../src/sim/records.js";
import { NumberBuffer, readMessage, writeMessage } from "../../src/sim/wire.js";

const records: PeerRecord[] = Array.from({ length: 10 }, (_, i) => simRecord(i, 1));

const ALL: Message[] = [
  { kind: "join", requestId: 7 },
  { kind: "forwardJoin", joiner: records[3]!, ttl: 5 },
  { kind: "neighbor", priority: "high", requestId: 9 },
  { kind: "neighbor", priority: "low", requestId: 10 },
  { kind: "neighborReply", requestId: 11, accepted: true },
  { kind: "neighborReply", requestId: 12, accepted: false },
  { kind: "disconnect", leaving: true },
  { kind: "disconnect", leaving: false },
  { kind: "shuffle", origin: records[1]!, entries: [records[2]!, simRecord(4, 3), records[9]!], ttl: 6, shuffleId: 2 ** 40 },
  { kind: "shuffle", origin: records[0]!, entries: [], ttl: 0, shuffleId: 0 },
  { kind: "shuffleReply", shuffleId: 13, entries: [records[5]!, records[6]!] },
];

describe("wire", () => {
  it("reads back every kind of message, one after the other in one buffer", () => {
    const out = new NumberBuffer();
    for (const m of ALL) writeMessage(out, m);
    const end = { at: 0 };
    const back: Message[] = [];
    for (let k = 0; k < ALL.length; k++) back.push(readMessage(out.data, end.at, records, end));
    expect(end.at).toBe(out.length);
    expect(back).toEqual(ALL);
  });

  it("reads a record of the same run as this thread's own object, of another run as a new one", () => {
    const out = new NumberBuffer();
    writeMessage(out, { kind: "shuffleReply", shuffleId: 1, entries: [records[2]!, simRecord(4, 3)] });
    const m = readMessage(out.data, 0, records, { at: 0 });
    if (m.kind !== "shuffleReply") throw new Error(m.kind);
    expect(m.entries[0]).toBe(records[2]);
    expect(m.entries[1]).not.toBe(records[4]);
    expect(m.entries[1]).toEqual(simRecord(4, 3));
  });

  it("grows past its first buffer", () => {
    const out = new NumberBuffer();
    const many = Array.from({ length: 3000 }, (_, i) => records[i % 10]!);
    writeMessage(out, { kind: "shuffleReply", shuffleId: 1, entries: many });
    const m = readMessage(out.data, 0, records, { at: 0 });
    expect(m).toEqual({ kind: "shuffleReply", shuffleId: 1, entries: many });
  });

  it("appends numbers in bulk, past its first room and from any start", () => {
    for (const capacity of [1, 5, 64]) {
      const out = new NumberBuffer(capacity);
      out.push(-1);
      out.pushAll([0.5, 2, 3]);
      out.pushAll(Float64Array.from({ length: 40 }, (_, i) => i));
      out.pushAll([]);
      expect(Array.from(out.data.subarray(0, out.length))).toEqual([-1, 0.5, 2, 3, ...Array.from({ length: 40 }, (_, i) => i)]);
    }
  });

  it("writes into a given array until it is full, then into a copy that grows", () => {
    const given = new Float64Array(new SharedArrayBuffer(8 * 4));
    const out = new NumberBuffer(given);
    out.pushAll([1, 2, 3]);
    out.push(4);
    expect(out.data).toBe(given);
    expect(Array.from(given)).toEqual([1, 2, 3, 4]);
    out.push(5);
    expect(out.data).not.toBe(given);
    expect(Array.from(out.data.subarray(0, out.length))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(given)).toEqual([1, 2, 3, 4]);
  });

  it("refuses a record that is not the simulator's", () => {
    const out = new NumberBuffer();
    const stranger = { id: "n1", address: "elsewhere", incarnation: 1, metadata: {} };
    expect(() => writeMessage(out, { kind: "forwardJoin", joiner: stranger, ttl: 1 })).toThrow(/not a simulator record/);
  });
});
