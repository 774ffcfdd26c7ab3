/** JOIN and FORWARD_JOIN (§4.2), and the join retries a real network needs. */
import { describe, expect, it } from "vitest";
import type { Effect } from "../../src/protocol/index.js";
import { Net, Node, ofType, peer, sent } from "./harness.js";

const C = peer("c");
const J = peer("j");
const members = ["a1", "a2", "a3", "a4", "a5"].map((id) => peer(id));

function fullContact(seed: number): Node {
  const c = new Node(C, {}, seed);
  c.start();
  for (const m of members) c.link(m);
  expect(c.activeIds()).toEqual(["a1", "a2", "a3", "a4", "a5"]);
  return c;
}

describe("JOIN at the contact (§4.2)", () => {
  it("adds the joiner, evicts a random member with DISCONNECT when full, walks FORWARD_JOIN(ARWL) from every other confirmed member, and answers with the JOIN's request id", () => {
    const victims = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const c = fullContact(seed);
      const fx = c.receive(J, { kind: "join", requestId: 42 });

      const down = ofType(fx, "peerDown");
      expect(down).toHaveLength(1);
      const victim = down[0]!.peer.id;
      victims.add(victim);
      expect(down[0]!.reason).toBe("disconnected");
      expect(sent(fx, "disconnect").map((s) => [s.to.id, s.message.leaving])).toEqual([[victim, false]]);
      expect(ofType(fx, "disconnect").map((d) => d.peerId)).toEqual([victim]);
      // The evicted member stays a reserve: it moves to the passive view (§4.2).
      expect(c.passiveIds()).toEqual([victim]);

      expect(c.activeIds()).toContain("j");
      expect(c.activeIds()).not.toContain(victim);
      expect(ofType(fx, "peerUp").map((u) => u.peer.id)).toEqual(["j"]);
      expect(ofType(fx, "connect").map((u) => u.peer.id)).toEqual(["j"]);

      // FORWARD_JOIN(joiner, ARWL) to every other member of the view after the eviction.
      const walks = sent(fx, "forwardJoin");
      const others = members.map((m) => m.id).filter((id) => id !== victim);
      expect(walks.map((w) => w.to.id).sort()).toEqual(others);
      for (const w of walks) expect(w.message).toEqual({ kind: "forwardJoin", joiner: J, ttl: 6 });

      expect(sent(fx, "neighborReply", "j").map((s) => s.message)).toEqual([
        { kind: "neighborReply", requestId: 42, accepted: true },
      ]);
      expect(c.violations).toEqual([]);
    }
    // The victim is drawn at random, not always the same slot.
    expect(victims.size).toBeGreaterThan(2);
  });

  it("does not send FORWARD_JOIN to a pending member (its link is not confirmed)", () => {
    const c = new Node(C);
    c.start();
    c.link(members[0]!);
    c.link(members[1]!);
    // A walk that ends at c makes X a pending member (c's NEIGHBOR to X is unanswered).
    const X = peer("x");
    c.receive(members[0]!, { kind: "forwardJoin", joiner: X, ttl: 0 });
    expect(c.pendingIds()).toEqual(["x"]);

    const fx = c.receive(J, { kind: "join", requestId: 7 });
    expect(sent(fx, "forwardJoin").map((w) => w.to.id).sort()).toEqual(["a1", "a2"]);
    expect(ofType(fx, "peerDown")).toEqual([]);
  });

  it("answers a retried JOIN again without a second walk", () => {
    const c = new Node(C);
    c.start();
    c.link(members[0]!);
    c.receive(J, { kind: "join", requestId: 1 });
    const fx = c.receive(J, { kind: "join", requestId: 2 });
    expect(sent(fx, "forwardJoin")).toEqual([]);
    expect(sent(fx, "neighborReply").map((s) => s.message.requestId)).toEqual([2]);
    expect(c.activeIds()).toEqual(["a1", "j"]);
  });
});

