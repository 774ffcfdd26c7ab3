import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { OverlayMessageSchema, OverlayService, type OverlayMessage } from "../../gen/hyparview/v1/overlay_pb.js";
import { addService, makeClient, methodPath } from "../../src/grpc/index.js";
import type { PeerRecord } from "../../src/protocol/index.js";
import { encodeHandshake, encodeMessage } from "../../src/wire/index.js";
import { closeAll, protocol, startNode, waitFor } from "./harness.js";

afterEach(closeAll);

const x: PeerRecord = { id: "x", address: "127.0.0.1:9", incarnation: 1, metadata: {} };

/** The overlay's Connect method with raw bytes both ways: for a client or a server that sends
 * what no codec would. */
const raw = (v: Buffer) => v;
const RAW_CONNECT = {
  path: methodPath(OverlayService.method.connect),
  requestStream: true,
  responseStream: true,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
} as const;

/** Opens a Connect stream to `to`, writes `frames`, resolves with the final status. */
function exchange(to: PeerRecord, frames: OverlayMessage[]): Promise<grpc.StatusObject> {
  const client = makeClient(OverlayService, to.address);
  const call = client.connect();
  return new Promise((resolve) => {
    call.on("data", () => {});
    call.on("error", () => {});
    call.on("status", (s) => {
      client.close();
      resolve(s);
    });
    for (const f of frames) call.write({ message: f });
  });
}

/** Dials `server` (a misbehaving peer) with a JOIN: the dialler must report `invalid(reason)`, then
 * `linkLost`, and nothing else. Shuts the server down. */
async function dialMustFail(server: grpc.Server, reason: string): Promise<void> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  try {
    const a = await startNode("a");
    a.t.apply({ type: "send", to: { ...x, address: `127.0.0.1:${port}` }, message: { kind: "join", requestId: 1 } });
    await waitFor(() => a.of("linkLost").length === 1, "linkLost");
    expect(a.events.map((e) => e.type)).toEqual(["invalid", "linkLost"]);
    expect(a.of("invalid")[0]!.reason).toBe(reason);
  } finally {
    server.forceShutdown();
  }
}

describe("bad input from a peer", () => {
  it("a message before the handshake: INVALID_ARGUMENT and invalid(handshake-expected)", async () => {
    const b = await startNode("b");
    const s = await exchange(b.self, [encodeMessage({ kind: "join", requestId: 1 })]);
    expect(s.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(b.events).toEqual([{ type: "invalid", reason: "handshake-expected", from: undefined }]);
  });

  it("a message failing validation (TTL above ARWL): INVALID_ARGUMENT, invalid(ttl-out-of-range, id), no message", async () => {
    const b = await startNode("b");
    const s = await exchange(b.self, [
      encodeHandshake(x, "b"),
      encodeMessage({ kind: "forwardJoin", joiner: x, ttl: protocol.arwl + 1 }),
    ]);
    expect(s.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(b.events.map((e) => e.type)).toEqual(["linkUp", "invalid"]);
    expect(b.of("invalid")[0]).toMatchObject({ reason: "ttl-out-of-range", from: "x" });
    await waitFor(() => b.t.stats().links === 0, "link gone");
  });

  it("a message with no body and a second handshake are invalid too", async () => {
    const b = await startNode("b");
    const s1 = await exchange(b.self, [encodeHandshake(x), create(OverlayMessageSchema, {})]);
    const s2 = await exchange(b.self, [encodeHandshake(x), encodeHandshake(x)]);
    expect([s1.code, s2.code]).toEqual([grpc.status.INVALID_ARGUMENT, grpc.status.INVALID_ARGUMENT]);
    expect(b.of("invalid").map((e) => e.reason)).toEqual(["missing-field", "unexpected-handshake"]);
    expect(b.of("message")).toEqual([]);
  });

  it("undecodable bytes: INVALID_ARGUMENT and invalid(undecodable)", async () => {
    const b = await startNode("b");
    const Raw = grpc.makeGenericClientConstructor({ raw: RAW_CONNECT }, "Raw");
    const client = new Raw(b.self.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      raw(): grpc.ClientDuplexStream<Buffer, Buffer>;
    };
    const call = client.raw();
    const status = new Promise<grpc.StatusObject>((resolve) => {
      call.on("data", () => {});
      call.on("error", () => {});
      call.on("status", resolve);
    });
    call.write(Buffer.from([0x0f, 0x01]));
    expect((await status).code).toBe(grpc.status.INVALID_ARGUMENT);
    client.close();
    expect(b.events).toEqual([{ type: "invalid", reason: "undecodable", from: undefined }]);
  });

  it("a peer claiming our own id, or naming another target: FAILED_PRECONDITION, no handler", async () => {
    const b = await startNode("b");
    const s1 = await exchange(b.self, [encodeHandshake({ ...x, id: "b" })]);
    const s2 = await exchange(b.self, [encodeHandshake(x, "not-b")]);
    expect([s1.code, s2.code]).toEqual([grpc.status.FAILED_PRECONDITION, grpc.status.FAILED_PRECONDITION]);
    expect(b.events).toEqual([]);
    expect(b.t.stats().refused).toBe(2);
  });

  it("a dialled peer that answers with something other than a handshake: invalid, and the send is lost", async () => {
    const server = new grpc.Server();
    addService(server, OverlayService, {
      connect(call) {
        call.on("error", () => {});
        call.on("data", () => call.write({ message: encodeMessage({ kind: "disconnect", leaving: false }) }));
      },
    });
    await dialMustFail(server, "handshake-expected");
  });

  it("a dialled peer whose answer does not decode: invalid(undecodable), and the send is lost", async () => {
    const server = new grpc.Server();
    server.addService(
      { connect: RAW_CONNECT },
      {
        connect: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          call.on("error", () => {});
          call.on("data", () => call.write(Buffer.from([0x0f, 0x01])));
        },
      },
    );
    await dialMustFail(server, "undecodable");
  });
});
