/** The transport's contract with the node (src/node.ts codes against exactly this). */
import type { ChannelCredentials, ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Message, PeerRecord, ProtocolConfig } from "../protocol/index.js";

export interface TransportHandlers {
  /** A decoded, validated protocol message from a handshaked link. */
  message(from: PeerRecord, message: Message): void;
  /** A link (either direction) completed its handshake. */
  linkUp(peer: PeerRecord): void;
  /** Communication with `peerId` failed: an active link ended, errored, hung (nothing received
   * for failureTimeoutMs) or overflowed its queue; or a send could not be delivered. */
  linkLost(peerId: string): void;
  /** A sendToContact reached no address of the contact (or only ourselves). */
  contactFailed(address: string): void;
  /** Bad input from a peer (a WireErrorReason or a handshake rule); `from` when known. */
  invalid(reason: string, from?: string): void;
}

export interface TransportOptions {
  /** id, ADVERTISED address, incarnation, metadata. */
  self: PeerRecord;
  /** "host:port" to bind; port 0 = ephemeral. */
  listen: string;
  /** For wire validation limits (ARWL, shuffle sizes). */
  protocol: ProtocolConfig;
  /** Heartbeat period on active links, ms. Default 500. */
  heartbeatIntervalMs: number;
  /** An active link on which nothing arrived for this long has failed, ms. Default 2000. */
  failureTimeoutMs: number;
  /** Dial + handshake timeout, and idle lifetime of a link that is not active, ms. Default 3000. */
  exchangeTimeoutMs: number;
  /** Most outgoing messages queued per link; beyond it the peer is treated as failed (the
   * paper's rule for slow nodes). Default 1024. Messages queue while a link is dialling and while
   * grpc-js reports back-pressure; grpc-js hands writes to Node's HTTP/2 layer before flow control
   * lets them out, so a peer that stops reading is caught by failureTimeoutMs (its heartbeats
   * stop), not by this bound. */
  queueLimit: number;
  logger: Logger;
  handlers: TransportHandlers;
  /** Most links that are not active (short exchanges, unconfirmed inbound streams) at once.
   * Default 256. */
  maxShortLinks?: number;
  /** Server credentials; default insecure. */
  serverCredentials?: ServerCredentials;
  /** Credentials for dialling peers; default insecure. */
  channelCredentials?: ChannelCredentials;
}

/** Defaults of the numeric options (DESIGN.md "transport/"). */
export const TRANSPORT_DEFAULTS = Object.freeze({
  heartbeatIntervalMs: 500,
  failureTimeoutMs: 2000,
  exchangeTimeoutMs: 3000,
  queueLimit: 1024,
  maxShortLinks: 256,
});

/** Counters since start; gauges are current values. */
export interface TransportStats {
  /** Live links (any state), gauge. */
  links: number;
  /** Links marked active by the core, gauge. */
  activeLinks: number;
  /** Outgoing messages waiting in link queues, gauge. */
  queued: number;
  dials: number;
  dialFailures: number;
  inbound: number;
  messagesSent: number;
  messagesReceived: number;
  heartbeatsSent: number;
  heartbeatTimeouts: number;
  queueOverflows: number;
  /** Duplicate links between the same two nodes closed (simultaneous dials). */
  duplicatesClosed: number;
  /** Links replaced by a newer incarnation of the same id. */
  replaced: number;
  /** Handshakes refused (wrong target, our own id, older incarnation, limits). */
  refused: number;
  invalid: number;
  linkLost: number;
  contactFailed: number;
  /** Outgoing messages dropped: too large to encode within MAX_MESSAGE_BYTES, or meant for an
   * older incarnation whose link was replaced. */
  dropped: number;
}
