/**
 * Five real hyparviewd processes on 127.0.0.1, each watched by a real `hyparview watch --json`
 * process: convergence, a crash (SIGKILL), a hang (SIGSTOP / SIGCONT), a restart with the same id
 * on a new port, and a graceful leave (SIGTERM). The steps share one cluster and run in order.
 * Needs `npm run build` (npm test builds first). Takes about 30-40 s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, overlaySettled, waitFor, type Watcher } from "../../scripts/local-cluster.js";

const FAILURE_TIMEOUT_MS = 1000;
const ACTIVE = 2;
const IDS = ["n1", "n2", "n3", "n4", "n5"];

let cluster: LocalCluster;
const watchers = new Map<string, Watcher>();

function live(): string[] {
  return IDS.filter((id) => {
    const c = cluster.nodes.get(id)?.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  });
}

/** Nodes whose watch shows `id` in their active view. */
function neighboursOf(id: string): string[] {
  return live().filter((n) => n !== id && watchers.get(n)!.active.has(id));
}

/** The live nodes (but `except`) form a settled overlay: symmetric views, and no link left that
 * could be added (every view full where the overlay allows it; see overlaySettled). */
function converged(except: readonly string[] = []): boolean {
  const nodes = live().filter((n) => !except.includes(n));
  const views = new Map(nodes.map((n) => [n, watchers.get(n)!.active]));
  return overlaySettled(views, nodes, ACTIVE);
}

function views(): string {
  return live()
    .map((n) => `${n}: [${[...watchers.get(n)!.active.keys()].join(", ")}]`)
    .join("; ");
}

beforeAll(async () => {
  cluster = new LocalCluster([
    `--active-size=${ACTIVE}`,
    "--passive-size=10",
    "--heartbeat-interval=200ms",
    `--failure-timeout=${FAILURE_TIMEOUT_MS}ms`,
    "--shuffle-interval=1s",
  ]);
  const first = await cluster.start("n1");
  await Promise.all(IDS.slice(1).map((id) => cluster.start(id, { contacts: [first.address] })));
  for (const id of IDS) watchers.set(id, cluster.watch(id));
});

afterEach((ctx) => {
  if (ctx.task.result?.state !== "fail") return;
  console.error(`views: ${views()}`);
  for (const [id, n] of cluster.nodes) console.error(`--- ${id} (last log lines)\n${n.logs.slice(-15).join("\n")}`);
});

afterAll(async () => {
  await cluster?.stopAll();
  expect(cluster.running()).toBe(0);
});

describe.sequential("hyparviewd processes", () => {
  it("converge: symmetric active views, full where the overlay allows, as every watch reports", async () => {
    await waitFor(`converged views (${IDS.length} nodes)`, 20_000, () => converged());
    for (const w of watchers.values()) expect(w.events[0]?.type).toBe("snapshot");
  });

  it("SIGKILL: the neighbours report peer_down(failed) and refill from their passive views", async () => {
    const victim = "n3";
    const neighbours = neighboursOf(victim);
    expect(neighbours.length).toBeGreaterThan(0);
    const marks = new Map(neighbours.map((n) => [n, watchers.get(n)!.events.length]));
    cluster.signal(victim, "SIGKILL");
    await cluster.node(victim).exited;
    for (const n of neighbours) {
      const e = await watchers.get(n)!.next(`peer_down ${victim}`, 10_000, (e) => e.type === "peer_down" && e.peer.id === victim, marks.get(n));
      expect(e).toMatchObject({ type: "peer_down", reason: "failed" });
    }
    await waitFor("active views refilled without n3", 20_000, () => converged() && neighboursOf(victim).length === 0);
    // The watch of the dead node ends with an error (exit 1).
    expect(await watchers.get(victim)!.exited).toBe(1);
  });

  it("SIGSTOP: a hung node is detected within the failure timeout; after SIGCONT it returns", async () => {
    const victim = "n4";
    const neighbours = neighboursOf(victim);
    expect(neighbours.length).toBeGreaterThan(0);
    const marks = new Map(neighbours.map((n) => [n, watchers.get(n)!.events.length]));
    const stoppedAt = Date.now();
    cluster.signal(victim, "SIGSTOP");
    for (const n of neighbours) {
      const e = await watchers.get(n)!.next(`peer_down ${victim}`, 15_000, (e) => e.type === "peer_down" && e.peer.id === victim, marks.get(n));
      expect(e).toMatchObject({ reason: "failed" });
      // Bound on correctness, not speed: the detector fired on silence, not on something else.
      expect(e.receivedAt - stoppedAt).toBeLessThan(FAILURE_TIMEOUT_MS + 3000);
    }
    await waitFor("the others settled without the hung node", 20_000, () => converged([victim]) && neighboursOf(victim).length === 0);

    cluster.signal(victim, "SIGCONT");
    await waitFor("the resumed node back in the overlay", 30_000, () => converged() && neighboursOf(victim).length > 0);
  });

  it("restart with the same id on a new port: the new address replaces the old one everywhere", async () => {
    const id = "n3";
    const oldAddress = cluster.node(id).address;
    const restarted = await cluster.start(id, { contacts: [cluster.node("n1").address] });
    expect(restarted.address).not.toBe(oldAddress);
    watchers.set(id, cluster.watch(id));
    await waitFor("the restarted node in the overlay", 20_000, () => converged() && neighboursOf(id).length > 0);
    for (const n of neighboursOf(id)) expect(watchers.get(n)!.active.get(id)?.address).toBe(restarted.address);
    // Nothing anywhere (active or passive view) still names the old address.
    await waitFor("no view naming the old address", 30_000, async () => {
      const all = await Promise.all(live().map((n) => cluster.members(n)));
      return all.every((m) => [...m.active, ...m.passive].every((p) => p.id !== id || p.address === restarted.address));
    });
  });

  it("SIGTERM: graceful leave, exit 0, and the neighbours report peer_down(left)", async () => {
    const victim = "n5";
    await waitFor("n5 to have neighbours", 10_000, () => neighboursOf(victim).length > 0);
    const neighbours = neighboursOf(victim);
    const marks = new Map(neighbours.map((n) => [n, watchers.get(n)!.events.length]));
    cluster.signal(victim, "SIGTERM");
    expect(await cluster.node(victim).exited).toEqual({ code: 0, signal: null });
    for (const n of neighbours) {
      const e = await watchers.get(n)!.next(`peer_down ${victim}`, 5_000, (e) => e.type === "peer_down" && e.peer.id === victim, marks.get(n));
      expect(e).toMatchObject({ reason: "left" });
    }
    const logs = cluster.node(victim).logs.join("\n");
    expect(logs).toContain("left the overlay");
  });
});
