/**
 * The read-ahead hints a host of many cores uses (`HyParView.warm`, `warmMessage`, `readsPassive`):
 * they change nothing, and a message said to leave the passive view alone does.
 */
import { describe, expect, it } from "vitest";
import { HyParView, type Effect, type Message, type PeerRecord } from "../../src/protocol/index.js";
import { Node, peer, sent } from "./harness.js";

const ACTIVE = ["a1", "a2", "a3"].map((id) => peer(id));
const PASSIVE = ["p1", "p2", "p3", "p4"].map((id) => peer(id));

/** A started node with three confirmed active peers and four passive ones. */
function node(seed = 1): Node {
  const n = new Node(peer("n"), {}, seed);
  n.start();
  for (const a of ACTIVE) n.link(a);
  n.addPassive(PASSIVE);
  return n;
}

/** Runs `receive` on `n` with its passive view behind a proxy: whether the step touched it, and
 * the step's effects. */
function touchesPassive(n: Node, from: PeerRecord, m: Message): { touched: boolean; fx: Effect[] } {
  const state = (n.core as unknown as { s: { passive: object } }).s;
  const real = state.passive;
  let touched = false;
  const spy = new Proxy(real, {
    get(target, key) {
      touched = true;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  Object.defineProperty(state, "passive", { value: spy, configurable: true });
  try {
    const fx = n.receive(from, m);
    return { touched, fx };
  } finally {
    Object.defineProperty(state, "passive", { value: real, configurable: true });
  }
}

describe("readsPassive: which messages leave the passive view alone", () => {
  const prwl = 3;
  const shuffle = (ttl: number): Message => ({ kind: "shuffle", origin: peer("o"), entries: [peer("o"), peer("e1")], ttl, shuffleId: 1 });
  const forwardJoin = (ttl: number): Message => ({ kind: "forwardJoin", joiner: peer("j"), ttl });

  it("a SHUFFLE with hops to go is passed on along the active view, its passive view untouched", () => {
    for (let seed = 1; seed <= 10; seed++) {
      for (const ttl of [2, 4, 6]) {
        expect(HyParView.readsPassive(shuffle(ttl), prwl)).toBe(false);
        const { touched, fx } = touchesPassive(node(seed), ACTIVE[0]!, shuffle(ttl));
        expect(touched).toBe(false);
        expect(sent(fx, "shuffle")).toHaveLength(1);
      }
    }
  });

  it("a SHUFFLE at its last hop is accepted, and reads the passive view", () => {
    expect(HyParView.readsPassive(shuffle(1), prwl)).toBe(true);
    const { touched, fx } = touchesPassive(node(), ACTIVE[0]!, shuffle(1));
    expect(touched).toBe(true);
    expect(sent(fx, "shuffleReply")).toHaveLength(1);
  });

  it("a FORWARD_JOIN neither at its end nor at PRWL is passed on, its passive view untouched", () => {
    for (let seed = 1; seed <= 10; seed++) {
      for (const ttl of [1, 2, 4, 5, 6]) {
        expect(HyParView.readsPassive(forwardJoin(ttl), prwl)).toBe(false);
        const { touched, fx } = touchesPassive(node(seed), ACTIVE[0]!, forwardJoin(ttl));
        expect(touched).toBe(false);
        expect(sent(fx, "forwardJoin")).toHaveLength(1);
      }
    }
  });

  it("a FORWARD_JOIN at PRWL (the joiner goes to the passive view) or at its end reads it", () => {
    expect(HyParView.readsPassive(forwardJoin(prwl), prwl)).toBe(true);
    expect(HyParView.readsPassive(forwardJoin(0), prwl)).toBe(true);
    const n = node();
    expect(touchesPassive(n, ACTIVE[0]!, forwardJoin(prwl)).touched).toBe(true);
    expect(n.passiveIds()).toContain("j");
  });

  it("every other message may read it", () => {
    const others: Message[] = [
      { kind: "join", requestId: 1 },
      { kind: "neighbor", priority: "low", requestId: 1 },
      { kind: "neighborReply", requestId: 1, accepted: true },
      { kind: "disconnect", leaving: false },
      { kind: "shuffleReply", shuffleId: 1, entries: [] },
    ];
    for (const m of others) expect(HyParView.readsPassive(m, prwl)).toBe(true);
  });
});

describe("warm", () => {
  it("changes nothing: cores (and messages) warmed before every step run as cores never warmed", () => {
    const a = node(5);
    const b = node(5);
    const inputs: [PeerRecord, Message][] = [
      [ACTIVE[0]!, { kind: "shuffle", origin: peer("o"), entries: [peer("o"), peer("e1")], ttl: 4, shuffleId: 1 }],
      [ACTIVE[1]!, { kind: "shuffle", origin: peer("o2"), entries: [peer("o2"), peer("e2"), peer("e3")], ttl: 1, shuffleId: 2 }],
      [ACTIVE[2]!, { kind: "forwardJoin", joiner: peer("j"), ttl: 3 }],
      [ACTIVE[0]!, { kind: "disconnect", leaving: false }],
    ];
    for (const [from, m] of inputs) {
      HyParView.warmMessage(m);
      HyParView.warm([a.core], Uint8Array.of(HyParView.readsPassive(m, a.config.prwl) ? 0 : 1), 1);
      HyParView.warm([a.core, a.core], Uint8Array.of(0, 1), 2);
      expect(a.receive(from, m)).toEqual(b.receive(from, m));
    }
    expect(a.snapshot()).toEqual(b.snapshot());
  });
});
