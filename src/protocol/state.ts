/**
 * The state of one HyParView node and the way effects leave it. The rule modules (join, neighbor,
 * shuffle, maintenance) are functions over this state; `HyParView` is the facade that routes inputs.
 */
import type { ProtocolConfig } from "./config.js";
import type { Rng } from "./rng.js";
import type { DropReason, Effect, Message, PeerRecord, TimerKind } from "./types.js";
import { recordHash } from "./id-hash.js";
import { ActiveView, PassiveView } from "./views.js";
import type { SentShuffle } from "./shuffle-messages.js";

/** A JOIN we sent to a contact and are waiting on. */
export interface JoinAttempt {
  requestId: number;
  address: string;
  sentAt: number;
}

/** The result of a step without effects (shared; frozen). */
const NO_EFFECTS: readonly Effect[] = Object.freeze([]);

/** Shuffles remembered while waiting for their replies; older ones are forgotten. */
export const SENT_SHUFFLE_MEMORY = 4;

export class CoreState {
  status: "idle" | "running" | "left" = "idle";
  /** Current time, set from each input. */
  now = 0;
  readonly active: ActiveView;
  readonly passive: PassiveView;
  /** Contact addresses given to the last join; used again when the node is isolated. */
  contacts: readonly string[] = [];
  join: JoinAttempt | null = null;
  /** Consecutive failed join attempts (drives the backoff). */
  joinFailures = 0;
  /** Earliest time of the next join attempt after a failure. */
  nextJoinAt = 0;
  readonly sentShuffles: SentShuffle[] = [];
  /** Our outstanding probe of a last-resort passive entry (see probe.ts), if any. */
  probe: { requestId: number; peerId: string; sentAt: number } | null = null;
  /** Earliest time of the next probe. */
  nextProbeAt = 0;
  /** Probes sent so far: a host shows it, since each answered probe rewires two links. */
  probesSent = 0;
  /** Since when the active view has had fewer confirmed peers than its size (null: full). */
  shortSince: number | null = null;
  /** Our last DISCONNECT to each peer: a sequence number from the same counter as request ids,
   * and when. An acceptance of a request older than that DISCONNECT is stale: the peer will
   * process the DISCONNECT after it, so honouring it would leave a one-sided link.
   * Both maps are made on first use and dropped once empty: a simulator holds a core per node,
   * and most of them have nothing to remember most of the time. */
  private disconnected: Map<string, { seq: number; at: number }> | null = null;
  /** Peers that left gracefully: id -> incarnation and expiry. Kept out of every view until then,
   * unless a newer incarnation shows up. */
  private left: Map<string, { incarnation: number; until: number }> | null = null;
  /** Request, shuffle and DISCONNECT ids. Starts at a random point of a 2^40 range so that ids
   * of two runs of the same node never meet: an answer addressed to an earlier run (it reaches
   * whoever now has that id and address) cannot match a request of this one. */
  private nextId: number;
  private passiveDirty = false;
  /** Effects of the current step, created by the first one. Handed to the caller at the end of
   * the step: the core keeps nothing of them. (Kept until the node's next step, every node of a
   * simulation would hold its last messages, which would then live long enough to be promoted
   * to the old generation, and die there.) */
  private out: Effect[] | null = null;

  /** Our id's hash: "is this peer us?" is asked of nearly every message and entry, and comparing
   * hashes first spares reading our own record and id. */
  readonly selfHash: number;

  constructor(
    readonly self: PeerRecord,
    readonly config: ProtocolConfig,
    readonly rng: Rng,
  ) {
    this.selfHash = recordHash(self);
    this.nextId = 1 + Math.floor(rng.next() * 2 ** 40);
    this.active = new ActiveView(config.activeViewSize);
    this.passive = new PassiveView(config.passiveViewSize);
  }

  /** A fresh id for a request (JOIN, NEIGHBOR) or a shuffle. */
  newId(): number {
    return this.nextId++;
  }

  /** Adds an effect of the current step. */
  emit(effect: Effect): void {
    if (this.out === null) this.out = [effect];
    else this.out.push(effect);
  }

  send(to: PeerRecord, message: Message): void {
    this.emit({ type: "send", to, message });
  }

  /** Sends DISCONNECT and remembers it (see `disconnected`). */
  sendDisconnect(to: PeerRecord, leaving: boolean): void {
    this.send(to, { kind: "disconnect", leaving });
    (this.disconnected ??= new Map()).set(to.id, { seq: this.newId(), at: this.now });
  }

  /** Whether request `requestId` to `peerId` was sent before our last DISCONNECT to it. */
  predatesDisconnect(peerId: string, requestId: number): boolean {
    if (this.disconnected === null) return false;
    const d = this.disconnected.get(peerId);
    return d !== undefined && requestId < d.seq;
  }

  /** Keeps `peer` out of the views until `until` (it left gracefully), unless a newer
   * incarnation shows up. */
  markLeft(peer: PeerRecord, until: number): void {
    (this.left ??= new Map()).set(peer.id, { incarnation: peer.incarnation, until });
  }

  /** A newer incarnation of a peer that left is welcome again. */
  admitReturning(peer: PeerRecord): void {
    if (this.left === null) return;
    const l = this.left.get(peer.id);
    if (l !== undefined && peer.incarnation > l.incarnation) this.left.delete(peer.id);
  }

  /** Forgets expired leave notices, and DISCONNECTs older than `disconnectMemoryMs` (answers
   * that old are expired anyway). */
  prune(disconnectMemoryMs: number): void {
    const now = this.now;
    if (this.left !== null) {
      for (const [id, l] of this.left) if (now >= l.until) this.left.delete(id);
      if (this.left.size === 0) this.left = null;
    }
    if (this.disconnected !== null) {
      for (const [id, d] of this.disconnected) if (now - d.at > disconnectMemoryMs) this.disconnected.delete(id);
      if (this.disconnected.size === 0) this.disconnected = null;
    }
  }

  schedule(timer: TimerKind, delayMs: number): void {
    this.emit({ type: "schedule", timer, delayMs });
  }

  drop(reason: DropReason, from?: string): void {
    this.emit(from === undefined ? { type: "dropped", reason } : { type: "dropped", reason, from });
  }

  markPassiveChanged(): void {
    this.passiveDirty = true;
  }

  /** Starts a step at time `now`. */
  begin(now: number): void {
    this.now = now;
    this.passiveDirty = false;
  }

  /** Ends a step: at most one passiveChanged per input. */
  end(): readonly Effect[] {
    if (this.passiveDirty) this.emit({ type: "passiveChanged" });
    const out = this.out;
    if (out === null) return NO_EFFECTS;
    this.out = null;
    return out;
  }

  /** Whether `peer`, whose id hashes to `hash`, is this node (any incarnation). */
  isSelf(peer: PeerRecord, hash: number): boolean {
    return hash === this.selfHash && peer.id === this.self.id;
  }

  /** Number of confirmed (not pending) active entries. */
  upCount(): number {
    return this.active.upCount();
  }

  /** Whether `peer` (id and incarnation) left gracefully and must be kept out of the views. */
  isLeft(peer: PeerRecord): boolean {
    if (this.left === null) return false;
    const l = this.left.get(peer.id);
    return l !== undefined && peer.incarnation <= l.incarnation && this.now < l.until;
  }
}