describe("FORWARD_JOIN (§4.2)", () => {
  const S = peer("s");
  const B = peer("b");
  const D = peer("d");

  function node(seed = 1, withOthers = true): Node {
    const n = new Node(peer("n"), {}, seed);
    n.start();
    n.link(S);
    if (withOthers) {
      n.link(B);
      n.link(D);
    }
    return n;
  }

  it("ttl 0: links with the joiner through a high-priority NEIGHBOR, pending, with no peerUp until the joiner accepts", () => {
    const n = node();
    const fx = n.receive(S, { kind: "forwardJoin", joiner: J, ttl: 0 });
    const asks = sent(fx, "neighbor", "j");
    expect(asks).toHaveLength(1);
    expect(asks[0]!.message.priority).toBe("high");
    expect(ofType(fx, "connect").map((e) => e.peer.id)).toEqual(["j"]);
    expect(ofType(fx, "peerUp")).toEqual([]);
    expect(sent(fx, "forwardJoin")).toEqual([]);
    expect(n.pendingIds()).toEqual(["j"]);
    expect(n.activeIds()).not.toContain("j");

    const ok = n.receive(J, { kind: "neighborReply", requestId: asks[0]!.message.requestId, accepted: true });
    expect(ofType(ok, "peerUp").map((e) => e.peer.id)).toEqual(["j"]);
    expect(n.activeIds()).toContain("j");
    expect(n.pendingIds()).toEqual([]);
    expect(n.violations).toEqual([]);
  });

  it("a single active member ends the walk at any ttl (the paper's prose): same pending link", () => {
    const n = node(1, false);
    const fx = n.receive(S, { kind: "forwardJoin", joiner: J, ttl: 5 });
    expect(sent(fx, "neighbor", "j").map((s) => s.message.priority)).toEqual(["high"]);
    expect(sent(fx, "forwardJoin")).toEqual([]);
    expect(ofType(fx, "peerUp")).toEqual([]);
    expect(n.pendingIds()).toEqual(["j"]);
  });

  it("ttl == PRWL: puts the joiner in the passive view and passes the walk on with ttl - 1 to a random peer other than the sender", () => {
    const targets = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const n = node(seed);
      const fx = n.receive(S, { kind: "forwardJoin", joiner: J, ttl: 3 });
      expect(n.passiveIds()).toEqual(["j"]);
      expect(n.pendingIds()).toEqual([]);
      const walks = sent(fx, "forwardJoin");
      expect(walks).toHaveLength(1);
      expect(walks[0]!.message).toEqual({ kind: "forwardJoin", joiner: J, ttl: 2 });
      targets.add(walks[0]!.to.id);
      expect(sent(fx, "neighbor")).toEqual([]);
    }
    expect([...targets].sort()).toEqual(["b", "d"]);
  });

  it("any other ttl: only passes the walk on (ttl - 1, not back to the sender)", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const n = node(seed);
      const fx = n.receive(S, { kind: "forwardJoin", joiner: J, ttl: 5 });
      const walks = sent(fx, "forwardJoin");
      expect(walks).toHaveLength(1);
      expect(walks[0]!.message.ttl).toBe(4);
      expect(walks[0]!.to.id).not.toBe("s");
      expect(n.passiveIds()).toEqual([]);
      expect(n.core.activeEntries().map((e) => e.peer.id)).not.toContain("j");
      expect(fx.filter((e) => e.type !== "send")).toEqual([]);
    }
  });
});

describe("joining, end to end on three cores", () => {
  it("c starts the overlay, a and b join through it: every link is confirmed on both sides", () => {
    const net = new Net();
    for (const [id, seed] of [["c", 1], ["a", 2], ["b", 3]] as const) net.add(new Node(peer(id), {}, seed));
    for (const id of ["c", "a", "b"]) net.step(id, { type: "start" });
    net.step("c", { type: "join", contacts: [] });
    net.step("a", { type: "join", contacts: [C.address] });
    net.pump();
    net.step("b", { type: "join", contacts: [C.address] });
    net.pump();
    // c's FORWARD_JOIN reaches a, whose single active member ends the walk: a links with b.
    expect(net.node("c").activeIds()).toEqual(["a", "b"]);
    expect(net.node("a").activeIds()).toEqual(["b", "c"]);
    expect(net.node("b").activeIds()).toEqual(["a", "c"]);
    expect(net.asymmetric()).toEqual([]);
    expect(net.violations()).toEqual([]);
  });
});

