/**
 * The protocol core's own domain types: peers, messages, inputs and effects. Nothing here comes
 * from outside src/protocol/; the wire codec (src/wire/) maps these to and from protobuf.
 */

/** One run of one node: who it is, where it listens, and which run (incarnation) it is. */
export interface PeerRecord {
  /** Stable, unique node name; views, links and events are all keyed by it. */
  readonly id: string;
  /** Overlay endpoint, "host:port". A newer incarnation may bring a new address. */
  readonly address: string;
  /** Start time of this run (ms since the epoch, or any value that grows across restarts). */
  readonly incarnation: number;
  /** Labels the node was started with, passed on to watchers unchanged. Never mutated. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** NEIGHBOR priority (§4.3): high when the requester's active view is empty. */
export type NeighborPriority = "high" | "low";

/** Why a peer left the active view; decides the watcher's event and whether it stays passive. */
export type PeerDownReason = "failed" | "disconnected" | "left";

/** The HyParView messages (§4), as the core sends and receives them. The sender is not a field:
 * it is the peer the message came from (`Input.message.from`). */
export type Message =
  /** JOIN: the sender asks its contact to admit it (§4.2). Answered by a NEIGHBOR_REPLY. */
  | { readonly kind: "join"; readonly requestId: number }
  /** FORWARD_JOIN: random walk announcing `joiner` (§4.2). */
  | { readonly kind: "forwardJoin"; readonly joiner: PeerRecord; readonly ttl: number }
  /** NEIGHBOR: asks the receiver to add the sender to its active view (§4.3). */
  | { readonly kind: "neighbor"; readonly priority: NeighborPriority; readonly requestId: number }
  /** NEIGHBOR reply: accept or reject of a NEIGHBOR or JOIN with this request id. */
  | { readonly kind: "neighborReply"; readonly requestId: number; readonly accepted: boolean }
  /** DISCONNECT: the sender dropped the receiver from its active view; `leaving` if it leaves. */
  | { readonly kind: "disconnect"; readonly leaving: boolean }
  /** SHUFFLE: random walk carrying a sample of the origin's views (§4.4). */
  | {
      readonly kind: "shuffle";
      readonly origin: PeerRecord;
      readonly entries: readonly PeerRecord[];
      readonly ttl: number;
      readonly shuffleId: number;
    }
  /** SHUFFLE_REPLY: passive entries sent straight back to the shuffle's origin (§4.4). */
  | { readonly kind: "shuffleReply"; readonly shuffleId: number; readonly entries: readonly PeerRecord[] };

export type MessageKind = Message["kind"];

/** The core's timers. Timers are effects; they are never cancelled: one that fires when it no
 * longer applies re-checks the state and does nothing. */
export type TimerKind =
  /** Start a shuffle (one membership cycle), then re-arm. */
  | "shuffle"
  /** Expire unanswered requests, repair a short active view, rejoin when isolated; then re-arm. */
  | "maintenance"
  /** Retry joining through the contacts (after a backoff). */
  | "join";

/** Everything that can happen to a node. Each goes in with the current time (`step(input, now)`). */
export type Input =
  /** The node starts: arms its timers. Given once, first. */
  | { readonly type: "start" }
  /** Join (or rejoin) through these contact addresses ("host:port"). An empty list means this
   * node starts a new overlay on its own. */
  | { readonly type: "join"; readonly contacts: readonly string[] }
  /** A message arrived from `from` (identified by the link's handshake). */
  | { readonly type: "message"; readonly from: PeerRecord; readonly message: Message }
  /** A link to `peer` completed its handshake (either side dialled). Lets a newer incarnation
   * replace its older self at once. */
  | { readonly type: "linkUp"; readonly peer: PeerRecord }
  /** Communication with `peerId` failed: its link broke, it stopped answering, its queue stayed
   * full, or a message to it could not be delivered. */
  | { readonly type: "linkLost"; readonly peerId: string }
  /** A JOIN to this contact address could not be delivered (unreachable, or it was ourselves). */
  | { readonly type: "contactFailed"; readonly address: string }
  /** A timer armed by a `schedule` effect fired. */
  | { readonly type: "timer"; readonly timer: TimerKind }
  /** Leave the overlay gracefully (DISCONNECT with `leaving` to every active peer). */
  | { readonly type: "leave" };

/** Why an input was ignored without any state change; callers count these. */
export type DropReason =
  | "from-self"
  | "ttl-out-of-range"
  | "too-many-entries"
  | "stale-incarnation"
  | "unexpected-reply"
  | "not-a-neighbor"
  | "not-joined"
  | "left"
  | "not-started";

/** Everything the core asks the outside world to do, or tells it. */
export type Effect =
  /** Deliver `message` to `to`: over its active link if there is one, else over a short-lived
   * link closed after the exchange. Failure comes back as `linkLost`. */
  | { readonly type: "send"; readonly to: PeerRecord; readonly message: Message }
  /** Deliver a JOIN to a contact known only by address; the link it opens is keyed by the id the
   * contact's handshake names. Failure comes back as `contactFailed`. */
  | { readonly type: "sendToContact"; readonly address: string; readonly message: Message }
  /** `peer` entered the active view (pending or confirmed): keep a long-lived link to it. */
  | { readonly type: "connect"; readonly peer: PeerRecord }
  /** `peerId` left the active view: close its long-lived link once queued messages are sent. */
  | { readonly type: "disconnect"; readonly peerId: string }
  /** The link with `peer` is confirmed by both sides: report it to watchers. */
  | { readonly type: "peerUp"; readonly peer: PeerRecord }
  /** A peer that was reported up left the active view. */
  | { readonly type: "peerDown"; readonly peer: PeerRecord; readonly reason: PeerDownReason }
  /** The passive view changed (at most once per input). */
  | { readonly type: "passiveChanged" }
  /** Fire `timer` after `delayMs` milliseconds. */
  | { readonly type: "schedule"; readonly timer: TimerKind; readonly delayMs: number }
  /** The input was ignored and changed nothing, for this reason. */
  | { readonly type: "dropped"; readonly reason: DropReason; readonly from?: string };
