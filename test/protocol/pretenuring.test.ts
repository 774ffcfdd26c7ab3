/**
 * The shuffle's messages and lists carry no V8 allocation site (src/protocol/shuffle-messages.ts),
 * so V8 can never pretenure them. Checked with V8's own test hook, %PretenureAllocationSite: it
 * pretenures the allocation site an object was made at, and answers whether there was one.
 */
import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import type { Message, PeerRecord } from "../../src/protocol/index.js";
import { simRecord } from "../../src/sim/records.js";
import { NumberBuffer, readMessage, writeMessage } from "../../src/sim/wire.js";
import { Node, peer, sent } from "./harness.js";

v8.setFlagsFromString("--allow-natives-syntax");
// Compiled after the flag is set, so the native call parses.
const hasSite = new Function("o", "return %PretenureAllocationSite(o);") as (o: object) => boolean;

/** An object literal made at one site, as the core made its messages before. */
function literal(entries: readonly PeerRecord[]): object {
  return { kind: "shuffleReply", shuffleId: 1, entries };
}

/** The last of `runs` results of `make`. A literal has an allocation site only once its function
 * has feedback (after several calls) and has run once more. */
function madeOften<T>(runs: number, make: () => T): T {
  let last = make();
  for (let i = 1; i < runs; i++) last = make();
  return last;
}

const RUNS = 100;

describe("the shuffle's objects have no allocation site V8 could pretenure", () => {
  it("the probe sees a literal's site (the check below can fail)", () => {
    expect(hasSite(madeOften(RUNS, () => literal([])))).toBe(true);
    expect(hasSite(madeOften(RUNS, () => [peer("x")]))).toBe(true);
  });

  it("SHUFFLE at the origin, the SHUFFLE passed on, the SHUFFLE_REPLY, and their entries", () => {
    const actives = ["a1", "a2", "a3"].map((id) => peer(id));
    const origins = madeOften(RUNS, () => {
      const n = new Node(peer("n"));
      n.start();
      for (const a of actives) n.link(a);
      return { n, out: sent(n.timer("shuffle"), "shuffle")[0]!.message };
    });
    const shuffle = origins.out;
    expect(hasSite(shuffle)).toBe(false);
    expect(hasSite(shuffle.entries)).toBe(false);

    const n = origins.n;
    const walking: Message = { kind: "shuffle", origin: peer("o"), entries: [peer("e")], ttl: 6, shuffleId: 4 };
    const passed = madeOften(RUNS, () => sent(n.receive(actives[0]!, walking), "shuffle")[0]!.message);
    expect(passed.ttl).toBe(5);
    expect(hasSite(passed)).toBe(false);

    const entries = [peer("e1"), peer("e2")];
    const reply = madeOften(RUNS, () => {
      const m: Message = { kind: "shuffle", origin: peer("o"), entries, ttl: 1, shuffleId: 5 };
      return sent(n.receive(actives[1]!, m), "shuffleReply")[0]!.message;
    });
    expect(hasSite(reply)).toBe(false);
    expect(hasSite(reply.entries)).toBe(false);
  });

  it("a SHUFFLE and a SHUFFLE_REPLY read back from the other thread (src/sim/wire.ts)", () => {
    const records = Array.from({ length: 4 }, (_, i) => simRecord(i, 1));
    const out = new NumberBuffer();
    writeMessage(out, { kind: "shuffle", origin: records[0]!, entries: [records[1]!], ttl: 3, shuffleId: 1 });
    const sentAt = out.length;
    writeMessage(out, { kind: "shuffleReply", shuffleId: 1, entries: [records[2]!, records[3]!] });
    for (const at of [0, sentAt]) {
      const m = madeOften(RUNS, () => readMessage(out.data, at, records, { at: 0 }));
      if (m.kind !== "shuffle" && m.kind !== "shuffleReply") throw new Error(m.kind);
      expect(hasSite(m)).toBe(false);
      expect(hasSite(m.entries)).toBe(false);
    }
  });
});
