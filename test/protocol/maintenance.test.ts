/** Beyond the paper: periodic repair, rejoining through the contacts when isolated, leaving. */
import { describe, expect, it } from "vitest";
import type { Effect, Input, ProtocolConfig } from "../../src/protocol/index.js";
import { Node, drops, ofType, peer, sent } from "./harness.js";

const A = peer("a");
const B = peer("b");
const P = peer("p");
const Q = peer("q");
const C = peer("c");

function node(config: Partial<ProtocolConfig> = {}, seed = 1): Node {
  const n = new Node(peer("n"), config, seed);
  n.start();
  return n;
}

const joins = (fx: readonly Effect[]) => ofType(fx, "sendToContact").filter((e) => e.message.kind === "join");

describe("periodic repair while the active view is below its size", () => {
  it("the maintenance timer re-arms and sends NEIGHBOR to passive peers to fill the free slots", () => {
    const n = node();
    n.link(A);
    n.addPassive([P, Q]);
    const fx = n.timer("maintenance", 1_000);
    expect(ofType(fx, "schedule")).toEqual([{ type: "schedule", timer: "maintenance", delayMs: n.config.maintenanceIntervalMs }]);
    expect(sent(fx, "neighbor").map((s) => [s.to.id, s.message.priority]).sort()).toEqual([
      ["p", "low"],
      ["q", "low"],
    ]);
    expect(n.pendingIds()).toEqual(["p", "q"]);
  });

  it("keeps trying: a peer that rejected is asked again at a later round, after a rest", () => {
    const n = node();
    n.link(A);
    n.addPassive([P]);
    const ask = sent(n.timer("maintenance", 1_000), "neighbor")[0]!;
    n.receive(P, { kind: "neighborReply", requestId: ask.message.requestId, accepted: false }, 1_100);
    // It rests (one shuffle period) so a short node does not sweep its passive view every round.
    const rest = n.config.shuffleIntervalMs;
    expect(rest).toBeGreaterThanOrEqual(n.config.maintenanceIntervalMs);
    expect(sent(n.timer("maintenance", 1_100 + rest - 1), "neighbor")).toEqual([]);
    expect(sent(n.timer("maintenance", 1_100 + rest), "neighbor").map((s) => s.to.id)).toEqual(["p"]);
  });

  it("does nothing when the active view is full", () => {
    const n = node({ activeViewSize: 2 });
    n.link(A);
    n.link(B);
    n.addPassive([P]);
    const fx = n.timer("maintenance", 1_000);
    expect(fx.filter((e) => e.type !== "schedule")).toEqual([]);
  });
});

describe("rejoin through the contacts when isolated", () => {
  /** n joined through c and c accepted. */
  function joined(config: Partial<ProtocolConfig> = {}, seed = 1): Node {
    const n = node(config, seed);
    const join = joins(n.step({ type: "join", contacts: [C.address] }))[0]!;
    const requestId = join.message.kind === "join" ? join.message.requestId : -1;
    n.receive(C, { kind: "neighborReply", requestId, accepted: true });
    expect(n.activeIds()).toEqual(["c"]);
    return n;
  }

  it("when both views are empty: JOIN via the contacts again at the next maintenance tick", () => {
    const n = joined({ keepFailedAsPassive: false });
    const lost = n.step({ type: "linkLost", peerId: "c" }, 500);
    expect(n.core.activeEntries()).toEqual([]);
    expect(n.passiveIds()).toEqual([]);
    expect(joins(lost)).toEqual([]);
    const again = joins(n.timer("maintenance", 1_000));
    expect(again.map((j) => j.address)).toEqual([C.address]);
  });

  it("when no passive entry is fresh (only failed ones): JOIN via the contacts again", () => {
    const n = joined();
    n.step({ type: "linkLost", peerId: "c" }, 500);
    expect(n.passiveIds()).toEqual(["c"]); // a last-resort candidate, not fresh
    expect(joins(n.timer("maintenance", 1_000)).map((j) => j.address)).toEqual([C.address]);
  });

  it("not while a fresh passive entry remains", () => {
    const n = joined({ activeViewSize: 1 });
    n.addPassive([P, Q]);
    const lost = n.step({ type: "linkLost", peerId: "c" }, 500);
    expect(sent(lost, "neighbor").map((s) => s.message.priority)).toEqual(["high"]);
    expect(joins(n.timer("maintenance", 1_000))).toEqual([]);
  });

  it("after the backoff when the rejoin fails too", () => {
    const n = joined({ keepFailedAsPassive: false });
    n.step({ type: "linkLost", peerId: "c" }, 500);
    const rejoin = joins(n.timer("maintenance", 1_000));
    expect(rejoin).toHaveLength(1);
    const failed = n.step({ type: "contactFailed", address: C.address }, 1_010);
    const delay = ofType(failed, "schedule").find((s) => s.timer === "join")!.delayMs;
    expect(joins(n.timer("maintenance", 1_010 + delay - 1))).toEqual([]);
    expect(joins(n.timer("join", 1_010 + delay)).map((j) => j.address)).toEqual([C.address]);
  });

  it("a node that started the overlay (no contacts) never sends JOIN", () => {
    const n = node({ keepFailedAsPassive: false });
    n.step({ type: "join", contacts: [] });
    n.link(A);
    n.step({ type: "linkLost", peerId: "a" }, 500);
    expect(joins(n.timer("maintenance", 1_000))).toEqual([]);
    expect(joins(n.timer("join", 2_000))).toEqual([]);
  });
});

describe("leave", () => {
  it("sends DISCONNECT(leaving) to every active peer, empties the views, then drops every input ('left')", () => {
    const n = node();
    n.link(A);
    n.link(B);
    n.receive(A, { kind: "forwardJoin", joiner: peer("e"), ttl: 0 }); // e: pending
    n.addPassive([P]);
    const fx = n.step({ type: "leave" });
    expect(sent(fx, "disconnect").map((s) => [s.to.id, s.message.leaving]).sort()).toEqual([
      ["a", true],
      ["b", true],
      ["e", true],
    ]);
    expect(ofType(fx, "peerDown").map((d) => d.peer.id).sort()).toEqual(["a", "b"]); // e was never up
    expect(n.core.status).toBe("left");
    expect(n.core.activeEntries()).toEqual([]);
    expect(n.passiveIds()).toEqual([]);
    expect(n.violations).toEqual([]);

    const after: Input[] = [
      { type: "message", from: A, message: { kind: "neighbor", priority: "high", requestId: 1 } },
      { type: "message", from: B, message: { kind: "join", requestId: 2 } },
      { type: "timer", timer: "maintenance" },
      { type: "timer", timer: "shuffle" },
      { type: "linkLost", peerId: "a" },
      { type: "linkUp", peer: A },
      { type: "join", contacts: [C.address] },
      { type: "start" },
      { type: "leave" },
    ];
    for (const input of after) {
      const out = n.step(input, 5_000);
      expect(drops(out), input.type).toEqual(["left"]);
      expect(out).toHaveLength(1);
    }
    expect(n.core.activeEntries()).toEqual([]);
    expect(n.passiveIds()).toEqual([]);
  });
});
