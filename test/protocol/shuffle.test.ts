/** SHUFFLE and SHUFFLE_REPLY (§4.4). */
import { describe, expect, it } from "vitest";
import type { PeerRecord, ProtocolConfig } from "../../src/protocol/index.js";
import { Node, drops, ids, ofType, peer, sent } from "./harness.js";

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => peer(`${prefix}${i + 1}`));
const O = peer("o");
const F = peer("f");

function node(config: Partial<ProtocolConfig> = {}, seed = 1, id = "n"): Node {
  const n = new Node(peer(id), config, seed);
  n.start();
  return n;
}

/** Starts a shuffle at `n` and returns what it sent. */
function shuffleFrom(n: Node) {
  const fx = n.timer("shuffle");
  const out = sent(fx, "shuffle");
  expect(out).toHaveLength(1);
  return { fx, to: out[0]!.to, message: out[0]!.message };
}

describe("SHUFFLE at the origin (§4.4)", () => {
  it("sends itself + ka active + kp passive, ttl ARWL, to a random confirmed active peer, and re-arms", () => {
    const actives = range("a", 4);
    const passives = range("p", 6);
    const targets = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const n = node({}, seed);
      for (const a of actives) n.link(a);
      n.receive(actives[0]!, { kind: "forwardJoin", joiner: peer("e"), ttl: 0 }); // e: pending
      n.addPassive(passives);
      expect(n.pendingIds()).toEqual(["e"]);

      const { fx, to, message } = shuffleFrom(n);
      expect(ofType(fx, "schedule")).toEqual([{ type: "schedule", timer: "shuffle", delayMs: n.config.shuffleIntervalMs }]);
      targets.add(to.id);
      expect(to.id).not.toBe("e");
      expect(message.origin).toEqual(n.self);
      expect(message.ttl).toBe(6);
      const [first, ...rest] = message.entries;
      expect(first).toEqual(n.self);
      const fromActive = rest.filter((p) => p.id.startsWith("a"));
      const fromPassive = rest.filter((p) => p.id.startsWith("p"));
      expect(fromActive).toHaveLength(3);
      expect(fromPassive).toHaveLength(4);
      expect(rest).toHaveLength(7);
      expect(new Set(rest.map((p) => p.id)).size).toBe(7);
    }
    expect([...targets].sort()).toEqual(["a1", "a2", "a3", "a4"]);
  });

  it("with no confirmed active peer, sends nothing (but still re-arms)", () => {
    const n = node();
    n.addPassive(range("p", 3));
    const fx = n.timer("shuffle");
    expect(fx).toEqual([{ type: "schedule", timer: "shuffle", delayMs: n.config.shuffleIntervalMs }]);
  });
});

describe("SHUFFLE at a receiver (§4.4)", () => {
  const entries = [O, peer("x1"), peer("x2")];

  it("forwards with ttl - 1 while that is > 0 and it has more than one active peer, never back to the sender or to the origin", () => {
    const targets = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const m = node({}, seed, "m");
      for (const p of [F, peer("g"), peer("h"), O]) m.link(p);
      m.addPassive(range("p", 3));
      const before = m.snapshot();
      const fx = m.receive(F, { kind: "shuffle", origin: O, entries, ttl: 6, shuffleId: 77 });
      const fwd = sent(fx, "shuffle");
      expect(fwd).toHaveLength(1);
      expect(fwd[0]!.message).toEqual({ kind: "shuffle", origin: O, entries, ttl: 5, shuffleId: 77 });
      targets.add(fwd[0]!.to.id);
      expect(sent(fx, "shuffleReply")).toEqual([]);
      expect(m.snapshot()).toBe(before);
    }
    expect([...targets].sort()).toEqual(["g", "h"]);
  });

  function expectAccepted(m: Node, fx: ReturnType<Node["receive"]>, received: readonly PeerRecord[], passiveBefore: string[]) {
    expect(sent(fx, "shuffle")).toEqual([]);
    const replies = sent(fx, "shuffleReply");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.to).toEqual(O); // straight back to the origin
    expect(replies[0]!.message.shuffleId).toBe(77);
    const back = replies[0]!.message.entries.map((p) => p.id);
    expect(back).toHaveLength(Math.min(received.length, passiveBefore.length));
    expect(new Set(back).size).toBe(back.length);
    for (const id of back) expect(passiveBefore).toContain(id);
    // ...and it integrates what it received.
    for (const p of received) expect(m.passiveIds()).toContain(p.id);
  }

  it("accepts when ttl - 1 reaches 0: replies to the origin with as many passive entries as it received, and integrates", () => {
    const m = node({}, 3, "m");
    for (const p of [F, peer("g"), peer("h")]) m.link(p);
    m.addPassive(range("p", 6));
    const before = m.passiveIds();
    const fx = m.receive(F, { kind: "shuffle", origin: O, entries, ttl: 1, shuffleId: 77 });
    expectAccepted(m, fx, entries, before);
  });

  it("accepts at any ttl when its only active peer is the sender", () => {
    const m = node({}, 4, "m");
    m.link(F);
    m.addPassive(range("p", 6));
    const before = m.passiveIds();
    const fx = m.receive(F, { kind: "shuffle", origin: O, entries, ttl: 6, shuffleId: 77 });
    expectAccepted(m, fx, entries, before);
  });

  it("replies with all it has when its passive view is smaller than what it received", () => {
    const m = node({}, 4, "m");
    m.link(F);
    m.addPassive(range("p", 2));
    const fx = m.receive(F, { kind: "shuffle", origin: O, entries, ttl: 1, shuffleId: 77 });
    expectAccepted(m, fx, entries, ["p1", "p2"]);
  });

  it("when its passive view is full, evicts first the entries it sent back in that reply", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const m = node({ passiveViewSize: 4 }, seed, "m");
      m.link(F);
      m.addPassive(range("p", 4));
      const fx = m.receive(F, { kind: "shuffle", origin: O, entries: [O, peer("x1")], ttl: 1, shuffleId: 77 });
      const back = sent(fx, "shuffleReply")[0]!.message.entries.map((p) => p.id);
      expect(back).toHaveLength(2);
      const kept = ["p1", "p2", "p3", "p4"].filter((id) => !back.includes(id));
      expect(m.passiveIds()).toEqual([...kept, "o", "x1"].sort());
    }
  });
});

