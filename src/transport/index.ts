/** The peer transport: OverlayService/Connect streams over grpc-js. */
export { Transport } from "./transport.js";
export {
  TRANSPORT_DEFAULTS,
  type TransportHandlers,
  type TransportOptions,
  type TransportStats,
} from "./types.js";
