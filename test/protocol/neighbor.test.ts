/** DISCONNECT (§4.2), NEIGHBOR and the repair of the active view (§4.3), and late replies. */
import { describe, expect, it } from "vitest";
import type { ProtocolConfig } from "../../src/protocol/index.js";
import { Net, Node, drops, ofType, peer, sent } from "./harness.js";

const A = peer("a");
const B = peer("b");
const P = peer("p");
const Q = peer("q");
const X = peer("x");

function node(config: Partial<ProtocolConfig> = {}, seed = 1): Node {
  const n = new Node(peer("n"), config, seed);
  n.start();
  return n;
}

describe("DISCONNECT (§4.2)", () => {
  it("moves the peer to the passive view and reports peerDown(disconnected)", () => {
    const n = node();
    n.link(A);
    n.link(B);
    const fx = n.receive(A, { kind: "disconnect", leaving: false });
    expect(ofType(fx, "peerDown").map((d) => [d.peer.id, d.reason])).toEqual([["a", "disconnected"]]);
    expect(ofType(fx, "disconnect").map((d) => d.peerId)).toEqual(["a"]);
    expect(n.activeIds()).toEqual(["b"]);
    expect(n.passiveIds()).toEqual(["a"]);
    expect(n.violations).toEqual([]);
  });

  it("the peer that just dropped us is not asked straight back by the repair that follows", () => {
    // A sent DISCONNECT because it is full (it admitted a joiner or a high-priority NEIGHBOR).
    // Asking it again at once is either rejected (low) or, at high priority, makes it evict
    // another random peer: churn. A rejected peer rests until the next maintenance round; so
    // should this one. Here P is a fresh candidate and the view has room for both.
    const n = node();
    n.link(A);
    n.link(B);
    n.addPassive([P]);
    const fx = n.receive(A, { kind: "disconnect", leaving: false });
    expect(sent(fx, "neighbor").map((s) => s.to.id)).toEqual(["p"]);
    expect(n.passiveIds()).toEqual(["a"]);
    expect(n.pendingIds()).toEqual(["p"]);
  });

  it("a DISCONNECT from a peer that is not an active neighbor is dropped and changes nothing", () => {
    const n = node();
    n.link(B);
    n.addPassive([A]);
    const before = n.snapshot();
    const fx = n.receive(A, { kind: "disconnect", leaving: false });
    expect(fx).toEqual([{ type: "dropped", reason: "not-a-neighbor", from: "a" }]);
    expect(n.snapshot()).toBe(before);
  });
});

describe("DISCONNECT(leaving)", () => {
  function leftNode(): Node {
    const n = node();
    n.link(A);
    n.link(B);
    const fx = n.receive(A, { kind: "disconnect", leaving: true }, 1_000);
    expect(ofType(fx, "peerDown").map((d) => [d.peer.id, d.reason])).toEqual([["a", "left"]]);
    expect(sent(fx, "neighbor", "a")).toEqual([]);
    return n;
  }

  it("reports peerDown(left) and forgets the peer", () => {
    const n = leftNode();
    expect(n.core.activeEntries().map((e) => e.peer.id)).toEqual(["b"]);
    expect(n.passiveIds()).toEqual([]);
    expect(n.violations).toEqual([]);
  });

  it("forgets a leaving peer that was only in the passive view", () => {
    const n = node();
    n.link(B);
    n.addPassive([A, P]);
    n.receive(A, { kind: "disconnect", leaving: true });
    expect(n.passiveIds()).toEqual(["p"]);
  });

  it("a shuffle does not bring it back while the deny window lasts; after it, it may come back", () => {
    const n = leftNode();
    n.addPassive([A, Q], peer("s1"));
    expect(n.passiveIds()).toEqual(["q"]);
    const window = n.config.leftDenyMs;
    n.now = 1_000 + window - 1;
    n.addPassive([A], peer("s2"));
    expect(n.passiveIds()).toEqual(["q"]);
    n.timer("maintenance", 1_000 + window);
    n.addPassive([A], peer("s3"));
    expect(n.passiveIds()).toContain("a");
  });

  it("a newer incarnation of the peer that left is accepted at once", () => {
    const n = leftNode();
    const A2 = peer("a", 2, "a.test:7001");
    n.addPassive([A2]);
    expect(n.core.passivePeers()).toEqual([A2]);
  });

  it("a walk ending here does not link with a peer that left", () => {
    const n = leftNode();
    const fx = n.receive(B, { kind: "forwardJoin", joiner: A, ttl: 0 });
    expect(sent(fx, "neighbor", "a")).toEqual([]);
    expect(n.core.activeEntries().map((e) => e.peer.id)).toEqual(["b"]);
  });
});

