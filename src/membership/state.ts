/**
 * The node's membership as watchers see it: this node, its confirmed active peers, its passive
 * view, and a revision that grows by one per change. Fed by the core's peerUp / peerDown effects
 * (node.ts); read by in-process subscribers and by the client API.
 *
 * Delivery is synchronous and in order. A subscription with `replay` gets the snapshot and then
 * every later event, taken in the same call: nothing is lost between them, nothing sent twice
 * (the promise of the Elixir original's `subscribe(pid, self(), replay: true)`).
 */
import type { PeerDownReason, PeerRecord } from "../protocol/index.js";

/** The full membership at one revision. */
export interface MembershipSnapshot {
  /** Number of changes (peer up or down) since the node started. */
  readonly revision: number;
  readonly self: PeerRecord;
  /** Confirmed active peers (the link is up both ways), in the order they came up. */
  readonly active: readonly PeerRecord[];
  /** The passive view: known peers without a link. */
  readonly passive: readonly PeerRecord[];
}

/** One message to a subscriber: the snapshot (first, with `replay`) or one change. */
export type MembershipEvent =
  | ({ readonly type: "snapshot" } & MembershipSnapshot)
  /** `peer` entered the active view; `revision` is the one after the change. */
  | { readonly type: "peerUp"; readonly revision: number; readonly peer: PeerRecord }
  /** `peer` left the active view, for `reason`. */
  | { readonly type: "peerDown"; readonly revision: number; readonly peer: PeerRecord; readonly reason: PeerDownReason };

export type MembershipListener = (event: MembershipEvent) => void;

export interface SubscribeOptions {
  /** Deliver the current snapshot first (synchronously, before `subscribe` returns). Default false. */
  readonly replay?: boolean;
}

/** Called when a listener throws; the others still get the event. */
export type ListenerErrorHook = (error: unknown, event: MembershipEvent) => void;

export class MembershipState {
  private rev = 0;
  private readonly active = new Map<string, PeerRecord>();
  private readonly listeners = new Set<MembershipListener>();

  /**
   * @param self this node.
   * @param passive reads the passive view when a snapshot is taken (the core owns it).
   * @param onListenerError a listener threw (default: ignored).
   */
  constructor(
    readonly self: PeerRecord,
    private readonly passive: () => readonly PeerRecord[],
    private readonly onListenerError: ListenerErrorHook = () => {},
  ) {}

  get revision(): number {
    return this.rev;
  }

  /** Number of current subscribers. */
  get subscribers(): number {
    return this.listeners.size;
  }

  snapshot(): MembershipSnapshot {
    return {
      revision: this.rev,
      self: this.self,
      active: [...this.active.values()],
      passive: [...this.passive()],
    };
  }

  /**
   * Adds `listener`; with `replay`, first hands it the current snapshot. Returns the function
   * that removes it (idempotent). A listener may unsubscribe (or subscribe others) while being
   * called; one added during a delivery starts with the next event.
   */
  subscribe(listener: MembershipListener, options: SubscribeOptions = {}): () => void {
    if (options.replay === true) this.call(listener, { type: "snapshot", ...this.snapshot() });
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The core reported `peer` up. */
  peerUp(peer: PeerRecord): void {
    // Keyed by id: a newer incarnation that comes up replaces the record (the core reports the
    // older one down first).
    this.active.delete(peer.id);
    this.active.set(peer.id, peer);
    this.rev++;
    this.emit({ type: "peerUp", revision: this.rev, peer });
  }

  /** The core reported `peer` down. */
  peerDown(peer: PeerRecord, reason: PeerDownReason): void {
    this.active.delete(peer.id);
    this.rev++;
    this.emit({ type: "peerDown", revision: this.rev, peer, reason });
  }

  /** Drops every subscriber (the node is closing). */
  clear(): void {
    this.listeners.clear();
  }

  private emit(event: MembershipEvent): void {
    if (this.listeners.size === 0) return;
    // A copy: listeners may (un)subscribe while we deliver.
    for (const l of [...this.listeners]) {
      if (this.listeners.has(l)) this.call(l, event);
    }
  }

  private call(listener: MembershipListener, event: MembershipEvent): void {
    try {
      listener(event);
    } catch (e) {
      this.onListenerError(e, event);
    }
  }
}
