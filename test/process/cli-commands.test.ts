/**
 * The real `hyparview` CLI against real nodes: join at run time, members, leave, health. And the
 * library example (examples/library.ts, importing "hyparview" from dist/) runs to completion.
 * Needs `npm run build`. About 4 s.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, ROOT, waitFor, type NodeProcess, type Watcher } from "../../scripts/local-cluster.js";

let cluster: LocalCluster;
let a: NodeProcess;
let b: NodeProcess;
let watchA: Watcher;

beforeAll(async () => {
  cluster = new LocalCluster(["--heartbeat-interval=200ms", "--failure-timeout=1s"]);
  [a, b] = await Promise.all([cluster.start("a"), cluster.start("b")]); // two separate one-node overlays
  watchA = cluster.watch("a");
  await watchA.next("snapshot", 10_000, (e) => e.type === "snapshot");
});

afterAll(async () => {
  await cluster?.stopAll();
});

describe("hyparview commands on live nodes", () => {
  it("join: b joins a's overlay at run time; members shows it on both", async () => {
    const r = await cluster.cli(["join", a.address, "--api", b.api]);
    expect(r).toMatchObject({ code: 0, stdout: `join started through ${a.address}\n` });
    await watchA.next("peer_up b", 10_000, (e) => e.type === "peer_up" && e.peer.id === "b");
    await waitFor("b lists a as active", 10_000, async () => (await cluster.members("b")).active.some((p) => p.id === "a"));
    const table = await cluster.cli(["members", "--api", a.api]);
    expect(table.stdout).toMatch(new RegExp(`^active\\s+b\\s+${b.address.replace(/\./g, "\\.")}`, "m"));
  });

  it("leave: a sees peer_down(left); b's health turns NOT_SERVING (exit 1)", async () => {
    expect(await cluster.cli(["health", "--api", b.api])).toMatchObject({ code: 0, stdout: "SERVING\n" });
    const mark = watchA.events.length;
    expect(await cluster.cli(["leave", "--api", b.api])).toMatchObject({ code: 0, stdout: "left the overlay\n" });
    const e = await watchA.next("peer_down b", 5_000, (e) => e.type === "peer_down" && e.peer.id === "b", mark);
    expect(e).toMatchObject({ reason: "left" });
    expect(await cluster.cli(["health", "--json", "--api", b.api])).toMatchObject({ code: 1, stdout: '{"status":"NOT_SERVING"}\n' });
  });
});

describe("examples/library.ts", () => {
  it("runs two in-process nodes to a graceful leave", async () => {
    const child = cluster.spawn(process.execPath, ["--import", "tsx", join(ROOT, "examples/library.ts")]);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(0);
    expect(out).toContain("[app-b] up app-a");
    expect(out).toContain("[app-a] down app-b (left)");
  });
});
