import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ConnectRequestSchema, type OverlayMessage } from "../../gen/hyparview/v1/overlay_pb.js";
import { resolveConfig } from "../../src/protocol/config.js";
import type { Message, PeerRecord } from "../../src/protocol/index.js";
import {
  decodeFrame,
  decodeMessage,
  encodeHandshake,
  encodeHeartbeat,
  encodeMessage,
  toApiPeer,
} from "../../src/wire/index.js";

const config = resolveConfig();

const peer = (id: string, incarnation = 1_700_000_000_000): PeerRecord => ({
  id,
  address: `${id}.example:4500`,
  incarnation,
  metadata: { app_endpoint: `${id}.example:8080`, zone: "z1" },
});

/** Through the real bytes: encode, wrap in a ConnectRequest, serialize, parse, decode. */
function viaWire(m: OverlayMessage): OverlayMessage {
  const bytes = toBinary(ConnectRequestSchema, create(ConnectRequestSchema, { message: m }));
  return fromBinary(ConnectRequestSchema, bytes).message!;
}

const every: Message[] = [
  { kind: "join", requestId: 1 },
  { kind: "forwardJoin", joiner: peer("j"), ttl: 6 },
  { kind: "neighbor", priority: "high", requestId: 2 },
  { kind: "neighbor", priority: "low", requestId: Number.MAX_SAFE_INTEGER },
  { kind: "neighborReply", requestId: 3, accepted: true },
  { kind: "neighborReply", requestId: 0, accepted: false },
  { kind: "disconnect", leaving: false },
  { kind: "disconnect", leaving: true },
  { kind: "shuffle", origin: peer("o"), entries: [peer("o"), peer("a"), peer("b", 5)], ttl: 0, shuffleId: 9 },
  { kind: "shuffle", origin: peer("o"), entries: [], ttl: 6, shuffleId: 10 },
  { kind: "shuffleReply", shuffleId: 9, entries: [peer("c"), peer("d")] },
  { kind: "shuffleReply", shuffleId: 11, entries: [] },
];

describe("wire codec round trip", () => {
  it.each(every.map((m) => [m.kind, m] as const))("%s survives encode -> bytes -> decode", (_kind, m) => {
    expect(decodeMessage(viaWire(encodeMessage(m)), config)).toEqual(m);
  });

  it("covers all seven message kinds", () => {
    expect(new Set(every.map((m) => m.kind)).size).toBe(7);
  });

  it("keeps metadata, incarnation and address of a peer exactly", () => {
    const p: PeerRecord = { id: "app@10.0.0.1", address: "[::1]:4500", incarnation: 42, metadata: {} };
    const m = decodeMessage(viaWire(encodeMessage({ kind: "forwardJoin", joiner: p, ttl: 3 })), config);
    expect(m).toEqual({ kind: "forwardJoin", joiner: p, ttl: 3 });
  });

  it("decodes a handshake frame with and without a target id", () => {
    const self = peer("me");
    expect(decodeFrame(viaWire(encodeHandshake(self, "you")), config)).toEqual({
      kind: "handshake",
      sender: self,
      targetId: "you",
    });
    expect(decodeFrame(viaWire(encodeHandshake(self)), config)).toMatchObject({ kind: "handshake", targetId: "" });
  });

  it("decodes heartbeats and core messages as frames", () => {
    expect(decodeFrame(viaWire(encodeHeartbeat(123.7)), config)).toEqual({ kind: "heartbeat" });
    expect(decodeFrame(viaWire(encodeMessage({ kind: "join", requestId: 4 })), config)).toEqual({
      kind: "message",
      message: { kind: "join", requestId: 4 },
    });
  });

  it("leaves handshakes and heartbeats out of decodeMessage", () => {
    expect(decodeMessage(encodeHeartbeat(1), config)).toBeNull();
    expect(decodeMessage(encodeHandshake(peer("me")), config)).toBeNull();
  });

  it("maps a peer to the client API's Peer without its incarnation", () => {
    const api = toApiPeer(peer("x"));
    expect(api).toMatchObject({ id: "x", address: "x.example:4500", metadata: peer("x").metadata });
    expect("incarnation" in api).toBe(false);
  });
});
