/**
 * `npm run bench:daemon`: real hyparviewd processes on 127.0.0.1, each watched by a real
 * `hyparview watch --json` process. Per run, on a fresh cluster of --nodes nodes (default 8):
 *  - convergence: from the first spawn (and from "every API up") until the overlay is settled:
 *    views symmetric, and full wherever a free partner exists (overlaySettled);
 *  - SIGKILL: time until each neighbour's watch prints peer_down(failed), and until it prints
 *    the peer_up of a replacement (repair from the passive view);
 *  - SIGSTOP: time until each neighbour's watch prints peer_down(failed) for the hung node.
 * Times are as the watchers see them (they include the CLI's own pipe, well under a millisecond).
 *
 *   npm run bench:daemon -- [--runs 3] [--nodes 8] [hyparviewd flags as --flag=value ...]
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { LocalCluster, overlaySettled, waitFor, type Watcher } from "../scripts/local-cluster.js";

const { values, tokens } = parseArgs({
  args: process.argv.slice(2),
  options: { runs: { type: "string", default: "3" }, nodes: { type: "string", default: "8" } },
  strict: false,
  tokens: true,
});
const RUNS = Number(values.runs);
const NODES = Number(values.nodes);
const extra = tokens
  .filter((t) => t.kind === "option" && t.name !== "runs" && t.name !== "nodes")
  .map((t) => (t.kind === "option" ? (t.value !== undefined ? `--${t.name}=${t.value}` : `--${t.name}`) : ""));
const flagValue = (name: string, fallback: string) =>
  extra.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ACTIVE = Number(flagValue("active-size", "5"));

const REPAIR_WINDOW_MS = 15_000;
const samples = new Map<string, number[]>();
let unrepaired = 0;
let notConverged = 0;
let fullViews = 0;
let nodesSeen = 0;
let neighboursTotal = 0;
function record(metric: string, ms: number): void {
  const list = samples.get(metric) ?? [];
  list.push(ms);
  samples.set(metric, list);
}

async function run(): Promise<void> {
  const cluster = new LocalCluster(extra, 30_000);
  const watchers = new Map<string, Watcher>();
  const ids = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
  const alive = new Set(ids);
  const neighboursOf = (id: string) => [...alive].filter((n) => n !== id && watchers.get(n)!.active.has(id));
  const converged = (members: readonly string[]) =>
    overlaySettled(new Map(members.map((n) => [n, watchers.get(n)!.active])), members, ACTIVE);
  try {
    const t0 = performance.now();
    const first = await cluster.start(ids[0]!);
    await Promise.all(ids.slice(1).map((id) => cluster.start(id, { contacts: [first.address] })));
    const ready = performance.now();
    for (const id of ids) watchers.set(id, cluster.watch(id));
    try {
      await waitFor("convergence", 60_000, () => converged(ids));
    } catch {
      notConverged++;
      const sizes = ids.map((id) => `${id}:${[...watchers.get(id)!.active.keys()].join("+")}`).join(" ");
      console.log(`not converged; active views: ${sizes}`);
      return;
    }
    const done = performance.now();
    fullViews += ids.filter((id) => watchers.get(id)!.active.size >= Math.min(ACTIVE, NODES - 1)).length;
    nodesSeen += NODES;
    record("convergence from first spawn", done - t0);
    record("convergence from all APIs up", done - ready);

    // A crash: SIGKILL (the kernel closes its sockets, so links break at once).
    const killed = ids[2]!;
    const kNeighbours = neighboursOf(killed);
    const kMarks = new Map(kNeighbours.map((n) => [n, watchers.get(n)!.events.length]));
    const killedAt = Date.now();
    cluster.signal(killed, "SIGKILL");
    alive.delete(killed);
    for (const n of kNeighbours) {
      const w = watchers.get(n)!;
      const down = await w.next("peer_down", 30_000, (e) => e.type === "peer_down" && e.peer.id === killed, kMarks.get(n));
      record("SIGKILL -> peer_down at a neighbour", down.receivedAt - killedAt);
      // Repair: the neighbour's next peer_up (a passive peer promoted). Every view cannot always be
      // full again (e.g. 7 nodes x 5 slots is odd), so a neighbour that finds no free peer in
      // REPAIR_WINDOW_MS is counted apart rather than waited for.
      const from = w.events.indexOf(down) + 1;
      try {
        const up = await w.next("repair", REPAIR_WINDOW_MS, (e) => e.type === "peer_up", from);
        record("SIGKILL -> replacement peer_up at a neighbour", up.receivedAt - killedAt);
      } catch {
        unrepaired++;
      }
    }
    neighboursTotal += kNeighbours.length;

    // A hang: SIGSTOP (sockets stay open; only the heartbeat timeout can tell).
    const stopped = ids[4]!;
    const sNeighbours = neighboursOf(stopped);
    const sMarks = new Map(sNeighbours.map((n) => [n, watchers.get(n)!.events.length]));
    const stoppedAt = Date.now();
    cluster.signal(stopped, "SIGSTOP");
    for (const n of sNeighbours) {
      const e = await watchers.get(n)!.next("peer_down", 30_000, (e) => e.type === "peer_down" && e.peer.id === stopped, sMarks.get(n));
      record("SIGSTOP -> peer_down at a neighbour", e.receivedAt - stoppedAt);
    }
  } finally {
    await cluster.stopAll();
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

console.log(
  `hyparviewd processes on 127.0.0.1: ${NODES} nodes, ${RUNS} runs, ${cpus().length} CPUs, Node ${process.version}; ` +
    `flags: ${extra.length > 0 ? extra.join(" ") : "(defaults: heartbeat 500ms, failure timeout 2s, shuffle 5s, active 5)"}`,
);
for (let i = 0; i < RUNS; i++) {
  await run();
  process.stdout.write(`run ${i + 1}/${RUNS} done\n`);
}
const rows = [["metric", "samples", "min ms", "median ms", "p90 ms", "max ms"]];
for (const [metric, list] of samples) {
  const s = [...list].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(0);
  rows.push([metric, String(s.length), f(s[0]!), f(quantile(s, 0.5)), f(quantile(s, 0.9)), f(s[s.length - 1]!)]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
console.log(`active views full once settled: ${fullViews} of ${nodesSeen}`);
if (notConverged > 0) console.log(`runs not settled within 60 s (skipped): ${notConverged}`);
console.log(`neighbours of the killed node with no replacement within ${REPAIR_WINDOW_MS / 1000} s: ${unrepaired} of ${neighboursTotal}`);
