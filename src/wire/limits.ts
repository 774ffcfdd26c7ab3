/**
 * Size limits for everything a peer sends. Each bounds memory a remote node can make us spend;
 * values are generous for real ids, addresses and labels.
 */
import type { ChannelOptions } from "@grpc/grpc-js";
// config.js, not index.js: the codec needs the limits, not the state machine.
import { maxShuffleEntries, type ProtocolConfig } from "../protocol/config.js";

/** Version of the overlay protocol in our handshakes (Handshake.protocol_version). */
export const PROTOCOL_VERSION = 1;
/** Longest node id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 256;
/** Longest overlay address ("host:port"), in UTF-8 bytes. */
export const MAX_ADDRESS_BYTES = 256;
/** Most metadata entries per node. */
export const MAX_METADATA_ENTRIES = 32;
/** Longest metadata key, in UTF-8 bytes. */
export const MAX_METADATA_KEY_BYTES = 64;
/** Longest metadata value, in UTF-8 bytes. */
export const MAX_METADATA_VALUE_BYTES = 1024;
/** Largest encoded ConnectRequest/ConnectResponse, in bytes. Enforced by grpc-js on both
 * directions of every channel and server (`grpcMessageLimits`). A SHUFFLE of 8 entries with
 * ordinary metadata is ~2 KiB; see `maxPeerBytes` for the worst case. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Bytes a message's envelope and non-peer fields may need (tags, lengths, ids, ttl). */
const ENVELOPE_SLACK = 256;

/**
 * The largest encoded NodeDescriptor for which a full SHUFFLE (origin plus ka + kp + 1 entries)
 * still fits in MAX_MESSAGE_BYTES. A node should refuse to start with a self descriptor larger
 * than this: its shuffles (and those of peers carrying it) could otherwise be dropped.
 */
export function maxPeerBytes(config: ProtocolConfig): number {
  return Math.floor((MAX_MESSAGE_BYTES - ENVELOPE_SLACK) / (maxShuffleEntries(config) + 1));
}

/** grpc-js options enforcing MAX_MESSAGE_BYTES (RESOURCE_EXHAUSTED beyond it). */
export function grpcMessageLimits(): ChannelOptions {
  return {
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  };
}
