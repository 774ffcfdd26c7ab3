/**
 * HyParView (Leitão, Pereira, Rodrigues, DSN 2007) as a pure, deterministic state machine.
 * `step(input, now)` applies one input and returns the effects; nothing here does I/O, reads a
 * clock or draws randomness other than from the injected `Rng`. The same instance runs in the
 * daemon and, by the thousands, in the simulator.
 */
import { addPassive } from "./passive.js";
import { removeActive, repair } from "./active.js";
import { maxShuffleEntries, type ProtocolConfig } from "./config.js";
import { handleContactFailed, handleJoinInput, onForwardJoin, onJoin } from "./join.js";
import { handleJoinTimer, handleLeave, handleMaintenanceTimer } from "./maintenance.js";
import { handleLinkLost, onDisconnect, onNeighbor, onNeighborReply } from "./neighbor.js";
import { randomInt, type Rng } from "./rng.js";
import { recordHash } from "./id-hash.js";
import { handleShuffleTimer, onShuffle, onShuffleReply } from "./shuffle.js";
import { CoreState } from "./state.js";
import { View } from "./views.js";
import type { Effect, Input, Message, PeerRecord, TimerKind } from "./types.js";


/** Scratch of `HyParView.warm`: the states of a batch of cores. */
const warmStates: (CoreState | undefined)[] = [];
/** Scratch of `HyParView.warm`: their views. */
const warmViews: (View | undefined)[] = [];

export class HyParView {
  private readonly s: CoreState;

  /**
   * Reads the state that the next input of each of `cores[0]` to `cores[count - 1]` reads first
   * (the core, its views and their hashes), and changes nothing: the result is the same with or
   * without it. A host that runs many cores (the simulator: 100,000 of them, far more than the
   * processor's caches hold) calls it for the cores of its next few inputs. It reads one level
   * of every core before the next level of any, so the processor fetches the cores' memory side
   * by side instead of one cache miss after another while the inputs run. Returns a number only
   * so that the reads are not optimised away.
   *
   * `activeOnly[k]` 1: core k's next input is a message that `readsPassive` says leaves the
   * passive view alone, which is then not read: a read ahead that the input does not need is not
   * free, it competes with the ones it does.
   */
  static warm(cores: readonly HyParView[], activeOnly: Uint8Array, count: number): number {
    const states = warmStates;
    const views = warmViews;
    for (let k = 0; k < count; k++) states[k] = cores[k]!.s;
    let sum = 0;
    let j = 0;
    for (let k = 0; k < count; k++) {
      const s = states[k]!;
      sum += s.now;
      views[j++] = s.active;
      if (activeOnly[k] !== 1) views[j++] = s.passive;
      states[k] = undefined;
    }
    sum += View.warmAll(views, j);
    for (let k = 0; k < j; k++) views[k] = undefined;
    return sum;
  }

  /**
   * Whether a step on message `m` may read the passive view (for `warm`). A SHUFFLE that still has
   * hops to go (§4.4) and a FORWARD_JOIN neither at its end nor at PRWL (§4.2) are passed on
   * along the active view; the passive view is read only in the rare cases where they cannot be
   * (a single active peer, none to pass on to, a sender outside the active view). They are most
   * of the messages: a shuffle walks ARWL hops. `prwl`: the configuration's.
   */
  static readsPassive(m: Message, prwl: number): boolean {
    if (m.kind === "shuffle") return m.ttl <= 1;
    if (m.kind === "forwardJoin") return m.ttl === 0 || m.ttl === prwl;
    return true;
  }

  /**
   * Reads the record that a step on message `m` reads first after the sender's, and changes
   * nothing (for a host's read ahead, beside `warm`): a SHUFFLE's origin and a FORWARD_JOIN's
   * joiner, which are checked against this node at every hop of their walk. Returns a number
   * only so that the read is not optimised away.
   */
  static warmMessage(m: Message): number {
    if (m.kind === "shuffle") return recordHash(m.origin);
    if (m.kind === "forwardJoin") return recordHash(m.joiner);
    return 0;
  }

  constructor(self: PeerRecord, config: ProtocolConfig, rng: Rng) {
    this.s = new CoreState(self, config, rng);
  }

  get self(): PeerRecord {
    return this.s.self;
  }

  get config(): ProtocolConfig {
    return this.s.config;
  }

  get status(): "idle" | "running" | "left" {
    return this.s.status;
  }

  /** Probes sent so far (beyond the paper, see probe.ts): each answered one rewires two links,
   * so in a settled overlay this stays still. */
  get probesSent(): number {
    return this.s.probesSent;
  }

  /** Confirmed active peers: those reported up. */
  activePeers(): PeerRecord[] {
    return this.s.active.confirmedPeers();
  }

  /** Every active entry, pending ones included (a fresh array). */
  activeEntries(): { readonly peer: PeerRecord; readonly pending: boolean }[] {
    const a = this.s.active;
    const out: { readonly peer: PeerRecord; readonly pending: boolean }[] = [];
    for (let i = 0; i < a.length; i++) out.push({ peer: a.peer(i), pending: a.pending(i) });
    return out;
  }

  passivePeers(): PeerRecord[] {
    return this.s.passive.peers();
  }

