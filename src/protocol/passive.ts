/**
 * Passive view operations: adding entries with the paper's eviction order, recording failed
 * attempts without purging on the first one, and choosing repair candidates.
 */
import type { CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";
import { indexOfId, pickRandomIndex, type PassiveEntry } from "./views.js";

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
  history?: { failures: number; firstFailureAt: number; lastAttemptAt: number },
): boolean {
  if (peer.id === s.self.id || indexOfId(s.active, peer.id) >= 0 || s.isLeft(peer)) return false;
  const known = indexOfId(s.passive, peer.id);
  if (known >= 0) {
    const entry = s.passive[known]!;
    if (peer.incarnation > entry.peer.incarnation) {
      s.passive[known] = freshEntry(peer);
      s.markPassiveChanged();
    }
    return true;
  }
  if (s.passive.length >= s.config.passiveViewSize) evictOne(s, preferEvict);
  s.passive.push(history ? { peer, ...history } : freshEntry(peer));
  s.markPassiveChanged();
  return true;
}

function freshEntry(peer: PeerRecord): PassiveEntry {
  return { peer, failures: 0, firstFailureAt: 0, lastAttemptAt: -Infinity };
}

function evictOne(s: CoreState, preferEvict?: readonly PeerRecord[]): void {
  if (preferEvict) {
    for (const p of preferEvict) {
      const i = indexOfId(s.passive, p.id);
      if (i >= 0) {
        s.passive.splice(i, 1);
        return;
      }
    }
  }
  const i = pickRandomIndex(s.rng, s.passive, () => true);
  if (i >= 0) s.passive.splice(i, 1);
}

/** Removes `id` from the passive view; returns the removed entry. */
export function removePassive(s: CoreState, id: string): PassiveEntry | undefined {
  const i = indexOfId(s.passive, id);
  if (i < 0) return undefined;
  const [e] = s.passive.splice(i, 1);
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
  const i = indexOfId(s.passive, peer.id);
  if (i >= 0) {
    const e = s.passive[i]!;
    e.failures = count;
    e.firstFailureAt = first;
    e.lastAttemptAt = s.now;
  } else {
    addPassive(s, peer, undefined, { failures: count, firstFailureAt: first, lastAttemptAt: s.now });
  }
}

/**
 * A random passive entry to promote: fresh entries first (never failed, not tried within the
 * last maintenance interval); failed ones only as a last resort, each at most once per interval.
 */
export function pickCandidate(s: CoreState): number {
  const retryAfter = s.config.maintenanceIntervalMs;
  const rested = (e: PassiveEntry) => s.now - e.lastAttemptAt >= retryAfter;
  const fresh = pickRandomIndex(s.rng, s.passive, (e) => e.failures === 0 && rested(e));
  if (fresh >= 0) return fresh;
  return pickRandomIndex(s.rng, s.passive, rested);
}

/** Whether any passive entry has never failed: if none, an isolated node goes back to its contacts. */
export function hasFreshPassive(s: CoreState): boolean {
  for (const e of s.passive) if (e.failures === 0) return true;
  return false;
}