describe("SHUFFLE_REPLY integration (§4.4)", () => {
  /** n: passive view of 6, full with p1..p6; one active peer; it has just sent a shuffle. */
  function afterShuffle(seed: number) {
    const n = node({ passiveViewSize: 6 }, seed);
    n.link(peer("a"));
    n.addPassive(range("p", 6));
    const { message } = shuffleFrom(n);
    const sentPassive = message.entries.map((p) => p.id).filter((id) => id.startsWith("p"));
    expect(sentPassive).toHaveLength(4);
    return { n, shuffleId: message.shuffleId, sentPassive };
  }

  it("evicts first the entries sent in that exchange", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { n, shuffleId, sentPassive } = afterShuffle(seed);
      const notSent = range("p", 6).map((p) => p.id).filter((id) => !sentPassive.includes(id));
      const fx = n.receive(peer("r"), { kind: "shuffleReply", shuffleId, entries: [peer("x1"), peer("x2")] });
      expect(ofType(fx, "passiveChanged")).toHaveLength(1);
      const now = n.passiveIds();
      expect(now).toHaveLength(6);
      expect(now).toContain("x1");
      expect(now).toContain("x2");
      for (const id of notSent) expect(now).toContain(id); // only sent entries made room
      expect(now.filter((id) => sentPassive.includes(id))).toHaveLength(2);
    }
  });

  it("then random ones, once the sent entries are gone", () => {
    const survivors = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const { n, shuffleId, sentPassive } = afterShuffle(seed);
      const notSent = range("p", 6).map((p) => p.id).filter((id) => !sentPassive.includes(id));
      n.receive(peer("r"), { kind: "shuffleReply", shuffleId, entries: range("x", 5) });
      const now = n.passiveIds();
      expect(now).toHaveLength(6);
      for (const x of range("x", 5)) expect(now).toContain(x.id);
      const old = now.filter((id) => id.startsWith("p"));
      expect(old).toHaveLength(1);
      expect(notSent).toContain(old[0]!);
      survivors.add(old[0]!);
    }
    expect(survivors.size).toBeGreaterThan(2);
  });

  it("skips itself and peers already in either view", () => {
    const n = node();
    const A = peer("a");
    n.link(A);
    n.addPassive([peer("p1")]);
    const { message } = shuffleFrom(n);
    n.receive(A, {
      kind: "shuffleReply",
      shuffleId: message.shuffleId,
      entries: [n.self, A, peer("p1"), peer("x1"), peer("x1")],
    });
    expect(n.passiveIds()).toEqual(["p1", "x1"]);
    expect(n.activeIds()).toEqual(["a"]);
    expect(ids(n.core.passivePeers())).toEqual(["p1", "x1"]);
  });

  it("a reply to no shuffle of ours is dropped and changes nothing", () => {
    const n = node();
    n.link(peer("a"));
    n.addPassive([peer("p1")]);
    const before = n.snapshot();
    const fx = n.receive(peer("r"), { kind: "shuffleReply", shuffleId: 12345, entries: [peer("x1")] });
    expect(drops(fx)).toEqual(["unexpected-reply"]);
    expect(fx).toHaveLength(1);
    expect(n.snapshot()).toBe(before);
  });

  it("a second reply to the same shuffle is dropped", () => {
    const n = node();
    n.link(peer("a"));
    const { message } = shuffleFrom(n);
    n.receive(peer("r"), { kind: "shuffleReply", shuffleId: message.shuffleId, entries: [peer("x1")] });
    const fx = n.receive(peer("r"), { kind: "shuffleReply", shuffleId: message.shuffleId, entries: [peer("x2")] });
    expect(drops(fx)).toEqual(["unexpected-reply"]);
    expect(n.passiveIds()).toEqual(["x1"]);
  });
});
