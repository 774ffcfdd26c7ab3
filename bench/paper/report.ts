/**
 * Prints the paper's tables and figures as text tables: the paper's published numbers beside ours,
 * one column per model.
 */
import type { ModelResult } from "./run.js";

/** The published results (Leitão, Pereira, Rodrigues, DSN 2007 / TR-07-13, §5). */
export const PAPER = {
  clustering: "0.00092",
  averageShortestPath: "6.38542",
  maxHops: "9.0",
  /** Fig. 2 as the paper states it: almost unaffected below 90 % failed, about 90 % at 95 %. */
  reliability: (failedPercent: number) => (failedPercent < 90 ? "~100" : failedPercent >= 95 ? "~90" : "-"),
  /** Fig. 4. */
  healing: (failedPercent: number) => (failedPercent < 80 ? "1-2" : "more"),
  inDegree: "almost all 5",
} as const;

export interface Header {
  readonly nodes: number;
  readonly seed: number;
  readonly cycles: number;
  readonly broadcasts: number;
  readonly pathSources: number;
  readonly stableBroadcasts: number;
  readonly healingPerCycle: number;
}

export interface Perf {
  readonly wallMs: number;
  /** User + system CPU time of the process: the fairer figure on a shared machine. */
  readonly cpuMs: number;
  readonly peakRssBytes: number;
  /** The machine's memory latency (bench/paper/machine.ts) before and after the run, ns; null
   * for small runs, which are not probed. */
  readonly memoryLatencyNs: readonly [number, number] | null;
  /** The most memory maps the process held (read every 2-10 s) and Linux's limit on them
   * (bench/paper/memory-maps.ts); null where there is no /proc to read. */
  readonly memoryMaps: { readonly peak: number; readonly limit: number } | null;
  readonly protocolMessages: number;
  readonly broadcastCopies: number;
}

const pct = (x: number, digits = 2) => (100 * x).toFixed(digits);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Says that a row gives a figure per thread, when the build ran in two. */
const perThread = (r: ModelResult) => (r.gcMs.joins.length > 1 ? " (main / twin thread)" : "");

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("   "))
    .join("\n");
}

