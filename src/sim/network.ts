/**
 * What the cores' effects do on the simulated network (the model is described in
 * src/sim/engine.ts): a send becomes a delivery after a latency, or fails at once when nothing can
 * connect; a dial or a close changes the links; and every failure reaches the node concerned as a
 * notice after the detection delay. The engine runs the events; this turns one step's effects into
 * them.
 */
import type { Effect, Message, PeerRecord, SeededRng } from "../protocol/index.js";
import type { Remote } from "./engine.js";
import { EV_CONTACT_FAILED, EV_DELIVER, EV_DELIVER_CONTACT, EV_DELIVER_LINKED, EV_LINK_CLOSED, EV_LINK_LOST, EV_LINK_UP, EV_TIMER, type EventQueue } from "./events.js";
import type { LinkTable } from "./links.js";
import type { ResolvedSimOptions, SimHooks, SimStats } from "./options.js";
import { PairClock } from "./pairs.js";
import { ADDRESS_PREFIX, parseIndex, peerIndex } from "./records.js";

/**
 * The engine's network half, a base class of `Engine` rather than an object of its own: its
 * methods then read the engine's state directly, as the hot path did before they moved here (a
 * separate object, one pointer away, made the 10,000-node run 3-12 % slower). The members
 * declared abstract are the engine's.
 */
export abstract class Network {
  abstract readonly options: ResolvedSimOptions;
  abstract readonly stats: SimStats;
  abstract now: number;
  abstract readonly queue: EventQueue;
  abstract readonly links: LinkTable;
  abstract readonly netRng: SeededRng;
  abstract readonly hooks: SimHooks | undefined;
  abstract records: PeerRecord[];
  abstract up: Uint8Array;
  abstract incarnation: Int32Array;
  abstract side: Int32Array;
  abstract partitioned: boolean;
  abstract n: number;
  abstract remote: Remote | null;
  abstract timersOn: boolean;
  abstract networkPending: number;
  /** The key of the next event scheduled. */
  abstract nextKey(): number;
  /** Throws while the nodes are split between threads: `what` cannot be done then. */
  abstract notSplit(what: string): void;
  /** Throws if node `i` is on the other thread. */
  abstract mustOwn(i: number, what: string): void;

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

