/**
 * What the cores' effects do on the simulated network (the model is described in
 * src/sim/engine.ts): a send becomes a delivery after a latency, or fails at once when nothing can
 * connect; a dial or a close changes the links; and every failure reaches the node concerned as a
 * notice after the detection delay. The engine runs the events; this turns one step's effects into
 * them.
 */
import type { Effect, Message } from "../protocol/index.js";
import type { Engine } from "./engine.js";
import { EV_CONTACT_FAILED, EV_DELIVER, EV_DELIVER_CONTACT, EV_DELIVER_LINKED, EV_LINK_CLOSED, EV_LINK_LOST, EV_LINK_UP, EV_TIMER } from "./events.js";
import { PairClock } from "./pairs.js";
import { ADDRESS_PREFIX, parseIndex, peerIndex } from "./records.js";

export class Network {
  /** Per-pair time of the last delivery scheduled, for FIFO order with random latencies. */
  private readonly pairClock = new PairClock();
  /** The last handshake scheduled (see `handshake`). */
  private lastHandshakeFrom = -1;
  private lastHandshakeTo = -1;
  private lastHandshakeAt = -1;
  /** The last failure notice scheduled (see `notifyLinkLost`). */
  private lastNoticeHolder = -1;
  private lastNoticePeer = "";
  private lastNoticeAt = -1;

  constructor(private readonly e: Engine) {}

  /** Turns node `i`'s effects of one step into events. */
  apply(i: number, effects: readonly Effect[]): void {
    const e = this.e;
    const stats = e.stats;
    for (let k = 0; k < effects.length; k++) {
      const x = effects[k]!;
      switch (x.type) {
        case "send": {
          const t = peerIndex(x.to);
          this.transmit(EV_DELIVER, i, t, x.message);
          if (x.to.incarnation !== e.incarnation[t] && e.up[t] === 1) this.handshake(i, t);
          break;
        }
        case "sendToContact": {
          const t = this.addressIndex(x.address);
          if (t < 0 || t === i) {
            stats.messagesSent++;
            e.networkPending++;
            // Nobody at that address (or it is ourselves): refused after the detection delay.
            e.queue.pushKeyed(e.now + e.options.detectionDelayMs, e.nextKey(), EV_CONTACT_FAILED, i, e.incarnation[i]!, 0, x.address, null);
          } else {
            this.transmit(EV_DELIVER_CONTACT, i, t, x.message);
          }
          break;
        }
        case "connect": {
          const t = peerIndex(x.peer);
          e.notSplit("a new link");
          if (e.up[t] === 1 && (!e.partitioned || e.side[t] === e.side[i])) {
            e.links.add(i, t, e.now);
            if (x.peer.incarnation !== e.incarnation[t]) this.handshake(i, t);
          } else {
            // Nothing answers the dial (down, or across a partition): the dialler finds out, whether
            // or not crashes of linked peers are detected.
            this.notifyLinkLost(i, x.peer.id);
          }
          break;
        }
        case "disconnect": {
          const t = parseIndex(x.peerId, 1);
          e.notSplit("a closed link");
          e.links.remove(i, t);
          this.closeConnection(i, t);
          break;
        }
        case "peerUp":
          stats.peerUp++;
          e.hooks?.peerUp?.(i, x.peer, e.now);
          break;
        case "peerDown":
          stats.peerDown++;
          e.hooks?.peerDown?.(i, x.peer, x.reason, e.now);
          break;
        case "passiveChanged":
          stats.passiveChanged++;
          break;
        case "schedule":
          if (e.timersOn) {
            e.queue.pushKeyed(e.now + x.delayMs, e.nextKey(), EV_TIMER, i, e.incarnation[i]!, 0, x.timer, null);
          }
          break;
        case "dropped":
          stats.coreDropped[x.reason]++;
          break;
      }
    }
  }

