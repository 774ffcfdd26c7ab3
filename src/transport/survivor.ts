/**
 * Two links between the same two nodes (both dialled at the same moment, or a contact dial that
 * turned out to reach a peer we already have a link with): exactly one survives, and both nodes
 * must pick the same one without talking about it. The rule depends only on who dialled each
 * link, on the two ids, and (for two links dialled by the same node) on what the dialler knew.
 */

export interface LinkFacts {
  /** We dialled it (we are its client). */
  readonly dialledByUs: boolean;
  /** The dialler named the expected id in its handshake (false for a contact dial). */
  readonly targetKnown: boolean;
  /** The stream is already gone (parked after the peer refused it). */
  readonly dead: boolean;
}

/**
 * Which survives: the link we already had (`existing`) or the one whose handshake just completed
 * (`incoming`)?
 * - A dead link always gives way.
 * - Dialled by different nodes (a simultaneous dial): the one dialled by the node with the
 *   smaller id. Both sides compute the same answer.
 * - Both dialled by us: a node only dials a peer it has a link with when it dials a contact
 *   address, so the incoming one is a contact dial and the existing link stays.
 * - Both dialled by the peer: if the new one names us as its target, the peer dialled by id,
 *   which it does only when it has no link to us: the old one is stale on its side, so the new one
 *   wins. A contact dial from the peer gives way to the existing link, as it does on the peer's
 *   side (previous rule).
 */
export function survivor(selfId: string, peerId: string, existing: LinkFacts, incoming: LinkFacts): "existing" | "incoming" {
  if (existing.dead) return "incoming";
  if (existing.dialledByUs !== incoming.dialledByUs) {
    const smallerDialled = selfId < peerId ? "us" : "peer";
    const existingBy = existing.dialledByUs ? "us" : "peer";
    return existingBy === smallerDialled ? "existing" : "incoming";
  }
  if (existing.dialledByUs) return "existing";
  return incoming.targetKnown ? "incoming" : "existing";
}
