import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  NeighborPriority,
  OverlayMessageSchema,
} from "../../gen/hyparview/v1/overlay_pb.js";
import { resolveConfig } from "../../src/protocol/config.js";
import type { PeerRecord } from "../../src/protocol/index.js";
import {
  checkPeer,
  checkSize,
  decodeFrame,
  encodeMessage,
  encodePeer,
  maxPeerBytes,
  MAX_MESSAGE_BYTES,
  WireError,
  type WireErrorReason,
} from "../../src/wire/index.js";

// Small views so the entry bound is easy to cross: ka + kp + 1 = 4.
const config = resolveConfig({ arwl: 4, prwl: 2, shuffleActive: 1, shufflePassive: 2 });

const good: PeerRecord = { id: "n1", address: "10.0.0.1:4500", incarnation: 1, metadata: { k: "v" } };

/** A NodeDescriptor init with fields overridden. */
function nd(
  over: Partial<{ id: string; address: string; metadata: Record<string, string>; incarnation: bigint }> = {},
) {
  return {
    peer: {
      id: over.id ?? good.id,
      address: over.address ?? good.address,
      metadata: over.metadata ?? { ...good.metadata },
    },
    incarnation: over.incarnation ?? 1n,
  };
}

function reasonOf(body: MessageInitShape<typeof OverlayMessageSchema>["body"]): WireErrorReason | "ok" {
  try {
    decodeFrame(create(OverlayMessageSchema, { body }), config);
    return "ok";
  } catch (e) {
    if (e instanceof WireError) return e.reason;
    throw e;
  }
}

const fj = (joiner: ReturnType<typeof nd> | undefined, ttl = 1) =>
  ({ case: "forwardJoin", value: { joiner, ttl } }) as const;

