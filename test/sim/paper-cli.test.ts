/**
 * `npm run bench:paper` as a process: the models run in worker threads, one model's cycles split
 * between two threads, or one model's experiments shared with a worker thread (--jobs 2), give
 * exactly the results they give one after the other in one thread (--jobs 1); a worker's progress
 * lines come out while the main thread is busy; and bad options exit with 2.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { takingOrder, tasksOf, type RunOptions } from "../../bench/paper/run.js";

const run = promisify(execFile);
const MAIN = "dist/bench-paper/bench/paper/main.js";
/** Node's flags as `npm run bench:paper` sets them (the heap's sizes), read from its script, so that the
 * runs here are the command's. */
const NODE_FLAGS = nodeFlagsOf((JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts["bench:paper"]!);

function nodeFlagsOf(script: string): string[] {
  const m = / node ((?:--\S+ )*)dist\/bench-paper\/bench\/paper\/main\.js/.exec(script);
  if (m === null) throw new Error(`package.json: bench:paper does not run node on ${MAIN}: ${script}`);
  return m[1]!.trim().split(" ").filter((f) => f !== "");
}
const SMALL = ["--nodes", "300", "--cycles", "5", "--failures", "50", "--broadcasts", "20", "--path-sources", "50", "--healing-cycles", "3", "--json"];

/** A model's timings in the JSON report (ms). */
interface PhaseTimes {
  buildMs: number;
  joinMs: number;
  swapMs: number;
  afterBuildMs: number;
  wallMs: number;
  /** The collector's pauses, per thread that built. */
  gcMs: { joins: number[]; cycles: number[] };
  /** In a split build, each thread's wait for the other (empty when one thread built). */
  waitMs: { joins: number[]; cycles: number[] };
}

/** The results without their timings (every key ending in "ms" or "Ms"). */
function withoutTimes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimes);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !/(^ms|Ms)$/.test(k)).map(([k, x]) => [k, withoutTimes(x)]));
}

interface BenchPerf {
  protocolMessages: number;
  memoryMaps: { peak: number; limit: number } | null;
}

async function bench(args: string[]): Promise<{ results: unknown[]; perf: BenchPerf }> {
  // A run that hangs is killed before the test's own timeout, not left behind.
  const { stdout } = await run(process.execPath, [...NODE_FLAGS, MAIN, ...args], { maxBuffer: 64 << 20, timeout: 50_000 });
  return JSON.parse(stdout) as { results: unknown[]; perf: BenchPerf };
}

