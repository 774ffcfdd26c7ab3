/**
 * What can be wrong with bytes from a peer. The transport ends the stream with INVALID_ARGUMENT
 * and passes `reason` to `handlers.invalid`, which counts it: a small fixed set of labels keeps
 * those counters bounded.
 */
export type WireErrorReason =
  /** The bytes are not a protobuf message of the expected type. */
  | "undecodable"
  /** The encoded message exceeds MAX_MESSAGE_BYTES. */
  | "message-too-large"
  /** An OverlayMessage without a body, or a message without a required sub-message. */
  | "missing-field"
  /** A node id that is empty or longer than MAX_ID_BYTES. */
  | "invalid-id"
  /** An address that is not "host:port" (port 1-65535) or is longer than MAX_ADDRESS_BYTES. */
  | "invalid-address"
  /** Metadata with too many entries, an empty or too long key, or a too long value. */
  | "invalid-metadata"
  /** A uint64 (incarnation, request or shuffle id) above Number.MAX_SAFE_INTEGER. */
  | "number-out-of-range"
  /** A FORWARD_JOIN or SHUFFLE TTL above ARWL. */
  | "ttl-out-of-range"
  /** A SHUFFLE or SHUFFLE_REPLY with more than ka + kp + 1 entries. */
  | "too-many-entries"
  /** NEIGHBOR_PRIORITY_UNSPECIFIED or a value this version does not know. */
  | "invalid-enum"
  /** A handshake with a protocol version this node does not speak. */
  | "unsupported-version"
  /** The first message on a stream is not a handshake, or a second handshake arrives. */
  | "handshake-expected"
  | "unexpected-handshake";

/** A message from a peer failed decoding or validation. */
export class WireError extends Error {
  constructor(
    readonly reason: WireErrorReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = "WireError";
  }
}
