/**
 * Joining (§4.2): JOIN to a contact, the contact's FORWARD_JOIN random walks, and the retries
 * with backoff that a real network needs (contacts may start after us, or be gone).
 */
import { addActive, confirmActive } from "./active.js";
import { recordHash } from "./id-hash.js";
import { addPassive } from "./passive.js";
import { randomInt } from "./rng.js";
import type { CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";

/** Input `join`: remember the contacts and send JOIN through one of them now. An empty list
 * means this node starts a new overlay (or keeps the contacts it had). */
export function handleJoinInput(s: CoreState, contacts: readonly string[]): void {
  if (contacts.length === 0) return;
  s.contacts = contacts.slice();
  s.joinFailures = 0;
  s.nextJoinAt = s.now;
  sendJoin(s);
}

/** Sends JOIN to a random contact and waits for its NEIGHBOR reply (expired by maintenance). */
export function sendJoin(s: CoreState): void {
  const address = s.contacts[randomInt(s.rng, s.contacts.length)]!;
  const requestId = s.newId();
  s.join = { requestId, address, sentAt: s.now };
  s.emit({ type: "sendToContact", address, message: { kind: "join", requestId } });
}

/** The JOIN attempt failed (contact unreachable, or no answer in time): retry after a backoff
 * that doubles per failure, with jitter so that nodes started together do not retry together. */
export function joinFailed(s: CoreState): void {
  s.join = null;
  s.joinFailures++;
  const c = s.config;
  const ceiling = Math.min(c.joinBackoffMaxMs, c.joinBackoffMinMs * 2 ** Math.min(s.joinFailures - 1, 30));
  const delay = Math.max(1, Math.round(ceiling / 2 + s.rng.next() * (ceiling / 2)));
  s.nextJoinAt = s.now + delay;
  s.schedule("join", delay);
}

/** Whether the node is isolated and should go (back) to its contacts: no confirmed active peer,
 * no join under way, and the backoff elapsed. */
export function shouldRejoin(s: CoreState, hasFreshPassive: boolean): boolean {
  return (
    s.status === "running" &&
    s.contacts.length > 0 &&
    s.join === null &&
    s.upCount() === 0 &&
    !hasFreshPassive &&
    s.now >= s.nextJoinAt
  );
}

/** Input `contactFailed`. */
export function handleContactFailed(s: CoreState, address: string): void {
  if (s.join !== null && s.join.address === address) joinFailed(s);
}

/** A NEIGHBOR reply that answers our JOIN: the contact admitted us. */
export function onJoinAccepted(s: CoreState, from: PeerRecord): void {
  s.join = null;
  s.joinFailures = 0;
  const i = s.active.indexOfRecord(from);
  if (i >= 0) confirmActive(s, i);
  else addActive(s, from, false, 0);
}

/**
 * JOIN received (§4.2): add the joiner to the active view, dropping a random member if full, then
 * send FORWARD_JOIN(joiner, ARWL) to every other confirmed member. The eviction happens first, so
 * the evicted peer gets no FORWARD_JOIN (DESIGN.md: use the view after the eviction).
 */
export function onJoin(s: CoreState, from: PeerRecord, requestId: number): void {
  const i = s.active.indexOfRecord(from);
  if (i >= 0) {
    // A retried JOIN (our answer was lost or late): answer again, do not walk again.
    confirmActive(s, i);
  } else {
    addActive(s, from, false, 0);
    for (let k = 0; k < s.active.length; k++) {
      const p = s.active.peer(k);
      if (p.id !== from.id && !s.active.pending(k)) {
        s.send(p, { kind: "forwardJoin", joiner: from, ttl: s.config.arwl });
      }
    }
  }
  s.send(from, { kind: "neighborReply", requestId, accepted: true });
}

/**
 * FORWARD_JOIN received (§4.2). If ttl is 0 or our active view has a single member (the paper's
 * prose; its pseudocode says zero members), the walk ends here: link with the joiner by sending it
 * a high-priority NEIGHBOR (pending until it accepts, so no one reports a link the joiner never
 * saw). Otherwise add the joiner to the passive view when ttl equals PRWL, and pass the walk on
 * with ttl - 1 to a random confirmed active peer other than the sender.
 */
export function onForwardJoin(s: CoreState, from: PeerRecord, joiner: PeerRecord, ttl: number): void {
  const joinerHash = recordHash(joiner);
  const isSelf = s.isSelf(joiner, joinerHash);
  const next =
    ttl === 0 || s.active.length === 1
      ? -1
      : s.active.pickConfirmed(s.rng, from, joiner);
  if (next < 0) {
    // The walk ends here (ttl 0, a single active member, or nobody left to pass it to).
    if (!isSelf && s.active.indexOfPeer(joiner, joinerHash) < 0 && !s.isLeft(joiner)) {
      const requestId = s.newId();
      addActive(s, joiner, true, requestId);
      s.send(joiner, { kind: "neighbor", priority: "high", requestId });
    }
    return;
  }
  if (ttl === s.config.prwl && !isSelf) addPassive(s, joiner);
  s.send(s.active.peer(next), { kind: "forwardJoin", joiner, ttl: ttl - 1 });
}
