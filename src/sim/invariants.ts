/**
 * The overlay's invariants (DESIGN.md), checked over every running node of a simulation. Returns
 * the violations instead of throwing, so a test can print all of them with the seed.
 */
import type { Simulation } from "./simulation.js";

export type InvariantRule =
  /** A node lists itself in a view. */
  | "self-in-view"
  /** A peer is in both the active and the passive view. */
  | "active-passive-overlap"
  | "active-too-large"
  | "passive-too-large"
  /** The same id twice in one view. */
  | "duplicate-in-active"
  | "duplicate-in-passive"
  /** Quiet only: A has B confirmed but B does not have A confirmed. */
  | "asymmetric-active"
  /** Quiet only: a confirmed active peer is down (crashed or gone) although crashes are detected. */
  | "dead-peer-in-active"
  /** Quiet only: a confirmed active peer's record is of an older incarnation than the node's. */
  | "stale-incarnation"
  /** Quiet only, no message loss: an active entry still waits for its NEIGHBOR reply. */
  | "pending-when-quiet";

export interface Violation {
  readonly node: number;
  readonly rule: InvariantRule;
  /** The other node involved, when there is one. */
  readonly peer?: number;
}

export interface CheckOptions {
  /** The network is quiet (no message in flight, no failure notice pending, partitions healed):
   * also check symmetry and liveness of active views. Default false. */
  readonly quiet?: boolean;
  /** With `quiet`: tolerate confirmed active peers that are down (crashes not detected, as in the
   * paper's model). Default: `!sim.options.detectCrashes`. */
  readonly allowDeadPeers?: boolean;
}

/** Checks every node that is up and running; returns the violations found (empty: all hold). */
export function checkInvariants(sim: Simulation, opts: CheckOptions = {}): Violation[] {
  const quiet = opts.quiet ?? false;
  const allowDead = opts.allowDeadPeers ?? !sim.options.detectCrashes;
  const { activeViewSize, passiveViewSize } = sim.config;
  const out: Violation[] = [];
  // Generation-stamped marks: which ids are in the node's views, without allocating a set per node.
  const mark = new Int32Array(sim.size);
  let stamp = 0;
  for (let i = 0; i < sim.size; i++) {
    if (!sim.isUp(i)) continue;
    const core = sim.core(i);
    if (core.status !== "running") continue;
    const active = core.activeEntries();
    const passive = core.passivePeers();
    if (active.length > activeViewSize) out.push({ node: i, rule: "active-too-large" });
    if (passive.length > passiveViewSize) out.push({ node: i, rule: "passive-too-large" });
    const activeStamp = ++stamp;
    for (const e of active) {
      const p = sim.indexOf(e.peer.id);
      if (p === i) out.push({ node: i, rule: "self-in-view", peer: p });
      if (p < 0) continue;
      if (mark[p] === activeStamp) out.push({ node: i, rule: "duplicate-in-active", peer: p });
      mark[p] = activeStamp;
    }
    const passiveStamp = ++stamp;
    for (const peer of passive) {
      const p = sim.indexOf(peer.id);
      if (p === i) out.push({ node: i, rule: "self-in-view", peer: p });
      if (p < 0) continue;
      if (mark[p] === activeStamp) out.push({ node: i, rule: "active-passive-overlap", peer: p });
      else if (mark[p] === passiveStamp) out.push({ node: i, rule: "duplicate-in-passive", peer: p });
      mark[p] = passiveStamp;
    }
    if (!quiet) continue;
    for (const e of active) {
      const p = sim.indexOf(e.peer.id);
      if (p < 0 || p === i) continue;
      if (e.pending) {
        if (sim.options.loss === 0) out.push({ node: i, rule: "pending-when-quiet", peer: p });
        continue;
      }
      if (!sim.isUp(p) || sim.core(p).status !== "running") {
        if (!allowDead) out.push({ node: i, rule: "dead-peer-in-active", peer: p });
        continue;
      }
      if (e.peer.incarnation < sim.record(p).incarnation) {
        out.push({ node: i, rule: "stale-incarnation", peer: p });
        continue;
      }
      if (!sim.core(p).isActive(core.self.id)) out.push({ node: i, rule: "asymmetric-active", peer: p });
    }
  }
  return out;
}

/** One line per violation (at most `limit`), for test failure messages. */
export function formatViolations(sim: Simulation, violations: readonly Violation[], limit = 20): string {
  const lines = violations.slice(0, limit).map((v) => {
    const views = (i: number) => {
      if (!sim.isUp(i)) return `n${i} ${sim.nodeState(i)}`;
      const c = sim.core(i);
      const act = c
        .activeEntries()
        .map((e) => `${e.peer.id}@${e.peer.incarnation}${e.pending ? "?" : ""}`)
        .join(",");
      return `n${i}@${c.self.incarnation} active[${act}] passive=${c.passivePeers().length}`;
    };
    return `${v.rule}: ${views(v.node)}${v.peer !== undefined && v.peer !== v.node ? ` | ${views(v.peer)}` : ""}`;
  });
  if (violations.length > limit) lines.push(`... and ${violations.length - limit} more`);
  return lines.join("\n");
}
