/**
 * Id hashes. Views keep the hashes of their ids beside the records, so that a lookup compares
 * numbers that sit side by side and reads a record only on a hash match. A record the core is
 * handed (a sender, a walk's origin, a shuffle's entries) must be hashed too; a record may carry
 * its hash, attached once by whoever made it, so that the core reads the record and not also its
 * id string. At 100,000 simulated nodes both are cache misses, one after the other.
 */
import type { PeerRecord } from "./types.js";

/** A 30-bit FNV-1a hash of an id. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** The key of the hash a record carries. A symbol, so it can be set only through `withIdHash`. */
const ID_HASH: unique symbol = Symbol("idHash");

/** A record that may carry its id's hash. */
type Hashed = PeerRecord & { readonly [ID_HASH]?: number };

/**
 * Attaches `record`'s id hash to it, as a non-enumerable property (the record still compares equal
 * to one without it, and serialises the same), and returns it. Call it before freezing the record,
 * and never change the id afterwards.
 */
export function withIdHash<T extends PeerRecord>(record: T): T {
  Object.defineProperty(record, ID_HASH, { value: idHash(record.id), enumerable: false });
  return record;
}

/** The hash of `record`'s id: the one it carries, or computed from the id. */
export function recordHash(record: PeerRecord): number {
  const h = (record as Hashed)[ID_HASH];
  return h === undefined ? idHash(record.id) : h;
}
