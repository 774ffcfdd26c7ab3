/**
 * The engine's read ahead: before it runs a batch of events, it reads what their steps read first,
 * one level across the whole batch before the next (src/sim/engine.ts, `run`). At 100,000 nodes
 * each of those reads is a cache miss; issued side by side they cost less than one after another.
 * What a step reads is the core's to say (`HyParView.warm`, `warmMessage`, `readsPassive`).
 */
import { HyParView, type Message, type PeerRecord } from "../protocol/index.js";
import { EV_DELIVER_CONTACT, EV_LINK_CLOSED, type EventQueue } from "./events.js";

export class ReadAhead {
  private readonly cores: (HyParView | undefined)[] = [];
  /** Per event of the batch: 1 if its step leaves the passive view alone. */
  private readonly activeOnly: Uint8Array;
  /** The sum of what was read, kept so that the reads are not optimised away. */
  sum = 0;

  /** `batch`: the most events a batch holds; `prwl`: the cores' PRWL. */
  constructor(
    batch: number,
    private readonly prwl: number,
  ) {
    this.activeOnly = new Uint8Array(batch);
  }

  /** Reads ahead for popped events `batch[0]` to `batch[m - 1]` of `q`, at nodes whose cores are
   * `nodes`: the senders' records (not their ids: a record carries its id hash) and the record each
   * message's step reads next, then the cores, their passive views only for the steps that read
   * them. Changes nothing.
   *
   * A connection's close (EV_LINK_CLOSED) is skipped: it reaches the core only if the node still
   * uses a link the close ended, and the other side's DISCONNECT or a rejected NEIGHBOR nearly
   * always took it down first. In the paper's joins (10,000 and 100,000 nodes, seed 1) they are a
   * quarter of the events and none reached a core: reading their cores ahead fetched memory that
   * nothing used. */
  run(q: EventQueue, batch: Int32Array, m: number, nodes: readonly HyParView[]): void {
    const cores = this.cores;
    const activeOnly = this.activeOnly;
    let sum = 0;
    let j = 0;
    for (let k = 0; k < m; k++) {
      const e = batch[k]!;
      const kind = q.kind[e]!;
      if (kind === EV_LINK_CLOSED) continue;
      cores[j] = nodes[q.node[e]!]!;
      if (kind <= EV_DELIVER_CONTACT) {
        const message = q.ref[e] as Message;
        sum += (q.ref2[e] as PeerRecord).incarnation + HyParView.warmMessage(message);
        activeOnly[j] = HyParView.readsPassive(message, this.prwl) ? 0 : 1;
      } else {
        activeOnly[j] = 0;
      }
      j++;
    }
    this.sum = sum + HyParView.warm(cores as HyParView[], activeOnly, j);
    for (let k = 0; k < j; k++) cores[k] = undefined;
  }
}