export function formatReport(h: Header, results: readonly ModelResult[], perf: Perf): string {
  const out: string[] = [];
  const models = results.map((r) => r.model);
  out.push(
    `HyParView, the paper's evaluation (§5) with the production core: ${h.nodes.toLocaleString("en")} nodes, seed ${h.seed}`,
    `join one by one through one contact, ${h.cycles} cycles, then failures at random; models: ${models.join(", ")}`,
    `("paper": failed peers dropped at once, cycle = shuffle; "ours": the daemon's defaults, cycle = maintenance + shuffle)`,
    "",
  );

  out.push(`Table 1: the overlay after ${h.cycles} cycles`);
  out.push(
    table([
      ["", "paper", ...models],
      ["clustering coefficient", PAPER.clustering, ...results.map((r) => r.stable.clustering.toFixed(5))],
      [
        `average shortest path (BFS from ${Math.min(h.pathSources, h.nodes)} sources)`,
        PAPER.averageShortestPath,
        ...results.map((r) => r.stable.path.mean.toFixed(5)),
      ],
      [
        `maximum hops to delivery (mean of ${h.stableBroadcasts} broadcasts)`,
        PAPER.maxHops,
        ...results.map((r) => r.stable.maxHopsMean.toFixed(2)),
      ],
      ["  largest of them", "", ...results.map((r) => String(r.stable.maxHopsMax))],
      ["connected components", "", ...results.map((r) => String(r.stable.components.count))],
      ["reliability before failures (%)", "100", ...results.map((r) => pct(r.stable.reliability, 3))],
    ]),
    "",
  );

  out.push("Fig. 5: in-degree distribution (nodes holding each node in their active view)");
  const maxDeg = Math.max(...results.map((r) => r.stable.inDegree.length - 1));
  const degRows: string[][] = [["in-degree", ...models.map((m) => `${m} nodes`), ...models.map((m) => `${m} %`)]];
  for (let d = 0; d <= maxDeg; d++) {
    const counts = results.map((r) => r.stable.inDegree[d] ?? 0);
    if (counts.every((c) => c === 0)) continue;
    degRows.push([String(d), ...counts.map(String), ...counts.map((c) => pct(c / h.nodes))]);
  }
  out.push(table(degRows), `paper: ${PAPER.inDegree}`, "");

  // Fig. 2-4 have one column per (model, detection) pair.
  const cols = results.flatMap((r) => r.detections.map((d) => ({ r, d, name: `${r.model}/${d}` })));
  const rates = [...new Set(results.flatMap((r) => r.failures.map((f) => f.failedPercent)))];
  const failureOf = (r: ModelResult, d: string, p: number) => r.failures.find((f) => f.detection === d && f.failedPercent === p);
  const healingOf = (r: ModelResult, d: string, p: number) => r.healing.find((f) => f.detection === d && f.failedPercent === p);
  if (rates.length > 0) {
    out.push(
      `Fig. 2: reliability after the failure (mean over ${h.broadcasts} broadcasts, % of correct nodes)`,
      `(detection "send": failures noticed only by failed broadcast sends; "links": every link holder is told)`,
    );
    out.push(
      table([
        ["failed %", "paper", ...cols.map((c) => c.name)],
        ...rates.map((p) => [String(p), PAPER.reliability(p), ...cols.map((c) => pct(failureOf(c.r, c.d, p)?.meanReliability ?? NaN))]),
      ]),
      "",
    );

    const picks = [1, 2, 3, 5, 10, 20, 50, 100, h.broadcasts].filter((x, i, a) => x <= h.broadcasts && a.indexOf(x) === i);
    for (const c of cols) {
      out.push(`Fig. 3 (${c.name}): reliability of broadcast #k after the failure (%)`);
      out.push(
        table([
          ["failed %", ...picks.map((k) => `#${k}`), "median", "median from #", "components: after failure", "after broadcasts"],
          ...rates.map((p) => {
            const f = failureOf(c.r, c.d, p)!;
            return [
              String(p),
              ...picks.map((k) => pct(f.reliability[k - 1]!, 1)),
              pct(f.medianReliability, 1),
              String(f.recoveredAt),
              `${f.componentsBefore.count} (${f.componentsBefore.isolated} isolated)`,
              `${f.componentsAfter.count} (${f.componentsAfter.isolated} isolated)`,
            ];
          }),
        ]),
        "",
      );
    }
    out.push(
      `"median from #": first broadcast reaching the run's median reliability. "isolated": correct nodes with no correct active peer.`,
      "Paper: recovers almost immediately, message by message.",
      "",
    );
  }

  if (results.some((r) => r.healing.length > 0)) {
    out.push(
      `Fig. 4: healing time in cycles (${h.healingPerCycle} broadcasts per cycle; the cycle of the failure is cycle 1; healed = the`,
      `cycle's broadcasts are on average as reliable as before the failure, in brackets: within 0.1 point; -1 = not within the`,
      `limit), then reliability per cycle (%)`,
    );
    out.push(
      table([
        ["failed %", "paper", ...cols.map((c) => c.name)],
        ...rates.map((p) => [
          String(p),
          PAPER.healing(p),
          ...cols.map((c) => {
            const x = healingOf(c.r, c.d, p);
            return x === undefined ? "" : `${x.cycles} (${x.cyclesNear})`;
          }),
        ]),
      ]),
      "",
    );
    for (const c of cols) {
      out.push(
        `  ${c.name}: ` +
          rates.map((p) => `${p} %: ${(healingOf(c.r, c.d, p)?.perCycle ?? []).map((x) => pct(x, 1)).join(" ")}`).join(" | "),
      );
    }
    out.push("");
  }

  out.push("Performance");
  const s = perf.wallMs / 1000;
  out.push(
    table([
      ["wall time", seconds(perf.wallMs)],
      ["CPU time (user + system)", seconds(perf.cpuMs)],
      ...results.flatMap((r) => [
        [`  ${r.model}: build (join + cycles)`, seconds(r.buildMs)],
        ["    joins", seconds(r.joinMs)],
        [`    collector pauses in the joins${perThread(r)}`, r.gcMs.joins.map(seconds).join(" / ")],
        [`    collector pauses in the cycles${perThread(r)}`, r.gcMs.cycles.map(seconds).join(" / ")],
        ...(r.waitMs.joins.length > 0
          ? [
              [`    wait for the other thread's joins${perThread(r)}`, r.waitMs.joins.map(seconds).join(" / ")],
              [`    wait for the other thread in the cycles${perThread(r)}`, r.waitMs.cycles.map(seconds).join(" / ")],
            ]
          : []),
        ...(r.swapMs > 0 ? [["    swap of the halves (after the split cycles)", seconds(r.swapMs)]] : []),
        [`  ${r.model}: after the build (experiments)`, seconds(r.afterBuildMs)],
        [`  ${r.model}: whole run`, seconds(r.wallMs)],
      ]),
      ["peak memory (max RSS)", `${(perf.peakRssBytes / 2 ** 20).toFixed(0)} MiB`],
      ...(perf.memoryLatencyNs === null
        ? []
        : [["memory latency, before / after (probe)", perf.memoryLatencyNs.map((x) => `${x.toFixed(0)} ns`).join(" / ")]]),
      ...(perf.memoryMaps === null
        ? []
        : [["memory maps, peak / limit (vm.max_map_count)", `${perf.memoryMaps.peak.toLocaleString("en")} / ${perf.memoryMaps.limit.toLocaleString("en")}`]]),
      ["protocol messages delivered", perf.protocolMessages.toLocaleString("en")],
      ["  per second of wall time", Math.round(perf.protocolMessages / s).toLocaleString("en")],
      ["broadcast copies sent", perf.broadcastCopies.toLocaleString("en")],
      ["  per second of wall time", Math.round(perf.broadcastCopies / s).toLocaleString("en")],
    ]),
  );
  return out.join("\n");
}
