/**
 * The facade: input validation (dropped with a reason and no state change), incarnations, the
 * reasons of peerDown, "up only when confirmed" under churn, and determinism.
 */
import { describe, expect, it } from "vitest";
import { SeededRng, type Effect, type Input, type Message, type PeerRecord } from "../../src/protocol/index.js";
import { Net, Node, ofType, peer, sent } from "./harness.js";

const A = peer("a");
const B = peer("b");
const P = peer("p");
const Q = peer("q");
const many = (n: number) => Array.from({ length: n }, (_, i) => peer(`x${i}`));

/** A running node with two confirmed peers, a pending one, and two passive peers. */
function busy(seed = 1): Node {
  const n = new Node(peer("n"), {}, seed);
  n.start();
  n.link(A);
  n.link(B);
  n.receive(A, { kind: "forwardJoin", joiner: peer("e"), ttl: 0 });
  n.addPassive([P, Q]);
  return n;
}

describe("input validation", () => {
  const self = peer("n");
  const msg = (from: PeerRecord, message: Message): Input => ({ type: "message", from, message });
  const cases: [string, Input, string][] = [
    ["a message from itself", msg(self, { kind: "neighbor", priority: "high", requestId: 1 }), "from-self"],
    ["a shuffle whose origin is itself", msg(A, { kind: "shuffle", origin: self, entries: [P], ttl: 3, shuffleId: 1 }), "from-self"],
    ["FORWARD_JOIN ttl above ARWL", msg(A, { kind: "forwardJoin", joiner: peer("j"), ttl: 7 }), "ttl-out-of-range"],
    ["FORWARD_JOIN ttl below 0", msg(A, { kind: "forwardJoin", joiner: peer("j"), ttl: -1 }), "ttl-out-of-range"],
    ["FORWARD_JOIN non-integer ttl", msg(A, { kind: "forwardJoin", joiner: peer("j"), ttl: 2.5 }), "ttl-out-of-range"],
    ["SHUFFLE ttl above ARWL", msg(A, { kind: "shuffle", origin: A, entries: [A], ttl: 7, shuffleId: 1 }), "ttl-out-of-range"],
    ["SHUFFLE ttl NaN", msg(A, { kind: "shuffle", origin: A, entries: [A], ttl: Number.NaN, shuffleId: 1 }), "ttl-out-of-range"],
    ["SHUFFLE with more than ka + kp + 1 entries", msg(A, { kind: "shuffle", origin: A, entries: many(9), ttl: 1, shuffleId: 1 }), "too-many-entries"],
    ["SHUFFLE_REPLY with more than ka + kp + 1 entries", msg(A, { kind: "shuffleReply", shuffleId: 1, entries: many(9) }), "too-many-entries"],
    ["FORWARD_JOIN from a non-neighbor", msg(P, { kind: "forwardJoin", joiner: peer("j"), ttl: 0 }), "not-a-neighbor"],
    ["a message from an older incarnation", msg(peer("p", 0), { kind: "shuffle", origin: peer("p", 0), entries: many(3), ttl: 1, shuffleId: 1 }), "stale-incarnation"],
    ["a SHUFFLE_REPLY to no shuffle of ours", msg(A, { kind: "shuffleReply", shuffleId: 4242, entries: many(2) }), "unexpected-reply"],
    ["linkLost for a peer in no view", { type: "linkLost", peerId: "zz" }, "not-a-neighbor"],
  ];

  it.each(cases)("%s: dropped with a reason, and no state change", (_name, input, reason) => {
    const n = busy();
    const before = n.snapshot();
    const fx = n.step(input, 100);
    expect(ofType(fx, "dropped").map((d) => d.reason)).toEqual([reason]);
    expect(fx).toHaveLength(1);
    expect(n.snapshot()).toBe(before);
  });

  it("dropped inputs leave no hidden trace either: the node then behaves exactly like one that never saw them", () => {
    const clean = busy(5);
    const dirty = busy(5);
    const script: Input[] = [
      { type: "timer", timer: "shuffle" },
      { type: "message", from: peer("j"), message: { kind: "join", requestId: 3 } },
      { type: "linkLost", peerId: "a" },
      { type: "timer", timer: "maintenance" },
      { type: "message", from: B, message: { kind: "shuffle", origin: B, entries: many(4), ttl: 1, shuffleId: 9 } },
      { type: "timer", timer: "shuffle" },
    ];
    let t = 100;
    for (const input of script) {
      t += 1_000;
      for (const [, bad] of cases) dirty.step(bad, t);
      expect(JSON.stringify(dirty.step(input, t))).toBe(JSON.stringify(clean.step(input, t)));
      expect(dirty.snapshot()).toBe(clean.snapshot());
    }
  });

  it("inputs before start are dropped ('not-started') and change nothing", () => {
    const n = new Node(peer("n"));
    const inputs: Input[] = [
      { type: "join", contacts: ["c.test:7000"] },
      { type: "message", from: A, message: { kind: "neighbor", priority: "high", requestId: 1 } },
      { type: "timer", timer: "maintenance" },
      { type: "linkUp", peer: A },
      { type: "leave" },
    ];
    for (const input of inputs) {
      expect(n.step(input)).toEqual([{ type: "dropped", reason: "not-started" }]);
    }
    expect(n.core.status).toBe("idle");
    expect(n.snapshot()).toBe(JSON.stringify({ status: "idle", active: [], passive: [] }));
    // start arms the timers: a random first shuffle, maintenance after its period.
    const fx = n.start();
    expect(n.core.status).toBe("running");
    expect(ofType(fx, "schedule").map((s) => s.timer).sort()).toEqual(["maintenance", "shuffle"]);
    expect(n.start().filter((e) => e.type !== "dropped")).toEqual([]); // a second start does nothing
  });
});

