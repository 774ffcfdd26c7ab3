/** The pure HyParView core: the only entry point other layers import from src/protocol/. */
export { HyParView } from "./hyparview.js";
export {
  ConfigError,
  DEFAULT_PROTOCOL_CONFIG,
  maxShuffleEntries,
  resolveConfig,
  type ProtocolConfig,
} from "./config.js";
export { SeededRng, randomInt, type Rng } from "./rng.js";
export { withIdHash } from "./id-hash.js";
export { newRecordList, ShuffleMessage, ShuffleReplyMessage } from "./shuffle-messages.js";
export type {
  DropReason,
  Effect,
  Input,
  Message,
  MessageKind,
  NeighborPriority,
  PeerDownReason,
  PeerRecord,
  TimerKind,
} from "./types.js";
export type { RemovalReason } from "./active.js";
