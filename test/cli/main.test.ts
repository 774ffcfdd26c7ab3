/**
 * The CLI against a scripted MembershipService + health server on 127.0.0.1 (a real gRPC server,
 * no node behind it), so each command's output and exit code is checked on its own.
 */
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MembershipService,
  PeerDownReason,
  type JoinRequest,
  type WatchMembershipRequest,
  type WatchMembershipResponse,
} from "../../gen/hyparview/v1/membership_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { addService } from "../../src/grpc/index.js";
import { runCli } from "../../src/cli/main.js";

const n1 = { id: "n1", address: "127.0.0.1:4500", metadata: {} };
const n2 = { id: "n2", address: "127.0.0.1:4502", metadata: { zone: "eu" } };
type WatchInit = MessageInitShape<typeof import("../../gen/hyparview/v1/membership_pb.js").WatchMembershipResponseSchema>;

/** What the fake server does on the next WatchMembership call. */
let watchScript: (call: grpc.ServerWritableStream<WatchMembershipRequest, WatchInit>) => void = () => {};
let watchCalls = 0;
const joins: string[][] = [];
let server: grpc.Server;
let api: string;
const health = new HealthImplementation({ "": "SERVING" });

beforeAll(async () => {
  server = new grpc.Server();
  addService(server, MembershipService, {
    watchMembership: (call) => {
      watchCalls++;
      watchScript(call as unknown as grpc.ServerWritableStream<WatchMembershipRequest, WatchInit>);
    },
    getMembership: (call, cb) =>
      cb(null, {
        revision: 4n,
        snapshot: { self: n1, active: [n2], passive: call.request.includePassive ? [{ id: "n3", address: "h:3" }] : [] },
      }),
    join: (call, cb) => {
      joins.push([...(call.request as JoinRequest).contacts]);
      cb(null, {});
    },
    leave: (_call, cb) => cb({ code: grpc.status.FAILED_PRECONDITION, details: "already left\nmore" }),
  });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  api = `127.0.0.1:${port}`;
});

afterAll(() => {
  server.forceShutdown();
});

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli({
    argv: ["--api", api, ...argv],
    env: {},
    version: "0.0.0",
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    onInterrupt: () => {},
    now: () => new Date(0),
  });
  return { code, out: out.join(""), err: err.join("") };
}

function snapshot(revision: bigint): WatchInit {
  return { revision, event: { case: "snapshot", value: { self: n1, active: [] } } };
}

describe("hyparview CLI against a node's API", () => {
  it("members prints a table, or JSON with --json", async () => {
    const t = await cli(["members"]);
    expect(t.code).toBe(0);
    expect(t.out).toContain("active  n2  127.0.0.1:4502  zone=eu");
    expect(t.out).toContain("revision 4: 1 active, 0 passive");
    const j = await cli(["members", "--json", "--passive"]);
    expect(JSON.parse(j.out)).toEqual({
      revision: 4,
      self: n1,
      active: [n2],
      passive: [{ id: "n3", address: "h:3", metadata: {} }],
    });
  });

  it("join sends the contacts", async () => {
    const r = await cli(["join", "a:1", "b:2"]);
    expect(r).toMatchObject({ code: 0, out: "join started through a:1, b:2\n" });
    expect(joins.at(-1)).toEqual(["a:1", "b:2"]);
  });

  it("an RPC error is one line on stderr and exit 1", async () => {
    const r = await cli(["leave"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`hyparview: leave: FAILED_PRECONDITION: already left (api ${api})\n`);
  });

  it("health exits 0 only while SERVING", async () => {
    expect(await cli(["health"])).toMatchObject({ code: 0, out: "SERVING\n" });
    health.setStatus("", "NOT_SERVING" as ServingStatus);
    expect(await cli(["health", "--json"])).toMatchObject({ code: 1, out: '{"status":"NOT_SERVING"}\n' });
    health.setStatus("", "SERVING");
  });

  it("an unreachable node is exit 1 with one line", async () => {
    const dead = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      dead.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    dead.forceShutdown();
    const r = await cli(["members", "--api", `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^hyparview: members: UNAVAILABLE: .*\n$/);
    expect(r.err.trimEnd()).not.toContain("\n");
  });

  it("watch --json prints one object per message until the node ends the stream (exit 1)", async () => {
    watchScript = (call) => {
      call.write(snapshot(10n));
      call.write({ revision: 11n, event: { case: "peerUp", value: { peer: n2 } } });
      call.write({ revision: 12n, event: { case: "peerDown", value: { peer: n2, reason: PeerDownReason.FAILED } } });
      call.end();
    };
    const r = await cli(["watch", "--json"]);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split("\n").map((l) => JSON.parse(l) as WatchMembershipResponse & { type: string });
    expect(lines.map((l) => [l.type, l.revision])).toEqual([
      ["snapshot", 10],
      ["peer_up", 11],
      ["peer_down", 12],
    ]);
    expect(lines[2]).toMatchObject({ peer: n2, reason: "failed", time: new Date(0).toISOString() });
    expect(r.err).toContain("the node ended the stream");
  });

  it("watch stops cleanly on interrupt (exit 0)", async () => {
    watchScript = (call) => void call.write(snapshot(1n));
    const out: string[] = [];
    let stop: (() => void) | undefined;
    const pending = runCli({
      argv: ["--api", api, "watch"],
      env: {},
      version: "0.0.0",
      stdout: (t) => void out.push(t),
      stderr: () => {},
      onInterrupt: (h) => (stop = h),
      now: () => new Date(0),
    });
    // Interrupt once the snapshot has been printed.
    const deadline = Date.now() + 5000;
    while (out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    stop!();
    expect(await pending).toBe(0);
    expect(out.join("")).toContain("snapshot  n1 127.0.0.1:4500; active: (none)");
  });

  it("watch starts again from a fresh snapshot after RESOURCE_EXHAUSTED, and flags a skipped revision", async () => {
    watchCalls = 0;
    watchScript = (call) => {
      if (watchCalls === 1) {
        call.write(snapshot(1n));
        call.write({ revision: 3n, event: { case: "peerUp", value: { peer: n2 } } });
        call.emit("error", { code: grpc.status.RESOURCE_EXHAUSTED, details: "too slow" });
      } else {
        call.write(snapshot(50n));
        call.end();
      }
    };
    const r = await cli(["watch"]);
    expect(watchCalls).toBe(2);
    expect(r.out).toMatch(/rev 1 .*snapshot[\s\S]*rev 3 .*up[\s\S]*rev 50 .*snapshot/);
    expect(r.err).toContain("revision 3 after 1");
    expect(r.err).toContain("watching again from a fresh snapshot");
  });
});
