/**
 * Links between neighbors (§4.2, §4.3): NEIGHBOR requests and their replies, DISCONNECT, and what
 * happens when a link is lost.
 */
import { addActive, confirmActive, removeActive, repair } from "./active.js";
import { onJoinAccepted, joinFailed } from "./join.js";
import { onProbeReply, probeFailed } from "./probe.js";
import { recordFailure, removePassive } from "./passive.js";
import type { CoreState } from "./state.js";
import type { NeighborPriority, PeerRecord } from "./types.js";


/**
 * NEIGHBOR received (§4.3): always accept high priority (the sender has no active peer; drop a
 * random member if full); accept low priority only with a free slot. A slot held by one of our
 * own pending requests counts as free (the paper's requester holds no slot until answered): the
 * request is given up instead. Otherwise two short nodes, each busy asking full nodes, would
 * reject each other forever. The answer carries the request id. A peer that is already a member
 * (crossing requests) is confirmed and accepted.
 */
export function onNeighbor(s: CoreState, from: PeerRecord, priority: NeighborPriority, requestId: number): void {
  const i = s.active.indexOfRecord(from);
  if (i >= 0) {
    confirmActive(s, i);
  } else if (priority === "high" || s.upCount() < s.config.activeViewSize) {
    addActive(s, from, false, 0);
  } else {
    s.send(from, { kind: "neighborReply", requestId, accepted: false });
    return;
  }
  s.send(from, { kind: "neighborReply", requestId, accepted: true });
}

/**
 * NEIGHBOR reply received: it must answer the request we are waiting on (our pending NEIGHBOR to
 * that peer, or our JOIN). Anything else is late: it never brings a lost peer back, and an
 * acceptance we no longer want gets a DISCONNECT so the other side does not keep a one-sided link.
 */
export function onNeighborReply(s: CoreState, from: PeerRecord, requestId: number, accepted: boolean): void {
  if (accepted && s.predatesDisconnect(from.id, requestId)) {
    // We dropped that peer after asking it: our DISCONNECT, behind this answer on the link,
    // undoes the acceptance on its side, so it must not be taken up on ours.
    s.drop("unexpected-reply", from.id);
    if (s.join !== null && s.join.requestId === requestId) joinFailed(s);
    if (s.probe !== null && s.probe.requestId === requestId) s.probe = null;
    return;
  }
  const i = s.active.indexOfRecord(from);
  if (i >= 0 && s.active.pending(i) && s.active.requestId(i) === requestId) {
    if (accepted) {
      confirmActive(s, i);
    } else {
      // Rejected: it stays in the passive view; try another passive peer (§4.3).
      removeActive(s, i, "rejected");
      repair(s);
    }
    return;
  }
  if (s.join !== null && s.join.requestId === requestId) {
    if (accepted) onJoinAccepted(s, from);
    else joinFailed(s);
    return;
  }
  if (s.probe !== null && s.probe.requestId === requestId) {
    onProbeReply(s, from, accepted);
    return;
  }
  s.drop("unexpected-reply", from.id);
  // Linked or asked again since: the other side holds us already, or will answer the newer
  // request; a DISCONNECT now would undo that newer link on its side only.
  if (i >= 0) return;
  if (accepted) s.sendDisconnect(from, false);
}

/**
 * DISCONNECT received (§4.2): the sender dropped us. An evicted link stays as a passive entry on
 * both sides; a leaving node is forgotten and kept out of the views for a while. Then repair.
 */
export function onDisconnect(s: CoreState, from: PeerRecord, leaving: boolean): void {
  if (leaving) {
    s.markLeft(from, s.now + s.config.leftDenyMs);
    removePassive(s, from.id);
  }
  const i = s.active.indexOfRecord(from);
  if (i < 0) {
    if (!leaving) s.drop("not-a-neighbor", from.id);
    return;
  }
  removeActive(s, i, leaving ? "left" : "disconnected");
  repair(s);
}

/**
 * Input `linkLost` (§4.3): an active peer failed, or a pending request's link did: remove it and
 * repair from the passive view. A failed exchange with a passive peer counts as a failed attempt.
 */
export function handleLinkLost(s: CoreState, peerId: string): void {
  if (s.probe !== null && s.probe.peerId === peerId) return probeFailed(s, peerId);
  const i = s.active.indexOf(peerId);
  if (i >= 0) {
    removeActive(s, i, "failed");
    repair(s);
    return;
  }
  const p = s.passive.indexOf(peerId);
  if (p >= 0) {
    recordFailure(s, s.passive.peer(p), s.passive.failures(p), s.passive.firstFailureAt(p));
    return;
  }
  s.drop("not-a-neighbor", peerId);
}
