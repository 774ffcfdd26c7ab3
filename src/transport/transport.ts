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
import { resolveContact } from "./contacts.js";
import { Link, NODE_ID_TRAILER, type ContactAttempt } from "./link.js";
import { survivor } from "./survivor.js";
import { TRANSPORT_DEFAULTS, type TransportHandlers, type TransportOptions, type TransportStats } from "./types.js";

type Counters = Omit<TransportStats, "links" | "activeLinks" | "queued">;
type ServerCall = grpc.ServerDuplexStream<ConnectRequest, { message: OverlayMessage }>;

export class Transport {
  private me: PeerRecord;
  private readonly h: TransportHandlers;
  private readonly log: Logger;
  private readonly maxShortLinks: number;
  private server: grpc.Server | null = null;
  /** The one link per peer id that sends use. */
  private readonly byId = new Map<string, Link>();
  /** Every link the transport still tracks (keyed or not). */
  private readonly links = new Set<Link>();
  private readonly serverLinks = new WeakMap<object, Link>();
  private ticker: NodeJS.Timeout | null = null;
  private inApply = false;
  private closed = false;
  private readonly startedAt = Date.now();
  private allGone: (() => void) | null = null;
  private readonly c: Counters = {
    dials: 0,
    dialFailures: 0,
    inbound: 0,
    messagesSent: 0,
    messagesReceived: 0,
    heartbeatsSent: 0,
    heartbeatTimeouts: 0,
    queueOverflows: 0,
    duplicatesClosed: 0,
    replaced: 0,
    refused: 0,
    invalid: 0,
    linkLost: 0,
    contactFailed: 0,
    dropped: 0,
  };

  constructor(private readonly o: TransportOptions) {
    this.me = o.self;
    this.h = o.handlers;
    this.log = o.logger.child({ component: "transport" });
    this.maxShortLinks = o.maxShortLinks ?? TRANSPORT_DEFAULTS.maxShortLinks;
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
    const tickMs = Math.max(5, Math.min(this.o.heartbeatIntervalMs, this.o.failureTimeoutMs / 4, this.o.exchangeTimeoutMs / 4));
    this.ticker = setInterval(() => this.tick(), tickMs);
    this.ticker.unref();
    this.log.debug({ listen: this.o.listen, port }, "overlay transport listening");
    return { port };
  }

