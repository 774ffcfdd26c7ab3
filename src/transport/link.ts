/**
 * One link: one OverlayService/Connect stream to one peer, dialled by us (client side) or by the
 * peer (server side), with its outgoing queue. The Transport decides what happens to links; a
 * Link only knows how to write, queue, end and abort its own stream.
 */
import * as grpc from "@grpc/grpc-js";
import type {
  ConnectRequest,
  ConnectResponse,
  OverlayMessage,
} from "../../gen/hyparview/v1/overlay_pb.js";
import type { PeerRecord } from "../protocol/index.js";
import type { ContactAttempt } from "./contacts.js";


/** Trailer naming the node that refused a duplicate link (ALREADY_EXISTS carries no handshake). */
export const NODE_ID_TRAILER = "hyparview-node-id";

export type LinkState =
  /** Stream open, handshake not yet complete both ways. Outgoing messages wait in the queue. */
  | "handshaking"
  /** Handshake done: messages flow. */
  | "open"
  /** The peer refused this stream because it keeps another link to us (ALREADY_EXISTS) that has
   * not reached us yet. The stream is gone; the queue waits to move onto that link. */
  | "parked"
  /** We ended our side after flushing; the peer's end is still to come. */
  | "ended"
  /** Gone for good. */
  | "closed";

type ClientCall = grpc.ClientDuplexStream<{ message: OverlayMessage }, ConnectResponse>;
type ServerCall = grpc.ServerDuplexStream<ConnectRequest, { message: OverlayMessage }>;

let nextLinkId = 1;

export class Link {
  /** For logs: distinguishes links to the same peer. */
  readonly serial = nextLinkId++;
  state: LinkState = "handshaking";
  /** The peer: as the core named it for a dial (unconfirmed), then as its handshake says. */
  peer: PeerRecord | null;
  /** True once `peer` comes from the peer's own handshake. */
  confirmed = false;
  /** The dialler named the id it expected (false for contact dials); see survivor.ts. */
  targetKnown: boolean;
  /** The core has this peer in its active view: heartbeat, watch for failure, never idle out. */
  active = false;
  /** After a disconnect: report no linkLost for this link, close once the queue is flushed. */
  closing = false;
  readonly queue: OverlayMessage[] = [];
  /** write() returned false; wait for 'drain'. */
  private blocked = false;
  createdAt: number;
  /** Anything received (heartbeats included): the failure detector's clock. */
  lastReceived: number;
  /** Anything sent: heartbeats are needed only when this is old. */
  lastSent: number;
  /** Protocol messages either way: a link that is not active idles out on this clock. */
  lastActivity: number;
  parkedAt = 0;
  /** Set when the link carries a sendToContact (the id is learnt from the handshake). */
  contact: ContactAttempt | null = null;
  /** The id a refusing peer named in its trailers, for a parked contact link. */
  parkedId: string | undefined;
  /** The Transport is done with this link (unkeyed, reported). */
  finished = false;
  /** Called when end() gives up the link (the Transport unkeys it). */
  onEnded: (link: Link) => void = () => {};

  private constructor(
    readonly dialled: boolean,
    /** The id the dialler expects ("" for contacts and inbound links). */
    readonly targetId: string,
    peer: PeerRecord | null,
    private readonly client: ClientCall | null,
    private readonly server: ServerCall | null,
    private readonly closeChannel: () => void,
    now: number,
  ) {
    this.peer = peer;
    this.targetKnown = targetId !== "";
    this.createdAt = this.lastReceived = this.lastSent = this.lastActivity = now;
    const stream = client ?? server!;
    stream.on("drain", () => {
      this.blocked = false;
      this.flush();
    });
  }

  static outbound(call: ClientCall, peer: PeerRecord | null, closeChannel: () => void, now: number): Link {
    return new Link(true, peer?.id ?? "", peer, call, null, closeChannel, now);
  }

  static inbound(call: ServerCall, now: number): Link {
    return new Link(false, "", null, null, call, () => {}, now);
  }

