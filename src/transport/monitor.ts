/**
 * The transport's clockwork, as a pure function of one link's timestamps: what is due on it now.
 * The Transport sweeps its links every tick and acts on the answer.
 */
import type { Link } from "./link.js";

export interface MonitorTiming {
  readonly heartbeatIntervalMs: number;
  readonly failureTimeoutMs: number;
  readonly exchangeTimeoutMs: number;
}

export type Due =
  | "nothing"
  /** Dial + handshake took longer than exchangeTimeoutMs: the dial failed. */
  | "handshake-timeout"
  /** A parked link's peer never dialled back within exchangeTimeoutMs. */
  | "parked-timeout"
  /** Active link, nothing received for failureTimeoutMs: the peer hangs (§4.3 failure). */
  | "hung"
  /** Active link, nothing sent for heartbeatIntervalMs. */
  | "heartbeat"
  /** A link that is not active saw no protocol message for its idle limit (idleLimit): the
   * exchange is over, close it. */
  | "idle"
  /** Same, but it still holds messages it could not write: the peer does not read. */
  | "stuck"
  /** We ended our side but the peer did not finish the stream within exchangeTimeoutMs. */
  | "end-timeout";

export function due(link: Link, now: number, t: MonitorTiming): Due {
  switch (link.state) {
    case "handshaking":
      return now - link.createdAt > t.exchangeTimeoutMs ? "handshake-timeout" : "nothing";
    case "parked":
      return now - link.parkedAt > t.exchangeTimeoutMs ? "parked-timeout" : "nothing";
    case "open":
      if (link.active) {
        if (now - link.lastReceived > t.failureTimeoutMs) return "hung";
        return now - link.lastSent >= t.heartbeatIntervalMs && link.idleWrites ? "heartbeat" : "nothing";
      }
      if (now - link.lastActivity <= idleLimit(link, t)) return "nothing";
      return link.closing || link.queue.length > 0 ? "stuck" : "idle";
    case "ended":
      return now - link.lastSent > t.exchangeTimeoutMs ? "end-timeout" : "nothing";
    case "closed":
      return "nothing";
  }
}

/**
 * How long a link that is not active may stay idle. The dialler closes a short-lived exchange
 * after exchangeTimeoutMs; the receiver waits half as long again, so that it is normally the
 * dialler that ends the stream (a half-close after its last write) and no message it writes is
 * cut off in flight by the receiver's timer. The receiver's timer still closes links whose
 * dialler never does (a link active on its side only, or a dialler that vanished).
 */
export function idleLimit(link: Link, t: MonitorTiming): number {
  return link.dialled ? t.exchangeTimeoutMs : t.exchangeTimeoutMs * 1.5;
}

/** How often to sweep: fine enough for every timeout to fire within a quarter of itself (and a
 * heartbeat within its interval), coarse enough to cost nothing. */
export function tickMs(t: MonitorTiming): number {
  return Math.max(5, Math.min(t.heartbeatIntervalMs, t.failureTimeoutMs / 4, t.exchangeTimeoutMs / 4));
}
