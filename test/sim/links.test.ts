import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { LinkTable } from "../../src/sim/links.js";

const N = 8;
const linkOp = fc.oneof(
  fc.record({ op: fc.constant("add" as const), h: fc.nat(N - 1), t: fc.nat(N - 1) }),
  fc.record({ op: fc.constant("remove" as const), h: fc.nat(N - 1), t: fc.nat(N - 1) }),
  fc.record({ op: fc.constant("detach" as const), h: fc.nat(N - 1), t: fc.constant(0) }),
);

describe("LinkTable", () => {
  // Nodes given to the constructor own a block of records; links beyond it, and links held by
  // nodes added later, come from the shared pool.
  test.each([
    { nodes: 2, slots: 8, what: "2 nodes with blocks, the rest added later" },
    { nodes: N, slots: 2, what: "blocks of 2, overflow to the pool" },
    { nodes: N, slots: 0, what: "no blocks" },
    { nodes: N, slots: 8, what: "blocks of 8" },
  ])("behaves like a set of (holder, target) pairs with their times; detach reports the holders ($what)", ({ nodes, slots }) => {
    fc.assert(
      fc.property(fc.array(linkOp, { maxLength: 300 }), (ops) => {
        const links = new LinkTable(nodes, slots);
        links.ensureNodes(N);
        // (holder, target) -> when the link was made: an existing link keeps its time.
        const model = new Map<string, number>();
        for (const [time, { op, h, t }] of ops.entries()) {
          if (op === "add") {
            links.add(h, t, time);
            if (!model.has(`${h}>${t}`)) model.set(`${h}>${t}`, time);
          } else if (op === "remove") {
            expect(links.remove(h, t)).toBe(model.delete(`${h}>${t}`));
          } else {
            const holders: number[] = [];
            links.detach(h, holders);
            const want: number[] = [];
            for (const k of [...model.keys()]) {
              const [a, b] = k.split(">").map(Number) as [number, number];
              if (b === h && a !== h) want.push(a);
              if (a === h || b === h) model.delete(k);
            }
            expect(holders.sort()).toEqual(want.sort());
          }
        }
        expect(links.count).toBe(model.size);
        for (let a = 0; a < N; a++) {
          for (let b = 0; b < N; b++) {
            expect(links.has(a, b)).toBe(model.has(`${a}>${b}`));
            expect(links.madeTime(a, b)).toBe(model.get(`${a}>${b}`) ?? NaN);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