  /** The id this link is (or will be) keyed by, if known. */
  get peerId(): string | undefined {
    return this.peer?.id ?? this.parkedId;
  }

  get live(): boolean {
    return this.state === "handshaking" || this.state === "open";
  }

  /** Writes at once, bypassing the queue (handshakes and heartbeats). */
  writeNow(m: OverlayMessage, now: number): void {
    if (!this.live) return;
    this.lastSent = now;
    const ok = this.client ? this.client.write({ message: m }) : this.server!.write({ message: m });
    if (!ok) this.blocked = true;
  }

  /** Queues a protocol message and flushes if possible. False when the queue is over `limit`. */
  enqueue(m: OverlayMessage, limit: number, now: number): boolean {
    this.queue.push(m);
    this.lastActivity = now;
    this.flush();
    return this.queue.length <= limit;
  }

  /** Writes queued messages while the stream accepts them; ends the stream once flushed if the
   * link is closing. Returns the number of messages written. */
  flush(): number {
    let n = 0;
    if (this.state !== "open") return n;
    while (!this.blocked && this.queue.length > 0) {
      const m = this.queue.shift()!;
      this.lastSent = Date.now();
      const ok = this.client ? this.client.write({ message: m }) : this.server!.write({ message: m });
      n++;
      if (!ok) this.blocked = true;
    }
    if (this.closing && this.queue.length === 0) this.end();
    return n;
  }

  get idleWrites(): boolean {
    return !this.blocked;
  }

  /** Ends our side gracefully (pending writes go out first). A client waits for the peer's
   * status ("ended"); a server stream is finished once its status is sent ("closed"). */
  end(): void {
    if (!this.live) return;
    if (this.client) {
      this.state = "ended";
      this.client.end();
    } else {
      this.state = "closed";
      this.server!.end();
    }
    this.onEnded(this);
  }

  /** Ends the stream at once: a client cancels; a server sends `code` (with our id in the
   * trailers when `selfId` is given). Queued messages stay for the caller to move or drop. */
  abort(code: grpc.status, details: string, selfId?: string): void {
    if (this.state === "closed") return;
    const wasLive = this.live || this.state === "ended";
    this.state = "closed";
    if (!wasLive) return;
    if (this.client) {
      this.client.cancel();
    } else {
      const metadata = new grpc.Metadata();
      if (selfId !== undefined) metadata.set(NODE_ID_TRAILER, selfId);
      this.server!.emit("error", { code, details, metadata });
    }
  }

  /** The stream is over (its final event arrived, or we gave it up). */
  markClosed(): void {
    this.state = "closed";
    this.closeChannel();
  }

  /** For the failure detector and stats: not yet closed by either side. */
  get streamOpen(): boolean {
    return this.state !== "closed" && this.state !== "parked";
  }

  /** Our own event loop stalled for `ms` (GC, CPU starvation, a long synchronous burst): that
   * time does not count as silence from the peer, whose data may be waiting unread. Sending is
   * not credited, so heartbeats go out at once. */
  creditStall(ms: number, now: number): void {
    this.lastReceived = Math.min(now, this.lastReceived + ms);
    this.lastActivity = Math.min(now, this.lastActivity + ms);
    this.createdAt = Math.min(now, this.createdAt + ms);
    this.parkedAt = Math.min(now, this.parkedAt + ms);
  }

  /** The stream is gone but the queue waits for the peer's own link to us. */
  park(now: number): void {
    this.state = "parked";
    this.parkedAt = now;
    this.closeChannel();
  }

  /** Moves everything that is still ours to deliver onto `winner` (a duplicate link to the same
   * peer that survives). */
  moveTo(winner: Link, limit: number, now: number): boolean {
    winner.active ||= this.active;
    winner.closing = winner.active ? false : winner.closing || this.closing;
    let ok = true;
    for (const m of this.queue.splice(0)) ok = winner.enqueue(m, limit, now) && ok;
    this.active = false;
    return ok;
  }
}
