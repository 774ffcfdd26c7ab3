/**
 * The transport's bookkeeping: which links exist, which one carries each peer id, and what the
 * end of a link means for the node (linkLost, the next contact address, or nothing). Also the
 * one place that calls handlers on the transport's own initiative, deferring those calls while
 * apply() runs.
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { ContactAttempt } from "./contacts.js";
import type { Link } from "./link.js";
import type { TransportHandlers, TransportStats } from "./types.js";

export type Counters = Omit<TransportStats, "links" | "activeLinks" | "queued">;

export interface LinkSummary {
  readonly peerId: string | undefined;
  readonly dialled: boolean;
  readonly state: string;
  readonly active: boolean;
  readonly queued: number;
}

export class LinkRegistry {
  /** The one link per peer id that sends use. */
  readonly byId = new Map<string, Link>();
  /** Every link still tracked (keyed or not). */
  readonly links = new Set<Link>();
  readonly c: Counters = {
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
  /** True while apply() runs: handler calls wait until it returns. */
  inApply = false;
  /** The transport is closing: no handler is called any more. */
  closed = false;
  /** Called whenever the last link goes (close() waits on it). */
  onEmpty: () => void = () => {};

  constructor(
    private readonly h: TransportHandlers,
    private readonly log: Logger,
    private readonly selfId: () => string,
    private readonly queueLimit: number,
    /** A contact link ended before reaching any node: try the contact's next address. */
    private readonly contactMissed: (attempt: ContactAttempt) => void,
  ) {}

  track(link: Link): void {
    this.links.add(link);
    link.onEnded = (l) => {
      this.unkey(l);
      if (l.state === "closed") this.drop(l, "closed after flushing", false);
    };
  }

  key(id: string, link: Link): void {
    this.byId.set(id, link);
  }

  unkey(link: Link): void {
    const id = link.peerId;
    if (id !== undefined && this.byId.get(id) === link) this.byId.delete(id);
  }

  /** Links that are not active and still hold a stream (the bounded short-lived population). */
  shortLinks(): number {
    let n = 0;
    for (const l of this.links) if (!l.active && l.streamOpen) n++;
    return n;
  }

  /** Calls a handler now, or after apply() returns when called from inside it. */
  notify(fn: () => void): void {
    if (this.closed) return;
    if (!this.inApply) return fn();
    queueMicrotask(() => {
      if (!this.closed) fn();
    });
  }

  reportLost(id: string): void {
    this.c.linkLost++;
    this.h.linkLost(id);
  }

  /**
   * Done with `link`: close what is left of its stream, unkey it, and report what its end means.
   * A contact link that never reached a node moves on to the contact's next address. Otherwise
   * `failed` links are reported lost if they were active or still had messages to deliver (and
   * were not being closed on the core's request).
   */
  drop(link: Link, why: string, failed: boolean): void {
    if (link.finished) return;
    link.finished = true;
    // A server stream ends with an OK status after what is written; a dial is cancelled.
    // (No-op when the stream is already gone.)
    if (!link.dialled && link.live) link.end();
    else link.abort(grpc.status.CANCELLED, why);
    this.links.delete(link);
    this.unkey(link);
    const id = link.peerId;
    const report = failed && !link.closing && (link.active || link.queue.length > 0);
    link.queue.length = 0;
    link.active = false;
    if (this.links.size === 0) this.onEmpty();
    if (link.contact && !link.contact.reached) {
      this.log.debug({ contact: link.contact.address, why }, "contact attempt failed");
      const attempt = link.contact;
      this.notify(() => this.contactMissed(attempt));
      return;
    }
    if (report && id !== undefined) {
      this.log.info({ peer: id, why }, "link lost");
      this.notify(() => this.reportLost(id));
    } else {
      this.log.debug({ peer: id, why }, "link closed");
    }
  }

  /** The link failed on our side (timeout, wrong peer, overflow): close it, report it failed. */
  fail(link: Link, why: string): void {
    if (!link.confirmed && link.dialled) this.c.dialFailures++;
    link.abort(grpc.status.UNAVAILABLE, why);
    this.drop(link, why, true);
  }

  /** The paper's rule for slow nodes: a queue that stays full means the peer has failed. */
  overflow(link: Link): void {
    this.c.queueOverflows++;
    this.fail(link, `queue over ${this.queueLimit} messages`);
  }

  /** Gives up the duplicate `loser`, moving what it still had to deliver onto `winner`. A loser
   * we serve is refused with ALREADY_EXISTS naming us, so its dialler can wait for our link. */
  retire(loser: Link, winner: Link): void {
    this.c.duplicatesClosed++;
    const ok = loser.moveTo(winner, this.queueLimit, Date.now());
    if (loser.dialled) loser.abort(grpc.status.CANCELLED, "duplicate link");
    else loser.abort(grpc.status.ALREADY_EXISTS, "this node keeps another link with you", this.selfId());
    this.drop(loser, "duplicate link", false);
    if (!ok) this.overflow(winner);
  }

  /** A newer incarnation owns this id now: the old link goes, with what was queued for it. The
   * core learns it from linkUp, so nothing is reported. */
  replace(old: Link, why: string): void {
    this.c.replaced++;
    this.c.dropped += old.queue.length;
    old.queue.length = 0;
    old.active = false;
    old.abort(grpc.status.FAILED_PRECONDITION, "replaced by a newer incarnation");
    this.drop(old, why, false);
  }

  /** We refuse an inbound stream at its handshake. Nothing is reported. */
  refuse(link: Link, code: grpc.status, details: string): void {
    this.c.refused++;
    this.log.debug({ details }, "inbound link refused");
    link.abort(code, details);
    this.drop(link, details, false);
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

  summary(): LinkSummary[] {
    return [...this.links].map((l) => ({
      peerId: l.peerId,
      dialled: l.dialled,
      state: l.state,
      active: l.active,
      queued: l.queue.length,
    }));
  }
}
