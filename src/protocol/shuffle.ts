/**
 * Shuffle (§4.4): the periodic random walk that exchanges samples of the views and keeps passive
 * views fresh.
 */
import { addPassive } from "./passive.js";
import { SENT_SHUFFLE_MEMORY, type CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";
import { indexOfId, pickRandomIndex, sample } from "./views.js";

/** Timer `shuffle`: one membership cycle. Sends SHUFFLE(self + ka active + kp passive, ttl = ARWL)
 * to a random confirmed active peer, then re-arms. */
export function handleShuffleTimer(s: CoreState): void {
  s.schedule("shuffle", s.config.shuffleIntervalMs);
  startShuffle(s);
}

/** Starts one shuffle now (also what a cycle-driven simulation calls through the timer input). */
export function startShuffle(s: CoreState): void {
  const target = pickRandomIndex(s.rng, s.active, (e) => !e.pending);
  if (target < 0) return;
  const entries: PeerRecord[] = [s.self];
  for (const e of sample(s.rng, s.active, s.config.shuffleActive, (a) => !a.pending)) entries.push(e.peer);
  for (const e of sample(s.rng, s.passive, s.config.shufflePassive)) entries.push(e.peer);
  const shuffleId = s.newId();
  s.sentShuffles.push({ shuffleId, entries });
  if (s.sentShuffles.length > SENT_SHUFFLE_MEMORY) s.sentShuffles.shift();
  s.send(s.active[target]!.peer, { kind: "shuffle", origin: s.self, entries, ttl: s.config.arwl, shuffleId });
}

/**
 * SHUFFLE received (§4.4): decrement ttl; while it is above 0 and we have more than one active
 * peer, pass it on to a random confirmed active peer other than the one it came from. Otherwise
 * accept: reply to the origin with as many random passive entries as we received (over a
 * short-lived link), and integrate what we received, evicting first what we sent back.
 */
export function onShuffle(
  s: CoreState,
  from: PeerRecord,
  origin: PeerRecord,
  entries: readonly PeerRecord[],
  ttl: number,
  shuffleId: number,
): void {
  const left = ttl - 1;
  if (left > 0 && s.active.length > 1) {
    const next = pickRandomIndex(s.rng, s.active, (e) => !e.pending && e.peer.id !== from.id && e.peer.id !== origin.id);
    if (next >= 0) {
      s.send(s.active[next]!.peer, { kind: "shuffle", origin, entries, ttl: left, shuffleId });
      return;
    }
  }
  const reply = sample(s.rng, s.passive, entries.length).map((e) => e.peer);
  s.send(origin, { kind: "shuffleReply", shuffleId, entries: reply });
  integrate(s, entries, reply);
}

/** SHUFFLE_REPLY received: integrate it, evicting first the entries we sent in that shuffle. A
 * reply to no shuffle of ours is dropped (it could only be late or forged). */
export function onShuffleReply(s: CoreState, from: PeerRecord, shuffleId: number, entries: readonly PeerRecord[]): void {
  const i = s.sentShuffles.findIndex((x) => x.shuffleId === shuffleId);
  if (i < 0) {
    s.drop("unexpected-reply", from.id);
    return;
  }
  const [sent] = s.sentShuffles.splice(i, 1);
  integrate(s, entries, sent!.entries);
}

/** Integration (§4.4): skip ourselves and peers already known (a newer incarnation of a passive
 * entry replaces it); when the passive view is full, evict the entries in `sent` first. */
function integrate(s: CoreState, entries: readonly PeerRecord[], sent: readonly PeerRecord[]): void {
  for (const p of entries) {
    if (indexOfId(s.active, p.id) >= 0) continue;
    addPassive(s, p, sent);
  }
}
