/** Message (the core's seven HyParView messages) <-> OverlayMessage body, validated on decode. */
import { create } from "@bufbuild/protobuf";
import {
  NeighborPriority as WirePriority,
  OverlayMessageSchema,
  type OverlayMessage,
} from "../../gen/hyparview/v1/overlay_pb.js";
import { maxShuffleEntries, type ProtocolConfig } from "../protocol/config.js";
import type { Message, NeighborPriority, PeerRecord } from "../protocol/index.js";
import { WireError } from "./errors.js";
import { decodePeer, encodePeer, toSafeNumber, toUint64 } from "./peer.js";

function encodePriority(p: NeighborPriority): WirePriority {
  return p === "high" ? WirePriority.HIGH : WirePriority.LOW;
}

function decodePriority(p: WirePriority): NeighborPriority {
  switch (p) {
    case WirePriority.HIGH:
      return "high";
    case WirePriority.LOW:
      return "low";
    default:
      // UNSPECIFIED (0) is never sent; anything else is from a newer protocol we do not speak.
      throw new WireError("invalid-enum", `neighbor priority ${p}`);
  }
}

/** The OverlayMessage carrying a core message. */
export function encodeMessage(m: Message): OverlayMessage {
  switch (m.kind) {
    case "join":
      return create(OverlayMessageSchema, { body: { case: "join", value: { requestId: toUint64(m.requestId) } } });
    case "forwardJoin":
      return create(OverlayMessageSchema, {
        body: { case: "forwardJoin", value: { joiner: encodePeer(m.joiner), ttl: m.ttl } },
      });
    case "neighbor":
      return create(OverlayMessageSchema, {
        body: { case: "neighbor", value: { priority: encodePriority(m.priority), requestId: toUint64(m.requestId) } },
      });
    case "neighborReply":
      return create(OverlayMessageSchema, {
        body: { case: "neighborReply", value: { requestId: toUint64(m.requestId), accepted: m.accepted } },
      });
    case "disconnect":
      return create(OverlayMessageSchema, { body: { case: "disconnect", value: { leaving: m.leaving } } });
    case "shuffle":
      return create(OverlayMessageSchema, {
        body: {
          case: "shuffle",
          value: {
            origin: encodePeer(m.origin),
            entries: m.entries.map(encodePeer),
            ttl: m.ttl,
            shuffleId: toUint64(m.shuffleId),
          },
        },
      });
    case "shuffleReply":
      return create(OverlayMessageSchema, {
        body: {
          case: "shuffleReply",
          value: { shuffleId: toUint64(m.shuffleId), entries: m.entries.map(encodePeer) },
        },
      });
  }
}

function checkTtl(ttl: number, config: ProtocolConfig, what: string): number {
  if (ttl > config.arwl) throw new WireError("ttl-out-of-range", `${what} ttl ${ttl} > ARWL ${config.arwl}`);
  return ttl;
}

function decodeEntries(
  entries: readonly Parameters<typeof decodePeer>[0][],
  config: ProtocolConfig,
  what: string,
): PeerRecord[] {
  const max = maxShuffleEntries(config);
  if (entries.length > max) {
    throw new WireError("too-many-entries", `${what} carries ${entries.length} entries > ka + kp + 1 = ${max}`);
  }
  return entries.map((e, i) => decodePeer(e, `${what}.entries[${i}]`));
}

/**
 * The core message an OverlayMessage carries, validated against `config`. Returns null for the
 * transport's own bodies (handshake, heartbeat); throws WireError for anything invalid.
 */
export function decodeMessage(m: OverlayMessage, config: ProtocolConfig): Message | null {
  const b = m.body;
  switch (b.case) {
    case undefined:
      // No body, or one from a newer protocol version (protobuf keeps it as an unknown field).
      throw new WireError("missing-field", "message has no body this version knows");
    case "handshake":
    case "heartbeat":
      return null;
    case "join":
      return { kind: "join", requestId: toSafeNumber(b.value.requestId, "join.request_id") };
    case "forwardJoin":
      return {
        kind: "forwardJoin",
        joiner: decodePeer(b.value.joiner, "forward_join.joiner"),
        ttl: checkTtl(b.value.ttl, config, "forward_join"),
      };
    case "neighbor":
      return {
        kind: "neighbor",
        priority: decodePriority(b.value.priority),
        requestId: toSafeNumber(b.value.requestId, "neighbor.request_id"),
      };
    case "neighborReply":
      return {
        kind: "neighborReply",
        requestId: toSafeNumber(b.value.requestId, "neighbor_reply.request_id"),
        accepted: b.value.accepted,
      };
    case "disconnect":
      return { kind: "disconnect", leaving: b.value.leaving };
    case "shuffle": {
      const ttl = checkTtl(b.value.ttl, config, "shuffle");
      return {
        kind: "shuffle",
        origin: decodePeer(b.value.origin, "shuffle.origin"),
        entries: decodeEntries(b.value.entries, config, "shuffle"),
        ttl,
        shuffleId: toSafeNumber(b.value.shuffleId, "shuffle.shuffle_id"),
      };
    }
    case "shuffleReply":
      return {
        kind: "shuffleReply",
        shuffleId: toSafeNumber(b.value.shuffleId, "shuffle_reply.shuffle_id"),
        entries: decodeEntries(b.value.entries, config, "shuffle_reply"),
      };
  }
}