  /**
   * Puts `message` from `from` to `to` on the wire: lost, failed at once (the target is down or
   * across a partition: nothing can connect), or delivered after a latency.
   */
  private transmit(kind: number, from: number, to: number, message: Message): void {
    const e = this.e;
    const stats = e.stats;
    stats.messagesSent++;
    stats.sentByKind[message.kind]++;
    const o = e.options;
    if (o.loss > 0 && e.netRng.next() < o.loss) {
      stats.lost++;
      return;
    }
    if (e.up[to] !== 1 || (e.partitioned && e.side[to] !== e.side[from])) {
      if (e.up[to] !== 1) stats.deadTarget++;
      else stats.partitioned++;
      this.sendFailed(kind, from, e.incarnation[from]!, to);
      return;
    }
    if (kind === EV_DELIVER && e.links.has(from, to)) kind = EV_DELIVER_LINKED;
    let at = e.now + o.latencyMin;
    if (o.latencyMax !== o.latencyMin) {
      at += e.netRng.next() * (o.latencyMax - o.latencyMin);
      if (o.fifo) at = this.pairClock.next(from, to, at, e.now);
    }
    const r = e.remote;
    if (r !== null && (to < r.lo || to >= r.hi)) {
      r.send(at, e.nextKey(), kind, to, e.incarnation[to]!, from, message);
      return;
    }
    e.networkPending++;
    e.queue.pushKeyed(at, e.nextKey(), kind, to, e.incarnation[to]!, from, message, e.records[from]!);
  }

  /** A message from `sender` (run `senderInc`) could not reach `to`: tell the sender, if it is
   * still the same run. */
  sendFailed(kind: number, sender: number, senderInc: number, to: number): void {
    const e = this.e;
    if (e.up[sender] !== 1 || e.incarnation[sender] !== senderInc) return;
    if (kind === EV_DELIVER_CONTACT) {
      e.mustOwn(sender, "a contact failure notice");
      e.networkPending++;
      e.queue.pushKeyed(e.now + e.options.detectionDelayMs, e.nextKey(), EV_CONTACT_FAILED, sender, senderInc, 0, ADDRESS_PREFIX + to, null);
    } else {
      this.notifyLinkLost(sender, e.records[to]!.id);
    }
  }

  /**
   * `closer`'s core dropped `t` (`disconnect`): the transport closes the pair's one connection once
   * what is queued on it is sent. If `t` still uses that connection (holds a link to `closer`,
   * e.g. after `closer` declared it failed without a DISCONNECT), it sees it end: `linkLost`.
   * A graceful DISCONNECT arrives first and makes `t` drop its link, so nothing more happens.
   */
  private closeConnection(closer: number, t: number): void {
    const e = this.e;
    if (e.up[t] !== 1 || (e.partitioned && e.side[t] !== e.side[closer])) return;
    e.mustOwn(t, "a connection close");
    const o = e.options;
    let at = e.now + o.latencyMax;
    if (o.latencyMax !== o.latencyMin && o.fifo) at = this.pairClock.next(closer, t, at, e.now);
    e.networkPending++;
    e.queue.pushKeyed(at, e.nextKey(), EV_LINK_CLOSED, t, e.incarnation[t]!, closer, e.now, null);
  }

  /**
   * `dialler` reached node `t` holding an older record of it (t restarted since): the handshake
   * names the running incarnation, which the transport reports as `linkUp` one latency later.
   * One per dialler, peer and instant (a connect and its message are one dial).
   */
  private handshake(dialler: number, t: number): void {
    const e = this.e;
    const at = e.now + e.options.latencyMin;
    if (this.lastHandshakeFrom === dialler && this.lastHandshakeTo === t && this.lastHandshakeAt === at) return;
    this.lastHandshakeFrom = dialler;
    this.lastHandshakeTo = t;
    this.lastHandshakeAt = at;
    e.networkPending++;
    e.queue.pushKeyed(at, e.nextKey(), EV_LINK_UP, dialler, e.incarnation[dialler]!, 0, e.records[t]!, null);
  }

  /** `holder` will learn, after the detection delay, that its link (or exchange) with `peerId`
   * failed. One notice per holder, peer and instant: a failed connect and the message sent with
   * it in the same step are one failure. */
  notifyLinkLost(holder: number, peerId: string): void {
    const e = this.e;
    if (e.up[holder] !== 1) return;
    const at = e.now + e.options.detectionDelayMs;
    if (this.lastNoticeHolder === holder && this.lastNoticePeer === peerId && this.lastNoticeAt === at) return;
    e.mustOwn(holder, "a link failure notice");
    this.lastNoticeHolder = holder;
    this.lastNoticePeer = peerId;
    this.lastNoticeAt = at;
    e.networkPending++;
    e.queue.pushKeyed(at, e.nextKey(), EV_LINK_LOST, holder, e.incarnation[holder]!, 0, peerId, null);
  }

  /** The node at a simulator address (`sim:<i>`), or -1. */
  private addressIndex(address: string): number {
    if (!address.startsWith(ADDRESS_PREFIX)) return -1;
    const i = parseIndex(address, ADDRESS_PREFIX.length);
    return i >= 0 && i < this.e.n ? i : -1;
  }
}
