/**
 * What arrives on the peer transport's links: frames, handshakes, and the ends of streams. The
 * Transport (transport.ts) carries the core's effects out and wires each stream's events here.
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { OverlayMessage } from "../../gen/hyparview/v1/overlay_pb.js";
import { isResponseDecodeError } from "../grpc/index.js";
import type { PeerRecord } from "../protocol/index.js";
import { WireError, checkId, decodeFrame, encodeHandshake, type Frame } from "../wire/index.js";
import { judgeHandshake } from "./handshake.js";
import { NODE_ID_TRAILER, type Link } from "./link.js";
import type { LinkRegistry } from "./registry.js";
import type { TransportHandlers, TransportOptions } from "./types.js";

export class Incoming {
  constructor(
    private readonly o: TransportOptions,
    private readonly reg: LinkRegistry,
    private readonly h: TransportHandlers,
    private readonly log: Logger,
    /** Our own record as it stands (its port is known only once the server is bound). */
    private readonly me: () => PeerRecord,
  ) {}

  /** A frame arrived on `link`: its handshake first, then heartbeats and messages for the node. */
  onFrame(link: Link, m: OverlayMessage | undefined): void {
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
        selfId: this.me().id,
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
    if (link.contact && sender.id !== this.me().id) link.contact.reached = true;
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
        if (!link.dialled) link.writeNow(encodeHandshake(this.me()), Date.now());
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

  /** Our dial's stream ended, with the peer's status. */
  onClientStatus(link: Link, s: grpc.StatusObject): void {
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
    if ((link.targetId !== "" && id !== link.targetId) || id === this.me().id) {
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
  onPeerEnded(link: Link, why: string): void {
    if (link.finished || link.state === "closed") return;
    this.reg.drop(link, why, true);
  }

  /** A message on an inbound stream could not be decoded (the gRPC adapter's hook). */
  onUndecodable(link: Link): void {
    if (link.finished) return;
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
}
