/**
 * `npm run bench:paper`: the HyParView paper's evaluation (§5) rerun with the production core in
 * the simulator, printed beside the published numbers.
 *
 *   --nodes N          nodes (default 10000)
 *   --seed S           seed of the whole run (default 1)
 *   --failures LIST    failure rates in percent, comma-separated (default 10,20,...,90,95)
 *   --broadcasts B     broadcasts after each failure (default 1000)
 *   --model M          paper | ours | both (default both)
 *   --detection D      send | links | both (default both): how survivors learn of failures
 *   --cycles C         membership cycles before the failures (default 50)
 *   --path-sources K   BFS sources for the average shortest path (default 1000)
 *   --healing-cycles H cycles given to heal in Fig. 4, 0 to skip it (default 10)
 *   --jobs J           threads: two models run at once, each in a worker thread; with one
 *                      model, "paper" splits its cycles between two threads (each runs half of
 *                      the nodes) and both then share the experiments; "ours" shares its
 *                      experiments after the build with a worker thread. Either way each thread
 *                      holds a copy of the overlay. 1 runs everything in this thread, one thing
 *                      after the other; the results are the same. Default: the number of CPUs,
 *                      at most 2, up to 300,000 nodes; 1 above (two overlays of a million nodes
 *                      would not fit in memory)
 *   --json             one machine-readable object on stdout (progress still on stderr)
 *
 * On Linux the report also gives the most memory maps the process held, beside the limit on them,
 * and the bench warns on stderr before a run that may reach the limit and when a run nears it
 * (memory-maps.ts): at the limit V8 may abort the process.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { memoryLatencyNs } from "./machine.js";
import { preflightWarning, readMapLimit, startMapWatch } from "./memory-maps.js";
import { runModels } from "./parallel.js";
import { logLine } from "./stderr.js";
import { formatReport, type Header } from "./report.js";
import type { Detection, Model } from "./overlay.js";

function usage(message: string): never {
  process.stderr.write(`bench:paper: ${message}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        nodes: { type: "string", default: "10000" },
        seed: { type: "string", default: "1" },
        failures: { type: "string", default: "10,20,30,40,50,60,70,80,90,95" },
        broadcasts: { type: "string", default: "1000" },
        model: { type: "string", default: "both" },
        detection: { type: "string", default: "both" },
        cycles: { type: "string", default: "50" },
        "path-sources": { type: "string", default: "1000" },
        "healing-cycles": { type: "string", default: "10" },
        jobs: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    });
  } catch (err) {
    usage((err as Error).message);
  }
}

const { values } = parse();

function int(name: string, text: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) usage(`--${name} must be an integer >= ${min}, got "${text}"`);
  return v;
}

if (values.help) {
  process.stdout.write(
    "usage: npm run bench:paper -- [--nodes N] [--seed S] [--failures 10,50,95] [--broadcasts B]\n" +
      "       [--model paper|ours|both] [--detection send|links|both] [--cycles C] [--path-sources K] [--healing-cycles H] [--jobs J] [--json]\n",
  );
  process.exit(0);
}

const nodes = int("nodes", values.nodes, 2);
const seed = int("seed", values.seed, 0);
const broadcasts = int("broadcasts", values.broadcasts, 0);
const cycles = int("cycles", values.cycles, 0);
const pathSources = int("path-sources", values["path-sources"], 1);
const healingMaxCycles = int("healing-cycles", values["healing-cycles"], 0);
/** Above this many nodes, one thread unless --jobs says otherwise: each thread holds an overlay
 * (7 GiB at 1,000,000 nodes), and a worker sharing the experiments holds a second copy. */
const JOBS_MAX_NODES = 300_000;
const jobs = values.jobs === undefined ? (nodes <= JOBS_MAX_NODES ? Math.min(2, availableParallelism()) : 1) : int("jobs", values.jobs, 1);
const failures = values.failures
  .split(",")
  .filter((x) => x.trim() !== "")
  .map((x) => {
    const p = Number(x);
    if (!(p > 0 && p < 100)) usage(`--failures: each rate must be a percentage in (0, 100), got "${x}"`);
    return p / 100;
  });
const models: Model[] =
  values.model === "both" ? ["paper", "ours"] : values.model === "paper" || values.model === "ours" ? [values.model] : usage(`--model must be paper, ours or both, got "${values.model}"`);

const detections: Detection[] =
  values.detection === "both"
    ? ["send", "links"]
    : values.detection === "send" || values.detection === "links"
      ? [values.detection]
      : usage(`--detection must be send, links or both, got "${values.detection}"`);

const header: Header = { nodes, seed, cycles, broadcasts, pathSources, stableBroadcasts: 100, healingPerCycle: 10 };
/** From this size on the report gives the machine's memory latency (a probe of about a second,
 * before and after the run, outside its time): smaller overlays stay in the caches. */
const PROBE_MIN_NODES = 10_000;
const probe = nodes >= PROBE_MIN_NODES;
const mapLimit = readMapLimit();
const mapWarning = preflightWarning(nodes, detections.length as 1 | 2, jobs, mapLimit);
if (mapWarning !== null) logLine(mapWarning);
const mapWatch = startMapWatch(mapLimit);
const latencyBefore = probe ? memoryLatencyNs() : NaN;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const results = await runModels(
  models.map((model) => ({
    nodes,
    seed,
    model,
    detections,
    cycles,
    failures,
    broadcasts,
    pathSources,
    stableBroadcasts: header.stableBroadcasts,
    healingPerCycle: header.healingPerCycle,
    healingMaxCycles,
    latencyMs: 10,
  })),
  jobs,
  logLine,
).catch((err: unknown) => {
  process.stderr.write(`bench:paper: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const peakMaps = mapWatch === null ? null : await mapWatch.stop();
const perf = {
  wallMs,
  memoryLatencyNs: probe ? ([latencyBefore, memoryLatencyNs()] as const) : null,
  memoryMaps: peakMaps === null || mapLimit === null ? null : { peak: peakMaps, limit: mapLimit },
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  protocolMessages: results.reduce((a, r) => a + r.protocolMessages, 0),
  broadcastCopies: results.reduce((a, r) => a + r.broadcastCopies, 0),
};
if (values.json) process.stdout.write(`${JSON.stringify({ header, results, perf })}\n`);
else process.stdout.write(`${formatReport(header, results, perf)}\n`);
