/**
 * Beyond the paper: probing last-resort passive entries while the active view is full.
 *
 * Repair (§4.3) only runs while the active view is short. When a partition heals and every node
 * on both sides has refilled its active view inside its own half, nobody would ever try the
 * entries that point across the old cut, and the halves would stay apart. So a node whose view is
 * full sends, at most once per `probeIntervalMs`, a high-priority NEIGHBOR to one passive entry
 * that failed before (peers lost in a partition are such entries). If it answers, the link is
 * made (each side drops a random neighbor to make room, as high priority does): one link across
 * the cut is enough to merge the halves, and shuffles do the rest. A dead entry just fails again.
 * In a healthy overlay there are no failed entries, so nothing is probed.
 */
import { addActive } from "./active.js";
import { recordFailure } from "./passive.js";
import type { CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";
import { pickRandomIndex } from "./views.js";

/** Called by maintenance: expires an unanswered probe, then maybe sends the next one. */
export function maybeProbe(s: CoreState): void {
  const interval = s.config.probeIntervalMs;
  if (interval === 0) return;
  if (s.probe !== null) {
    if (s.now - s.probe.sentAt < s.config.requestTimeoutMs) return;
    probeFailed(s, s.probe.peerId);
  }
  const size = s.config.activeViewSize;
  if (s.active.length < size || s.upCount() < size || s.now < s.nextProbeAt) return;
  const i = pickRandomIndex(s.rng, s.passive.entries, (e) => e.failures > 0 && e.retryAt <= s.now);
  if (i < 0) return;
  const e = s.passive.entries[i]!;
  e.retryAt = s.now + interval;
  s.nextProbeAt = s.now + interval;
  const requestId = s.newId();
  s.probe = { requestId, peerId: e.peer.id, sentAt: s.now };
  s.send(e.peer, { kind: "neighbor", priority: "high", requestId });
}

/** The probed peer answered: link with it, dropping a random neighbor if the view is full. */
export function onProbeReply(s: CoreState, from: PeerRecord, accepted: boolean): void {
  s.probe = null;
  if (!accepted || s.active.indexOf(from.id) >= 0) return;
  addActive(s, from, false, 0);
}

/** The probe could not be delivered or went unanswered: one more failure for that entry. */
export function probeFailed(s: CoreState, peerId: string): void {
  s.probe = null;
  const i = s.passive.indexOf(peerId);
  if (i < 0) return;
  const e = s.passive.entries[i]!;
  recordFailure(s, e.peer, e.failures, e.firstFailureAt);
}
