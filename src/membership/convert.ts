/** Membership (snapshots and events) -> the client API's protobuf messages. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  MembershipSnapshotSchema,
  PeerDownReason as ApiPeerDownReason,
  type MembershipSnapshot as ApiSnapshot,
  type WatchMembershipResponseSchema,
} from "../../gen/hyparview/v1/membership_pb.js";
import type { PeerDownReason } from "../protocol/index.js";
import { toApiPeer } from "../wire/index.js";
import type { MembershipEvent, MembershipSnapshot } from "./state.js";

const REASONS: Record<PeerDownReason, ApiPeerDownReason> = {
  failed: ApiPeerDownReason.FAILED,
  disconnected: ApiPeerDownReason.DISCONNECTED,
  left: ApiPeerDownReason.LEFT,
};

export function toApiReason(reason: PeerDownReason): ApiPeerDownReason {
  return REASONS[reason];
}

/** The snapshot message; the passive view only when asked for (proto: include_passive). */
export function toApiSnapshot(s: MembershipSnapshot, includePassive: boolean): ApiSnapshot {
  return create(MembershipSnapshotSchema, {
    self: toApiPeer(s.self),
    active: s.active.map(toApiPeer),
    passive: includePassive ? s.passive.map(toApiPeer) : [],
  });
}

/** One WatchMembership message. */
export function toWatchResponse(
  event: MembershipEvent,
  includePassive: boolean,
): MessageInitShape<typeof WatchMembershipResponseSchema> {
  const revision = BigInt(event.revision);
  switch (event.type) {
    case "snapshot":
      return { revision, event: { case: "snapshot", value: toApiSnapshot(event, includePassive) } };
    case "peerUp":
      return { revision, event: { case: "peerUp", value: { peer: toApiPeer(event.peer) } } };
    case "peerDown":
      return {
        revision,
        event: { case: "peerDown", value: { peer: toApiPeer(event.peer), reason: toApiReason(event.reason) } },
      };
  }
}