describe("join retries (beyond the paper)", () => {
  const contacts = ["c1.test:7000", "c2.test:7000"];

  function joining(seed = 1): { n: Node; address: string; requestId: number } {
    const n = new Node(peer("n"), {}, seed);
    n.start();
    const joins = ofType(n.step({ type: "join", contacts }), "sendToContact");
    expect(joins).toHaveLength(1);
    expect(joins[0]!.message.kind).toBe("join");
    expect(contacts).toContain(joins[0]!.address);
    const m = joins[0]!.message;
    return { n, address: joins[0]!.address, requestId: m.kind === "join" ? m.requestId : -1 };
  }

  const joinDelay = (fx: readonly Effect[]) =>
    ofType(fx, "schedule").filter((s) => s.timer === "join").map((s) => s.delayMs);

  it("on contactFailed: retries after a backoff that doubles per failure, with jitter (half to full delay), capped", () => {
    let { n, address } = joining(5);
    for (let failure = 1; failure <= 10; failure++) {
      const fx = n.step({ type: "contactFailed", address });
      expect(ofType(fx, "sendToContact")).toEqual([]);
      const delays = joinDelay(fx);
      expect(delays).toHaveLength(1);
      const ceiling = Math.min(15_000, 250 * 2 ** (failure - 1));
      expect(delays[0]!).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delays[0]!).toBeLessThanOrEqual(ceiling);
      const failedAt = n.now;
      // Not before the backoff elapsed, even when maintenance runs.
      expect(ofType(n.timer("maintenance", failedAt + delays[0]! - 1), "sendToContact")).toEqual([]);
      const retry = ofType(n.timer("join", failedAt + delays[0]!), "sendToContact");
      expect(retry).toHaveLength(1);
      expect(retry[0]!.message.kind).toBe("join");
      address = retry[0]!.address;
    }
  });

  it("the backoff is jittered: nodes started together do not retry together", () => {
    const first = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const { n, address } = joining(seed);
      first.add(joinDelay(n.step({ type: "contactFailed", address }))[0]!);
    }
    expect(first.size).toBeGreaterThan(10);
  });

  it("a contactFailed for another address than the attempt under way changes nothing", () => {
    const { n, address } = joining(1);
    const other = contacts.find((a) => a !== address)!;
    const before = n.snapshot();
    expect(n.step({ type: "contactFailed", address: other })).toEqual([]);
    expect(n.snapshot()).toBe(before);
  });

  it("on timeout: an unanswered JOIN counts as failed at the maintenance tick, then is retried after the backoff", () => {
    const { n } = joining(3);
    expect(joinDelay(n.timer("maintenance", 2_999))).toEqual([]);
    const fx = n.timer("maintenance", 3_000);
    expect(ofType(fx, "sendToContact")).toEqual([]);
    const delays = joinDelay(fx);
    expect(delays).toHaveLength(1);
    expect(delays[0]!).toBeGreaterThanOrEqual(125);
    expect(delays[0]!).toBeLessThanOrEqual(250);
    const retry = ofType(n.timer("join", 3_000 + delays[0]!), "sendToContact");
    expect(retry.map((r) => r.message.kind)).toEqual(["join"]);
  });

  it("an accepted JOIN makes the contact a confirmed active peer and stops retrying", () => {
    const { n, address, requestId } = joining(2);
    const contact = peer(address.split(".")[0]!, 1, address);
    const fx = n.receive(contact, { kind: "neighborReply", requestId, accepted: true });
    expect(ofType(fx, "peerUp").map((u) => u.peer.id)).toEqual([contact.id]);
    expect(n.activeIds()).toEqual([contact.id]);
    expect(ofType(n.timer("maintenance", 10_000), "sendToContact")).toEqual([]);
    expect(ofType(n.timer("join", 20_000), "sendToContact")).toEqual([]);
    expect(n.violations).toEqual([]);
  });
});