describe("repair on linkLost (§4.3)", () => {
  it("sends NEIGHBOR(high) when the active view is now empty, and reports peerDown(failed)", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const n = node({ activeViewSize: 1 }, seed);
      n.link(A);
      n.addPassive([P, Q]);
      const fx = n.step({ type: "linkLost", peerId: "a" });
      expect(ofType(fx, "peerDown").map((d) => [d.peer.id, d.reason])).toEqual([["a", "failed"]]);
      const asks = sent(fx, "neighbor");
      expect(asks).toHaveLength(1);
      expect(["p", "q"]).toContain(asks[0]!.to.id);
      expect(asks[0]!.message.priority).toBe("high");
      expect(n.pendingIds()).toEqual([asks[0]!.to.id]);
      expect(ofType(fx, "peerUp")).toEqual([]);
    }
  });

  it("sends NEIGHBOR(low) when other active peers remain", () => {
    const n = node();
    n.link(A);
    n.link(B);
    n.addPassive([P]);
    const fx = n.step({ type: "linkLost", peerId: "a" });
    expect(sent(fx, "neighbor").map((s) => [s.to.id, s.message.priority])).toEqual([["p", "low"]]);
  });

  it("a repair that fills several slots at once asks at high priority only while the view is empty", () => {
    const n = node();
    n.link(A);
    n.addPassive([P, Q, X]);
    const fx = n.step({ type: "linkLost", peerId: "a" });
    const priorities = sent(fx, "neighbor").map((s) => s.message.priority);
    expect(priorities).toEqual(["high", "low", "low"]);
  });

  it("keeps the failed peer as a last-resort candidate: fresh passive peers are asked first", () => {
    const n = node({ activeViewSize: 2 });
    n.link(A);
    n.link(B);
    n.addPassive([P]);
    const fx = n.step({ type: "linkLost", peerId: "a" }, 100);
    expect(sent(fx, "neighbor").map((s) => s.to.id)).toEqual(["p"]);
    expect(n.passiveIds()).toEqual(["a"]);
  });

  it("with keepFailedAsPassive false, a failed active peer is forgotten (the paper)", () => {
    const n = node({ keepFailedAsPassive: false });
    n.link(A);
    n.link(B);
    n.step({ type: "linkLost", peerId: "a" });
    expect(n.passiveIds()).toEqual([]);
    expect(n.core.activeEntries().map((e) => e.peer.id)).toEqual(["b"]);
  });
});

describe("NEIGHBOR at the receiver (§4.3)", () => {
  function full(seed = 1): Node {
    const n = node({}, seed);
    for (const id of ["m1", "m2", "m3", "m4", "m5"]) n.link(peer(id));
    return n;
  }

  it("high priority is always accepted, evicting a random member with DISCONNECT when full", () => {
    const victims = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const n = full(seed);
      const fx = n.receive(X, { kind: "neighbor", priority: "high", requestId: 9 });
      const down = ofType(fx, "peerDown");
      expect(down.map((d) => d.reason)).toEqual(["disconnected"]);
      const victim = down[0]!.peer.id;
      victims.add(victim);
      expect(sent(fx, "disconnect").map((s) => [s.to.id, s.message.leaving])).toEqual([[victim, false]]);
      expect(n.passiveIds()).toEqual([victim]);
      expect(sent(fx, "neighborReply", "x").map((s) => s.message)).toEqual([
        { kind: "neighborReply", requestId: 9, accepted: true },
      ]);
      expect(ofType(fx, "peerUp").map((u) => u.peer.id)).toEqual(["x"]);
      expect(n.core.activePeers()).toHaveLength(5);
    }
    expect(victims.size).toBeGreaterThan(1);
  });

  it("low priority is accepted with a free slot", () => {
    const n = node();
    n.link(A);
    const fx = n.receive(X, { kind: "neighbor", priority: "low", requestId: 4 });
    expect(sent(fx, "neighborReply", "x").map((s) => s.message.accepted)).toEqual([true]);
    expect(ofType(fx, "peerUp").map((u) => u.peer.id)).toEqual(["x"]);
    expect(ofType(fx, "peerDown")).toEqual([]);
  });

  it("low priority is rejected when full, and nothing changes", () => {
    const n = full();
    const before = n.snapshot();
    const fx = n.receive(X, { kind: "neighbor", priority: "low", requestId: 4 });
    expect(fx).toEqual([{ type: "send", to: X, message: { kind: "neighborReply", requestId: 4, accepted: false } }]);
    expect(n.snapshot()).toBe(before);
  });
});

