/**
 * The "hyparview" library: start a node in-process and subscribe to its membership with replay,
 * as the Elixir original does (`subscribe(pid, self(), replay: true)`):
 *
 *   const node = await startNode({ id: "app@10.0.0.1", listen: "0.0.0.0:4500", contacts: ["seed:4500"] });
 *   node.subscribe((event) => ..., { replay: true }); // snapshot first, then peerUp / peerDown
 */
export {
  NodeOptionsError,
  startNode,
  type HyParViewNode,
  type NodeOptions,
  type NodePhase,
  type NodeStats,
} from "./node.js";
export type {
  MembershipEvent,
  MembershipListener,
  MembershipSnapshot,
  SubscribeOptions,
} from "./membership/state.js";
export { DEFAULT_PROTOCOL_CONFIG, ConfigError, type ProtocolConfig } from "./protocol/index.js";
export type { PeerDownReason, PeerRecord } from "./protocol/index.js";
export { createLogger, type LogLevel, type LoggerOptions } from "./observability/logger.js";
