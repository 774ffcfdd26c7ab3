/**
 * Beyond the paper: a node whose active view is full probes one passive entry that failed before
 * (high-priority NEIGHBOR, at most once per probeIntervalMs), so the halves of a healed partition
 * find each other again (DESIGN.md lesson). Nothing is probed in a healthy overlay. A view that
 * stays short for 3 probe intervals probes too (an island of short nodes). Request ids of two
 * runs of one node never meet.
 */
import { describe, expect, it } from "vitest";
import type { ProtocolConfig } from "../../src/protocol/index.js";
import { Net, Node, ofType, peer, sent } from "./harness.js";

const F = peer("f");
const G = peer("g");

/** n: full active view (2 of 2), passive {f, g}; `failed` of them failed once at t = 0. */
function full(failed: readonly string[], config: Partial<ProtocolConfig> = {}, seed = 1): Node {
  const n = new Node(peer("n"), { activeViewSize: 2, ...config }, seed);
  n.start();
  n.link(peer("a"));
  n.link(peer("b"));
  n.addPassive([F, G]);
  for (const id of failed) n.step({ type: "linkLost", peerId: id }, 0);
  return n;
}

const probes = (fx: ReturnType<Node["step"]>) =>
  sent(fx, "neighbor").map((s) => `${s.to.id}:${s.message.priority}`);

describe("probing last-resort passive entries", () => {
  it("a healthy node (no failed entry) probes nothing", () => {
    const n = full([]);
    for (let t = 1_000; t <= 60_000; t += 1_000) expect(probes(n.timer("maintenance", t))).toEqual([]);
    expect(n.core.probesSent).toBe(0);
  });

  it("a full node probes one failed entry with a high-priority NEIGHBOR, at most once per probeIntervalMs", () => {
    const n = full(["f", "g"]);
    const interval = n.config.probeIntervalMs;
    expect(interval).toBeGreaterThan(0);
    const sentAt: number[] = [];
    for (let t = 1_000; t <= 3 * interval; t += 1_000) {
      const out = probes(n.timer("maintenance", t));
      expect(out.length).toBeLessThanOrEqual(1);
      if (out.length === 1) {
        expect(out[0]).toMatch(/^[fg]:high$/);
        sentAt.push(t);
      }
    }
    expect(sentAt.length).toBeGreaterThanOrEqual(2);
    // Counted for the host's stats: each one sent, no more.
    expect(n.core.probesSent).toBe(sentAt.length);
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(interval);
  });

  it("not while the active view has a free slot (repair handles that) or when disabled", () => {
    const short = new Node(peer("n"), { activeViewSize: 3 });
    short.start();
    short.link(peer("a"));
    short.addPassive([F]);
    short.step({ type: "linkLost", peerId: "f" }, 0);
    short.link(peer("b"));
    // f is asked by repair as a last resort (low priority), never probed at high priority.
    for (let t = 1_000; t <= 30_000; t += 1_000) {
      for (const p of probes(short.timer("maintenance", t))) expect(p).toBe("f:low");
    }
    const off = full(["f", "g"], { probeIntervalMs: 0 });
    for (let t = 1_000; t <= 60_000; t += 1_000) expect(probes(off.timer("maintenance", t))).toEqual([]);
  });

  it("an accepted probe makes the link (a random member is dropped to make room)", () => {
    const n = full(["f"]);
    let ask: ReturnType<typeof sent<"neighbor">> = [];
    for (let t = 1_000; ask.length === 0 && t <= 60_000; t += 1_000) ask = sent(n.timer("maintenance", t), "neighbor");
    expect(ask.map((s) => s.to.id)).toEqual(["f"]);
    const fx = n.receive(F, { kind: "neighborReply", requestId: ask[0]!.message.requestId, accepted: true });
    expect(ofType(fx, "peerUp").map((u) => u.peer.id)).toEqual(["f"]);
    expect(ofType(fx, "peerDown").map((d) => d.reason)).toEqual(["disconnected"]);
    expect(sent(fx, "disconnect")).toHaveLength(1);
    expect(n.activeIds()).toContain("f");
    expect(n.core.activePeers()).toHaveLength(2);
    expect(n.violations).toEqual([]);
  });

  it("an unanswered or undeliverable probe counts as one more failure of that entry", () => {
    for (const how of ["timeout", "linkLost"] as const) {
      // Two failures drop an entry here (no retention), so the probe's failure is visible.
      const n = full(["f"], { passiveMaxFailures: 2, passiveRetentionMs: 0 });
      let at = 0;
      for (let t = 1_000; at === 0 && t <= 60_000; t += 1_000) if (probes(n.timer("maintenance", t)).length) at = t;
      expect(at).toBeGreaterThan(0);
      expect(n.passiveIds()).toEqual(["f", "g"]);
      if (how === "linkLost") n.step({ type: "linkLost", peerId: "f" }, at + 10);
      else n.timer("maintenance", at + n.config.requestTimeoutMs);
      expect(n.passiveIds(), how).toEqual(["g"]);
      expect(n.activeIds()).toEqual(["a", "b"]);
    }
  });
});

