/**
 * The peer transport: the core's send / sendToContact / connect / disconnect effects as
 * OverlayService/Connect streams over grpc-js, and link events back to the node (what arrives on
 * a link is handled in incoming.ts).
 *
 * One link per peer id (whichever side dialled it); a handshake first, both ways; heartbeats and
 * a failure timeout on active links; short exchanges for everything else; bounded queues. See
 * DESIGN.md "transport/" and the TransportHandlers docs for what is reported when.
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import {
  OverlayService,
  type ConnectRequest,
  type OverlayMessage,
} from "../../gen/hyparview/v1/overlay_pb.js";
import { addService, makeClient } from "../grpc/index.js";
import type { Effect, Message, PeerRecord } from "../protocol/index.js";
import { checkPeer, checkSize, encodeHandshake, encodeHeartbeat, encodeMessage, grpcMessageLimits } from "../wire/index.js";
import { ContactDialer } from "./contacts.js";
import { Incoming } from "./incoming.js";
import { Link } from "./link.js";
import { due, tickMs } from "./monitor.js";
import { LinkRegistry, type LinkSummary } from "./registry.js";
import { TRANSPORT_DEFAULTS, type TransportHandlers, type TransportOptions, type TransportStats } from "./types.js";

type ServerCall = grpc.ServerDuplexStream<ConnectRequest, { message: OverlayMessage }>;

export class Transport {
  private me: PeerRecord;
  private readonly h: TransportHandlers;
  private readonly log: Logger;
  private readonly maxShortLinks: number;
  private server: grpc.Server | null = null;
  private readonly serverLinks = new WeakMap<object, Link>();
  private ticker: NodeJS.Timeout | null = null;
  private tickEvery = 0;
  private lastTick = Date.now();
  private readonly startedAt = Date.now();
  private readonly reg: LinkRegistry;
  private readonly contacts: ContactDialer;
  private readonly incoming: Incoming;

  constructor(private readonly o: TransportOptions) {
    this.me = o.self;
    this.h = o.handlers;
    this.log = o.logger.child({ component: "transport" });
    this.maxShortLinks = o.maxShortLinks ?? TRANSPORT_DEFAULTS.maxShortLinks;
    this.contacts = new ContactDialer({
      dial: (target) => this.dial(target, null),
      closed: () => this.reg.closed,
      failed: (address) => {
        this.reg.c.contactFailed++;
        this.h.contactFailed(address);
      },
      queueLimit: o.queueLimit,
      log: this.log,
    });
    this.reg = new LinkRegistry(o.handlers, this.log, () => this.me.id, o.queueLimit, (a) => this.contacts.next(a));
    this.incoming = new Incoming(o, this.reg, this.h, this.log, () => this.me);
  }

  /** Our own record as peers see it. An advertised address ending in ":0" (tests, or listen and
   * advertise both on an ephemeral port) becomes the bound port once start() resolves. */
  get self(): PeerRecord {
    return this.me;
  }

  /** Binds the OverlayService; resolves with the bound port. Throws a WireError if our own record
   * would be refused by peers (bad id, address or metadata). */
  async start(): Promise<{ port: number }> {
    // Our own record must pass the checks every peer applies to it (port 0 stands for the bound one).
    const ephemeral = this.me.address.endsWith(":0");
    checkPeer(ephemeral ? { ...this.me, address: `${this.me.address.slice(0, -2)}:1` } : this.me);
    const server = new grpc.Server({ ...grpcMessageLimits() });
    addService(
      server,
      OverlayService,
      { connect: (call) => this.accept(call) },
      {
        onDecodeError: (_m, _f, call) => {
          const link = this.serverLinks.get(call);
          if (link) this.incoming.onUndecodable(link);
        },
      },
    );
    const creds = this.o.serverCredentials ?? grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.o.listen, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    if (ephemeral) {
      this.me = { ...this.me, address: `${this.me.address.slice(0, -2)}:${port}` };
    }
    this.tickEvery = tickMs(this.o);
    this.lastTick = Date.now();
    this.ticker = setInterval(() => this.tick(), this.tickEvery);
    this.ticker.unref();
    this.log.debug({ listen: this.o.listen, port }, "overlay transport listening");
    return { port };
  }

  /** Carries out one core effect; ignores the ones that are not for the transport. Never calls a
   * handler before returning. */
  apply(effect: Effect): void {
    if (this.reg.closed) return;
    this.reg.inApply = true;
    try {
      switch (effect.type) {
        case "connect":
          return this.connect(effect.peer);
        case "send":
          return this.send(effect.to, effect.message);
        case "sendToContact":
          return this.sendToContact(effect.address, effect.message);
        case "disconnect":
          return this.disconnect(effect.peerId);
        default:
          return;
      }
    } finally {
      this.reg.inApply = false;
    }
  }

  /** Flushes queues, ends every stream, shuts the server down. Reports nothing after it starts. */
  async close(): Promise<void> {
    if (this.reg.closed) return;
    this.reg.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const link of [...this.reg.links]) {
      link.active = false;
      link.closing = true;
      if (link.state === "open") link.flush();
      else if (link.state !== "ended") this.reg.drop(link, "transport closing", false);
    }
    const limit = Math.min(this.o.exchangeTimeoutMs, 2000);
    if (this.reg.links.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, limit);
        this.reg.onEmpty = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const link of [...this.reg.links]) this.reg.drop(link, "transport closed", false);
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, limit);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  stats(): TransportStats {
    return this.reg.stats();
  }

  /** One line per link, for diagnostics and tests. */
  linkInfo(): LinkSummary[] {
    return this.reg.summary();
  }

  // ---- effects ------------------------------------------------------------------------------

  /** The core put `peer` in its active view: keep a long-lived link to it. */
  private connect(peer: PeerRecord): void {
    const link = this.linkFor(peer) ?? this.dialPeer(peer);
    this.log.debug({ peer: peer.id, link: link.serial, state: link.state, active: link.active, closing: link.closing }, "connect");
    if (!link.active) link.lastReceived = Date.now(); // a full failure window from now
    link.active = true;
    link.closing = false;
  }

  /** Deliver on any link to `to.id`, else on a short-lived one. */
  private send(to: PeerRecord, message: Message): void {
    const frame = encodeMessage(message);
    try {
      checkSize(frame);
    } catch (e) {
      this.reg.c.dropped++;
      this.log.warn({ peer: to.id, kind: message.kind, err: (e as Error).message }, "outgoing message too large, dropped");
      return;
    }
    let link = this.linkFor(to);
    if (!link) {
      if (this.reg.shortLinks() >= this.maxShortLinks) {
        this.reg.c.dropped++;
        this.log.warn({ peer: to.id }, "too many short-lived links, send not delivered");
        this.reg.notify(() => this.reg.reportLost(to.id));
        return;
      }
      link = this.dialPeer(to);
    }
    this.reg.c.messagesSent++;
    if (!link.enqueue(frame, this.o.queueLimit, Date.now())) this.reg.overflow(link);
  }

  private sendToContact(address: string, message: Message): void {
    this.reg.c.messagesSent++;
    this.contacts.start(address, encodeMessage(message));
  }

  /** `peerId` left the active view: flush (e.g. the DISCONNECT just queued), then end. */
  private disconnect(peerId: string): void {
    const link = this.reg.byId.get(peerId);
    this.log.debug({ peer: peerId, link: link?.serial, state: link?.state }, "disconnect");
    if (!link) return;
    link.active = false;
    link.closing = true;
    if (link.state === "open") link.flush();
    else if (link.state === "parked" && link.queue.length === 0) this.reg.drop(link, "disconnected", false);
    // handshaking: the queue is flushed, and the link ended, once the handshake completes.
  }

  // ---- links ----------------------------------------------------------------------------------

  /** The link to use for `peer`, replacing one to an older incarnation. */
  private linkFor(peer: PeerRecord): Link | undefined {
    const link = this.reg.byId.get(peer.id);
    if (link?.peer && link.peer.incarnation < peer.incarnation) {
      this.reg.replace(link, "the core knows a newer incarnation");
      return undefined;
    }
    return link;
  }

  private dialPeer(peer: PeerRecord): Link {
    const link = this.dial(peer.address, peer);
    this.reg.key(peer.id, link);
    return link;
  }

  private dial(target: string, peer: PeerRecord | null): Link {
    const client = makeClient(OverlayService, target, this.o.channelCredentials, {
      ...grpcMessageLimits(),
      // No transparent retries: their buffer (256 KiB per call) acknowledges writes before they
      // reach HTTP/2, which would hide a peer that stopped reading from queueLimit. A failed
      // dial is reported to the core, which decides what to retry.
      "grpc.enable_retries": 0,
    });
    const call = client.connect();
    let channelOpen = true;
    const link = Link.outbound(
      call,
      peer,
      () => {
        if (channelOpen) client.close();
        channelOpen = false;
      },
      Date.now(),
    );
    this.reg.track(link);
    this.reg.c.dials++;
    this.log.debug({ peer: peer?.id, link: link.serial, target }, "dial");
    call.on("data", (res) => this.incoming.onFrame(link, res.message));
    call.on("error", () => {}); // the 'status' event that follows says everything
    call.on("status", (s) => this.incoming.onClientStatus(link, s));
    link.writeNow(encodeHandshake(this.me, peer?.id ?? ""), Date.now());
    return link;
  }

  private accept(call: ServerCall): void {
    if (this.reg.closed) {
      call.emit("error", { code: grpc.status.UNAVAILABLE, details: "node is shutting down" });
      return;
    }
    const link = Link.inbound(call, Date.now());
    this.serverLinks.set(call, link);
    this.reg.track(link);
    this.reg.c.inbound++;
    call.on("data", (req: ConnectRequest) => this.incoming.onFrame(link, req.message));
    call.on("end", () => {
      // The dialler is done writing: send what we still have for it before our status.
      if (link.state === "open" && !link.finished) link.flush();
      this.incoming.onPeerEnded(link, "peer ended the stream");
    });
    call.on("cancelled", () => this.incoming.onPeerEnded(link, "peer cancelled the stream"));
    call.on("error", () => this.incoming.onPeerEnded(link, "stream error"));
    call.on("close", () => this.incoming.onPeerEnded(link, "stream closed"));
    if (this.reg.shortLinks() > this.maxShortLinks) {
      this.reg.refuse(link, grpc.status.RESOURCE_EXHAUSTED, "too many links that are not active");
    }
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** Heartbeats, the failure detector, and the timeouts of short-lived, parked and stuck links. */
  private tick(): void {
    const now = Date.now();
    // A tick that comes late means our event loop stalled: what peers sent meanwhile is still
    // unread (timers run before I/O), so the stall must not count as their silence.
    const late = now - this.lastTick - this.tickEvery;
    this.lastTick = now;
    if (late > this.tickEvery) {
      this.log.warn({ stalledMs: late }, "event loop stalled; not counted against peers");
      for (const link of this.reg.links) link.creditStall(late, now);
    }
    for (const link of [...this.reg.links]) {
      if (link.finished) continue;
      switch (due(link, now, this.o)) {
        case "nothing":
          break;
        case "heartbeat":
          this.reg.c.heartbeatsSent++;
          link.writeNow(encodeHeartbeat(now - this.startedAt), now);
          break;
        case "hung":
          this.reg.c.heartbeatTimeouts++;
          this.reg.fail(link, `nothing received for ${now - link.lastReceived} ms`);
          break;
        case "handshake-timeout":
          this.reg.fail(link, "handshake timed out");
          break;
        case "parked-timeout":
          this.reg.drop(link, "the refusing peer never dialled back", true);
          break;
        case "idle":
          link.closing = true; // the short-lived exchange is over
          link.flush();
          break;
        case "stuck":
          this.reg.fail(link, "could not flush");
          break;
        case "end-timeout":
          this.reg.drop(link, "peer did not finish the stream", false);
          break;
      }
    }
  }
}
