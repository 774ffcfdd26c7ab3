/**
 * The overlay as a graph: the confirmed active views of the running nodes, as compressed sparse
 * rows (CSR), and its connected components. Typed arrays only, so it scales to a million nodes.
 */
import type { Simulation } from "./simulation.js";

/** Directed graph in CSR form: node i's out-neighbours are targets[offsets[i] .. offsets[i+1]). */
export interface Csr {
  readonly nodes: number;
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
}

/** Whether node `i` counts as a member: up and running (started, not left). */
export function isMember(sim: Simulation, i: number): boolean {
  return sim.isUp(i) && sim.core(i).status === "running";
}

/** The confirmed active views of members, as a directed graph; edges to non-members are left out. */
export function activeGraph(sim: Simulation): Csr {
  const n = sim.size;
  const member = new Uint8Array(n);
  for (let i = 0; i < n; i++) member[i] = isMember(sim, i) ? 1 : 0;
  const offsets = new Int32Array(n + 1);
  let targets = new Int32Array(Math.max(16, n * sim.config.activeViewSize));
  let m = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = m;
    if (member[i] !== 1) continue;
    for (const e of sim.core(i).activeEntries()) {
      if (e.pending) continue;
      const t = sim.indexOf(e.peer.id);
      if (t < 0 || member[t] !== 1) continue;
      if (m === targets.length) {
        const b = new Int32Array(targets.length * 2);
        b.set(targets);
        targets = b;
      }
      targets[m++] = t;
    }
  }
  offsets[n] = m;
  return { nodes: n, offsets, targets: targets.subarray(0, m) };
}

export interface Components {
  /** Connected components among members (edges taken as undirected). */
  readonly count: number;
  /** Members in the largest one. */
  readonly largest: number;
  /** Members counted. */
  readonly members: number;
}

/** Connected components of the member overlay, edges taken as undirected (union-find). */
export function components(sim: Simulation, graph: Csr = activeGraph(sim)): Components {
  const n = graph.nodes;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      const p = parent[parent[x]!]!;
      parent[x] = p;
      x = p;
    }
    return x;
  };
  for (let i = 0; i < n; i++) {
    for (let k = graph.offsets[i]!; k < graph.offsets[i + 1]!; k++) {
      const a = find(i);
      const b = find(graph.targets[k]!);
      if (a !== b) parent[a < b ? b : a] = a < b ? a : b;
    }
  }
  const size = new Int32Array(n);
  let count = 0;
  let largest = 0;
  let members = 0;
  for (let i = 0; i < n; i++) {
    if (!isMember(sim, i)) continue;
    members++;
    const r = find(i);
    if (size[r] === 0) count++;
    const s = ++size[r]!;
    if (s > largest) largest = s;
  }
  return { count, largest, members };
}

/** Histogram of confirmed active-view sizes over members: result[k] = members with k peers. */
export function activeSizeHistogram(sim: Simulation): number[] {
  const hist = new Array<number>(sim.config.activeViewSize + 1).fill(0);
  for (let i = 0; i < sim.size; i++) {
    if (!isMember(sim, i)) continue;
    let k = 0;
    for (const e of sim.core(i).activeEntries()) if (!e.pending) k++;
    hist[Math.min(k, hist.length - 1)]!++;
  }
  return hist;
}
