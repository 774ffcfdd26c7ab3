/**
 * Beyond the paper: probes, the two cases where the paper's rules leave an overlay split.
 *
 * 1. Repair (§4.3) only runs while the active view is short. When a partition heals and every
 *    node on both sides has refilled its active view inside its own half, nobody would ever try
 *    the entries that point across the old cut. So a node whose view is full sends, at most once
 *    per `probeIntervalMs`, a high-priority NEIGHBOR to one passive entry that failed before
 *    (peers lost in a partition are such entries). If it answers, the link is made (each side
 *    drops a random neighbor to make room): one link across the cut merges the halves, and
 *    shuffles do the rest. In a healthy overlay there are no failed entries: nothing is probed.
 *    (Unless an exchange with a live peer timed out on a slow host, a request or a short-lived
 *    link, and nothing from that peer reached us since: the node holding that record probes
 *    once, two links are rewired, and the answer clears that node's failure records.)
 * 2. Low-priority NEIGHBORs are accepted only into free slots. A few short nodes linked only to
 *    each other (a small island left by a heal, or by churn) are refused by every full node
 *    forever. So a node whose view has stayed short for `STUCK_AFTER_PROBES` probe intervals
 *    probes a random passive entry with high priority, at most once per interval. The price: in a
 *    cluster whose slots cannot all be paired (7 nodes x 5 slots), the one free slot moves to
 *    another node every few probe intervals.
 */
import { addActive } from "./active.js";
import { recordFailure } from "./passive.js";
import type { CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";

/** Probe intervals a short view waits before it probes (case 2 above). */
export const STUCK_AFTER_PROBES = 3;

/** Called by maintenance: expires an unanswered probe, then maybe sends the next one. */
export function maybeProbe(s: CoreState): void {
  const interval = s.config.probeIntervalMs;
  if (interval === 0) return;
  if (s.probe !== null) {
    if (s.now - s.probe.sentAt < s.config.requestTimeoutMs) return;
    probeFailed(s, s.probe.peerId);
  }
  if (s.now < s.nextProbeAt) return;
  const size = s.config.activeViewSize;
  let i: number;
  if (s.active.length >= size && s.upCount() >= size) {
    i = s.passive.pick(s.rng, "failed", s.now);
  } else if (s.shortSince !== null && s.now - s.shortSince >= STUCK_AFTER_PROBES * interval) {
    i = s.passive.pick(s.rng, "any", s.now);
  } else {
    return;
  }
  if (i < 0) return;
  const peer = s.passive.peer(i);
  s.passive.setRetryAt(i, s.now + interval);
  s.nextProbeAt = s.now + interval;
  const requestId = s.newId();
  s.probe = { requestId, peerId: peer.id, sentAt: s.now };
  s.probesSent++;
  s.send(peer, { kind: "neighbor", priority: "high", requestId });
}

/**
 * The probed peer answered: link with it, dropping a random neighbor if the view is full. A peer
 * that had failed is reachable again, so whatever cut us off has healed: the other failure
 * records are forgotten too. Otherwise each of them would be probed in turn, and every answer
 * would rewire two more links of an overlay that is already whole again.
 */
export function onProbeReply(s: CoreState, from: PeerRecord, accepted: boolean): void {
  s.probe = null;
  if (!accepted) return;
  for (let i = 0; i < s.passive.length; i++) s.passive.clearFailures(i);
  if (s.active.indexOfRecord(from) < 0) addActive(s, from, false, 0);
}

/** The probe could not be delivered or went unanswered: one more failure for that entry. */
export function probeFailed(s: CoreState, peerId: string): void {
  s.probe = null;
  const i = s.passive.indexOf(peerId);
  if (i < 0) return;
  recordFailure(s, s.passive.peer(i), s.passive.failures(i), s.passive.firstFailureAt(i));
}
