/**
 * Simulator throughput: delivered messages per second of wall time, and memory, at 1,000 and
 * 10,000 nodes (or --nodes). Each node count runs in its own child process, so peak RSS belongs
 * to that run alone.
 *
 * Phases, each timed separately:
 *   join    every node joins through node 0, one by one, network quiet between joins (timers off)
 *   cycles  --cycles membership cycles driven from outside (maintenance + shuffle at every node)
 *   timers  a fresh overlay with the cores' own timers and uniform 5-15 ms latency, run for
 *           --sim-seconds of simulated time (steady state: shuffles, periodic repair)
 *
 *   npm run bench:sim -- [--nodes 1000,10000] [--cycles 10] [--sim-seconds 60] [--seed 1] [--json]
 */
import { fork } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { activeSizeHistogram, components, Simulation } from "../src/sim/index.js";

interface Phase {
  phase: string;
  wallMs: number;
  /** CPU time of this process (user + system): less sensitive than wall time to a busy machine. */
  cpuMs: number;
  simMs: number;
  events: number;
  delivered: number;
}

interface Result {
  nodes: number;
  phases: Phase[];
  heapBytesPerNode: number;
  heapMiB: number;
  maxRssMiB: number;
  components: number;
  fullShare: number;
}

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "1000,10000" },
    cycles: { type: "string", default: "10" },
    "sim-seconds": { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    child: { type: "string" },
  },
});
const cycles = Number(values.cycles);
const simSeconds = Number(values["sim-seconds"]);
const seed = Number(values.seed);

const gc = (globalThis as { gc?: () => void }).gc;
const heapNow = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

/** Runs `f` and returns its phase figures (counters are differences over the phase). */
function timed(sim: Simulation, phase: string, f: () => void): Phase {
  const e0 = sim.stats.events;
  const d0 = sim.stats.messagesDelivered;
  const s0 = sim.now;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const cpu = process.cpuUsage(c0);
  return {
    phase,
    wallMs: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    simMs: sim.now - s0,
    events: sim.stats.events - e0,
    delivered: sim.stats.messagesDelivered - d0,
  };
}

function runOne(n: number): Result {
  const heap0 = heapNow();
  const sim = new Simulation({ seed, nodes: n, timers: false });
  const phases: Phase[] = [];
  phases.push(timed(sim, "join", () => sim.joinAll()));
  phases.push(
    timed(sim, `${cycles} cycles`, () => {
      for (let c = 0; c < cycles; c++) sim.cycle();
    }),
  );
  const heapUsed = heapNow() - heap0;
  const hist = activeSizeHistogram(sim);
  const comp = components(sim).count;

  // Steady state with the cores' own timers: a fresh overlay, so the first one can be collected.
  const live = new Simulation({ seed: seed + 1, nodes: n, latency: { min: 5, max: 15 } });
  live.joinAll({ between: 1 });
  live.runFor(10_000); // settle: first shuffles, repairs after the joins
  phases.push(timed(live, `timers ${simSeconds}s`, () => live.runFor(simSeconds * 1000)));

  return {
    nodes: n,
    phases,
    heapBytesPerNode: heapUsed / n,
    heapMiB: heapUsed / 2 ** 20,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    components: comp,
    fullShare: hist[sim.config.activeViewSize]! / n,
  };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function print(results: Result[]): void {
  const rows = [
    ["nodes", "phase", "wall s", "cpu s", "sim s", "events", "delivered msgs", "msgs/s", "msgs/cpu s", "events/cpu s"],
    ...results.flatMap((r) =>
      r.phases.map((p) => [
        fmt(r.nodes),
        p.phase,
        fmt(p.wallMs / 1000, 2),
        fmt(p.cpuMs / 1000, 2),
        fmt(p.simMs / 1000, 1),
        fmt(p.events),
        fmt(p.delivered),
        fmt(p.delivered / (p.wallMs / 1000)),
        fmt(p.delivered / (p.cpuMs / 1000)),
        fmt(p.events / (p.cpuMs / 1000)),
      ]),
    ),
  ];
  table(rows);
  console.log();
  table([
    ["nodes", "heap after join+cycles", "heap per node", "peak RSS", "components", "full active views"],
    ...results.map((r) => [
      fmt(r.nodes),
      `${fmt(r.heapMiB, 1)} MiB`,
      `${fmt(r.heapBytesPerNode / 1024, 2)} KiB`,
      `${fmt(r.maxRssMiB, 0)} MiB`,
      String(r.components),
      `${fmt(100 * r.fullShare, 1)} %`,
    ]),
  ]);
  console.log(
    `\nNode ${process.version}, seed ${seed}, load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores. ` +
      "msgs/s: messages delivered per second of wall time; msgs/cpu s: per second of this process's CPU time.",
  );
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(" | ")} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w, c) => (c < 2 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

async function main(): Promise<void> {
  if (values.child !== undefined) {
    process.send!(runOne(Number(values.child)));
    return;
  }
  const results: Result[] = [];
  for (const n of values.nodes.split(",").map(Number)) {
    const child = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), "--child", String(n)], {
      execArgv: [...process.execArgv, "--expose-gc"],
    });
    const result = await new Promise<Result>((resolve, reject) => {
      child.once("message", (m) => resolve(m as Result));
      child.once("exit", (code) => code !== 0 && reject(new Error(`run at ${n} nodes exited with ${code}`)));
    });
    results.push(result);
    if (!values.json) console.error(`${fmt(n)} nodes done`);
  }
  if (values.json) console.log(JSON.stringify(results));
  else print(results);
}

await main();
