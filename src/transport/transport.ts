/**
 * The peer transport: the core's send / sendToContact / connect / disconnect effects as
 * OverlayService/Connect streams over grpc-js, and link events back to the node.
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
import { addService, isResponseDecodeError, makeClient } from "../grpc/index.js";
import type { Effect, Message, PeerRecord } from "../protocol/index.js";
import {
  WireError,
  checkId,
  checkPeer,
  checkSize,
  decodeFrame,
  encodeHandshake,
  encodeHeartbeat,
  encodeMessage,
  grpcMessageLimits,
  type Frame,
} from "../wire/index.js";
import { ContactDialer } from "./contacts.js";
import { Link, NODE_ID_TRAILER } from "./link.js";
import { judgeHandshake } from "./handshake.js";
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
      { onDecodeError: (_m, _f, call) => this.onUndecodable(call) },
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
    call.on("data", (res) => this.onFrame(link, res.message));
    call.on("error", () => {}); // the 'status' event that follows says everything
    call.on("status", (s) => this.onClientStatus(link, s));
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
    call.on("data", (req: ConnectRequest) => this.onFrame(link, req.message));
    call.on("end", () => {
      // The dialler is done writing: send what we still have for it before our status.
      if (link.state === "open" && !link.finished) link.flush();
      this.onPeerEnded(link, "peer ended the stream");
    });
    call.on("cancelled", () => this.onPeerEnded(link, "peer cancelled the stream"));
    call.on("error", () => this.onPeerEnded(link, "stream error"));
    call.on("close", () => this.onPeerEnded(link, "stream closed"));
    if (this.reg.shortLinks() > this.maxShortLinks) {
      this.reg.refuse(link, grpc.status.RESOURCE_EXHAUSTED, "too many links that are not active");
    }
  }

  // ---- incoming -------------------------------------------------------------------------------

  private onFrame(link: Link, m: OverlayMessage | undefined): void {
    if (link.finished || link.state === "closed") return;
    const now = Date.now();
    link.lastReceived = now;
    let frame: Frame;
    try {
      frame = decodeFrame(m, this.o.protocol);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      return this.badInput(link, e.reason, e.message);
    }
    if (!link.confirmed) {
      if (frame.kind !== "handshake") return this.badInput(link, "handshake-expected", `got ${frame.kind} first`);
      return this.onHandshake(link, frame);
    }
    if (frame.kind === "handshake") return this.badInput(link, "unexpected-handshake", "second handshake");
    if (frame.kind === "heartbeat") return;
    link.lastActivity = now;
    this.reg.c.messagesReceived++;
    this.h.message(link.peer!, frame.message);
  }

  /** A handshake completed on `link` (either direction): refuse it or make it the peer's link. */
  private onHandshake(link: Link, hs: Extract<Frame, { kind: "handshake" }>): void {
    const sender = hs.sender;
    if (!link.dialled) link.targetKnown = hs.targetId !== "";
    const other = this.reg.byId.get(sender.id);
    const existing = other === link ? undefined : other;
    const verdict = judgeHandshake(
      {
        selfId: this.me.id,
        dialledByUs: link.dialled,
        targetId: link.dialled ? link.targetId : hs.targetId,
        existing: existing && {
          confirmed: existing.confirmed,
          incarnation: existing.peer?.incarnation,
          dialledByUs: existing.dialled,
          targetKnown: existing.targetKnown,
          dead: existing.state === "parked",
        },
      },
      sender,
    );
    // A contact that answers with another node's handshake was reached; one that is us was not.
    if (link.contact && sender.id !== this.me.id) link.contact.reached = true;
    switch (verdict.kind) {
      case "refuse":
        if (link.dialled) return this.reg.fail(link, verdict.details);
        return this.reg.refuse(link, grpc.status.FAILED_PRECONDITION, verdict.details);
      case "duplicate":
        this.log.debug({ peer: sender.id, kept: existing!.serial, closed: link.serial }, "duplicate link closed");
        return this.reg.retire(link, existing!);
      case "accept":
        if (verdict.existing === "replace") this.reg.replace(existing!, `newer incarnation ${sender.incarnation}`);
        if (verdict.existing === "retire") {
          this.log.debug({ peer: sender.id, kept: link.serial, closed: existing!.serial }, "duplicate link closed");
          this.reg.unkey(existing!);
          this.reg.retire(existing!, link);
        }
        if (!link.dialled) link.writeNow(encodeHandshake(this.me), Date.now());
        return this.open(link, sender);
    }
  }

  private open(link: Link, sender: PeerRecord): void {
    link.peer = sender;
    link.confirmed = true;
    link.state = "open";
    this.reg.key(sender.id, link);
    this.log.debug({ peer: sender.id, link: link.serial, dialled: link.dialled, queued: link.queue.length }, "link up");
    this.h.linkUp(sender);
    if (link.finished) return; // the node reacted by closing it
    link.flush();
    if (link.queue.length > this.o.queueLimit) this.reg.overflow(link);
  }

  // ---- endings --------------------------------------------------------------------------------

  private onClientStatus(link: Link, s: grpc.StatusObject): void {
    if (link.finished || link.state === "closed") {
      link.markClosed();
      return;
    }
    if (s.code === grpc.status.ALREADY_EXISTS) return this.onRefusedDuplicate(link, s);
    link.markClosed();
    if (isResponseDecodeError(s)) {
      this.reg.c.invalid++;
      this.reg.notify(() => this.h.invalid("undecodable", link.confirmed ? link.peerId : undefined));
    }
    if (!link.confirmed) this.reg.c.dialFailures++;
    this.reg.drop(link, `stream ended: ${grpc.status[s.code]} ${s.details}`, true);
  }

  /** The peer refused our stream: it keeps (or is dialling) another link with us. Move what we
   * have onto that link, or park it until that link arrives. */
  private onRefusedDuplicate(link: Link, s: grpc.StatusObject): void {
    const named = s.metadata.get(NODE_ID_TRAILER)[0];
    const id = typeof named === "string" ? named : "";
    link.markClosed();
    try {
      checkId(id);
    } catch {
      return this.reg.drop(link, "refused as a duplicate without naming itself", true);
    }
    if ((link.targetId !== "" && id !== link.targetId) || id === this.me.id) {
      return this.reg.drop(link, `refused as a duplicate by ${id}`, true);
    }
    if (link.contact) link.contact.reached = true;
    const other = this.reg.byId.get(id);
    if (other && other !== link) {
      const ok = link.moveTo(other, this.o.queueLimit, Date.now());
      this.reg.drop(link, "duplicate link", false);
      if (!ok) this.reg.overflow(other);
      return;
    }
    this.reg.unkey(link);
    link.parkedId = id;
    link.park(Date.now());
    this.reg.key(id, link);
  }

  /** A server stream ended from the client's side (half-close, cancel, reset). */
  private onPeerEnded(link: Link, why: string): void {
    if (link.finished || link.state === "closed") return;
    this.reg.drop(link, why, true);
  }

  private onUndecodable(call: object): void {
    const link = this.serverLinks.get(call);
    if (!link || link.finished) return;
    // The adapter ends the call with INVALID_ARGUMENT right after this returns.
    link.state = "closed";
    this.reg.c.invalid++;
    this.h.invalid("undecodable", link.confirmed ? link.peerId : undefined);
    this.reg.drop(link, "undecodable message", true);
  }

  /** Bad input: INVALID_ARGUMENT (or a cancel on our own dial), then `invalid`. */
  private badInput(link: Link, reason: string, detail: string): void {
    this.reg.c.invalid++;
    this.log.warn({ peer: link.confirmed ? link.peerId : undefined, reason, detail }, "invalid input from peer");
    link.abort(grpc.status.INVALID_ARGUMENT, detail);
    this.h.invalid(reason, link.confirmed ? link.peerId : undefined);
    if (!link.confirmed && link.dialled) this.reg.c.dialFailures++;
    this.reg.drop(link, reason, true);
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