describe("our own pending requests hold no slot against live links (deviation: the paper's requester holds none)", () => {
  /** n: activeViewSize 2, a confirmed, its NEIGHBOR to p pending: the view is full. */
  function pendingFull(seed = 1) {
    const n = node({ activeViewSize: 2 }, seed);
    n.link(A);
    n.addPassive([P]);
    const ask = sent(n.timer("maintenance", 1_000), "neighbor")[0]!;
    expect(n.pendingIds()).toEqual(["p"]);
    return { n, requestId: ask.message.requestId };
  }

  it("a low-priority NEIGHBOR takes the slot of our pending request, which is given up with DISCONNECT", () => {
    const { n, requestId } = pendingFull();
    const fx = n.receive(X, { kind: "neighbor", priority: "low", requestId: 5 }, 1_100);
    expect(sent(fx, "neighborReply", "x").map((r) => r.message.accepted)).toEqual([true]);
    expect(sent(fx, "disconnect").map((d) => d.to.id)).toEqual(["p"]);
    expect(ofType(fx, "peerDown")).toEqual([]); // p was never up
    expect(n.activeIds()).toEqual(["a", "x"]);
    expect(n.passiveIds()).toEqual(["p"]);
    // p's acceptance, sent before it got our DISCONNECT, must not re-add it on our side only.
    const late = n.receive(P, { kind: "neighborReply", requestId, accepted: true }, 1_200);
    expect(ofType(late, "peerUp")).toEqual([]);
    expect(drops(late)).toEqual(["unexpected-reply"]);
    expect(n.activeIds()).toEqual(["a", "x"]);
    expect(n.violations).toEqual([]);
  });

  it("an eviction to make room drops our pending request rather than a confirmed neighbor", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { n } = pendingFull(seed);
      const fx = n.receive(peer("j"), { kind: "join", requestId: 3 }, 1_100);
      expect(sent(fx, "disconnect").map((d) => d.to.id)).toEqual(["p"]);
      expect(ofType(fx, "peerDown")).toEqual([]);
      expect(n.activeIds()).toEqual(["a", "j"]);
    }
  });
});

describe("NEIGHBOR replies at the requester (§4.3)", () => {
  /** n has one confirmed peer (B), room for one more, and P, Q in reserve; maintenance asks one. */
  function asking(seed = 1) {
    const n = node({ activeViewSize: 2 }, seed);
    n.link(B);
    n.addPassive([P, Q]);
    const asks = sent(n.timer("maintenance", 1_000), "neighbor");
    expect(asks).toHaveLength(1);
    expect(asks[0]!.message.priority).toBe("low");
    return { n, to: asks[0]!.to, requestId: asks[0]!.message.requestId };
  }

  it("accepted: the peer is reported up", () => {
    const { n, to, requestId } = asking();
    const fx = n.receive(to, { kind: "neighborReply", requestId, accepted: true });
    expect(ofType(fx, "peerUp").map((u) => u.peer.id)).toEqual([to.id]);
    expect(n.activeIds()).toEqual(["b", to.id].sort());
    expect(n.violations).toEqual([]);
  });

  it("rejected: the peer stays in the passive view and another passive peer is tried", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { n, to, requestId } = asking(seed);
      const other = to.id === "p" ? "q" : "p";
      const fx = n.receive(to, { kind: "neighborReply", requestId, accepted: false });
      expect(n.passiveIds()).toEqual([to.id]);
      expect(sent(fx, "neighbor").map((s) => s.to.id)).toEqual([other]);
      expect(n.pendingIds()).toEqual([other]);
      expect(ofType(fx, "peerDown")).toEqual([]);
      expect(ofType(fx, "peerUp")).toEqual([]);
    }
  });

  it("rejected: the same peer is not asked again at once", () => {
    const n = node({ activeViewSize: 2 });
    n.link(B);
    n.addPassive([P]);
    const ask = sent(n.timer("maintenance", 1_000), "neighbor")[0]!;
    const fx = n.receive(P, { kind: "neighborReply", requestId: ask.message.requestId, accepted: false });
    expect(sent(fx, "neighbor")).toEqual([]);
    expect(n.passiveIds()).toEqual(["p"]);
  });
});

