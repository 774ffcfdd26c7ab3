/**
 * Cross-language: examples/python/watch.py (grpcio, stubs generated from proto/ at start) reads
 * the snapshot of a live hyparviewd. Skipped where Debian's python3-grpcio / python3-grpc-tools
 * are not installed. Needs `npm run build`. About 2 s.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LocalCluster, ROOT } from "../../scripts/local-cluster.js";

const PYTHON = "/usr/bin/python3";
const hasGrpc = spawnSync(PYTHON, ["-c", "import grpc, grpc_tools"], { stdio: "ignore" }).status === 0;
let cluster: LocalCluster | undefined;

afterAll(async () => {
  await cluster?.stopAll();
});

describe.skipIf(!hasGrpc)("Python client (examples/python/watch.py)", () => {
  it("prints the snapshot of a live node", async () => {
    cluster = new LocalCluster();
    const node = await cluster.start("py-target");
    const child = cluster.spawn(PYTHON, [join(ROOT, "examples/python/watch.py"), node.api, "--max-events", "1"]);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code, err).toBe(0);
    expect(out).toBe(`rev 0 snapshot py-target ${node.address}; active: (none)\n`);
  });
});
