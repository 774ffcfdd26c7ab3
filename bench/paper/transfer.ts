/**
 * A stabilised overlay sent to a worker thread. postMessage's structured clone keeps shared
 * references and cycles but not prototypes, non-enumerable properties or functions, so the graph
 * is first mirrored: each object becomes a plain tagged one (which class, frozen or not, its shape
 * and values), the simulator's records become (node, incarnation) pairs, and functions become the
 * name of the property that held them. A shape is a key list, sent once for all the objects that
 * have it: a million objects of a few classes would otherwise each carry their own list of strings
 * to clone. The worker revives the mirror into objects of the same
 * classes, made as snapshot.ts makes them, and supplies its own functions by those names.
 *
 * Only classes listed in CLASSES can cross; any other is an error, not a silent plain object.
 */
import type { PeerRecord } from "../../src/protocol/index.js";
import { HyParView } from "../../src/protocol/hyparview.js";
import { SeededRng } from "../../src/protocol/rng.js";
import { CoreState } from "../../src/protocol/state.js";
import { ActiveView, PassiveView } from "../../src/protocol/views.js";
import { Engine } from "../../src/sim/engine.js";
import { EventQueue } from "../../src/sim/events.js";
import { LinkTable } from "../../src/sim/links.js";
import { PairClock } from "../../src/sim/pairs.js";
import { isSimRecord, simRecord } from "../../src/sim/records.js";
import { Simulation } from "../../src/sim/simulation.js";
import { makerFor } from "./snapshot.js";
import { ActiveViews } from "./views.js";

const CLASSES: readonly (abstract new (...args: never[]) => unknown)[] = [
  Simulation,
  Engine,
  EventQueue,
  LinkTable,
  PairClock,
  HyParView,
  CoreState,
  ActiveView,
  PassiveView,
  SeededRng,
  ActiveViews,
];
const PLAIN = -1;
const NULL_PROTO = -2;

/** A mirrored object: class (index in CLASSES, or PLAIN / NULL_PROTO), frozen, shape (index in
 * `Transferable.shapes`), values. */
interface Mirrored {
  readonly c: number;
  readonly z: boolean;
  readonly s: number;
  readonly v: unknown[];
}
/** What `toTransferable` returns. */
interface Transferable {
  readonly shapes: string[][];
  readonly root: unknown;
}
/** A simulator record: node index and incarnation. */
interface MirroredRecord {
  readonly r: number;
  readonly inc: number;
}
/** A function, by the name of the property that held it. */
interface MirroredFunction {
  readonly fn: string;
}

/** The mirror of `root`, ready for postMessage. */
export function toTransferable(root: unknown): unknown {
  const protos = new Map<object, number>(CLASSES.map((c, i) => [c.prototype as object, i]));
  const memo = new Map<object, unknown>();
  const shapes: string[][] = [];
  // Per class, the shapes seen so far (most classes have one).
  const byClass = new Map<number, number[]>();
  const keys: string[] = [];
  const shapeOf = (c: number): number => {
    let known = byClass.get(c);
    if (known === undefined) byClass.set(c, (known = []));
    next: for (const s of known) {
      const ks = shapes[s]!;
      if (ks.length !== keys.length) continue;
      for (let i = 0; i < ks.length; i++) if (ks[i] !== keys[i]) continue next;
      return s;
    }
    shapes.push(keys.slice());
    known.push(shapes.length - 1);
    return shapes.length - 1;
  };
  const mirror = (x: unknown, key: string): unknown => {
    if (typeof x === "function") return { fn: key } satisfies MirroredFunction;
    if (typeof x !== "object" || x === null) return x;
    const known = memo.get(x);
    if (known !== undefined) return known;
    if (ArrayBuffer.isView(x)) {
      memo.set(x, x); // structured clone copies it
      return x;
    }
    if (Array.isArray(x)) {
      const a: unknown[] = new Array(x.length);
      memo.set(x, a);
      for (let i = 0; i < x.length; i++) a[i] = mirror(x[i], key);
      return a;
    }
    if (x instanceof Map) {
      const m = new Map();
      memo.set(x, m);
      for (const [k, v] of x) m.set(mirror(k, key), mirror(v, key));
      return m;
    }
    if (x instanceof Set) {
      const s = new Set();
      memo.set(x, s);
      for (const v of x) s.add(mirror(v, key));
      return s;
    }
    if (isSimRecord(x)) {
      const r: MirroredRecord = { r: x.index, inc: x.incarnation };
      memo.set(x, r);
      return r;
    }
    const proto = Object.getPrototypeOf(x) as object | null;
    const c = proto === Object.prototype ? PLAIN : proto === null ? NULL_PROTO : protos.get(proto);
    if (c === undefined) throw new Error(`transfer: objects of class ${proto?.constructor?.name ?? "?"} cannot be sent to a worker (not in CLASSES)`);
    const o = x as Record<string, unknown>;
    keys.length = 0;
    for (const key2 in o) keys.push(key2);
    const s = shapeOf(c);
    const k = shapes[s]!;
    const m: Mirrored = { c, z: Object.isFrozen(x), s, v: new Array(k.length) };
    memo.set(x, m);
    for (let i = 0; i < k.length; i++) m.v[i] = mirror(o[k[i]!], k[i]!);
    return m;
  };
  const top = mirror(root, "");
  return { shapes, root: top } satisfies Transferable;
}

