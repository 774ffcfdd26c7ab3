/** Worker thread of test/sim/partition.test.ts: side 1 of a split simulation. */
import { parentPort, workerData } from "node:worker_threads";
import { Channel, type ChannelEnd } from "../../src/sim/channel.js";
import { buildSplitCase, digestOf, runSplit, type SplitCase } from "./split-case.js";

const { end, c } = workerData as { end: ChannelEnd; c: SplitCase };
const channel = new Channel(end);
try {
  const sim = buildSplitCase(c);
  parentPort!.postMessage({ ready: true });
  runSplit(sim, c, channel);
  parentPort!.postMessage(digestOf(sim));
} catch (err) {
  channel.abort();
  parentPort!.postMessage({ error: String(err) });
}
channel.close();
