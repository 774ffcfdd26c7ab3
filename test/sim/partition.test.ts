/**
 * A simulation split between two threads (src/sim/partition.ts) ends exactly as it does in one:
 * the same views in the same order, the same clock, the same counters. A real worker thread runs
 * the other side; the two block on each other once per 10 ms window.
 */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Channel, channelPair } from "../../src/sim/channel.js";
import { Simulation } from "../../src/sim/index.js";
import { buildSplitCase, digestOf, runAlone, runSplit, type SplitCase } from "./split-case.js";

/** Side 1 in a worker thread (test/sim/split-worker.ts, loaded through tsx). Resolves `ready` once
 * it has built its simulation, before it blocks on the channel: a worker that fails to start then
 * fails the test instead of leaving this side waiting. */
function otherSide(c: SplitCase, end: ReturnType<typeof channelPair>[1]): { worker: Worker; ready: Promise<void>; result: Promise<unknown> } {
  const entry = new URL("./split-worker.ts", import.meta.url).href;
  const code = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(code, { eval: true, workerData: { end, c }, transferList: [end.port] });
  const messages: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  worker.on("message", (m) => {
    const w = waiting.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const failed = new Promise<never>((_, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`split worker exited with code ${code}`)));
  });
  const nextMessage = () => Promise.race([new Promise<unknown>((resolve) => (messages.length > 0 ? resolve(messages.shift()) : waiting.push(resolve))), failed]);
  const ready = nextMessage().then((m) => {
    if ((m as { ready?: boolean }).ready !== true) throw new Error(`split worker: ${JSON.stringify(m)}`);
  });
  return { worker, ready, result: ready.then(nextMessage) };
}

describe("a simulation split between two threads", () => {
  // The halves swapped whole, and in pieces of 7 cores: 44 rounds, the last holding no core on the
  // side with fewer nodes (296 against 304).
  it.each([
    ["whole", undefined],
    ["7 at a time", 7],
  ])("ends with the views, clock and counters of one thread (cores sent %s)", async (_, piece) => {
    const c: SplitCase = { nodes: 600, seed: 5, cycles: 4, piece };
    const alone = buildSplitCase(c);
    runAlone(alone, c);
    const [mine, theirs] = channelPair();
    const other = otherSide(c, theirs);
    try {
      await other.ready;
      const sim = buildSplitCase(c);
      // This side polls for the other's windows before sleeping (as bench:paper's twins do); the
      // worker sleeps at once. Either way each swap must return the other side's same round.
      const channel = new Channel(mine, 2);
      runSplit(sim, c, channel);
      channel.close();
      const want = digestOf(alone);
      expect(digestOf(sim)).toEqual(want);
      expect(await other.result).toEqual(want);
      expect(alone.stats.messagesDelivered).toBeGreaterThan(c.nodes * c.cycles);
    } finally {
      await other.worker.terminate();
    }
  }, 60_000);

  it("refuses what a window cannot carry, and everything but cycles while split", () => {
    const random = new Simulation({ seed: 1, nodes: 4, latency: { min: 5, max: 15 }, timers: false });
    const [a] = channelPair();
    expect(() => random.split(new Channel(a))).toThrow(/fixed latency/);
    a.port.close();

    const sim = new Simulation({ seed: 1, nodes: 4, latency: 10, timers: false });
    const [b] = channelPair();
    sim.split(new Channel(b));
    expect(() => sim.inject(0, { type: "timer", timer: "shuffle" })).toThrow(/split/);
    expect(() => sim.runUntilQuiet()).toThrow(/split/);
    expect(() => sim.crash(1)).toThrow(/split/);
    expect(() => sim.split(new Channel(b))).toThrow(/already split/);
    expect(() => sim.merge(() => ({ data: null, transfer: [] }), () => [], 0)).toThrow(/pieces of 0 cores/);
    expect(() => sim.inject(0, { type: "timer", timer: "shuffle" })).toThrow(/split/);
    b.port.close();
    expect(() => new Simulation({ seed: 1, nodes: 2 }).merge(() => ({ data: null, transfer: [] }), () => [])).toThrow(/not split/);
  });
});