  /** Carries out one core effect; ignores the ones that are not for the transport. Never calls a
   * handler before returning. */
  apply(effect: Effect): void {
    if (this.closed) return;
    this.inApply = true;
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
      this.inApply = false;
    }
  }

  /** Flushes queues, ends every stream, shuts the server down. Reports nothing after it starts. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const link of [...this.links]) {
      link.active = false;
      link.closing = true;
      if (link.state === "open") link.flush();
      else this.drop(link, "transport closing", false);
    }
    const limit = Math.min(this.o.exchangeTimeoutMs, 2000);
    if (this.links.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, limit);
        this.allGone = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const link of [...this.links]) this.drop(link, "transport closed", false);
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
    let active = 0;
    let queued = 0;
    for (const l of this.links) {
      if (l.active) active++;
      queued += l.queue.length;
    }
    return { links: this.links.size, activeLinks: active, queued, ...this.c };
  }

  /** One line per link, for diagnostics and tests. */
  linkInfo(): { peerId: string | undefined; dialled: boolean; state: string; active: boolean; queued: number }[] {
    return [...this.links].map((l) => ({
      peerId: l.peerId,
      dialled: l.dialled,
      state: l.state,
      active: l.active,
      queued: l.queue.length,
    }));
  }

  // ---- effects ------------------------------------------------------------------------------

  /** The core put `peer` in its active view: keep a long-lived link to it. */
  private connect(peer: PeerRecord): void {
    const link = this.linkFor(peer) ?? this.dialPeer(peer);
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
      this.c.dropped++;
      this.log.warn({ peer: to.id, kind: message.kind, err: (e as Error).message }, "outgoing message too large, dropped");
      return;
    }
    let link = this.linkFor(to);
    if (!link) {
      if (this.shortLinks() >= this.maxShortLinks) {
        this.c.dropped++;
        this.log.warn({ peer: to.id }, "too many short-lived links, send not delivered");
        this.notify(() => this.reportLost(to.id));
        return;
      }
      link = this.dialPeer(to);
    }
    this.c.messagesSent++;
    if (!link.enqueue(frame, this.o.queueLimit, Date.now())) this.overflow(link);
  }

  private sendToContact(address: string, message: Message): void {
    const attempt: ContactAttempt = { address, message: encodeMessage(message), targets: [], next: 0, reached: false };
    resolveContact(address).then(
      (targets) => {
        attempt.targets = targets;
        this.contactNext(attempt);
      },
      (err: Error) => {
        this.log.info({ contact: address, err: err.message }, "contact does not resolve");
        this.contactFailed(attempt);
      },
    );
  }

  /** `peerId` left the active view: flush (e.g. the DISCONNECT just queued), then end. */
  private disconnect(peerId: string): void {
    const link = this.byId.get(peerId);
    if (!link) return;
    link.active = false;
    link.closing = true;
    if (link.state === "open") link.flush();
    else if (link.state === "parked" && link.queue.length === 0) this.drop(link, "disconnected", false);
    // handshaking: the queue is flushed, and the link ended, once the handshake completes.
  }

  // ---- links ----------------------------------------------------------------------------------

  /** The link to use for `peer`, replacing one to an older incarnation. */
  private linkFor(peer: PeerRecord): Link | undefined {
    const link = this.byId.get(peer.id);
    if (link?.peer && link.peer.incarnation < peer.incarnation) {
      this.replace(link, "the core knows a newer incarnation");
      return undefined;
    }
    return link;
  }

  private dialPeer(peer: PeerRecord): Link {
    const link = this.dial(peer.address, peer);
    this.byId.set(peer.id, link);
    return link;
  }

  private dial(target: string, peer: PeerRecord | null): Link {
    const client = makeClient(OverlayService, target, this.o.channelCredentials, { ...grpcMessageLimits() });
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
    this.track(link);
    this.c.dials++;
    call.on("data", (res) => this.onFrame(link, res.message));
    call.on("error", () => {}); // the 'status' event that follows says everything
    call.on("status", (s) => this.onClientStatus(link, s));
    link.writeNow(encodeHandshake(this.me, peer?.id ?? ""), Date.now());
    return link;
  }

  private accept(call: ServerCall): void {
    if (this.closed) {
      call.emit("error", { code: grpc.status.UNAVAILABLE, details: "node is shutting down" });
      return;
    }
    const link = Link.inbound(call, Date.now());
    this.serverLinks.set(call, link);
    this.track(link);
    this.c.inbound++;
    call.on("data", (req: ConnectRequest) => this.onFrame(link, req.message));
    call.on("end", () => this.onPeerEnded(link, "peer ended the stream"));
    call.on("cancelled", () => this.onPeerEnded(link, "peer cancelled the stream"));
    call.on("error", () => this.onPeerEnded(link, "stream error"));
    call.on("close", () => this.onPeerEnded(link, "stream closed"));
    if (this.shortLinks() > this.maxShortLinks) {
      this.refuse(link, grpc.status.RESOURCE_EXHAUSTED, "too many links that are not active");
    }
  }

  private track(link: Link): void {
    this.links.add(link);
    link.onEnded = (l) => {
      this.unkey(l);
      if (l.state === "closed") this.drop(l, "closed after flushing", false);
    };
  }

  private unkey(link: Link): void {
    const id = link.peerId;
    if (id !== undefined && this.byId.get(id) === link) this.byId.delete(id);
  }

  /** Links that are not active and still hold a stream (the bounded short-lived population). */
  private shortLinks(): number {
    let n = 0;
    for (const l of this.links) if (!l.active && l.streamOpen) n++;
    return n;
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
      return link.dialled ? this.onServerHandshake(link, frame) : this.onClientHandshake(link, frame);
    }
    if (frame.kind === "handshake") return this.badInput(link, "unexpected-handshake", "second handshake");
    if (frame.kind === "heartbeat") return;
    link.lastActivity = now;
    this.c.messagesReceived++;
    this.h.message(link.peer!, frame.message);
  }

  /** The dialled node's answer on a link we dialled. */
  private onServerHandshake(link: Link, hs: Extract<Frame, { kind: "handshake" }>): void {
    const sender = hs.sender;
    if (sender.id === this.me.id) return this.fail(link, "reached ourselves");
    if (link.targetId !== "" && sender.id !== link.targetId) {
      return this.fail(link, `expected ${link.targetId}, reached ${sender.id}`);
    }
    if (link.contact) link.contact.reached = true;
    if (!this.settleDuplicate(link, sender, true, link.targetId !== "")) return;
    this.open(link, sender);
  }

  /** The dialling node's handshake on a stream it opened to us. */
  private onClientHandshake(link: Link, hs: Extract<Frame, { kind: "handshake" }>): void {
    const sender = hs.sender;
    if (sender.id === this.me.id) {
      return this.refuse(link, grpc.status.FAILED_PRECONDITION, `${sender.id} is this node's own id`);
    }
    if (hs.targetId !== "" && hs.targetId !== this.me.id) {
      return this.refuse(link, grpc.status.FAILED_PRECONDITION, `this is ${this.me.id}, not ${hs.targetId}`);
    }
    link.targetKnown = hs.targetId !== "";
    if (!this.settleDuplicate(link, sender, false, link.targetKnown)) return;
    link.writeNow(encodeHandshake(this.me), Date.now());
    this.open(link, sender);
  }

  /**
   * Before `link` (handshake just completed with `sender`) becomes the link for its id: apply the
   * incarnation rule and the duplicate rule against the link already keyed by that id. Returns
   * false when `link` is given up.
   */
  private settleDuplicate(link: Link, sender: PeerRecord, dialledByUs: boolean, targetKnown: boolean): boolean {
    const existing = this.byId.get(sender.id);
    if (!existing || existing === link) return true;
    if (existing.confirmed) {
      const known = existing.peer!.incarnation;
      if (sender.incarnation < known) {
        if (dialledByUs) this.fail(link, `older incarnation ${sender.incarnation} < ${known}`);
        else this.refuse(link, grpc.status.FAILED_PRECONDITION, `older incarnation ${sender.incarnation} < ${known}`);
        return false;
      }
      if (sender.incarnation > known) {
        this.replace(existing, `newer incarnation ${sender.incarnation}`);
        return true;
      }
    }
    const facts = { dialledByUs, targetKnown, dead: false };
    const existingFacts = { dialledByUs: existing.dialled, targetKnown: existing.targetKnown, dead: existing.state === "parked" };
    this.c.duplicatesClosed++;
    if (survivor(this.me.id, sender.id, existingFacts, facts) === "existing") {
      this.log.debug({ peer: sender.id, kept: existing.serial, closed: link.serial }, "duplicate link closed");
      this.retire(link, existing);
      return false;
    }
    this.log.debug({ peer: sender.id, kept: link.serial, closed: existing.serial }, "duplicate link closed");
    this.unkey(existing);
    this.retire(existing, link);
    return true;
  }

  private open(link: Link, sender: PeerRecord): void {
    link.peer = sender;
    link.confirmed = true;
    link.state = "open";
    this.byId.set(sender.id, link);
    this.h.linkUp(sender);
    if (link.finished) return; // the node reacted by closing it
    link.flush();
    if (link.queue.length > this.o.queueLimit) this.overflow(link);
  }

  /** Gives up the duplicate `loser`, moving what it still had to deliver onto `winner`. */
  private retire(loser: Link, winner: Link): void {
    const ok = loser.moveTo(winner, this.o.queueLimit, Date.now());
    if (loser.dialled) loser.abort(grpc.status.CANCELLED, "duplicate link");
    else loser.abort(grpc.status.ALREADY_EXISTS, "this node keeps another link with you", this.me.id);
    this.drop(loser, "duplicate link", false);
    if (!ok) this.overflow(winner);
  }

  /** A newer incarnation owns this id now: the old link goes, with what was queued for it. */
  private replace(old: Link, why: string): void {
    this.c.replaced++;
    this.c.dropped += old.queue.length;
    old.queue.length = 0;
    old.active = false;
    old.abort(grpc.status.FAILED_PRECONDITION, "replaced by a newer incarnation");
    this.drop(old, why, false);
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
      this.c.invalid++;
      this.notify(() => this.h.invalid("undecodable", link.confirmed ? link.peerId : undefined));
    }
    if (!link.confirmed) this.c.dialFailures++;
    this.drop(link, `stream ended: ${grpc.status[s.code]} ${s.details}`, true);
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
      return this.drop(link, "refused as a duplicate without naming itself", true);
    }
    if ((link.targetId !== "" && id !== link.targetId) || id === this.me.id) {
      return this.drop(link, `refused as a duplicate by ${id}`, true);
    }
    if (link.contact) link.contact.reached = true;
    const other = this.byId.get(id);
    if (other && other !== link) {
      const ok = link.moveTo(other, this.o.queueLimit, Date.now());
      this.drop(link, "duplicate link", false);
      if (!ok) this.overflow(other);
      return;
    }
    this.unkey(link);
    link.parkedId = id;
    link.park(Date.now());
    this.byId.set(id, link);
  }

  /** A server stream ended from the client's side (half-close, cancel, reset). */
  private onPeerEnded(link: Link, why: string): void {
    if (link.finished || link.state === "closed") return;
    this.drop(link, why, true);
  }

  private onUndecodable(call: object): void {
    const link = this.serverLinks.get(call);
    if (!link || link.finished) return;
    // The adapter ends the call with INVALID_ARGUMENT right after this returns.
    link.state = "closed";
    this.c.invalid++;
    this.h.invalid("undecodable", link.confirmed ? link.peerId : undefined);
    this.drop(link, "undecodable message", true);
  }

  /** Bad input: INVALID_ARGUMENT (or a cancel on our own dial), then `invalid`. */
  private badInput(link: Link, reason: string, detail: string): void {
    this.c.invalid++;
    this.log.warn({ peer: link.confirmed ? link.peerId : undefined, reason, detail }, "invalid input from peer");
    link.abort(grpc.status.INVALID_ARGUMENT, detail);
    this.h.invalid(reason, link.confirmed ? link.peerId : undefined);
    if (!link.confirmed && link.dialled) this.c.dialFailures++;
    this.drop(link, reason, true);
  }

  /** We refuse an inbound stream at its handshake. */
  private refuse(link: Link, code: grpc.status, details: string): void {
    this.c.refused++;
    this.log.debug({ details }, "inbound link refused");
    link.abort(code, details);
    this.drop(link, details, false);
  }

  /** The link failed on our side (timeout, wrong peer): close it and report as failed. */
  private fail(link: Link, why: string): void {
    if (!link.confirmed && link.dialled) this.c.dialFailures++;
    link.abort(grpc.status.UNAVAILABLE, why);
    this.drop(link, why, true);
  }

  private overflow(link: Link): void {
    this.c.queueOverflows++;
    this.fail(link, `queue over ${this.o.queueLimit} messages`);
  }

  /**
   * The transport is done with `link`: unkey it, and report what its end means. A contact link
   * that never reached its node moves on to the contact's next address. Otherwise `failed` links
   * are reported lost if they were active or still had messages to deliver (and were not being
   * closed on the core's request).
   */
  private drop(link: Link, why: string, failed: boolean): void {
    if (link.finished) return;
    link.finished = true;
    link.abort(grpc.status.CANCELLED, why); // no-op when the stream is already gone
    this.links.delete(link);
    this.unkey(link);
    const id = link.peerId;
    const report = failed && !link.closing && (link.active || link.queue.length > 0);
    link.queue.length = 0;
    link.active = false;
    if (this.links.size === 0) this.allGone?.();
    if (link.contact && !link.contact.reached) {
      this.log.debug({ contact: link.contact.address, why }, "contact attempt failed");
      const attempt = link.contact;
      this.notify(() => this.contactNext(attempt));
      return;
    }
    if (report && id !== undefined) {
      this.log.info({ peer: id, why }, "link lost");
      this.notify(() => this.reportLost(id));
    } else {
      this.log.debug({ peer: id, why }, "link closed");
    }
  }

  private reportLost(id: string): void {
    this.c.linkLost++;
    this.h.linkLost(id);
  }

  private contactNext(attempt: ContactAttempt): void {
    if (this.closed) return;
    const target = attempt.targets[attempt.next++];
    if (target === undefined) return this.contactFailed(attempt);
    const link = this.dial(target, null);
    link.contact = attempt;
    link.enqueue(attempt.message, this.o.queueLimit, Date.now());
  }

  private contactFailed(attempt: ContactAttempt): void {
    if (this.closed) return;
    this.c.contactFailed++;
    this.log.info({ contact: attempt.address }, "contact unreachable");
    this.h.contactFailed(attempt.address);
  }

  /** Calls a handler now, or after apply() returns when called from inside it. */
  private notify(fn: () => void): void {
    if (this.closed) return;
    if (!this.inApply) return fn();
    queueMicrotask(() => {
      if (!this.closed) fn();
    });
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** Heartbeats, the failure detector, and the timeouts of short-lived, parked and stuck links. */
  private tick(): void {
    const now = Date.now();
    const o = this.o;
    for (const link of [...this.links]) {
      if (link.finished) continue;
      switch (link.state) {
        case "handshaking":
          if (now - link.createdAt > o.exchangeTimeoutMs) this.fail(link, "handshake timed out");
          break;
        case "parked":
          if (now - link.parkedAt > o.exchangeTimeoutMs) this.drop(link, "the refusing peer never dialled back", true);
          break;
        case "open":
          if (link.active) {
            if (now - link.lastReceived > o.failureTimeoutMs) {
              this.c.heartbeatTimeouts++;
              this.fail(link, `nothing received for ${now - link.lastReceived} ms`);
            } else if (now - link.lastSent >= o.heartbeatIntervalMs && link.idleWrites) {
              this.c.heartbeatsSent++;
              link.writeNow(encodeHeartbeat(now - this.startedAt), now);
            }
          } else if (now - link.lastActivity > o.exchangeTimeoutMs) {
            // A short-lived exchange is over (or a closing link could not flush in time).
            if (link.closing || link.queue.length > 0) this.fail(link, "could not flush");
            else {
              link.closing = true;
              link.flush();
            }
          }
          break;
        case "ended":
          if (now - link.lastSent > o.exchangeTimeoutMs) this.drop(link, "peer did not finish the stream", false);
          break;
        case "closed":
          this.drop(link, "closed", false);
          break;
      }
    }
  }
}
