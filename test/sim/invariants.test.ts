import { describe, expect, test } from "vitest";
import { checkInvariants, formatViolations, type InvariantRule, type Simulation } from "../../src/sim/index.js";
import type { PeerRecord } from "../../src/protocol/index.js";

interface FakeNode {
  /** "n3" confirmed, "n3?" pending, "n3@1" an older incarnation. */
  active: string[];
  passive: string[];
  up?: boolean;
  incarnation?: number;
}

const rec = (id: string, incarnation = 2): PeerRecord => ({ id, address: `sim:${id.slice(1)}`, incarnation, metadata: {} });

/** Just enough of a Simulation for the checker: views written by hand, so every rule can be broken. */
function fake(nodes: FakeNode[], opts: { loss?: number; detectCrashes?: boolean } = {}): Simulation {
  const parse = (s: string) => {
    const m = /^(n\d+)(?:@(\d+))?(\?)?$/.exec(s)!;
    return { peer: rec(m[1]!, m[2] ? Number(m[2]) : 2), pending: m[3] === "?" };
  };
  const cores = nodes.map((n, i) => ({
    status: "running",
    self: rec(`n${i}`, n.incarnation ?? 2),
    activeEntries: () => n.active.map(parse),
    passivePeers: () => n.passive.map((s) => parse(s).peer),
    isActive: (id: string) => n.active.some((s) => parse(s).peer.id === id && !parse(s).pending),
  }));
  return {
    size: nodes.length,
    options: { loss: opts.loss ?? 0, detectCrashes: opts.detectCrashes ?? true },
    config: { activeViewSize: 2, passiveViewSize: 3 },
    isUp: (i: number) => nodes[i]!.up !== false,
    nodeState: (i: number) => (nodes[i]!.up !== false ? "up" : "crashed"),
    core: (i: number) => cores[i],
    record: (i: number) => cores[i]!.self,
    indexOf: (id: string) => Number(id.slice(1)),
  } as unknown as Simulation;
}

const rules = (sim: Simulation, quiet: boolean) => checkInvariants(sim, { quiet }).map((v) => `${v.rule}@${v.node}`).sort();

describe("checkInvariants", () => {
  test("a consistent overlay has no violations, quiet or not", () => {
    const sim = fake([
      { active: ["n1", "n2"], passive: ["n3"] },
      { active: ["n0"], passive: ["n2", "n3"] },
      { active: ["n0"], passive: [] },
      { active: [], passive: ["n0"] },
    ]);
    expect(checkInvariants(sim, { quiet: true })).toEqual([]);
  });

  test.each<[string, FakeNode[], boolean, InvariantRule]>([
    ["self in the active view", [{ active: ["n0"], passive: [] }], false, "self-in-view"],
    ["self in the passive view", [{ active: [], passive: ["n0"] }], false, "self-in-view"],
    ["active and passive overlap", [{ active: ["n1"], passive: ["n1"] }, { active: ["n0"], passive: [] }], false, "active-passive-overlap"],
    ["active view too large", [{ active: ["n1", "n2", "n3"], passive: [] }, ...Array(3).fill({ active: [], passive: [] })], false, "active-too-large"],
    ["passive view too large", [{ active: [], passive: ["n1", "n2", "n3", "n4"] }, ...Array(4).fill({ active: [], passive: [] })], false, "passive-too-large"],
    ["duplicate in active", [{ active: ["n1", "n1"], passive: [] }, { active: ["n0"], passive: [] }], false, "duplicate-in-active"],
    ["duplicate in passive", [{ active: [], passive: ["n1", "n1"] }, { active: [], passive: [] }], false, "duplicate-in-passive"],
    ["asymmetric link", [{ active: ["n1"], passive: [] }, { active: [], passive: [] }], true, "asymmetric-active"],
    ["half-confirmed link", [{ active: ["n1"], passive: [] }, { active: ["n0?"], passive: [] }], true, "asymmetric-active"],
    ["crashed peer kept", [{ active: ["n1"], passive: [] }, { active: ["n0"], passive: [], up: false }], true, "dead-peer-in-active"],
    ["older incarnation kept", [{ active: ["n1@1"], passive: [] }, { active: ["n0"], passive: [] }], true, "stale-incarnation"],
  ])("finds: %s", (_name, nodes, quiet, rule) => {
    const sim = fake(nodes);
    const found = checkInvariants(sim, { quiet });
    expect(found.map((v) => v.rule)).toContain(rule);
    expect(formatViolations(sim, found)).toContain(rule);
  });

  test("quiet-only rules are not checked while messages are in flight", () => {
    const sim = fake([{ active: ["n1"], passive: [] }, { active: ["n0?"], passive: [] }]);
    expect(rules(sim, false)).toEqual([]);
    expect(rules(sim, true)).toEqual(["asymmetric-active@0", "pending-when-quiet@1"]);
  });

  test("pending entries are tolerated at quiet when messages can be lost; dead peers when crashes go undetected", () => {
    const lossy = fake([{ active: ["n1?"], passive: [] }, { active: [], passive: [] }], { loss: 0.1 });
    expect(rules(lossy, true)).toEqual([]);
    const undetected = fake([{ active: ["n1"], passive: [] }, { active: ["n0"], passive: [], up: false }], { detectCrashes: false });
    expect(rules(undetected, true)).toEqual([]);
  });
});