  /** Whether `id` is a confirmed active peer. */
  isActive(id: string): boolean {
    const i = this.s.active.indexOf(id);
    return i >= 0 && !this.s.active.pending(i);
  }

  /**
   * Applies `input` at time `now` (ms) and returns its effects, in order. The array is the
   * caller's: the core keeps no reference to it. (Do not mutate it: an empty result is shared.)
   */
  step(input: Input, now: number): readonly Effect[] {
    const s = this.s;
    s.begin(now);
    if (s.status === "left") {
      s.drop("left");
      return s.end();
    }
    if (s.status === "idle" && input.type !== "start") {
      s.drop("not-started");
      return s.end();
    }
    switch (input.type) {
      case "start":
        this.start();
        break;
      case "join":
        handleJoinInput(s, input.contacts);
        break;
      case "message":
        this.onMessage(input.from, input.message);
        break;
      case "linkUp":
        if (input.peer.id !== s.self.id) this.admit(input.peer);
        break;
      case "linkLost":
        handleLinkLost(s, input.peerId);
        break;
      case "contactFailed":
        handleContactFailed(s, input.address);
        break;
      case "timer":
        this.onTimer(input.timer);
        break;
      case "leave":
        handleLeave(s);
        break;
    }
    return s.end();
  }

  private start(): void {
    const s = this.s;
    if (s.status !== "idle") return;
    s.status = "running";
    // A random first delay, so that nodes started together do not shuffle in lockstep.
    s.schedule("shuffle", 1 + randomInt(s.rng, s.config.shuffleIntervalMs));
    s.schedule("maintenance", s.config.maintenanceIntervalMs);
  }

  private onTimer(timer: TimerKind): void {
    if (timer === "shuffle") handleShuffleTimer(this.s);
    else if (timer === "maintenance") handleMaintenanceTimer(this.s);
    else handleJoinTimer(this.s);
  }

  private onMessage(from: PeerRecord, m: Message): void {
    const s = this.s;
    const fromHash = recordHash(from);
    if (s.isSelf(from, fromHash)) return s.drop("from-self", from.id);
    const invalid = this.validate(from, m);
    if (invalid) return s.drop(invalid, from.id);
    if (!this.admit(from, fromHash)) return s.drop("stale-incarnation", from.id);
    switch (m.kind) {
      case "join":
        return onJoin(s, from, m.requestId);
      case "forwardJoin":
        return onForwardJoin(s, from, m.joiner, m.ttl);
      case "neighbor":
        return onNeighbor(s, from, m.priority, m.requestId);
      case "neighborReply":
        return onNeighborReply(s, from, m.requestId, m.accepted);
      case "disconnect":
        return onDisconnect(s, from, m.leaving);
      case "shuffle":
        if (s.isSelf(m.origin, recordHash(m.origin))) return s.drop("from-self", from.id);
        return onShuffle(s, from, m.origin, m.entries, m.ttl, m.shuffleId);
      case "shuffleReply":
        return onShuffleReply(s, from, m.shuffleId, m.entries);
    }
  }

  /** Checks a message against the rules and the current state; returns why it makes no sense. */
  private validate(from: PeerRecord, m: Message) {
    const c = this.s.config;
    switch (m.kind) {
      case "forwardJoin":
        if (!ttlOk(m.ttl, c.arwl)) return "ttl-out-of-range" as const;
        // The walk travels along active links only (a pending one counts: the sender may have
        // accepted our NEIGHBOR before its answer reaches us).
        if (this.s.active.indexOfRecord(from) < 0) return "not-a-neighbor" as const;
        return undefined;
      case "shuffle":
        if (!ttlOk(m.ttl, c.arwl)) return "ttl-out-of-range" as const;
        if (m.entries.length > maxShuffleEntries(c)) return "too-many-entries" as const;
        return undefined;
      case "shuffleReply":
        if (m.entries.length > maxShuffleEntries(c)) return "too-many-entries" as const;
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Incarnations: a newer run of a known id replaces the older everywhere, its address included
   * (the old one's link is gone; it is reported down as failed and the new one becomes a passive
   * candidate). A message from an older run than the one we know is stale. Returns false then.
   */
  private admit(peer: PeerRecord, h = recordHash(peer)): boolean {
    const s = this.s;
    s.admitReturning(peer);
    const a = s.active.indexOf(peer.id, h);
    if (a >= 0) {
      const known = s.active.peer(a);
      if (peer.incarnation < known.incarnation) return false;
      if (peer.incarnation > known.incarnation) {
        removeActive(s, a, "replaced");
        addPassive(s, peer);
        repair(s);
      }
      return true;
    }
    const p = s.passive.indexOf(peer.id, h);
    if (p >= 0) {
      const known = s.passive.peer(p).incarnation;
      if (peer.incarnation < known) return false;
      if (peer.incarnation > known) addPassive(s, peer);
      // It just reached us: whatever failures we recorded for it are over.
      else if (s.passive.failures(p) > 0) s.passive.clearFailures(p);
    }
    return true;
  }
}

/** A walk's time to live is a whole number of hops, at most ARWL. */
function ttlOk(ttl: number, arwl: number): boolean {
  return Number.isInteger(ttl) && ttl >= 0 && ttl <= arwl;
}
