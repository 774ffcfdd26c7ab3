/**
 * Passive view operations: adding entries with the paper's eviction order, recording failed
 * attempts without purging on the first one, and choosing repair candidates.
 */
import type { CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";
import { passiveEntry, pickRandomIndex, type PassiveEntry } from "./views.js";

/**
 * Adds `peer` to the passive view unless it is this node, already in a view, or left recently.
 * A known entry with an older incarnation is replaced (a restarted node brings its new address).
 * When the view is full, evicts first an entry listed in `preferEvict` (the entries we sent to
 * that peer in this shuffle exchange, §4.4), otherwise a random one.
 * Returns whether the view now holds this peer's record.
 */
export function addPassive(
  s: CoreState,
  peer: PeerRecord,
  preferEvict?: readonly PeerRecord[],
  history?: { failures: number; firstFailureAt: number; retryAt: number },
): boolean {
  if (peer.id === s.self.id || s.active.indexOf(peer.id) >= 0 || s.isLeft(peer)) return false;
  const known = s.passive.indexOf(peer.id);
  if (known >= 0) {
    const entry = s.passive.entries[known]!;
    if (peer.incarnation > entry.peer.incarnation) {
      s.passive.replaceAt(known, passiveEntry(peer));
      s.markPassiveChanged();
    }
    return true;
  }
  if (s.passive.length >= s.config.passiveViewSize) evictOne(s, preferEvict);
  s.passive.push(
    history ? passiveEntry(peer, history.failures, history.firstFailureAt, history.retryAt) : passiveEntry(peer),
  );
  s.markPassiveChanged();
  return true;
}

function evictOne(s: CoreState, preferEvict?: readonly PeerRecord[]): void {
  if (preferEvict) {
    for (const p of preferEvict) {
      const i = s.passive.indexOf(p.id);
      if (i >= 0) {
        s.passive.removeAt(i);
        return;
      }
    }
  }
  const i = pickRandomIndex(s.rng, s.passive.entries, () => true);
  if (i >= 0) s.passive.removeAt(i);
}

/** Removes `id` from the passive view; returns the removed entry. */
export function removePassive(s: CoreState, id: string): PassiveEntry | undefined {
  const i = s.passive.indexOf(id);
  if (i < 0) return undefined;
  const e = s.passive.removeAt(i);
  s.markPassiveChanged();
  return e;
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
  const i = s.passive.indexOf(peer.id);
  if (i >= 0) {
    const e = s.passive.entries[i]!;
    e.failures = count;
    e.firstFailureAt = first;
    e.retryAt = retryAt;
  } else {
    addPassive(s, peer, undefined, { failures: count, firstFailureAt: first, retryAt });
  }
}

/**
 * A random passive entry to promote: fresh entries first (never failed), failed ones only as a
 * last resort; either only once its rest (`retryAt`) is over.
 */
export function pickCandidate(s: CoreState): number {
  const now = s.now;
  const fresh = pickRandomIndex(s.rng, s.passive.entries, (e) => e.failures === 0 && e.retryAt <= now);
  if (fresh >= 0) return fresh;
  return pickRandomIndex(s.rng, s.passive.entries, (e) => e.retryAt <= now);
}

/** Whether any passive entry has never failed: if none, an isolated node goes back to its contacts. */
export function hasFreshPassive(s: CoreState): boolean {
  for (const e of s.passive.entries) if (e.failures === 0) return true;
  return false;
}
