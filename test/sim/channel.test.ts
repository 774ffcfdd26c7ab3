/**
 * The channel's count of its waits (src/sim/channel.ts, `waitedMs`): bench:paper reports from it how
 * long each of a split build's threads waited for the other. A real worker thread is the other side.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Channel, channelPair } from "../../src/sim/channel.js";

/** How long the worker takes before its second post. */
const LATE_MS = 300;

/** The worker: swaps round 1 at once, then works (no sleep: a busy thread) for LATE_MS before it
 * swaps round 2, and posts how long its own second swap waited. */
function lateSide(end: ReturnType<typeof channelPair>[1]): Worker {
  const channelUrl = new URL("../../src/sim/channel.ts", import.meta.url).href;
  const code = `import("tsx/esm/api").then(async (tsx) => {
    tsx.register();
    const { parentPort, workerData } = await import("node:worker_threads");
    const { Channel } = await import(${JSON.stringify(channelUrl)});
    const channel = new Channel(workerData.end);
    parentPort.postMessage("ready");
    channel.swap(1);
    const until = performance.now() + ${LATE_MS};
    while (performance.now() < until);
    const before = channel.waitedMs;
    channel.swap(2);
    parentPort.postMessage(channel.waitedMs - before);
    channel.close();
  });`;
  return new Worker(code, { eval: true, workerData: { end }, transferList: [end.port] });
}

describe("a channel between two threads", () => {
  it("counts the time a side waits for the other's post, and none when the post is already there", async () => {
    const [mine, theirs] = channelPair();
    const worker = lateSide(theirs);
    try {
      const [ready] = (await Promise.race([once(worker, "message"), once(worker, "error").then(([e]) => Promise.reject(e))])) as [unknown];
      expect(ready).toBe("ready");
      const channel = new Channel(mine);
      expect(channel.waitedMs).toBe(0);
      expect(channel.swap<number>(1)).toBe(1);
      const before = channel.waitedMs;
      expect(channel.swap<number>(2)).toBe(2);
      // This side posted round 2 at once and waited out most of the worker's work.
      expect(channel.waitedMs - before).toBeGreaterThanOrEqual(LATE_MS / 2);
      expect(channel.waitedMs - before).toBeLessThan(30_000);
      // The worker found round 2 already posted: it did not wait at all.
      const [theirWait] = (await once(worker, "message")) as [number];
      expect(theirWait).toBe(0);
      channel.close();
    } finally {
      await worker.terminate();
    }
  }, 60_000);
});