  /** Turns node `i`'s effects of one step into events. */
  protected applyEffects(i: number, effects: readonly Effect[]): void {
    const stats = this.stats;
    for (let k = 0; k < effects.length; k++) {
      const x = effects[k]!;
      switch (x.type) {
        case "send": {
          const t = peerIndex(x.to);
          this.transmit(EV_DELIVER, i, t, x.message);
          if (x.to.incarnation !== this.incarnation[t] && this.up[t] === 1) this.handshake(i, t);
          break;
        }
        case "sendToContact": {
          const t = this.addressIndex(x.address);
          if (t < 0 || t === i) {
            stats.messagesSent++;
            this.networkPending++;
            // Nobody at that address (or it is ourselves): refused after the detection delay.
            this.queue.pushKeyed(this.now + this.options.detectionDelayMs, this.nextKey(), EV_CONTACT_FAILED, i, this.incarnation[i]!, 0, x.address, null);
          } else {
            this.transmit(EV_DELIVER_CONTACT, i, t, x.message);
          }
          break;
        }
        case "connect": {
          const t = peerIndex(x.peer);
          this.notSplit("a new link");
          if (this.up[t] === 1 && (!this.partitioned || this.side[t] === this.side[i])) {
            this.links.add(i, t, this.now);
            if (x.peer.incarnation !== this.incarnation[t]) this.handshake(i, t);
          } else {
            // Nothing answers the dial (down, or across a partition): the dialler finds out, whether
            // or not crashes of linked peers are detected.
            this.notifyLinkLost(i, x.peer.id);
          }
          break;
        }
        case "disconnect": {
          const t = parseIndex(x.peerId, 1);
          this.notSplit("a closed link");
          this.links.remove(i, t);
          this.closeConnection(i, t);
          break;
        }
        case "peerUp":
          stats.peerUp++;
          this.hooks?.peerUp?.(i, x.peer, this.now);
          break;
        case "peerDown":
          stats.peerDown++;
          this.hooks?.peerDown?.(i, x.peer, x.reason, this.now);
          break;
        case "passiveChanged":
          stats.passiveChanged++;
          break;
        case "schedule":
          if (this.timersOn) {
            this.queue.pushKeyed(this.now + x.delayMs, this.nextKey(), EV_TIMER, i, this.incarnation[i]!, 0, x.timer, null);
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
    const stats = this.stats;
    stats.messagesSent++;
    stats.sentByKind[message.kind]++;
    const o = this.options;
    if (o.loss > 0 && this.netRng.next() < o.loss) {
      stats.lost++;
      return;
    }
    if (this.up[to] !== 1 || (this.partitioned && this.side[to] !== this.side[from])) {
      if (this.up[to] !== 1) stats.deadTarget++;
      else stats.partitioned++;
      this.sendFailed(kind, from, this.incarnation[from]!, to);
      return;
    }
    if (kind === EV_DELIVER && this.links.has(from, to)) kind = EV_DELIVER_LINKED;
    let at = this.now + o.latencyMin;
    if (o.latencyMax !== o.latencyMin) {
      at += this.netRng.next() * (o.latencyMax - o.latencyMin);
      if (o.fifo) at = this.pairClock.next(from, to, at, this.now);
    }
    const r = this.remote;
    if (r !== null && !r.owns(to)) {
      r.send(at, this.nextKey(), kind, to, this.incarnation[to]!, from, message);
      return;
    }
    this.networkPending++;
    this.queue.pushKeyed(at, this.nextKey(), kind, to, this.incarnation[to]!, from, message, this.records[from]!);
  }

  /** A message from `sender` (run `senderInc`) could not reach `to`: tell the sender, if it is
   * still the same run. */
  protected sendFailed(kind: number, sender: number, senderInc: number, to: number): void {
    if (this.up[sender] !== 1 || this.incarnation[sender] !== senderInc) return;
    if (kind === EV_DELIVER_CONTACT) {
      this.mustOwn(sender, "a contact failure notice");
      this.networkPending++;
      this.queue.pushKeyed(this.now + this.options.detectionDelayMs, this.nextKey(), EV_CONTACT_FAILED, sender, senderInc, 0, ADDRESS_PREFIX + to, null);
    } else {
      this.notifyLinkLost(sender, this.records[to]!.id);
    }
  }

  /**
   * `closer`'s core dropped `t` (`disconnect`): the transport closes the pair's one connection once
   * what is queued on it is sent. If `t` still uses that connection (holds a link to `closer`,
   * this.g. after `closer` declared it failed without a DISCONNECT), it sees it end: `linkLost`.
   * A graceful DISCONNECT arrives first and makes `t` drop its link, so nothing more happens.
   */
  private closeConnection(closer: number, t: number): void {
    if (this.up[t] !== 1 || (this.partitioned && this.side[t] !== this.side[closer])) return;
    this.mustOwn(t, "a connection close");
    const o = this.options;
    let at = this.now + o.latencyMax;
    if (o.latencyMax !== o.latencyMin && o.fifo) at = this.pairClock.next(closer, t, at, this.now);
    this.networkPending++;
    this.queue.pushKeyed(at, this.nextKey(), EV_LINK_CLOSED, t, this.incarnation[t]!, closer, this.now, null);
  }

  /**
   * `dialler` reached node `t` holding an older record of it (t restarted since): the handshake
   * names the running incarnation, which the transport reports as `linkUp` one latency later.
   * One per dialler, peer and instant (a connect and its message are one dial).
   */
  private handshake(dialler: number, t: number): void {
    const at = this.now + this.options.latencyMin;
    if (this.lastHandshakeFrom === dialler && this.lastHandshakeTo === t && this.lastHandshakeAt === at) return;
    this.lastHandshakeFrom = dialler;
    this.lastHandshakeTo = t;
    this.lastHandshakeAt = at;
    this.networkPending++;
    this.queue.pushKeyed(at, this.nextKey(), EV_LINK_UP, dialler, this.incarnation[dialler]!, 0, this.records[t]!, null);
  }

  /** `holder` will learn, after the detection delay, that its link (or exchange) with `peerId`
   * failed. One notice per holder, peer and instant: a failed connect and the message sent with
   * it in the same step are one failure. */
  notifyLinkLost(holder: number, peerId: string): void {
    if (this.up[holder] !== 1) return;
    const at = this.now + this.options.detectionDelayMs;
    if (this.lastNoticeHolder === holder && this.lastNoticePeer === peerId && this.lastNoticeAt === at) return;
    this.mustOwn(holder, "a link failure notice");
    this.lastNoticeHolder = holder;
    this.lastNoticePeer = peerId;
    this.lastNoticeAt = at;
    this.networkPending++;
    this.queue.pushKeyed(at, this.nextKey(), EV_LINK_LOST, holder, this.incarnation[holder]!, 0, peerId, null);
  }

  /** The node at a simulator address (`sim:<i>`), or -1. */
  private addressIndex(address: string): number {
    if (!address.startsWith(ADDRESS_PREFIX)) return -1;
    const i = parseIndex(address, ADDRESS_PREFIX.length);
    return i >= 0 && i < this.n ? i : -1;
  }
}