describe("probing from a view that stays short", () => {
  it("after 3 probe intervals of low-priority refusals, asks with high priority, at most once per interval", () => {
    const n = new Node(peer("n"), { activeViewSize: 2 });
    n.start();
    n.link(peer("a"));
    n.addPassive([F]);
    const interval = n.config.probeIntervalMs;
    const high: number[] = [];
    let shortFrom = 0;
    for (let t = 1_000; t <= 1_000 + 6 * interval; t += 1_000) {
      const fx = n.timer("maintenance", t);
      if (shortFrom === 0) shortFrom = t;
      for (const s of sent(fx, "neighbor")) {
        if (s.message.priority === "high") high.push(t);
        // Every full node refuses a low-priority NEIGHBOR; the probe goes unanswered too.
        else n.receive(F, { kind: "neighborReply", requestId: s.message.requestId, accepted: false }, t);
      }
    }
    expect(high.length).toBeGreaterThanOrEqual(2);
    expect(high[0]! - shortFrom).toBeGreaterThanOrEqual(3 * interval);
    for (let i = 1; i < high.length; i++) expect(high[i]! - high[i - 1]!).toBeGreaterThanOrEqual(interval);
  });

  it("a view that fills up in time never probes", () => {
    const n = new Node(peer("n"), { activeViewSize: 2 });
    n.start();
    n.link(peer("a"));
    n.addPassive([F]);
    let highs = 0;
    for (let t = 1_000; t <= 10 * n.config.probeIntervalMs; t += 1_000) {
      for (const s of sent(n.timer("maintenance", t), "neighbor")) {
        if (s.message.priority === "high") highs++;
        else n.receive(F, { kind: "neighborReply", requestId: s.message.requestId, accepted: true }, t);
      }
    }
    expect(n.activeIds()).toEqual(["a", "f"]);
    expect(highs).toBe(0);
  });
});

describe("request ids of two runs of the same node never meet", () => {
  it("a reply meant for the previous run does not answer the new run's JOIN", () => {
    const run1 = new Node(peer("n", 1), {}, 7);
    run1.start();
    const join1 = ofType(run1.step({ type: "join", contacts: ["c:1"] }, 0), "sendToContact")[0]!.message;
    const run2 = new Node(peer("n", 2), {}, 8);
    run2.start();
    const join2 = ofType(run2.step({ type: "join", contacts: ["d:1"] }, 0), "sendToContact")[0]!.message;
    if (join1.kind !== "join" || join2.kind !== "join") throw new Error("expected JOINs");
    expect(join2.requestId).not.toBe(join1.requestId);
    const fx = run2.receive(peer("c"), { kind: "neighborReply", requestId: join1.requestId, accepted: true }, 10);
    expect(ofType(fx, "peerUp")).toEqual([]);
    expect(run2.activeIds()).toEqual([]);
  });
});

describe("a healed partition re-merges (lesson), on six hand-wired cores", () => {
  /** Six cores join through n0 and shuffle; then {n0,n1,n2} and {n3,n4,n5} are cut apart for
   * `cutMs`, each half refilling its views inside itself; then the cut heals. */
  function partitionAndHeal(seed: number, config: Partial<ProtocolConfig>) {
    const net = new Net();
    net.failUndeliverable = true;
    const ids = ["n0", "n1", "n2", "n3", "n4", "n5"];
    for (const [i, id] of ids.entries()) {
      net.add(new Node(peer(id), { activeViewSize: 2, passiveViewSize: 8, ...config }, seed * 10 + i));
      net.step(id, { type: "start" });
      net.step(id, { type: "join", contacts: id === "n0" ? [] : [peer("n0").address] });
      net.pump();
    }
    const round = (timer: "maintenance" | "shuffle") => {
      net.now += 1_000;
      for (const id of ids) net.step(id, { type: "timer", timer });
      net.pump();
    };
    for (let i = 0; i < 10; i++) round(i % 2 ? "shuffle" : "maintenance");
    const side = (id: string) => Number(id.slice(1)) < 3;
    net.cut = (a, b) => side(a) !== side(b);
    for (const id of ids) {
      for (const e of [...net.node(id).core.activeEntries()]) {
        if (side(e.peer.id) !== side(id)) net.step(id, { type: "linkLost", peerId: e.peer.id });
      }
    }
    net.pump();
    for (let i = 0; i < 30; i++) round(i % 2 ? "shuffle" : "maintenance");
    const splitWhileCut = !net.connected();
    net.cut = () => false;
    for (let i = 0; i < 60; i++) round(i % 2 ? "shuffle" : "maintenance");
    return { net, splitWhileCut };
  }

  it.each([1, 2, 3, 4])("seed %i: connected again after the cut heals, links symmetric", (seed) => {
    const { net, splitWhileCut } = partitionAndHeal(seed, {});
    expect(splitWhileCut).toBe(true);
    expect(net.connected()).toBe(true);
    expect(net.asymmetric()).toEqual([]);
    expect(net.violations()).toEqual([]);
  });
});
