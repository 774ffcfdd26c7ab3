/**
 * Cross-language: `buf curl` (a Go gRPC client nobody here wrote) against a live hyparviewd's
 * client API, through server reflection only: it lists the services and reads the snapshot that
 * opens a WatchMembership stream. Needs `npm run build`. About 3 s.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, ROOT, type NodeProcess } from "../../scripts/local-cluster.js";

/** The Go binary itself, not node_modules/.bin/buf (a Node wrapper that would outlive a kill of
 * the wrapper); the wrapper only where the platform package is laid out differently. */
const PLATFORM_BUF = join(ROOT, `node_modules/@bufbuild/buf-${process.platform}-${process.arch}/bin/buf`);
const BUF = existsSync(PLATFORM_BUF) ? PLATFORM_BUF : join(ROOT, "node_modules/.bin/buf");
let cluster: LocalCluster;
let node: NodeProcess;

beforeAll(async () => {
  cluster = new LocalCluster();
  node = await cluster.start("curl-target", { args: ["--meta=app_endpoint=10.0.0.1:8080"] });
});

afterAll(async () => {
  await cluster?.stopAll();
});

function bufCurl(args: string[]) {
  const child = cluster.spawn(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--timeout", "20s", ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return { child, out: () => stdout, err: () => stderr, exited: new Promise<number | null>((r) => child.once("close", (c) => r(c))) };
}

/** The first complete JSON object in `text` (buf curl prints one per streamed message). */
function firstObject(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0, start = -1; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) return JSON.parse(text.slice(start, i + 1));
  }
  return undefined;
}

describe("buf curl against a live node", () => {
  it("lists the services through reflection", async () => {
    const r = bufCurl(["--list-services", `http://${node.api}`]);
    expect(await r.exited, r.err()).toBe(0);
    const services = r.out().trim().split("\n");
    expect(services).toContain("hyparview.v1.MembershipService");
    expect(services).toContain("grpc.health.v1.Health");
  });

  it("reads the snapshot that opens WatchMembership", async () => {
    const r = bufCurl(["--data", "{}", `http://${node.api}/hyparview.v1.MembershipService/WatchMembership`]);
    const deadline = Date.now() + 15_000;
    let first: unknown;
    while ((first = firstObject(r.out())) === undefined && Date.now() < deadline) {
      if (r.child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    r.child.kill("SIGKILL"); // the stream never ends by itself
    await r.exited;
    expect(first, r.err()).toMatchObject({
      snapshot: { self: { id: "curl-target", address: node.address, metadata: { app_endpoint: "10.0.0.1:8080" } } },
    });
  });
});
