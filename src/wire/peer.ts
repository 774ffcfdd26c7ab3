/** PeerRecord (the core's) <-> NodeDescriptor (the wire's), validated on decode. */
import { create } from "@bufbuild/protobuf";
import { PeerSchema, type Peer } from "../../gen/hyparview/v1/membership_pb.js";
import { NodeDescriptorSchema, type NodeDescriptor } from "../../gen/hyparview/v1/overlay_pb.js";
import { withIdHash, type PeerRecord } from "../protocol/index.js";
import { parseAddress } from "./address.js";
import { WireError } from "./errors.js";
import {
  MAX_ADDRESS_BYTES,
  MAX_ID_BYTES,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_KEY_BYTES,
  MAX_METADATA_VALUE_BYTES,
} from "./limits.js";

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** A uint64 from the wire as a number; rejects values a JS number cannot hold exactly. */
export function toSafeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new WireError("number-out-of-range", `${field} ${value} > Number.MAX_SAFE_INTEGER`);
  }
  return Number(value);
}

/** A number from the core as a uint64. */
export function toUint64(value: number): bigint {
  return BigInt(value);
}

/** Checks a node id: non-empty, at most MAX_ID_BYTES. */
export function checkId(id: string, field = "id"): void {
  if (id.length === 0) throw new WireError("invalid-id", `${field} is empty`);
  if (utf8(id) > MAX_ID_BYTES) throw new WireError("invalid-id", `${field} longer than ${MAX_ID_BYTES} bytes`);
}

/** Checks an overlay address: "host:port" with port 1-65535, at most MAX_ADDRESS_BYTES. */
export function checkAddress(address: string): void {
  if (utf8(address) > MAX_ADDRESS_BYTES) {
    throw new WireError("invalid-address", `address longer than ${MAX_ADDRESS_BYTES} bytes`);
  }
  if (parseAddress(address) === null) {
    throw new WireError("invalid-address", `address ${JSON.stringify(address)} is not host:port (port 1-65535)`);
  }
}

/** Checks metadata: at most MAX_METADATA_ENTRIES, keys non-empty and short, values bounded. */
export function checkMetadata(metadata: Readonly<Record<string, string>>): void {
  const keys = Object.keys(metadata);
  if (keys.length > MAX_METADATA_ENTRIES) {
    throw new WireError("invalid-metadata", `${keys.length} metadata entries > ${MAX_METADATA_ENTRIES}`);
  }
  for (const k of keys) {
    if (k.length === 0) throw new WireError("invalid-metadata", "empty metadata key");
    if (utf8(k) > MAX_METADATA_KEY_BYTES) {
      throw new WireError("invalid-metadata", `metadata key longer than ${MAX_METADATA_KEY_BYTES} bytes`);
    }
    if (utf8(metadata[k]!) > MAX_METADATA_VALUE_BYTES) {
      throw new WireError("invalid-metadata", `metadata value of ${k} longer than ${MAX_METADATA_VALUE_BYTES} bytes`);
    }
  }
}

/** Checks a whole PeerRecord against the wire rules (e.g. our own, before we advertise it). */
export function checkPeer(peer: PeerRecord): void {
  checkId(peer.id);
  checkAddress(peer.address);
  checkMetadata(peer.metadata);
  if (!Number.isSafeInteger(peer.incarnation) || peer.incarnation < 0) {
    throw new WireError("number-out-of-range", `incarnation ${peer.incarnation} is not a safe non-negative integer`);
  }
}

export function encodePeer(peer: PeerRecord): NodeDescriptor {
  return create(NodeDescriptorSchema, {
    peer: create(PeerSchema, { id: peer.id, address: peer.address, metadata: { ...peer.metadata } }),
    incarnation: toUint64(peer.incarnation),
  });
}

/** Decodes and validates a NodeDescriptor; `field` names it in errors. Throws WireError. */
export function decodePeer(d: NodeDescriptor | undefined, field: string): PeerRecord {
  if (d === undefined) throw new WireError("missing-field", `${field} is missing`);
  const p = d.peer;
  if (p === undefined) throw new WireError("missing-field", `${field}.peer is missing`);
  checkId(p.id, `${field}.peer.id`);
  checkAddress(p.address);
  checkMetadata(p.metadata);
  const incarnation = toSafeNumber(d.incarnation, `${field}.incarnation`);
  // Frozen copies: the core keeps peer records and never expects them to change under it. Each
  // carries its id hash, which the core would otherwise compute from the id at every message.
  return Object.freeze(
    withIdHash({
      id: p.id,
      address: p.address,
      incarnation,
      metadata: Object.freeze({ ...p.metadata }),
    }),
  );
}

/** The client API's view of a peer (membership.proto `Peer`: no incarnation). */
export function toApiPeer(peer: PeerRecord): Peer {
  return create(PeerSchema, { id: peer.id, address: peer.address, metadata: { ...peer.metadata } });
}
