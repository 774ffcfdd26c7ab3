import { describe, expect, test } from "vitest";
import { components, Simulation, SimOptionError } from "../../src/sim/index.js";
import { anyoneHasActive, expectInvariants, settledOverlay } from "./helpers.js";

describe("Simulation: the network model", () => {
  test("a JOIN and its reply each take one latency; peerUp hooks see simulated time", () => {
    const ups: [number, string, number][] = [];
    const sim = new Simulation({ seed: 1, nodes: 2, latency: 7, timers: false, hooks: { peerUp: (i, p, t) => ups.push([i, p.id, t]) } });
    sim.joinAll();
    expect(ups).toEqual([
      [0, "n1", 7],
      [1, "n0", 14],
    ]);
    expect(sim.now).toBe(14);
    expect(sim.stats.messagesDelivered).toBe(2);
    expect(sim.activeIndices(0)).toEqual([1]);
    expect(sim.activeIndices(1)).toEqual([0]);
  });

  test("uniform latency stays within its bounds", () => {
    // Pairs: node 2k starts alone, node 2k+1 joins through it. The contact admits the joiner one
    // latency after the JOIN; the joiner sees the reply after two.
    const at: number[] = [];
    const sim = new Simulation({
      seed: 3,
      nodes: 80,
      latency: { min: 5, max: 9 },
      timers: false,
      hooks: { peerUp: (i, _p, t) => void (at[i] = t) },
    });
    const one: number[] = [];
    const two: number[] = [];
    for (let k = 0; k < 40; k++) {
      const t0 = sim.now;
      sim.start(2 * k);
      sim.join(2 * k, []);
      sim.start(2 * k + 1);
      sim.join(2 * k + 1, [2 * k]);
      sim.runUntilQuiet();
      one.push(at[2 * k]! - t0);
      two.push(at[2 * k + 1]! - t0);
    }
    expect(Math.min(...one)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...one)).toBeLessThanOrEqual(9);
    expect(Math.max(...one) - Math.min(...one)).toBeGreaterThan(2); // really drawn, not fixed
    expect(Math.min(...two)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...two)).toBeLessThanOrEqual(18);
  });

  test("loss drops about the configured share of messages", () => {
    const sim = new Simulation({ seed: 5, nodes: 200, loss: 0.3, timers: false });
    sim.joinAll();
    for (let c = 0; c < 5; c++) sim.cycle();
    const share = sim.stats.lost / sim.stats.messagesSent;
    expect(sim.stats.messagesSent).toBeGreaterThan(5000);
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect(sim.stats.messagesDelivered + sim.stats.lost + sim.stats.deadTarget).toBe(sim.stats.messagesSent);
  });

  test("runUntil runs what is due, then sets the clock; at() runs scripted actions in time order", () => {
    const sim = new Simulation({ seed: 1, nodes: 3 });
    const seen: number[] = [];
    sim.at(50, (s) => seen.push(s.now));
    sim.at(20, (s) => seen.push(s.now));
    sim.runUntil(40);
    expect(seen).toEqual([20]);
    expect(sim.now).toBe(40);
    sim.runFor(10);
    expect(seen).toEqual([20, 50]);
  });

  test("with timers on, the cores shuffle by themselves", () => {
    const sim = new Simulation({ seed: 2, nodes: 30 });
    sim.joinAll({ between: 50 });
    sim.runFor(30_000);
    expect(sim.stats.sentByKind.shuffle).toBeGreaterThan(30 * 4);
    expect(sim.stats.timers).toBeGreaterThan(30 * 30);
    expect(components(sim).count).toBe(1);
    expectInvariants(sim);
  });

  test("rejects bad options", () => {
    expect(() => new Simulation({ seed: 1, loss: 1 })).toThrow(SimOptionError);
    expect(() => new Simulation({ seed: 1, latency: { min: 5, max: 1 } })).toThrow(SimOptionError);
    for (const batch of [0, 1.5, 1025]) expect(() => new Simulation({ seed: 1, batch })).toThrow(/batch: must be an integer in \[1, 1024\]/);
    expect(() => new Simulation({ seed: 1, protocol: { prwl: 9 } })).toThrow(/prwl/);
    const sim = new Simulation({ seed: 1, nodes: 1 });
    expect(() => sim.core(1)).toThrow(RangeError);
    expect(sim.indexOf("n0")).toBe(0);
    expect(sim.indexOf("n1")).toBe(-1);
    expect(sim.indexOf("x0")).toBe(-1);
  });
});

