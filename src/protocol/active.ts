/**
 * Active view operations: adding (with the paper's random eviction), removing for a reason, and
 * repairing a short view from the passive view (§4.3).
 */
import { addPassive, pickCandidate, recordFailure } from "./passive.js";
import type { CoreState } from "./state.js";
import type { PeerDownReason, PeerRecord } from "./types.js";

/** Why a peer leaves the active view. One table decides everything that follows from it. */
export type RemovalReason =
  /** We drop it to make room (§4.2): it gets DISCONNECT and stays in our passive view. */
  | "evicted"
  /** It sent us DISCONNECT (§4.2): it stays in our passive view. */
  | "disconnected"
  /** It sent us DISCONNECT because it leaves the overlay: forget it. */
  | "left"
  /** Its link failed (§4.3). Kept as a last-resort passive candidate if so configured. */
  | "failed"
  /** It rejected our NEIGHBOR (§4.3): it stays in our passive view. */
  | "rejected"
  /** A newer incarnation of the same id showed up: the old one is gone, its link too. */
  | "replaced"
  /** We leave the overlay: it gets DISCONNECT(leaving). */
  | "leaving";

interface RemovalRule {
  /** Send DISCONNECT (with `leaving`) to the peer. */
  readonly disconnect: "no" | "evicted" | "leaving";
  /** Keep the peer in the passive view ("failed" is decided by configuration, below). */
  readonly keepPassive: boolean;
  /** Reason reported to watchers when the peer was up. */
  readonly down: PeerDownReason;
  /** Ask the transport to close the link (not when a newer incarnation now owns it). */
  readonly closeLink: boolean;
}

const REMOVAL: Record<RemovalReason, RemovalRule> = {
  evicted: { disconnect: "evicted", keepPassive: true, down: "disconnected", closeLink: true },
  disconnected: { disconnect: "no", keepPassive: true, down: "disconnected", closeLink: true },
  left: { disconnect: "no", keepPassive: false, down: "left", closeLink: true },
  failed: { disconnect: "no", keepPassive: true, down: "failed", closeLink: true },
  rejected: { disconnect: "no", keepPassive: true, down: "disconnected", closeLink: true },
  replaced: { disconnect: "no", keepPassive: false, down: "failed", closeLink: false },
  leaving: { disconnect: "leaving", keepPassive: false, down: "disconnected", closeLink: true },
};

/**
 * Adds `peer` to the active view, first dropping a random member if the view is full (§4.2,
 * "even if it has to drop a random node"). `pending` entries wait for the NEIGHBOR reply.
 * Takes the peer out of the passive view; reports it up at once unless pending.
 * Deviation: when the view holds one of our own pending requests, that request is given up
 * (DISCONNECT, back to passive) rather than a live link dropped. In the paper a requester holds no
 * slot before the answer, so a pending request must never cost a confirmed neighbor its link.
 */
export function addActive(s: CoreState, peer: PeerRecord, pending: boolean, requestId: number): void {
  // Failure history carried over from the passive view, so a failed attempt counts.
  let failures = 0;
  let firstFailureAt = 0;
  const p = s.passive.indexOfRecord(peer);
  if (p >= 0) {
    failures = s.passive.failures(p);
    firstFailureAt = s.passive.firstFailureAt(p);
    s.passive.removeAt(p);
    s.markPassiveChanged();
  }
  if (s.active.length >= s.config.activeViewSize) {
    let victim = s.active.pickRandom(s.rng, true);
    if (victim < 0) victim = s.active.pickRandom(s.rng, false);
    if (victim >= 0) removeActive(s, victim, "evicted");
  }
  s.active.add(peer, pending, requestId, s.now, failures, firstFailureAt);
  s.emit({ type: "connect", peer });
  if (!pending) s.emit({ type: "peerUp", peer });
}

/** Marks a pending entry confirmed: both sides now agree on the link. */
export function confirmActive(s: CoreState, index: number): void {
  if (!s.active.pending(index)) return;
  s.active.confirm(index);
  s.emit({ type: "peerUp", peer: s.active.peer(index) });
}

/** Removes the entry at `index` from the active view for `reason` (see REMOVAL). */
export function removeActive(s: CoreState, index: number, reason: RemovalReason): void {
  const v = s.active;
  if (index < 0 || index >= v.length) return;
  const peer = v.peer(index);
  const pending = v.pending(index);
  const failures = v.failures(index);
  const firstFailureAt = v.firstFailureAt(index);
  v.removeAt(index);
  // An answer to a probe sent before this removal predates whatever we just told that peer
  // (a DISCONNECT, say): it must not bring it back.
  if (s.probe !== null && s.probe.peerId === peer.id) s.probe = null;
  const rule = REMOVAL[reason];
  if (rule.disconnect !== "no") {
    s.sendDisconnect(peer, rule.disconnect === "leaving");
  }
  if (rule.closeLink) s.emit({ type: "disconnect", peerId: peer.id });
  if (!pending) s.emit({ type: "peerDown", peer, reason: rule.down });
  if (reason === "failed") {
    // A failed attempt on a pending entry always counts; a confirmed peer that failed is kept
    // as a last-resort candidate only if so configured (the paper forgets it, §4.3).
    if (pending || s.config.keepFailedAsPassive) {
      recordFailure(s, peer, pending ? failures : 0, firstFailureAt);
    }
    return;
  }
  if (rule.keepPassive) {
    // Not asked again for a shuffle period: it just rejected us, dropped us, or was dropped
    // by us; asking straight back would only bounce the same link around, and a short node
    // would sweep its whole passive view every maintenance round.
    addPassive(s, peer, undefined, failures, firstFailureAt, s.now + s.config.shuffleIntervalMs);
  }
}

/** Removes `id` from the active view if there; returns whether it was. */
export function removeActiveById(s: CoreState, id: string, reason: RemovalReason): boolean {
  const i = s.active.indexOf(id);
  if (i < 0) return false;
  removeActive(s, i, reason);
  return true;
}

/**
 * Repair (§4.3): while the active view (pending requests included) is below its size, promote
 * random passive peers with NEIGHBOR: high priority when the active view is empty, low otherwise.
 * Beyond the paper, this also runs periodically (maintenance), so a short view heals by itself.
 */
export function repair(s: CoreState): void {
  if (s.status !== "running") return;
  while (s.active.length < s.config.activeViewSize) {
    const i = pickCandidate(s);
    if (i < 0) return;
    const candidate = s.passive.peer(i);
    const priority = s.active.length === 0 ? "high" : "low";
    const requestId = s.newId();
    addActive(s, candidate, true, requestId);
    s.send(candidate, { kind: "neighbor", priority, requestId });
  }
}
