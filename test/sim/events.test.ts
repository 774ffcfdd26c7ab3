import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { SeededRng } from "../../src/protocol/index.js";
import { EV_DELIVER, EV_TIMER, EventQueue } from "../../src/sim/events.js";

/** A push at (now + delta); `pops` events taken off before the next push. */
const op = fc.record({ delta: fc.oneof(fc.constant(10), fc.integer({ min: 0, max: 50 })), pops: fc.integer({ min: 0, max: 3 }) });

describe("EventQueue", () => {
  test("pops in (time, push order), across the FIFO rings, the heap and growth", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const q = new EventQueue(16);
        const ref: { time: number; seq: number }[] = [];
        const popped: number[] = [];
        const expected: number[] = [];
        let now = 0;
        let seq = 0;
        const popOne = () => {
          const e = q.pop();
          ref.sort((a, b) => a.time - b.time || a.seq - b.seq);
          const want = ref.shift()!;
          expect(e).toBeGreaterThanOrEqual(0);
          popped.push(q.aux[e]!);
          expected.push(want.seq);
          now = Math.max(now, q.time[e]!);
          q.release(e);
        };
        for (const { delta, pops } of ops) {
          q.push(now + delta, delta === 10 ? EV_DELIVER : EV_TIMER, 0, 0, seq, null, null);
          ref.push({ time: now + delta, seq: seq++ });
          for (let k = 0; k < pops && ref.length > 0; k++) popOne();
        }
        while (ref.length > 0) popOne();
        expect(q.size).toBe(0);
        expect(q.pop()).toBe(-1);
        expect(popped).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  test("pushKeyed pops in (time, key) order, whatever the push order of equal times", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delta: fc.oneof(fc.constant(10), fc.integer({ min: 0, max: 20 })), key: fc.integer({ min: 0, max: 1e6 }), pops: fc.integer({ min: 0, max: 2 }) }), {
          maxLength: 300,
        }),
        (ops) => {
          const q = new EventQueue(16);
          const ref: { time: number; key: number; id: number }[] = [];
          const popped: number[] = [];
          const expected: number[] = [];
          const used = new Set<number>();
          let now = 0;
          const popOne = () => {
            ref.sort((a, b) => a.time - b.time || a.key - b.key);
            expected.push(ref.shift()!.id);
            const e = q.pop();
            popped.push(q.aux[e]!);
            now = Math.max(now, q.time[e]!);
            q.release(e);
          };
          ops.forEach(({ delta, key, pops }, id) => {
            // Keys are unique, as the engine's are.
            while (used.has(key)) key++;
            used.add(key);
            q.pushKeyed(now + delta, key, EV_DELIVER, 0, 0, id, null, null);
            ref.push({ time: now + delta, key, id });
            for (let k = 0; k < pops && ref.length > 0; k++) popOne();
          });
          while (ref.length > 0) popOne();
          expect(popped).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("peekTime is the time of the next pop, Infinity when empty", () => {
    const q = new EventQueue();
    expect(q.peekTime()).toBe(Infinity);
    q.push(30, EV_DELIVER, 0, 0, 0, null, null);
    q.push(5, EV_TIMER, 0, 0, 1, null, null); // earlier than the first ring's tail: the second ring
    q.push(30, EV_DELIVER, 0, 0, 2, null, null);
    q.push(2, EV_TIMER, 0, 0, 3, null, null); // earlier than both rings' tails: the third ring
    q.push(1, EV_TIMER, 0, 0, 4, null, null); // earlier than every ring's tail: the heap
    expect(q.heaped).toBe(1);
    expect(q.peekTime()).toBe(1);
    const order: number[] = [];
    for (let e = q.pop(); e >= 0; e = q.pop()) {
      order.push(q.aux[e]!);
      q.release(e);
    }
    expect(order).toEqual([4, 3, 1, 0, 2]);
  });

  test("a cycle's spread timers fill one ring and its messages the other: nothing goes to the heap", () => {
    const q = new EventQueue(16);
    const rng = new SeededRng(7);
    const L = 10;
    // The timers, pushed in time order over a spread of 1,000 ms (src/sim/simulation.ts, `cycle`).
    const times = Array.from({ length: 200 }, () => rng.next() * 1000).sort((a, b) => a - b);
    let key = 0;
    for (const t of times) q.pushKeyed(t, key++, EV_TIMER, 0, 0, 0, null, null);
    // Each event sends up to two messages, due one latency later, for 5 hops.
    const popped: number[] = [];
    for (let e = q.pop(); e >= 0; e = q.pop()) {
      const t = q.time[e]!;
      const hop = q.aux[e]!;
      popped.push(t);
      q.release(e);
      if (hop < 5) for (let k = 0; k < 2; k++) q.pushKeyed(t + L, key++, EV_DELIVER, 0, 0, hop + 1, null, null);
      expect(q.heaped).toBe(0);
    }
    expect(popped).toHaveLength(200 * 63);
    expect(popped).toEqual([...popped].sort((a, b) => a - b));
  });

  test("in a split, the messages from the other thread, swapped at each window's end, fill the third ring", () => {
    const q = new EventQueue(16);
    const rng = new SeededRng(11);
    const L = 10;
    let key = 0;
    for (const t of Array.from({ length: 100 }, () => rng.next() * 1000).sort((a, b) => a - b)) {
      q.pushKeyed(t, key++, EV_TIMER, 0, 0, 0, null, null);
    }
    const popped: number[] = [];
    // Windows of L ms, as src/sim/partition.ts runs them: this side's events, then the other
    // side's messages of the window, due one latency after they were sent, in the order sent.
    for (let end = L; q.size > 0 || end <= 1000 + 5 * L; end += L) {
      while (q.size > 0 && q.peekTime() < end) {
        const e = q.pop();
        const t = q.time[e]!;
        const hop = q.aux[e]!;
        popped.push(t);
        q.release(e);
        if (hop < 4) q.pushKeyed(t + L, key++, EV_DELIVER, 0, 0, hop + 1, null, null);
      }
      if (end <= 1000 + 4 * L) {
        const sent = Array.from({ length: 5 }, () => end - L + rng.next() * L).sort((a, b) => a - b);
        for (const t of sent) q.pushKeyed(t + L, key++, EV_DELIVER, 0, 0, 4, null, null);
      }
      expect(q.heaped).toBe(0);
    }
    expect(popped).toEqual([...popped].sort((a, b) => a - b));
    expect(popped.length).toBeGreaterThan(100 * 5);
  });

  test("release drops references so messages can be collected", () => {
    const q = new EventQueue();
    const msg = { kind: "x" };
    q.push(1, EV_DELIVER, 0, 0, 0, msg, msg);
    const e = q.pop();
    q.release(e);
    expect(q.ref[e]).toBeUndefined();
    expect(q.ref2[e]).toBeUndefined();
  });
  test("records taken off and put back come out again in their order, after what is pushed before them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ take: fc.integer({ min: 1, max: 6 }), run: fc.integer({ min: 1, max: 6 }), delta: fc.integer({ min: 0, max: 30 }) }), { maxLength: 120 }),
        (ops) => {
          const q = new EventQueue(16);
          let key = 0;
          /** (time, key) of the events in the queue or taken off and not run. */
          const waiting: [number, number][] = [];
          const push = (t: number) => {
            q.pushKeyed(t, key, EV_DELIVER, 0, 0, 0, null, null);
            waiting.push([t, key++]);
          };
          const earlier = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
          for (let k = 0; k < 40; k++) push(k * 3);
          const ran: [number, number][] = [];
          const batch = new Int32Array(8);
          for (const { take, run, delta } of ops) {
            let m = 0;
            while (m < take && q.size > 0) batch[m++] = q.pop();
            if (m === 0) break;
            // Run up to `run` events of the batch, each pushing one `delta` after it; stop where
            // the queue's head comes before the batch's next event.
            let k = 0;
            while (k < m && k < run) {
              const e = batch[k++]!;
              const ev: [number, number] = [q.time[e]!, q.seq[e]!];
              ran.push(ev);
              waiting.splice(waiting.findIndex((w) => w[1] === ev[1]), 1);
              q.release(e);
              push(ev[0] + delta);
              if (k === m) break;
              const next: [number, number] = [q.time[batch[k]!]!, q.seq[batch[k]!]!];
              const inQueue = waiting.filter((w) => !Array.from(batch.subarray(k, m), (r) => q.seq[r]).includes(w[1]));
              expect(q.headBefore(batch[k]!)).toBe(inQueue.some((w) => earlier(w, next)));
              if (q.headBefore(batch[k]!)) break;
            }
            q.putBack(batch, k, m);
          }
          while (q.size > 0) {
            const e = q.pop();
            ran.push([q.time[e]!, q.seq[e]!]);
            q.release(e);
          }
          expect(ran.length).toBe(key);
          // Nothing is pushed before what already ran: the events ran in (time, key) order.
          for (let k = 1; k < ran.length; k++) expect(earlier(ran[k]!, ran[k - 1]!)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