describe("Simulation: failures", () => {
  test("a crash is noticed by link holders after the detection delay, and repaired", () => {
    const sim = settledOverlay(new Simulation({ seed: 11, nodes: 50, timers: false, detectionDelayMs: 100 }), 5);
    const victim = 7;
    const holders = sim.upNodes().filter((i) => sim.activeIndices(i, true).includes(victim));
    expect(holders.length).toBeGreaterThan(0);
    const t0 = sim.now;
    sim.crash(victim);
    expect(sim.nodeState(victim)).toBe("crashed");
    sim.runUntil(t0 + 99);
    for (const h of holders) expect(sim.activeIndices(h, true)).toContain(victim);
    sim.runUntil(t0 + 100);
    expect(anyoneHasActive(sim, victim)).toBe(false);
    expect(sim.stats.linkLost).toBeGreaterThanOrEqual(holders.length);
    sim.runUntilQuiet();
    expectInvariants(sim, { quiet: true });
  });

  test("without detection, a crash is noticed only by sending to the dead node", () => {
    const sim = settledOverlay(new Simulation({ seed: 12, nodes: 50, timers: false, detectCrashes: false }), 5);
    const victim = 9;
    sim.crash(victim);
    sim.runUntilQuiet();
    expect(anyoneHasActive(sim, victim)).toBe(true);
    expectInvariants(sim, { quiet: true }); // dead peers tolerated: detectCrashes is off
    expect(() => expectInvariants(sim, { quiet: true, allowDeadPeers: false })).toThrow(/dead-peer-in-active/);
    for (let c = 0; c < 30 && anyoneHasActive(sim, victim); c++) sim.cycle();
    expect(sim.stats.deadTarget).toBeGreaterThan(0);
    expect(anyoneHasActive(sim, victim)).toBe(false);
  });

  test("a restarted node comes back with a new incarnation that replaces the old one everywhere", () => {
    const sim = settledOverlay(new Simulation({ seed: 13, nodes: 40, timers: false }), 3);
    sim.crash(5);
    sim.runUntilQuiet();
    sim.restart(5, [0]);
    expect(sim.record(5).incarnation).toBe(2);
    expect(() => sim.restart(5, [0])).toThrow(SimOptionError);
    for (let c = 0; c < 5; c++) sim.cycle();
    expect(sim.activeIndices(5).length).toBeGreaterThan(0);
    // Active views know only the new run (a passive entry may keep the old record, with the same
    // address, until something refreshes it).
    for (const i of sim.upNodes()) {
      for (const e of sim.core(i).activeEntries()) if (e.peer.id === "n5") expect(e.peer.incarnation).toBe(2);
    }
    expectInvariants(sim, { quiet: true });
  });

  test("a node that drops a live peer as failed closes the connection; the peer notices and drops it too", () => {
    const sim = settledOverlay(new Simulation({ seed: 17, nodes: 30, timers: false }), 3);
    const a = 4;
    const b = sim.activeIndices(a)[0]!;
    sim.inject(a, { type: "linkLost", peerId: `n${b}` }); // a false suspicion: b is alive
    expect(sim.activeIndices(a, true)).not.toContain(b);
    sim.runUntilQuiet();
    expect(sim.stats.closedByPeer).toBeGreaterThan(0);
    expectInvariants(sim, { quiet: true });
  });

  test("an evicted peer is told by DISCONNECT, not by a failure", () => {
    const sim = new Simulation({ seed: 18, nodes: 3, timers: false, protocol: { activeViewSize: 1 } });
    sim.joinAll();
    sim.runUntilQuiet();
    expect(sim.stats.sentByKind.disconnect).toBeGreaterThan(0); // the contact evicted someone
    expect(sim.stats.closedByPeer).toBe(0);
    expect(sim.stats.coreDropped["not-a-neighbor"]).toBe(0);
    expectInvariants(sim, { quiet: true });
  });

  test("a leaving node is dropped by its neighbours and then is gone", () => {
    const sim = settledOverlay(new Simulation({ seed: 14, nodes: 40, timers: false }), 3);
    const neighbours = sim.activeIndices(3);
    sim.leave(3);
    expect(sim.nodeState(3)).toBe("gone");
    sim.runUntilQuiet();
    expect(anyoneHasActive(sim, 3)).toBe(false);
    for (const n of neighbours) expect(sim.passiveIndices(n)).not.toContain(3);
    expect(sim.stats.leaves).toBe(1);
    expectInvariants(sim, { quiet: true });
  });

  test("a partition cuts links on both sides and a JOIN across it fails", () => {
    const sim = settledOverlay(new Simulation({ seed: 15, nodes: 60, timers: false }), 5);
    const left = sim.upNodes().filter((i) => i < 30);
    sim.partition([left]);
    sim.runUntilQuiet();
    expect(sim.stats.linkLost).toBeGreaterThan(0);
    for (const i of sim.upNodes()) {
      for (const p of sim.activeIndices(i, true)) expect(sim.sideOf(p)).toBe(sim.sideOf(i));
      for (const p of sim.linksOf(i)) expect(sim.sideOf(p)).toBe(sim.sideOf(i));
    }
    for (let c = 0; c < 3; c++) sim.cycle();
    expect(components(sim).count).toBe(2);
    expectInvariants(sim, { quiet: true });
    // A restarted node on the left side cannot reach a contact on the right.
    sim.crash(1);
    sim.restart(1, [45]);
    sim.runUntilQuiet();
    expect(sim.stats.contactFailed).toBeGreaterThan(0);
    // It is not isolated for long: its old neighbours, repairing after its crash, dial its address.
    for (const p of sim.activeIndices(1)) expect(sim.sideOf(p)).toBe(sim.sideOf(1));
    sim.heal();
    for (let c = 0; c < 3; c++) sim.cycle();
    expectInvariants(sim, { quiet: true });
  });

  test("with real timers, healed halves re-merge", () => {
    const sim = new Simulation({ seed: 16, nodes: 200, latency: { min: 5, max: 15 } });
    sim.joinAll({ between: 20 });
    sim.runFor(25_000);
    sim.partition([sim.upNodes().filter((i) => i % 2 === 0)]);
    sim.runFor(15_000);
    expect(components(sim).count).toBe(2);
    sim.heal();
    let ms = 0;
    while (components(sim).count > 1 && ms < 60_000) {
      sim.runFor(1000);
      ms += 1000;
    }
    console.log(`re-merged ${ms} ms after healing`);
    expect(components(sim).count).toBe(1);
    expectInvariants(sim);
  });
});

describe("Simulation: driving cycles", () => {
  test("a spread cycle fires every node's timers once, within the spread, with the cores' timers off", () => {
    const sim = new Simulation({ seed: 21, nodes: 100, timers: false });
    sim.joinAll();
    const t0 = sim.now;
    const before = sim.stats.timers;
    sim.cycle({ spreadMs: 2000 });
    expect(sim.stats.timers - before).toBe(200); // maintenance + shuffle at each of 100 nodes
    expect(sim.now).toBe(t0 + sim.config.shuffleIntervalMs);
    expect(sim.stats.sentByKind.shuffle).toBeGreaterThan(100);
  });

  test("stopTimers lets a run with timers drain to quiet", () => {
    const sim = new Simulation({ seed: 22, nodes: 40 });
    sim.joinAll({ between: 20 });
    sim.runFor(20_000);
    expect(sim.timersRunning).toBe(true);
    sim.stopTimers();
    expect(sim.runUntilQuiet(1_000_000)).toBe(true);
    const fired = sim.stats.timers;
    sim.runFor(60_000);
    expect(sim.stats.timers).toBe(fired);
    expect(sim.pendingEvents).toBe(0);
  });
});