describe("incarnations (lesson)", () => {
  const A2 = peer("a", 2, "a.test:7001");

  /** Every record the node holds for `id`. */
  const records = (n: Node, id: string) =>
    [...n.core.activeEntries().map((e) => e.peer), ...n.core.passivePeers()].filter((p) => p.id === id);

  it("a newer incarnation replaces an active peer: peerDown(failed) for the old one, the new one (new address) kept", () => {
    const n = busy();
    const fx = n.step({ type: "linkUp", peer: A2 }, 100);
    expect(ofType(fx, "peerDown").map((d) => [d.peer.incarnation, d.reason])).toEqual([[1, "failed"]]);
    // The link now belongs to the new run: it is not closed.
    expect(ofType(fx, "disconnect").map((d) => d.peerId)).not.toContain("a");
    expect(records(n, "a")).toEqual([A2]);
    expect(n.violations).toEqual([]);
  });

  it("a message from the newer incarnation is processed after the replacement", () => {
    const n = busy();
    const fx = n.receive(A2, { kind: "neighbor", priority: "high", requestId: 8 }, 100);
    expect(sent(fx, "neighborReply", "a").map((s) => s.message)).toEqual([
      { kind: "neighborReply", requestId: 8, accepted: true },
    ]);
    expect(n.core.activePeers().filter((p) => p.id === "a")).toEqual([A2]);
    expect(records(n, "a")).toEqual([A2]);
    expect(n.violations).toEqual([]);
  });

  it("messages from the older incarnation are then dropped ('stale-incarnation')", () => {
    const n = busy();
    n.step({ type: "linkUp", peer: A2 }, 100);
    const before = n.snapshot();
    const fx = n.receive(A, { kind: "neighbor", priority: "high", requestId: 9 }, 200);
    expect(fx).toEqual([{ type: "dropped", reason: "stale-incarnation", from: "a" }]);
    expect(n.snapshot()).toBe(before);
  });

  it("a newer incarnation replaces a passive entry, address included, from a shuffle or from the peer itself", () => {
    const P2 = peer("p", 2, "p.test:7001");
    const P3 = peer("p", 3, "p.test:7002");
    const n = busy();
    n.addPassive([P2]);
    expect(records(n, "p")).toEqual([P2]);
    n.step({ type: "linkUp", peer: P3 }, 100);
    expect(records(n, "p")).toEqual([P3]);
    // An older record arriving later does not roll it back.
    n.addPassive([P2, peer("p", 1)]);
    expect(records(n, "p")).toEqual([P3]);
    expect(n.passiveIds()).toEqual(["p", "q"]);
  });
});

