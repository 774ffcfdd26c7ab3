import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { OverlayService } from "../../gen/hyparview/v1/overlay_pb.js";
import { makeClient } from "../../src/grpc/index.js";
import type { PeerRecord } from "../../src/protocol/index.js";
import { encodeHandshake } from "../../src/wire/index.js";
import { closeAll, startNode, waitFor } from "./harness.js";
import { startRawPeer, type RawPeer } from "./rawpeer.js";

const raws: RawPeer[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(raws.splice(0).map((r) => r.close()));
});

describe("transport bounds", () => {
  it("refuses a short-lived dial beyond maxShortLinks, reporting the send lost after apply()", async () => {
    const a = await startNode("a", { maxShortLinks: 2 });
    const peers = await Promise.all(["p", "q", "r"].map((id) => startRawPeer(id, "silent")));
    raws.push(...peers);
    for (const p of peers) a.t.apply({ type: "send", to: p.self, message: { kind: "join", requestId: 1 } });
    expect(a.events).toEqual([]);
    await waitFor(() => a.of("linkLost").length === 1, "linkLost for the third");
    expect(a.of("linkLost")[0]!.peerId).toBe("r");
    expect(a.t.stats()).toMatchObject({ links: 2, dials: 2 });
    // Active links do not count: connecting to the third works.
    a.t.apply({ type: "connect", peer: peers[2]!.self });
    expect(a.t.stats().links).toBe(3);
  });

  it("refuses inbound streams beyond maxShortLinks with RESOURCE_EXHAUSTED", async () => {
    const b = await startNode("b", { maxShortLinks: 1 });
    const dial = (id: string) => {
      const client = makeClient(OverlayService, b.self.address);
      const call = client.connect();
      const me: PeerRecord = { id, address: "127.0.0.1:9", incarnation: 1, metadata: {} };
      let status: grpc.StatusObject | undefined;
      call.on("data", () => {});
      call.on("error", () => {});
      call.on("status", (s) => {
        status = s;
        client.close();
      });
      call.write({ message: encodeHandshake(me, "b") });
      return { status: () => status, close: () => call.cancel() };
    };
    const first = dial("x");
    await waitFor(() => b.of("linkUp").length === 1, "first accepted");
    const second = dial("y");
    await waitFor(() => second.status() !== undefined, "second refused");
    expect(second.status()!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(first.status()).toBeUndefined();
    expect(b.of("linkUp")).toHaveLength(1);
    first.close();
  });

  it("drops (and counts) an outgoing message too large for MAX_MESSAGE_BYTES, without opening a link", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const fat: PeerRecord = {
      ...a.self,
      metadata: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, "v".repeat(1024)])),
    };
    a.t.apply({ type: "send", to: b.self, message: { kind: "shuffleReply", shuffleId: 1, entries: [fat, fat, fat] } });
    expect(a.t.stats()).toMatchObject({ dropped: 1, links: 0 });
  });

  it("close() delivers what was queued before it", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    a.t.apply({ type: "connect", peer: b.self });
    for (let i = 0; i < 20; i++) a.t.apply({ type: "send", to: b.self, message: { kind: "join", requestId: i } });
    await waitFor(() => a.of("linkUp").length === 1, "link up");
    for (let i = 20; i < 40; i++) a.t.apply({ type: "send", to: b.self, message: { kind: "join", requestId: i } });
    await a.t.close();
    await waitFor(() => b.messages().length === 40, "all 40 at b");
    expect(a.events.filter((e) => e.type !== "linkUp")).toEqual([]); // nothing reported while closing
  });
});
