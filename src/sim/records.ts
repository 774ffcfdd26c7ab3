/**
 * The simulator's peer records: node `i` is id "n<i>" at address "sim:<i>". Each record also
 * carries its node index and its id hash, inside the object and non-enumerable (it still compares
 * equal to a plain record of the same four fields), so that neither the simulator (turning a
 * record the core hands back into a node index) nor the core (hashing a sender or a shuffle
 * entry) reads the id string: at 100,000 nodes that string is one more cache miss per record
 * read. The core never reads the index; it sees a PeerRecord.
 */
import { withIdHash, type PeerRecord } from "../protocol/index.js";

export const ADDRESS_PREFIX = "sim:";
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

/** A class rather than an object literal: its instances have room inside the object for the
 * two non-enumerable properties (a literal of four has exactly four slots, and a fifth property
 * would live in a separate array). */
class SimRecord implements PeerRecord {
  readonly id: string;
  readonly address: string;
  readonly metadata: Readonly<Record<string, string>> = NO_METADATA;
  declare readonly index: number;

  constructor(
    i: number,
    readonly incarnation: number,
  ) {
    this.id = `n${i}`;
    this.address = ADDRESS_PREFIX + i;
    Object.defineProperty(this, "index", { value: i, enumerable: false });
    withIdHash(this);
    Object.freeze(this);
  }
}

/** A frozen record for run `incarnation` of node `i`. */
export function simRecord(i: number, incarnation: number): PeerRecord {
  return new SimRecord(i, incarnation);
}

/** Whether `p` is one of the simulator's own records (it carries its node index). */
export function isSimRecord(p: unknown): p is PeerRecord & { readonly index: number } {
  return p instanceof SimRecord;
}

/** The node index of `p`: carried by the simulator's own records, parsed from the id of any
 * other ("n<i>"); -1 if it is not one. */
export function peerIndex(p: PeerRecord): number {
  return isSimRecord(p) ? p.index : parseIndex(p.id, 1);
}

/** The decimal number in `s` from `start` to the end, or -1 if it is not one. */
export function parseIndex(s: string, start: number): number {
  if (start >= s.length) return -1;
  let n = 0;
  for (let k = start; k < s.length; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