describe("every peerDown has the right reason (lesson)", () => {
  const reasons = (fx: readonly Effect[]) => ofType(fx, "peerDown").map((d) => `${d.peer.id}:${d.reason}`);

  it("failed, disconnected (theirs or our eviction), left; and none for a peer that was never up", () => {
    const n = busy();
    expect(reasons(n.step({ type: "linkLost", peerId: "a" }, 10))).toEqual(["a:failed"]);
    expect(reasons(n.receive(B, { kind: "disconnect", leaving: false }, 20))).toEqual(["b:disconnected"]);
    n.link(peer("c"));
    expect(reasons(n.receive(peer("c"), { kind: "disconnect", leaving: true }, 30))).toEqual(["c:left"]);
    // Pending entries go without a peerDown, whatever the reason.
    const m = busy(2);
    expect(m.pendingIds()).toEqual(["e"]);
    expect(reasons(m.step({ type: "linkLost", peerId: "e" }, 10))).toEqual([]);
    // Our own eviction of a confirmed peer to make room.
    const full = new Node(peer("f"), { activeViewSize: 1 });
    full.start();
    full.link(A);
    expect(reasons(full.link(B))).toEqual(["a:disconnected"]);
    expect([n, m, full].flatMap((x) => x.violations)).toEqual([]);
  });
});

describe("up only when confirmed by both sides, under churn (lesson)", () => {
  /** Eight cores join one by one through n0, then random maintenance, shuffles, crashes and
   * restarts (newer incarnation, same address), with every message delivered (FIFO). */
  function churn(seed: number): Net {
    const rng = new SeededRng(seed);
    const net = new Net();
    net.failUndeliverable = true;
    const config = { activeViewSize: 3, passiveViewSize: 8 };
    const ids = Array.from({ length: 8 }, (_, i) => `n${i}`);
    const incarnation = new Map(ids.map((id) => [id, 1]));
    const boot = (id: string, contacts: string[]) => {
      net.add(new Node(peer(id, incarnation.get(id)!), config, seed * 1_000 + incarnation.get(id)! * 10 + ids.indexOf(id)));
      net.step(id, { type: "start" });
      net.step(id, { type: "join", contacts });
      net.pump();
    };
    for (const id of ids) boot(id, id === "n0" ? [] : [peer("n0").address]);
    const live = () => [...net.nodes.keys()];
    const down: string[] = [];
    for (let round = 0; round < 40; round++) {
      net.now += 400;
      const r = rng.next();
      const ls = live();
      const pick = ls[Math.floor(rng.next() * ls.length)]!;
      if (r < 0.4) net.step(pick, { type: "timer", timer: "maintenance" });
      else if (r < 0.8) net.step(pick, { type: "timer", timer: "shuffle" });
      else if (r < 0.9 && ls.length > 4 && pick !== "n0") {
        net.crash(pick);
        down.push(pick);
      } else if (down.length > 0) {
        const id = down.shift()!;
        incarnation.set(id, incarnation.get(id)! + 1);
        boot(id, [peer("n0").address]);
      }
      net.pump();
    }
    // Let it settle: a few maintenance rounds everywhere (expire what went unanswered, repair).
    for (let i = 0; i < 6; i++) {
      net.now += 1_000;
      for (const id of live()) net.step(id, { type: "timer", timer: "maintenance" });
      net.pump();
    }
    return net;
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i: watchers saw exactly the confirmed links, and links are symmetric", (seed) => {
    const net = churn(seed);
    expect(net.violations()).toEqual([]);
    expect(net.asymmetric()).toEqual([]);
    for (const n of net.nodes.values()) expect(n.core.activePeers().length).toBeGreaterThan(0);
  });
});

describe("determinism", () => {
  const run = (seed: number) => {
    const log: string[] = [];
    const net = new Net();
    for (let i = 0; i < 4; i++) net.add(new Node(peer(`n${i}`), { activeViewSize: 2 }, seed + i));
    const orig = net.step.bind(net);
    net.step = (id, input) => {
      const fx = orig(id, input);
      log.push(`${id} ${JSON.stringify(input)} => ${JSON.stringify(fx)}`);
      return fx;
    };
    for (let i = 0; i < 4; i++) net.step(`n${i}`, { type: "start" });
    net.step("n0", { type: "join", contacts: [] });
    for (let i = 1; i < 4; i++) {
      net.step(`n${i}`, { type: "join", contacts: [peer("n0").address] });
      net.pump();
    }
    for (let r = 0; r < 6; r++) {
      net.now += 1_000;
      for (let i = 0; i < 4; i++) net.step(`n${i}`, { type: "timer", timer: r % 2 ? "shuffle" : "maintenance" });
      net.pump();
    }
    return log;
  };

  it("the same seed gives the same effects, step by step", () => {
    const a = run(42);
    const b = run(42);
    expect(a.length).toBeGreaterThan(30);
    expect(b).toEqual(a);
  });

  it("another seed gives another run (randomness comes only from the injected Rng)", () => {
    expect(run(43)).not.toEqual(run(42));
  });
});
