/** Id hashes, and the hash a record may carry so that the core need not read its id again. */
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PeerSchema } from "../../gen/hyparview/v1/membership_pb.js";
import { NodeDescriptorSchema } from "../../gen/hyparview/v1/overlay_pb.js";
import { idHash, recordHash, withIdHash } from "../../src/protocol/id-hash.js";
import type { PeerRecord } from "../../src/protocol/index.js";
import { SeededRng } from "../../src/protocol/rng.js";
import { ActiveView } from "../../src/protocol/views.js";
import { simRecord } from "../../src/sim/records.js";
import { decodePeer } from "../../src/wire/peer.js";

const plain = (id: string): PeerRecord => ({ id, address: `${id}:4500`, incarnation: 1, metadata: {} });

/** A record that counts how often its id is read. */
function counting(id: string): { record: PeerRecord; reads: () => number } {
  let n = 0;
  const record = {
    get id() {
      n++;
      return id;
    },
    address: `${id}:4500`,
    incarnation: 1,
    metadata: {},
  };
  return { record, reads: () => n };
}

describe("id hashes", () => {
  it("are 30-bit FNV-1a hashes of the id", () => {
    expect(idHash("")).toBe(0x811c9dc5 & 0x3fffffff);
    expect(idHash("a")).toBe(Math.imul(0x811c9dc5 ^ 97, 0x01000193) & 0x3fffffff);
    for (const id of ["n1", "n2", "app@10.0.0.1", "ü"]) {
      expect(idHash(id)).toBeGreaterThanOrEqual(0);
      expect(idHash(id)).toBeLessThan(2 ** 30);
    }
    expect(idHash("n1")).not.toBe(idHash("n2"));
  });

  it("of a plain record are computed from its id, at every call", () => {
    const { record, reads } = counting("a");
    expect(recordHash(record)).toBe(idHash("a"));
    expect(recordHash(record)).toBe(idHash("a"));
    expect(reads()).toBe(2);
  });

  it("of a record made withIdHash are read from the record, not from its id", () => {
    const { record, reads } = counting("a");
    expect(withIdHash(record)).toBe(record);
    expect(reads()).toBe(1);
    expect(recordHash(record)).toBe(idHash("a"));
    expect(recordHash(record)).toBe(idHash("a"));
    expect(reads()).toBe(1);
  });

  it("leave the record as it was to everyone else: same keys, same JSON, equal to the literal", () => {
    const r = withIdHash(plain("a"));
    expect(Object.keys(r)).toEqual(["id", "address", "incarnation", "metadata"]);
    expect(JSON.stringify(r)).toBe(JSON.stringify(plain("a")));
    expect(r).toEqual(plain("a"));
    expect({ ...r }).toEqual(plain("a"));
  });

  it("cannot be attached to a frozen record", () => {
    expect(() => withIdHash(Object.freeze(plain("a")))).toThrow(TypeError);
  });

  it("are carried by the records the wire codec and the simulator make", () => {
    const decoded = decodePeer(
      create(NodeDescriptorSchema, { peer: create(PeerSchema, { id: "app@10.0.0.1", address: "10.0.0.1:4500" }), incarnation: 7n }),
      "joiner",
    );
    for (const r of [decoded, simRecord(42, 3)]) {
      const symbols = Object.getOwnPropertySymbols(r);
      expect(symbols).toHaveLength(1);
      expect((r as unknown as Record<symbol, unknown>)[symbols[0]!]).toBe(idHash(r.id));
      expect(recordHash(r)).toBe(idHash(r.id));
      expect(Object.isFrozen(r)).toBe(true);
    }
  });

  it("make a carried and a computed record of one id the same peer to a view", () => {
    const v = new ActiveView(3);
    v.add(withIdHash(plain("a")), false, 0, 0, 0, 0);
    v.add(plain("b"), false, 0, 0, 0, 0);
    v.add(withIdHash(plain("c")), false, 0, 0, 0, 0);
    expect(v.indexOfPeer(plain("a"), recordHash(plain("a")))).toBe(0);
    expect(v.indexOfPeer(withIdHash(plain("b")), recordHash(withIdHash(plain("b"))))).toBe(1);
    const rng = new SeededRng(3);
    // Excluding "a" (a plain record) and "c" (a carried one) leaves only "b".
    for (let k = 0; k < 50; k++) expect(v.pickConfirmed(rng, plain("a"), withIdHash(plain("c")))).toBe(1);
  });
});
