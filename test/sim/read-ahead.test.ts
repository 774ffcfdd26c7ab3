/**
 * The engine's read ahead (src/sim/read-ahead.ts) reads the cores of a batch's events before they
 * run. It must change nothing, and it skips the events whose step nearly never reaches a core: a
 * connection's close.
 */
import { describe, expect, it } from "vitest";
import { HyParView, resolveConfig, SeededRng } from "../../src/protocol/index.js";
import { EV_DELIVER, EV_LINK_CLOSED, EV_TIMER, EventQueue } from "../../src/sim/events.js";
import { ReadAhead } from "../../src/sim/read-ahead.js";
import { simRecord } from "../../src/sim/records.js";

/** A core whose state read (the read ahead's first step) is counted. */
function watched(i: number): { core: HyParView; reads: () => number } {
  const core = new HyParView(simRecord(i, 1), resolveConfig(), new SeededRng(i));
  let reads = 0;
  const real = (core as unknown as { s: object }).s;
  Object.defineProperty(core, "s", {
    get: () => {
      reads++;
      return real;
    },
  });
  return { core, reads: () => reads };
}

describe("ReadAhead", () => {
  it("reads the cores of deliveries and timers, not those of connection closes", () => {
    const nodes = [0, 1, 2, 3].map(watched);
    const q = new EventQueue();
    const from = simRecord(9, 1);
    q.push(1, EV_DELIVER, 0, 1, 9, { kind: "disconnect", leaving: false }, from);
    q.push(2, EV_LINK_CLOSED, 1, 1, 3, 0, null);
    q.push(3, EV_TIMER, 2, 1, 0, "shuffle", null);
    q.push(4, EV_LINK_CLOSED, 3, 1, 0, 0, null);
    const batch = new Int32Array(4);
    for (let k = 0; k < 4; k++) batch[k] = q.pop();
    new ReadAhead(4, 3).run(q, batch, 4, nodes.map((n) => n.core));
    expect(nodes.map((n) => n.reads())).toEqual([1, 0, 1, 0]);
  });
});