describe("wire validation rejects", () => {
  it("a request without a message, and a message without a body", () => {
    expect(() => decodeFrame(undefined, config)).toThrow(WireError);
    expect(reasonOf({ case: undefined })).toBe("missing-field");
  });

  it("missing descriptors and missing peers inside them", () => {
    expect(reasonOf(fj(undefined))).toBe("missing-field");
    expect(reasonOf({ case: "forwardJoin", value: { joiner: { incarnation: 1n }, ttl: 1 } })).toBe("missing-field");
    expect(reasonOf({ case: "shuffle", value: { ttl: 1, entries: [] } })).toBe("missing-field");
    expect(reasonOf({ case: "handshake", value: { protocolVersion: 1 } })).toBe("missing-field");
  });

  it("empty and oversized ids (256 bytes is the limit, counted in UTF-8)", () => {
    expect(reasonOf(fj(nd({ id: "" })))).toBe("invalid-id");
    expect(reasonOf(fj(nd({ id: "x".repeat(256) })))).toBe("ok");
    expect(reasonOf(fj(nd({ id: "x".repeat(257) })))).toBe("invalid-id");
    expect(reasonOf(fj(nd({ id: "é".repeat(129) })))).toBe("invalid-id"); // 258 bytes, 129 chars
  });

  it("addresses that are not host:port with a port in 1-65535, or are too long", () => {
    for (const address of ["", "nohost", "h:0", "h:65536", "h:x"]) {
      expect(reasonOf(fj(nd({ address })))).toBe("invalid-address");
    }
    expect(reasonOf(fj(nd({ address: `${"a".repeat(251)}:4500` })))).toBe("ok");
    expect(reasonOf(fj(nd({ address: `${"a".repeat(252)}:4500` })))).toBe("invalid-address");
  });

  it("metadata with too many entries, empty or long keys, long values", () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    expect(reasonOf(fj(nd({ metadata: many(32) })))).toBe("ok");
    expect(reasonOf(fj(nd({ metadata: many(33) })))).toBe("invalid-metadata");
    expect(reasonOf(fj(nd({ metadata: { "": "v" } })))).toBe("invalid-metadata");
    expect(reasonOf(fj(nd({ metadata: { ["k".repeat(64)]: "v" } })))).toBe("ok");
    expect(reasonOf(fj(nd({ metadata: { ["k".repeat(65)]: "v" } })))).toBe("invalid-metadata");
    expect(reasonOf(fj(nd({ metadata: { k: "v".repeat(1024) } })))).toBe("ok");
    expect(reasonOf(fj(nd({ metadata: { k: "v".repeat(1025) } })))).toBe("invalid-metadata");
  });

  it("uint64 values above Number.MAX_SAFE_INTEGER (incarnation, request and shuffle ids)", () => {
    const big = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
    expect(reasonOf(fj(nd({ incarnation: BigInt(Number.MAX_SAFE_INTEGER) })))).toBe("ok");
    expect(reasonOf(fj(nd({ incarnation: big })))).toBe("number-out-of-range");
    expect(reasonOf({ case: "join", value: { requestId: big } })).toBe("number-out-of-range");
    expect(reasonOf({ case: "neighbor", value: { priority: NeighborPriority.LOW, requestId: big } })).toBe(
      "number-out-of-range",
    );
    expect(reasonOf({ case: "neighborReply", value: { requestId: big, accepted: true } })).toBe("number-out-of-range");
    expect(reasonOf({ case: "shuffle", value: { origin: nd(), ttl: 1, shuffleId: big } })).toBe("number-out-of-range");
    expect(reasonOf({ case: "shuffleReply", value: { shuffleId: big } })).toBe("number-out-of-range");
  });

  it("a FORWARD_JOIN or SHUFFLE TTL above ARWL", () => {
    expect(reasonOf(fj(nd(), 4))).toBe("ok");
    expect(reasonOf(fj(nd(), 5))).toBe("ttl-out-of-range");
    expect(reasonOf({ case: "shuffle", value: { origin: nd(), ttl: 4 } })).toBe("ok");
    expect(reasonOf({ case: "shuffle", value: { origin: nd(), ttl: 5 } })).toBe("ttl-out-of-range");
  });

  it("SHUFFLE and SHUFFLE_REPLY with more than ka + kp + 1 entries", () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => nd({ id: `p${i}` }));
    expect(reasonOf({ case: "shuffle", value: { origin: nd(), ttl: 1, entries: entries(4) } })).toBe("ok");
    expect(reasonOf({ case: "shuffle", value: { origin: nd(), ttl: 1, entries: entries(5) } })).toBe(
      "too-many-entries",
    );
    expect(reasonOf({ case: "shuffleReply", value: { entries: entries(4) } })).toBe("ok");
    expect(reasonOf({ case: "shuffleReply", value: { entries: entries(5) } })).toBe("too-many-entries");
  });

  it("an invalid peer inside shuffle entries", () => {
    expect(reasonOf({ case: "shuffleReply", value: { entries: [nd(), nd({ address: "bad" })] } })).toBe(
      "invalid-address",
    );
  });

  it("UNSPECIFIED and unknown neighbor priorities", () => {
    expect(reasonOf({ case: "neighbor", value: { priority: NeighborPriority.UNSPECIFIED } })).toBe("invalid-enum");
    expect(reasonOf({ case: "neighbor", value: { priority: 7 as NeighborPriority } })).toBe("invalid-enum");
  });

  it("handshakes with another protocol version or a bad target id", () => {
    expect(reasonOf({ case: "handshake", value: { sender: nd(), protocolVersion: 1 } })).toBe("ok");
    expect(reasonOf({ case: "handshake", value: { sender: nd(), protocolVersion: 0 } })).toBe("unsupported-version");
    expect(reasonOf({ case: "handshake", value: { sender: nd(), protocolVersion: 2 } })).toBe("unsupported-version");
    expect(reasonOf({ case: "handshake", value: { sender: nd(), protocolVersion: 1, targetId: "t".repeat(257) } })).toBe(
      "invalid-id",
    );
    expect(reasonOf({ case: "handshake", value: { sender: nd({ id: "" }), protocolVersion: 1 } })).toBe("invalid-id");
  });

  it("an outgoing message above MAX_MESSAGE_BYTES", () => {
    const fat: PeerRecord = {
      ...good,
      metadata: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, "v".repeat(1024)])),
    };
    const small = encodeMessage({ kind: "shuffleReply", shuffleId: 1, entries: [good, good] });
    expect(() => checkSize(small)).not.toThrow();
    const big = encodeMessage({ kind: "shuffleReply", shuffleId: 1, entries: [fat, fat] });
    expect(() => checkSize(big)).toThrow(expect.objectContaining({ reason: "message-too-large" }));
  });

  it("checkPeer applies the same rules to our own record (and incarnations must be safe integers)", () => {
    expect(() => checkPeer(good)).not.toThrow();
    expect(() => checkPeer({ ...good, address: "nope" })).toThrow(WireError);
    expect(() => checkPeer({ ...good, incarnation: -1 })).toThrow(WireError);
    expect(() => checkPeer({ ...good, incarnation: 1.5 })).toThrow(WireError);
  });

  it("maxPeerBytes leaves room for a full shuffle", () => {
    const n = 4 + 1; // entries + origin
    expect(maxPeerBytes(config) * n).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });
});
