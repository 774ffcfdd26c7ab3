import { describe, expect, it } from "vitest";
import type { PeerRecord } from "../../src/protocol/index.js";
import { judgeHandshake, type ExistingLink } from "../../src/transport/handshake.js";
import { due } from "../../src/transport/monitor.js";
import { survivor, type LinkFacts } from "../../src/transport/survivor.js";
import type { Link } from "../../src/transport/link.js";

const facts = (dialledByUs: boolean, targetKnown = true, dead = false): LinkFacts => ({ dialledByUs, targetKnown, dead });

describe("survivor (duplicate links)", () => {
  it("a simultaneous dial keeps the link dialled by the smaller id, the same on both sides", () => {
    // Whatever the order of arrival, both keep a's dial: on "a" the one it dialled, on "b" the
    // one it did not.
    expect(survivor("a", "b", facts(true), facts(false))).toBe("existing");
    expect(survivor("a", "b", facts(false), facts(true))).toBe("incoming");
    expect(survivor("b", "a", facts(false), facts(true))).toBe("existing");
    expect(survivor("b", "a", facts(true), facts(false))).toBe("incoming");
  });

  it("a dead (parked) link always gives way", () => {
    expect(survivor("a", "b", facts(true, true, true), facts(false))).toBe("incoming");
    expect(survivor("z", "b", facts(true, true, true), facts(true, false))).toBe("incoming");
  });

  it("two links dialled by us: the existing one stays (the other is a contact dial)", () => {
    expect(survivor("a", "b", facts(true), facts(true, false))).toBe("existing");
  });

  it("two links dialled by the peer: a dial naming us replaces; a contact dial gives way", () => {
    expect(survivor("a", "b", facts(false), facts(false, true))).toBe("incoming");
    expect(survivor("a", "b", facts(false), facts(false, false))).toBe("existing");
  });

  it("agrees on both sides for every ordering of a same-dialler pair (contact vs by-id)", () => {
    // Dialler keeps its keyed link over a contact dial; the server, seeing either order, agrees.
    const atDialler = survivor("s", "r", facts(true, true), facts(true, false)); // keyed existing, contact incoming
    const atServerKeyedFirst = survivor("r", "s", facts(false, true), facts(false, false));
    const atServerContactFirst = survivor("r", "s", facts(false, false), facts(false, true));
    expect([atDialler, atServerKeyedFirst, atServerContactFirst]).toEqual(["existing", "existing", "incoming"]);
  });
});

const peer = (id: string, incarnation = 5): PeerRecord => ({ id, address: "127.0.0.1:1", incarnation, metadata: {} });
const existing = (over: Partial<ExistingLink> = {}): ExistingLink => ({
  confirmed: true,
  incarnation: 5,
  dialledByUs: true,
  targetKnown: true,
  dead: false,
  ...over,
});

describe("judgeHandshake", () => {
  it("refuses our own id, and a target that is not the node reached", () => {
    expect(judgeHandshake({ selfId: "a", dialledByUs: false, targetId: "", existing: undefined }, peer("a"))).toMatchObject({
      kind: "refuse",
      rule: "own-id",
    });
    expect(judgeHandshake({ selfId: "a", dialledByUs: false, targetId: "c", existing: undefined }, peer("b"))).toMatchObject({
      kind: "refuse",
      rule: "wrong-target",
    });
    expect(judgeHandshake({ selfId: "a", dialledByUs: true, targetId: "c", existing: undefined }, peer("b"))).toMatchObject({
      kind: "refuse",
      rule: "wrong-target",
    });
    expect(judgeHandshake({ selfId: "a", dialledByUs: false, targetId: "a", existing: undefined }, peer("b"))).toEqual({
      kind: "accept",
      existing: "none",
    });
  });

  it("a newer incarnation replaces the linked one; an older one is refused", () => {
    const ctx = { selfId: "a", dialledByUs: false, targetId: "a" };
    expect(judgeHandshake({ ...ctx, existing: existing() }, peer("b", 6))).toEqual({ kind: "accept", existing: "replace" });
    expect(judgeHandshake({ ...ctx, existing: existing() }, peer("b", 4))).toMatchObject({
      kind: "refuse",
      rule: "older-incarnation",
    });
  });

  it("ignores the incarnation of an unconfirmed link (the core's record may be stale) and applies the duplicate rule", () => {
    const ctx = { selfId: "a", dialledByUs: false, targetId: "a" };
    // a < b: a's own (unconfirmed) dial survives, whatever the incarnations say.
    expect(judgeHandshake({ ...ctx, existing: existing({ confirmed: false, incarnation: 1 }) }, peer("b", 9))).toEqual({
      kind: "duplicate",
    });
    expect(
      judgeHandshake({ selfId: "c", dialledByUs: false, targetId: "c", existing: existing({ confirmed: false }) }, peer("b")),
    ).toEqual({ kind: "accept", existing: "retire" });
  });
});

describe("monitor", () => {
  const t = { heartbeatIntervalMs: 100, failureTimeoutMs: 600, exchangeTimeoutMs: 500 };
  const link = (over: Partial<Link>): Link =>
    ({
      state: "open",
      active: true,
      closing: false,
      queue: [],
      idleWrites: true,
      createdAt: 0,
      lastReceived: 0,
      lastSent: 0,
      lastActivity: 0,
      parkedAt: 0,
      ...over,
    }) as unknown as Link;

  it("heartbeats an idle active link, and declares it hung after the failure timeout", () => {
    expect(due(link({}), 50, t)).toBe("nothing");
    expect(due(link({}), 100, t)).toBe("heartbeat");
    expect(due(link({ idleWrites: false }), 100, t)).toBe("nothing"); // a blocked stream is not fed heartbeats
    expect(due(link({ lastSent: 590 }), 601, t)).toBe("hung");
  });

  it("closes links that are not active once the exchange is over", () => {
    const short = { active: false, dialled: true };
    expect(due(link(short), 400, t)).toBe("nothing");
    expect(due(link(short), 501, t)).toBe("idle");
    expect(due(link({ ...short, queue: [{}] as never }), 501, t)).toBe("stuck");
    expect(due(link({ ...short, lastReceived: 500 }), 501, t)).toBe("idle"); // heartbeats are not activity
    // The receiver waits longer than the dialler, so the dialler normally closes first.
    expect(due(link({ active: false, dialled: false }), 501, t)).toBe("nothing");
    expect(due(link({ active: false, dialled: false }), 751, t)).toBe("idle");
  });

  it("times out handshakes, parked links and unfinished ends", () => {
    expect(due(link({ state: "handshaking" }), 501, t)).toBe("handshake-timeout");
    expect(due(link({ state: "parked", parkedAt: 100 }), 601, t)).toBe("parked-timeout");
    expect(due(link({ state: "ended" }), 501, t)).toBe("end-timeout");
    expect(due(link({ state: "closed" }), 10_000, t)).toBe("nothing");
  });
});
