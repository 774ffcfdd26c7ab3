/**
 * Everything that travels on a Connect stream, as the transport sees it: a handshake (first, both
 * ways), a heartbeat (transport-level only), or one of the core's messages.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { OverlayMessageSchema, type OverlayMessage } from "../../gen/hyparview/v1/overlay_pb.js";
import type { Message, PeerRecord, ProtocolConfig } from "../protocol/index.js";
import { WireError } from "./errors.js";
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from "./limits.js";
import { decodeMessage } from "./message.js";
import { checkId, decodePeer, encodePeer, toUint64 } from "./peer.js";

export type Frame =
  /** The sender names itself; `targetId` is the id the dialler expects to reach ("" if unknown). */
  | { readonly kind: "handshake"; readonly sender: PeerRecord; readonly targetId: string }
  | { readonly kind: "heartbeat" }
  | { readonly kind: "message"; readonly message: Message };

/** Our handshake: `targetId` only when dialling a peer whose id we know. */
export function encodeHandshake(self: PeerRecord, targetId = ""): OverlayMessage {
  return create(OverlayMessageSchema, {
    body: {
      case: "handshake",
      value: { sender: encodePeer(self), targetId, protocolVersion: PROTOCOL_VERSION },
    },
  });
}

/** A heartbeat; `sentAtMs` (ms since the sender started) is for diagnostics only. */
export function encodeHeartbeat(sentAtMs: number): OverlayMessage {
  return create(OverlayMessageSchema, {
    body: { case: "heartbeat", value: { sentAtMs: toUint64(Math.max(0, Math.floor(sentAtMs))) } },
  });
}

/** Decodes and validates one frame (the `message` field of a ConnectRequest/ConnectResponse).
 * Throws WireError. */
export function decodeFrame(m: OverlayMessage | undefined, config: ProtocolConfig): Frame {
  if (m === undefined) throw new WireError("missing-field", "request has no message");
  const b = m.body;
  if (b.case === "handshake") {
    const h = b.value;
    if (h.protocolVersion !== PROTOCOL_VERSION) {
      throw new WireError("unsupported-version", `protocol version ${h.protocolVersion}, we speak ${PROTOCOL_VERSION}`);
    }
    if (h.targetId !== "") checkId(h.targetId, "handshake.target_id");
    return { kind: "handshake", sender: decodePeer(h.sender, "handshake.sender"), targetId: h.targetId };
  }
  if (b.case === "heartbeat") return { kind: "heartbeat" };
  const message = decodeMessage(m, config);
  if (message === null) throw new WireError("missing-field", "message has no body");
  return { kind: "message", message };
}

/** Encoded size of a frame, in bytes. */
export function encodedSize(m: OverlayMessage): number {
  return toBinary(OverlayMessageSchema, m).byteLength;
}

/** Throws WireError("message-too-large") when `m` would exceed MAX_MESSAGE_BYTES on the wire
 * (the ConnectRequest envelope adds at most 4 bytes). */
export function checkSize(m: OverlayMessage): void {
  const n = encodedSize(m) + 4;
  if (n > MAX_MESSAGE_BYTES) throw new WireError("message-too-large", `${n} bytes > ${MAX_MESSAGE_BYTES}`);
}
