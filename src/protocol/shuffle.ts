/**
 * Shuffle (§4.4): the periodic random walk that exchanges samples of the views and keeps passive
 * views fresh.
 */
import { addPassive } from "./passive.js";
import { SENT_SHUFFLE_MEMORY, type CoreState } from "./state.js";
import type { PeerRecord } from "./types.js";
import { randomInt } from "./rng.js";
import { recordHash } from "./id-hash.js";
import { listed } from "./views.js";
import { newHashList, newRecordList, SentShuffle, ShuffleMessage, ShuffleReplyMessage } from "./shuffle-messages.js";

/** Timer `shuffle`: one membership cycle. Sends SHUFFLE(self + ka active + kp passive, ttl = ARWL)
 * to a random confirmed active peer, then re-arms. */
export function handleShuffleTimer(s: CoreState): void {
  s.schedule("shuffle", s.config.shuffleIntervalMs);
  startShuffle(s);
}

/** Starts one shuffle now (also what a cycle-driven simulation calls through the timer input). */
export function startShuffle(s: CoreState): void {
  const target = s.active.pickConfirmed(s.rng, null, null);
  if (target < 0) return;
  // No literals: V8 must never pretenure these (shuffle-messages.ts).
  const entries = newRecordList();
  const hashes = newHashList();
  entries.push(s.self);
  hashes.push(s.selfHash);
  s.active.sampleConfirmed(s.rng, s.config.shuffleActive, entries, hashes);
  s.passive.sample(s.rng, s.config.shufflePassive, entries, hashes);
  const shuffleId = s.newId();
  s.sentShuffles.push(new SentShuffle(shuffleId, entries, hashes));
  if (s.sentShuffles.length > SENT_SHUFFLE_MEMORY) s.sentShuffles.shift();
  s.send(s.active.peer(target), new ShuffleMessage(s.self, entries, s.config.arwl, shuffleId));
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
    const next = s.active.pickConfirmed(s.rng, from, origin);
    if (next >= 0) {
      s.send(s.active.peer(next), new ShuffleMessage(origin, entries, left, shuffleId));
      return;
    }
  }
  const reply = newRecordList();
  const replyHashes = newHashList();
  s.passive.sample(s.rng, entries.length, reply, replyHashes);
  s.send(origin, new ShuffleReplyMessage(shuffleId, reply));
  integrate(s, entries, reply, replyHashes);
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
  integrate(s, entries, sent!.entries, sent!.hashes);
}

/**
 * Integration (§4.4): skip ourselves, peers already in a view (a newer incarnation of a passive
 * entry replaces it) and peers that left; make room for the rest by evicting first the entries in
 * `sent` (what we gave the other side in this exchange; `sentHashes`: their id hashes), then
 * random ones. Room is made in one pass over the passive view rather than one scan per entry,
 * and each entry's record is read once, to hash its id: the lookups compare hashes, and the record
 * a view already holds is recognised by identity. This runs twice per shuffle, the simulator's
 * hottest path.
 */
function integrate(s: CoreState, entries: readonly PeerRecord[], sent: readonly PeerRecord[], sentHashes: readonly number[]): void {
  const hashes = hashAll(entries);
  const fh = freshHashes;
  fh.length = 0;
  const fresh: PeerRecord[] = [];
  for (let j = 0; j < entries.length; j++) {
    const p = entries[j]!;
    const h = hashes[j]!;
    if (s.isSelf(p, h) || s.active.indexOfPeer(p, h) >= 0 || s.isLeft(p)) continue;
    const known = s.passive.indexOfPeer(p, h);
    if (known >= 0) {
      const held = s.passive.peer(known);
      if (held !== p && p.incarnation > held.incarnation) addPassive(s, p);
      continue;
    }
    if (!listed(h, p, fresh, fh)) {
      fresh.push(p);
      fh.push(h);
    }
  }
  if (fresh.length === 0) return;
  let excess = s.passive.length + fresh.length - s.config.passiveViewSize;
  if (excess > 0 && sent.length > 0) excess -= s.passive.removeSome(sent, sentHashes, excess);
  while (excess > 0 && s.passive.length > 0) {
    s.passive.removeAt(randomInt(s.rng, s.passive.length));
    excess--;
  }
  // More new entries than the whole view holds: keep the last ones, as adding one by one would.
  for (let i = Math.max(0, fresh.length - s.config.passiveViewSize); i < fresh.length; i++) {
    s.passive.add(fresh[i]!, 0, 0, 0, fh[i]);
  }
  s.markPassiveChanged();
}

/** Id hashes of `entries`, in a scratch array reused from call to call. The entries are other
 * nodes' records: hashed in a loop that does nothing else, several of them are fetched from memory
 * at once, where the integration loop would wait for each in turn (at 100,000 simulated nodes
 * each is a cache miss). */
const scratchHashes: number[] = [];
function hashAll(entries: readonly PeerRecord[]): readonly number[] {
  for (let j = 0; j < entries.length; j++) scratchHashes[j] = recordHash(entries[j]!);
  return scratchHashes;
}

/** The id hashes of the entries `integrate` keeps, beside them (a scratch array, reused). */
const freshHashes: number[] = [];