/** Revives a mirror made by `toTransferable` (after postMessage); `functions` gives each function
 * by the name of the property that held it. `records`: this thread's record of each node, used for
 * a mirrored record of the same incarnation instead of a new one. */
export function fromTransferable(
  root: unknown,
  functions: Readonly<Record<string, (...args: never[]) => unknown>>,
  records: readonly PeerRecord[] = [],
): unknown {
  const { shapes, root: top } = root as Transferable;
  const memo = new Map<object, unknown>();
  // Per shape (a shape belongs to one class), the constructor that lays the object out (see snapshot.ts).
  const makers: (ReturnType<typeof makerFor> | undefined)[] = [];
  const revive = (x: unknown): unknown => {
    if (typeof x !== "object" || x === null) return x;
    const known = memo.get(x);
    if (known !== undefined) return known;
    if (ArrayBuffer.isView(x)) return x;
    if (Array.isArray(x)) {
      const a: unknown[] = new Array(x.length);
      memo.set(x, a);
      for (let i = 0; i < x.length; i++) a[i] = revive(x[i]);
      return a;
    }
    if (x instanceof Map) {
      const m = new Map();
      memo.set(x, m);
      for (const [k, v] of x) m.set(revive(k), revive(v));
      return m;
    }
    if (x instanceof Set) {
      const s = new Set();
      memo.set(x, s);
      for (const v of x) s.add(revive(v));
      return s;
    }
    if ("fn" in x) {
      const name = (x as MirroredFunction).fn;
      const f = functions[name];
      if (f === undefined) throw new Error(`transfer: no function given for property "${name}"`);
      return f;
    }
    if ("r" in x) {
      const { r, inc } = x as MirroredRecord;
      const own = records[r];
      const rec = own !== undefined && own.incarnation === inc ? own : simRecord(r, inc);
      memo.set(x, rec);
      return rec;
    }
    const m = x as Mirrored;
    const proto = m.c === PLAIN ? Object.prototype : m.c === NULL_PROTO ? null : (CLASSES[m.c]!.prototype as object);
    const k = shapes[m.s]!;
    let make = makers[m.s];
    if (make === undefined) make = makers[m.s] = proto === null ? null : makerFor(proto, k);
    const o = (make === null ? Object.create(proto) : new make()) as Record<string, unknown>;
    memo.set(x, o);
    for (let i = 0; i < k.length; i++) o[k[i]!] = revive(m.v[i]);
    if (m.z) Object.freeze(o);
    return o;
  };
  return revive(top);
}

/** Ends `sim`'s split with the other thread (Simulation.merge): the cores cross as mirrors, and
 * their records become this thread's own records again. */
export function mergeHalves(sim: Simulation): void {
  const records = Array.from({ length: sim.size }, (_, i) => sim.record(i));
  sim.merge(toTransferable, (x) => fromTransferable(x, {}, records) as HyParView[]);
}