describe("late replies never resurrect a lost peer (lesson)", () => {
  function asked() {
    const n = node({ activeViewSize: 2 });
    n.link(B);
    n.addPassive([P]);
    const ask = sent(n.timer("maintenance", 1_000), "neighbor")[0]!;
    expect(ask.to.id).toBe("p");
    return { n, requestId: ask.message.requestId };
  }

  function expectLateReplyRefused(n: Node, requestId: number) {
    const fx = n.receive(P, { kind: "neighborReply", requestId, accepted: true });
    expect(ofType(fx, "peerUp")).toEqual([]);
    expect(n.core.activeEntries().map((e) => e.peer.id)).not.toContain("p");
    expect(drops(fx)).toEqual(["unexpected-reply"]);
    // P accepted, so it holds a link to us: tell it we do not.
    expect(sent(fx, "disconnect", "p").map((s) => s.message.leaving)).toEqual([false]);
    expect(n.violations).toEqual([]);
  }

  it("after the pending request expired at the maintenance tick", () => {
    const { n, requestId } = asked();
    const timeout = n.config.requestTimeoutMs;
    expect(n.pendingIds()).toEqual(["p"]);
    expect(ofType(n.timer("maintenance", 1_000 + timeout - 1), "peerDown")).toEqual([]);
    expect(n.pendingIds()).toEqual(["p"]);
    const fx = n.timer("maintenance", 1_000 + timeout);
    // It was never up: no peerDown; it stays a passive candidate (one failure).
    expect(ofType(fx, "peerDown")).toEqual([]);
    expect(n.pendingIds()).toEqual([]);
    expect(n.passiveIds()).toEqual(["p"]);
    expectLateReplyRefused(n, requestId);
  });

  it("after linkLost", () => {
    const { n, requestId } = asked();
    const fx = n.step({ type: "linkLost", peerId: "p" }, 1_500);
    expect(ofType(fx, "peerDown")).toEqual([]);
    expect(n.pendingIds()).toEqual([]);
    expectLateReplyRefused(n, requestId);
  });

  it("a reply to a JOIN that already timed out", () => {
    const n = node();
    const C = peer("c");
    const join = ofType(n.step({ type: "join", contacts: [C.address] }), "sendToContact")[0]!;
    const requestId = join.message.kind === "join" ? join.message.requestId : -1;
    n.timer("maintenance", n.config.requestTimeoutMs);
    const fx = n.receive(C, { kind: "neighborReply", requestId, accepted: true });
    expect(ofType(fx, "peerUp")).toEqual([]);
    expect(n.core.activeEntries()).toEqual([]);
    expect(drops(fx)).toEqual(["unexpected-reply"]);
    expect(sent(fx, "disconnect", "c")).toHaveLength(1);
  });

  it("an accept for an expired request, arriving while a newer request to the same peer is pending, leaves a symmetric link", () => {
    // n asks p (#1); p accepts but the reply is slow; #1 expires; n asks p again (#2, last
    // resort); then #1's late accept arrives, then #2's. Both sides must agree on the link.
    for (let seed = 1; seed <= 6; seed++) {
      const net = new Net();
      const n = net.add(new Node(peer("n"), { activeViewSize: 2 }, seed));
      const p = net.add(new Node(P, { activeViewSize: 2 }, seed + 100));
      net.step("n", { type: "start" });
      net.step("p", { type: "start" });
      n.link(B);
      n.addPassive([P]);
      p.link(peer("z"));
      p.addPassive(["r1", "r2", "r3", "r4", "r5"].map((id) => peer(id)));
      const slowReply = (m: { from: { id: string }; message: { kind: string } }) =>
        m.from.id === "p" && m.message.kind === "neighborReply";

      net.now = 1_000;
      net.step("n", { type: "timer", timer: "maintenance" }); // NEIGHBOR #1 to p
      net.pump(100, slowReply); // p accepts; its reply is held
      expect(p.core.isActive("n")).toBe(true);
      net.now = 1_000 + n.config.requestTimeoutMs;
      net.step("n", { type: "timer", timer: "maintenance" }); // #1 expires
      expect(n.core.activeEntries().map((e) => e.peer.id)).toEqual(["b"]);
      net.now += n.config.maintenanceIntervalMs;
      net.step("n", { type: "timer", timer: "maintenance" }); // NEIGHBOR #2 to p
      expect(n.pendingIds()).toEqual(["p"]);
      net.pump(); // the late #1 reply, then everything else

      expect(net.asymmetric(), `seed ${seed}`).toEqual([]);
      expect(net.violations()).toEqual([]);
    }
  });
});
