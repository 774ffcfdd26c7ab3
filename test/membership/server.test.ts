/** The client API server over real gRPC on 127.0.0.1, driven by a hand-fed membership state. */
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MembershipService, PeerDownReason } from "../../gen/hyparview/v1/membership_pb.js";
import { unaryCall, type ServiceClient } from "../../src/grpc/index.js";
import { ApiServer, type MembershipBackend } from "../../src/membership/server.js";
import { MembershipState } from "../../src/membership/state.js";
import type { PeerRecord } from "../../src/protocol/index.js";
import { WatchRecorder, bufCurl, bufCurlStream, membershipClient, waitFor } from "./helpers.js";

const peer = (id: string, metadata: Record<string, string> = {}): PeerRecord => ({
  id,
  address: `${id}.test:4500`,
  incarnation: 1,
  metadata,
});

describe("client API server", () => {
  const self = peer("self", { app_endpoint: "10.0.0.1:8080" });
  const passive = [peer("p1"), peer("p2")];
  const state = new MembershipState(self, () => passive);
  const joins: (readonly string[])[] = [];
  let leaves = 0;
  const backend: MembershipBackend & { phase: MembershipBackend["phase"] } = {
    phase: "running",
    snapshot: () => state.snapshot(),
    subscribe: (l, o) => state.subscribe(l, o),
    join: (c) => void joins.push(c),
    leave: async () => {
      leaves++;
      backend.phase = "left";
    },
  };
  let api: ApiServer;
  let address: string;
  let client: ServiceClient<typeof MembershipService>;

  beforeAll(async () => {
    api = await ApiServer.start({ listen: "127.0.0.1:0", backend, logger: pino({ level: "silent" }), watchBufferLimit: 16 });
    api.setServing(true);
    address = `127.0.0.1:${api.boundPort}`;
    client = membershipClient(address);
  });

  afterAll(async () => {
    client.close();
    await api.close();
  });

  it("GetMembership: self, active, and the passive view only when asked", async () => {
    state.peerUp(peer("a"));
    const without = await unaryCall(client, "getMembership", {});
    expect(without.revision).toBe(BigInt(state.revision));
    expect(without.snapshot?.self).toMatchObject({ id: "self", address: "self.test:4500", metadata: { app_endpoint: "10.0.0.1:8080" } });
    expect(without.snapshot?.active.map((p) => p.id)).toEqual(["a"]);
    expect(without.snapshot?.passive).toEqual([]);
    const withPassive = await unaryCall(client, "getMembership", { includePassive: true });
    expect(withPassive.snapshot?.passive.map((p) => p.id)).toEqual(["p1", "p2"]);
  });

  it("WatchMembership: the snapshot, then one message per change with contiguous revisions and reasons", async () => {
    const w = new WatchRecorder(client);
    await waitFor("snapshot", () => w.messages.length === 1);
    const base = w.messages[0]!.revision;
    expect(base).toBe(BigInt(state.revision));
    state.peerUp(peer("b"));
    state.peerDown(peer("a"), "left");
    state.peerDown(peer("b"), "failed");
    await waitFor("3 changes", () => w.messages.length === 4);
    w.checkContiguous();
    expect(w.messages.slice(1).map((m) => m.event.case)).toEqual(["peerUp", "peerDown", "peerDown"]);
    const reasons = w.messages.slice(2).map((m) => (m.event.case === "peerDown" ? m.event.value.reason : undefined));
    expect(reasons).toEqual([PeerDownReason.LEFT, PeerDownReason.FAILED]);
    w.cancel();
    await waitFor("watch to end on the server", () => api.stats().watchers === 0);
    expect(state.subscribers).toBe(0);
  });

  it("Join: bad contacts get INVALID_ARGUMENT naming the contact, and change nothing", async () => {
    const bad: [string[], RegExp][] = [
      [[], /at least one/],
      [["nohost"], /contacts\[0\]: "nohost"/],
      [["10.0.0.1:4500", "h:0"], /contacts\[1\]: "h:0"/],
      [["h:65536"], /"h:65536"/],
      [["bad host:1"], /"bad host:1"/],
    ];
    for (const [contacts, message] of bad) {
      const err = await unaryCall(client, "join", { contacts }).catch((e: grpc.ServiceError) => e);
      expect(err).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect((err as grpc.ServiceError).details).toMatch(message);
    }
    expect(joins).toEqual([]);
    await unaryCall(client, "join", { contacts: ["10.0.0.1:4500", "[::1]:4501", "node-2.example:4500"] });
    expect(joins).toEqual([["10.0.0.1:4500", "[::1]:4501", "node-2.example:4500"]]);
  });

  it("health and reflection: buf curl lists both services and calls every method", async () => {
    const url = `http://${address}`;
    const list = await bufCurl(["--list-methods", url]);
    expect(list.stderr).toBe("");
    const methods = list.stdout.trim().split("\n").sort();
    expect(methods).toEqual([
      "grpc.health.v1.Health/Check",
      "grpc.health.v1.Health/List",
      "grpc.health.v1.Health/Watch",
      "hyparview.v1.MembershipService/GetMembership",
      "hyparview.v1.MembershipService/Join",
      "hyparview.v1.MembershipService/Leave",
      "hyparview.v1.MembershipService/WatchMembership",
    ]);
    const get = await bufCurl(["-d", '{"includePassive": true}', `${url}/hyparview.v1.MembershipService/GetMembership`]);
    expect(get.stderr).toBe("");
    expect(get.code).toBe(0);
    const snapshot = JSON.parse(get.stdout) as { snapshot: { self: { metadata: Record<string, string> }; passive: unknown[] } };
    expect(snapshot.snapshot.self.metadata).toEqual({ app_endpoint: "10.0.0.1:8080" });
    expect(snapshot.snapshot.passive).toHaveLength(2);
    const join = await bufCurl(["-d", '{"contacts": ["127.0.0.1:9"]}', `${url}/hyparview.v1.MembershipService/Join`]);
    expect(join.code).toBe(0);
    const badJoin = await bufCurl(["-d", '{"contacts": ["nope"]}', `${url}/hyparview.v1.MembershipService/Join`]);
    expect(badJoin.code).not.toBe(0);
    expect(badJoin.stderr).toMatch(/invalid_argument/i);
    const watch = await bufCurlStream([`${url}/hyparview.v1.MembershipService/WatchMembership`], /"snapshot"[\s\S]*\}\s*\n\}/);
    expect(watch).toContain('"self"');
    const check = await bufCurl(["-d", '{"service": "hyparview.v1.MembershipService"}', `${url}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(check.stdout)).toEqual({ status: "SERVING" });
    const healthList = await bufCurl([`${url}/grpc.health.v1.Health/List`]);
    expect(JSON.parse(healthList.stdout)).toEqual({
      statuses: { "": { status: "SERVING" }, "hyparview.v1.MembershipService": { status: "SERVING" } },
    });
    const healthWatch = await bufCurlStream([`${url}/grpc.health.v1.Health/Watch`], /SERVING/);
    expect(healthWatch).toContain("SERVING");
    // Leave last: the backend is then "left", and Join is refused.
    const leave = await bufCurl([`${url}/hyparview.v1.MembershipService/Leave`]);
    expect(leave.code).toBe(0);
    expect(leaves).toBe(1);
    const lateJoin = await unaryCall(client, "join", { contacts: ["10.0.0.1:1"] }).catch((e: grpc.ServiceError) => e);
    expect(lateJoin).toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
  });

  it("a slow watcher that overflows its buffer gets RESOURCE_EXHAUSTED; others keep being served", async () => {
    const state = new MembershipState(self, () => []);
    const api = await ApiServer.start({
      listen: "127.0.0.1:0",
      backend: { ...backend, subscribe: (l, o) => state.subscribe(l, o), snapshot: () => state.snapshot() },
      logger: pino({ level: "silent" }),
      watchBufferLimit: 16,
    });
    const address = `127.0.0.1:${api.boundPort}`;
    const client = membershipClient(address);
    const fast = new WatchRecorder(client);
    const slowClient = membershipClient(address);
    const slow = new WatchRecorder(slowClient);
    await waitFor("both snapshots", () => fast.messages.length === 1 && slow.messages.length === 1);
    // Stop reading: grpc-js, then HTTP/2 flow control, then the server's stream push back.
    slow.call.pause();
    // Large events fill the flow-control windows quickly.
    const big: Record<string, string> = {};
    for (let i = 0; i < 32; i++) big[`k${i}`] = "x".repeat(1000);
    let sent = 0;
    await waitFor(
      "the slow watcher to overflow",
      async () => {
        for (let i = 0; i < 8; i++, sent++) state.peerUp(peer(`n${sent}`, big));
        await waitFor("the fast watcher to keep up", () => fast.messages.length === sent + 1);
        return api.stats().watchesOverflowed === 1;
      },
      20_000,
      0,
    );
    expect(api.stats().watchers).toBe(1);
    fast.checkContiguous();
    // Reading again, the slow watcher gets what was already written, then RESOURCE_EXHAUSTED.
    slow.call.resume();
    await waitFor("the slow watcher's status", () => slow.error !== null);
    expect(slow.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    slow.checkContiguous();
    expect(slow.messages.length).toBeLessThan(fast.messages.length);
    // The node keeps serving: the fast watcher still gets changes, unary calls still answer.
    state.peerDown(peer("n0"), "disconnected");
    await waitFor("the fast watcher's next event", () => fast.messages.length === sent + 2);
    expect((await unaryCall(client, "getMembership", {})).revision).toBe(BigInt(state.revision));
    fast.cancel();
    slowClient.close();
    client.close();
    await api.close();
  });
});
