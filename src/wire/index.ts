/** The wire codec: core types (src/protocol/) <-> generated protobuf (gen/), validated on decode.
 * Only this layer and the API layer import gen/. */
export { formatAddress, parseAddress, type HostPort } from "./address.js";
export { WireError, type WireErrorReason } from "./errors.js";
export { checkSize, decodeFrame, encodeHandshake, encodeHeartbeat, encodedSize, type Frame } from "./frames.js";
export {
  MAX_ADDRESS_BYTES,
  MAX_ID_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_KEY_BYTES,
  MAX_METADATA_VALUE_BYTES,
  PROTOCOL_VERSION,
  grpcMessageLimits,
  maxPeerBytes,
} from "./limits.js";
export { decodeMessage, encodeMessage } from "./message.js";
export {
  checkAddress,
  checkId,
  checkMetadata,
  checkPeer,
  decodePeer,
  encodePeer,
  toApiPeer,
  toSafeNumber,
  toUint64,
} from "./peer.js";