describe("bench:paper command", () => {
  beforeAll(() => {
    execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "bench/paper/tsconfig.json"], { stdio: "inherit" });
  });

  it("gives the same results with the two models in worker threads as one after the other", async () => {
    const [one, two] = await Promise.all([bench([...SMALL, "--jobs", "1"]), bench([...SMALL, "--jobs", "2"])]);
    expect(one.results.length).toBe(2);
    expect(one.perf.protocolMessages).toBeGreaterThan(0);
    // The memory maps' peak, beside Linux's limit, where there is one to read.
    if (process.platform === "linux") {
      const limit = Number(readFileSync("/proc/sys/vm/max_map_count", "utf8"));
      for (const x of [one, two]) expect(x.perf.memoryMaps).toEqual({ peak: expect.any(Number) as number, limit });
      expect(one.perf.memoryMaps!.peak).toBeGreaterThan(100);
    }
    expect(withoutTimes(two.results)).toEqual(withoutTimes(one.results));
    expect(two.perf.protocolMessages).toBe(one.perf.protocolMessages);
  }, 60_000);

  it.each([
    ["paper", "its cycles split between two threads"],
    ["ours", "its experiments sent to a worker thread"],
  ])("gives the same results for one model (%s) with %s as all in one thread", async (model) => {
    const one = ["--model", model, "--failures", "30,60"];
    const [a, b] = await Promise.all([bench([...SMALL, ...one, "--jobs", "1"]), bench([...SMALL, ...one, "--jobs", "2"])]);
    expect(a.results.length).toBe(1);
    expect(withoutTimes(b.results)).toEqual(withoutTimes(a.results));
    expect(b.perf.protocolMessages).toBe(a.perf.protocolMessages);
    // The phases of the build, and what follows it, add up within the whole run; only split cycles
    // end with a swap of the halves.
    const [ta, tb] = [a, b].map((x) => x.results[0] as PhaseTimes);
    for (const t of [ta!, tb!]) {
      expect(t.joinMs).toBeGreaterThan(0);
      expect(t.joinMs + t.swapMs).toBeLessThanOrEqual(t.buildMs);
      expect(t.buildMs + t.afterBuildMs).toBeLessThanOrEqual(t.wallMs);
    }
    expect(ta!.swapMs).toBe(0);
    expect(tb!.swapMs > 0).toBe(model === "paper");
    // The collector's pauses: one figure per thread that built (two when the cycles were split),
    // within their phase on the main thread, and some in every thread (a build allocates many
    // times the young generation's starting size): none would mean the reports were never read.
    for (const [t, threads] of [
      [ta!, 1],
      [tb!, model === "paper" ? 2 : 1],
    ] as const) {
      expect(t.gcMs.joins.length).toBe(threads);
      expect(t.gcMs.cycles.length).toBe(threads);
      expect(t.gcMs.joins[0]).toBeLessThanOrEqual(t.joinMs);
      expect(t.gcMs.cycles[0]).toBeLessThanOrEqual(t.buildMs - t.joinMs - t.swapMs);
      for (let k = 0; k < threads; k++) expect(t.gcMs.joins[k]! + t.gcMs.cycles[k]!).toBeGreaterThan(0);
    }
    // The waits for the other thread: none without a split; with one, a figure per thread, within
    // the phase on the main thread. Hundreds of windows cannot all end at the same instant on both
    // sides, so the two threads together waited some time in the cycles.
    expect(ta!.waitMs).toEqual({ joins: [], cycles: [] });
    if (model === "paper") {
      expect(tb!.waitMs.joins.length).toBe(2);
      expect(tb!.waitMs.cycles.length).toBe(2);
      expect(tb!.waitMs.joins[0]!).toBeGreaterThanOrEqual(0);
      expect(tb!.waitMs.cycles[0]!).toBeLessThanOrEqual(tb!.buildMs - tb!.joinMs - tb!.swapMs - tb!.waitMs.joins[0]!);
      expect(tb!.waitMs.cycles[0]! + tb!.waitMs.cycles[1]!).toBeGreaterThan(0);
    } else {
      expect(tb!.waitMs).toEqual({ joins: [], cycles: [] });
    }
  }, 60_000);

  it("lets two threads take the first failure experiment, then the healing ones, then the rest", () => {
    const o = { failures: [0.3, 0.6], detections: ["send", "links"], healingMaxCycles: 3 } as unknown as RunOptions;
    const names = (opts: RunOptions) =>
      takingOrder(opts).map((k) => {
        const t = tasksOf(opts)[k]!;
        return `${t.kind}/${t.detection}/${t.fraction}`;
      });
    expect(names(o)).toEqual([
      "failure/send/0.3",
      "healing/send/0.3",
      "healing/links/0.3",
      "healing/send/0.6",
      "healing/links/0.6",
      "failure/links/0.3",
      "failure/send/0.6",
      "failure/links/0.6",
    ]);
    expect(names({ ...o, healingMaxCycles: 0 })).toEqual(["failure/send/0.3", "failure/links/0.3", "failure/send/0.6", "failure/links/0.6"]);
  });

  it("watches the process's memory maps in a worker thread and warns once near the limit", async () => {
    // A limit far below what any process holds: the watcher's first reading warns. The child waits
    // for that reading (with a deadline), stops the watch and prints the peak.
    const script = `
      import { startMapWatch } from "./dist/bench-paper/bench/paper/memory-maps.js";
      const watch = startMapWatch(10, 20);
      if (watch === null) { console.log("none"); process.exit(0); }
      const deadline = Date.now() + 10_000;
      while (watch.peak() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      console.log(await watch.stop());`;
    const { stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 });
    if (process.platform !== "linux") return expect(stdout.trim()).toBe("none");
    expect(Number(stdout)).toBeGreaterThan(10);
    expect(stderr.match(/memory maps/g)?.length).toBe(1);
    expect(stderr).toContain("of Linux's limit (vm.max_map_count = 10)");
  });

  it.each([
    ["logLine", ["from the worker", "main resumed"]],
    ["process.stderr", ["main resumed", "from the worker"]],
  ])("passes a worker's progress line on while the main thread is busy, with %s", async (how, order) => {
    // The child's main thread blocks (Atomics.wait, with a deadline) until its worker has written a
    // line, then writes its own straight to the descriptor. With logLine the worker's line is out
    // first; through the worker's process.stderr it waits for the main thread's event loop, so it
    // comes after: what made the twin's progress lines of a long run come out only at its end.
    // (A file, not -e: a worker of an -e script cannot import while its main thread is blocked.)
    const url = pathToFileURL(resolve("dist/bench-paper/bench/paper/stderr.js")).href;
    const script = `
      import { Worker } from "node:worker_threads";
      import { writeSync } from "node:fs";
      const done = new Int32Array(new SharedArrayBuffer(4));
      new Worker(\`
        const { workerData: [done, how, url] } = require("node:worker_threads");
        import(url).then(({ logLine }) => {
          if (how === "logLine") logLine("from the worker");
          else process.stderr.write("from the worker\\\\n");
          Atomics.store(done, 0, 1);
          Atomics.notify(done, 0);
        });\`, { eval: true, workerData: [done, ${JSON.stringify(how)}, ${JSON.stringify(url)}] });
      if (Atomics.wait(done, 0, 0, 20_000) === "timed-out") throw new Error("the worker wrote nothing");
      writeSync(2, "main resumed\\n");`;
    const dir = mkdtempSync(join(tmpdir(), "hyparview-stderr-"));
    try {
      writeFileSync(join(dir, "main.mjs"), script);
      const { stderr } = await run(process.execPath, [join(dir, "main.mjs")], { timeout: 30_000 });
      expect(stderr.split("\n").filter((l) => l !== "")).toEqual(order);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a bad option with exit code 2 and says which", async () => {
    const err = (await run(process.execPath, [MAIN, "--jobs", "0"]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("--jobs must be an integer >= 1");
  });
});
