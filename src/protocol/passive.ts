/**
 * Passive view operations: adding entries with the paper's eviction order, recording failed
 * attempts without purging on the first one, and choosing repair candidates.
 */
import { recordHash } from "./id-hash.js";
import type { CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";

/**
 * Adds `peer` to the passive view unless it is this node, already in a view, or left recently.
 * A known entry with an older incarnation is replaced (a restarted node brings its new address).
 * When the view is full, evicts first an entry listed in `preferEvict` (the entries we sent to
 * that peer in this shuffle exchange, §4.4), otherwise a random one.
 * A new entry starts with the given failure history (none by default).
 * Returns whether the view now holds this peer's record.
 */
export function addPassive(
  s: CoreState,
  peer: PeerRecord,
  preferEvict?: readonly PeerRecord[],
  failures = 0,
  firstFailureAt = 0,
  retryAt = 0,
): boolean {
  const h = recordHash(peer);
  if (s.isSelf(peer, h) || s.active.indexOfPeer(peer, h) >= 0 || s.isLeft(peer)) return false;
  const known = s.passive.indexOfPeer(peer, h);
  if (known >= 0) {
    if (peer.incarnation > s.passive.peer(known).incarnation) {
      s.passive.replacePeer(known, peer);
      s.markPassiveChanged();
    }
    return true;
  }
  if (s.passive.length >= s.config.passiveViewSize) evictOne(s, preferEvict);
  s.passive.add(peer, failures, firstFailureAt, retryAt);
  s.markPassiveChanged();
  return true;
}

function evictOne(s: CoreState, preferEvict?: readonly PeerRecord[]): void {
  if (preferEvict) {
    for (const p of preferEvict) {
      const i = s.passive.indexOfRecord(p);
      if (i >= 0) {
        s.passive.removeAt(i);
        return;
      }
    }
  }
  const i = s.passive.pick(s.rng, "any", Infinity);
  if (i >= 0) s.passive.removeAt(i);
}

/** Removes `id` from the passive view; returns whether it was there. */
export function removePassive(s: CoreState, id: string): boolean {
  const i = s.passive.indexOf(id);
  if (i < 0) return false;
  s.passive.removeAt(i);
  s.markPassiveChanged();
  return true;
}

/**
 * Records one more failed attempt to reach `peer`, given its failure history so far. The paper
 * drops the entry at once (§4.3); we drop it only after `passiveMaxFailures` attempts spread over
 * at least `passiveRetentionMs` (DESIGN.md: one timeout during a partition must not drain the
 * other side from every view). With passiveMaxFailures 1 and passiveRetentionMs 0, it is the paper.
 */
export function recordFailure(s: CoreState, peer: PeerRecord, failures: number, firstFailureAt: number): void {
  const count = failures + 1;
  const first = failures === 0 ? s.now : firstFailureAt;
  if (count >= s.config.passiveMaxFailures && s.now - first >= s.config.passiveRetentionMs) {
    removePassive(s, peer.id);
    return;
  }
  // Retried after the maintenance interval, doubling per failure up to 16 intervals.
  const retryAt = s.now + s.config.maintenanceIntervalMs * 2 ** Math.min(count - 1, 4);
  const i = s.passive.indexOfRecord(peer);
  if (i >= 0) s.passive.setFailure(i, count, first, retryAt);
  else addPassive(s, peer, undefined, count, first, retryAt);
}

/**
 * A random passive entry to promote: fresh entries first (never failed), failed ones only as a
 * last resort; either only once its rest (`retryAt`) is over.
 */
export function pickCandidate(s: CoreState): number {
  const fresh = s.passive.pick(s.rng, "fresh", s.now);
  if (fresh >= 0) return fresh;
  return s.passive.pick(s.rng, "any", s.now);
}

/** Whether any passive entry has never failed: if none, an isolated node goes back to its contacts. */
export function hasFreshPassive(s: CoreState): boolean {
  return s.passive.hasFresh();
}
