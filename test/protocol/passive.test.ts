/** Passive view failure bookkeeping: no purge on one failure (DESIGN.md lesson), unless configured as the paper. */
import { describe, expect, it } from "vitest";
import type { ProtocolConfig } from "../../src/protocol/index.js";
import { Node, peer, sent } from "./harness.js";

const P = peer("p");

function withPassive(config: Partial<ProtocolConfig> = {}): Node {
  const n = new Node(peer("n"), config);
  n.start();
  n.link(peer("a"));
  n.addPassive([P]);
  return n;
}

const fail = (n: Node, at: number) => n.step({ type: "linkLost", peerId: "p" }, at);

describe("passive entries that fail", () => {
  it("stay after one failure, and after passiveMaxFailures failures within passiveRetentionMs", () => {
    const n = withPassive();
    const { passiveMaxFailures: max, passiveRetentionMs: retention } = n.config;
    expect(max).toBeGreaterThan(1);
    expect(retention).toBeGreaterThan(0);
    fail(n, 0);
    expect(n.passiveIds()).toEqual(["p"]);
    for (let i = 1; i < max + 2; i++) fail(n, i * 10);
    expect(n.passiveIds()).toEqual(["p"]);
    fail(n, retention - 1);
    expect(n.passiveIds()).toEqual(["p"]);
    fail(n, retention);
    expect(n.passiveIds()).toEqual([]);
  });

  it("stay after failures spanning passiveRetentionMs until there are passiveMaxFailures of them", () => {
    const n = withPassive({ passiveMaxFailures: 3, passiveRetentionMs: 60_000 });
    fail(n, 0);
    fail(n, 70_000);
    expect(n.passiveIds()).toEqual(["p"]);
    fail(n, 70_001);
    expect(n.passiveIds()).toEqual([]);
  });

  it("are dropped at the first failure with {passiveMaxFailures: 1, passiveRetentionMs: 0}, as in the paper", () => {
    const n = withPassive({ passiveMaxFailures: 1, passiveRetentionMs: 0 });
    fail(n, 0);
    expect(n.passiveIds()).toEqual([]);
  });

  it("an unanswered NEIGHBOR counts as a failure: kept by default, dropped with the paper's policy", () => {
    for (const [config, kept] of [
      [{}, ["p"]],
      [{ passiveMaxFailures: 1, passiveRetentionMs: 0 }, []],
    ] as const) {
      const n = withPassive(config);
      expect(sent(n.timer("maintenance", 1_000), "neighbor").map((s) => s.to.id)).toEqual(["p"]);
      n.timer("maintenance", 1_000 + n.config.requestTimeoutMs);
      expect(n.pendingIds()).toEqual([]);
      expect(n.passiveIds()).toEqual(kept);
    }
  });

  it("a failed entry is a last-resort candidate, retried after a rest that doubles per failure", () => {
    const n = withPassive({ activeViewSize: 2 });
    const interval = n.config.maintenanceIntervalMs;
    fail(n, 0);
    expect(sent(n.timer("maintenance", interval - 1), "neighbor")).toEqual([]);
    const ask = sent(n.timer("maintenance", interval), "neighbor");
    expect(ask.map((s) => s.to.id)).toEqual(["p"]);
    // The attempt fails too (second failure): now it rests two intervals.
    fail(n, interval + 10);
    expect(sent(n.timer("maintenance", interval + 10 + 2 * interval - 1), "neighbor")).toEqual([]);
    expect(sent(n.timer("maintenance", interval + 10 + 2 * interval), "neighbor").map((s) => s.to.id)).toEqual(["p"]);
  });
});
