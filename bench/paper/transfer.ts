/**
 * A stabilised overlay sent to another thread. postMessage's structured clone keeps shared
 * references and cycles but not prototypes, non-enumerable properties or functions, and cloning
 * a million small objects one by one is slow. So the graph is written as one stream of numbers
 * instead: each object as its class, its shape (a key list, sent once for all the objects that
 * have it) and its values; an array of numbers as its numbers; a simulator record as (node,
 * incarnation); a function as the name of the property that held it; an object met before as its
 * number in the order of first meeting. Strings and typed arrays go beside the stream. The other
 * thread reads the stream back into objects of the same classes, made as snapshot.ts makes them,
 * and supplies its own functions by those names.
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
import { NumberBuffer } from "../../src/sim/wire.js";
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

// What the next value in the stream is.
const T_NUMBER = 0;
const T_UNDEFINED = 1;
const T_NULL = 2;
const T_TRUE = 3;
const T_FALSE = 4;
/** Then its index in `Transferable.strings`. */
const T_STRING = 5;
/** A function; then the index in `strings` of the name of the property that held it. */
const T_FUNCTION = 6;
/** An object met before; then its number. */
const T_SEEN = 7;
/** A simulator record (never numbered); then the node index and the incarnation. */
const T_RECORD = 8;
/** Then its index in `Transferable.typed` (structured clone copies those). */
const T_TYPED = 9;
/** Then the length and the elements. */
const T_ARRAY = 10;
/** An array of numbers only; then the length and the numbers. Read back as an array of unboxed
 * doubles, as the views keep theirs (views.ts): structured clone would box them. */
const T_NUMBERS = 11;
/** Then the size and the keys and values. */
const T_MAP = 12;
/** Then the size and the values. */
const T_SET = 13;
/** Then the class (index in CLASSES, or PLAIN / NULL_PROTO), the shape (index in
 * `Transferable.shapes`), 1 if frozen, and the values in the shape's order. */
const T_OBJECT = 14;

/** What `toTransferable` returns: plain data for postMessage. */
interface Transferable {
  /** The numbers are its first `length`; the rest is room that was never written. */
  readonly stream: Float64Array;
  readonly length: number;
  readonly strings: string[];
  readonly typed: ArrayBufferView[];
  readonly shapes: string[][];
}

/** `root` as a stream (see the file comment), ready for postMessage. `capacity`: the numbers the
 * stream is expected to hold (more is fine): the stream is then written once, where growing it
 * would copy it into fresh memory each time it doubles. */
export function toTransferable(root: unknown, capacity = 1 << 12): unknown {
  const protos = new Map<object, number>(CLASSES.map((c, i) => [c.prototype as object, i]));
  const out = new NumberBuffer(capacity);
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const typed: ArrayBufferView[] = [];
  const shapes: string[][] = [];
  // Per class, the shapes seen so far (most classes have one).
  const byClass = new Map<number, number[]>();
  // Objects met so far, numbered in order.
  const seen = new Map<object, number>();
  const keys: string[] = [];
  const stringRef = (x: string): number => {
    let k = stringIndex.get(x);
    if (k === undefined) {
      k = strings.push(x) - 1;
      stringIndex.set(x, k);
    }
    return k;
  };
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
  const write = (x: unknown, key: string): void => {
    switch (typeof x) {
      case "number":
        out.push(T_NUMBER);
        out.push(x);
        return;
      case "undefined":
        out.push(T_UNDEFINED);
        return;
      case "boolean":
        out.push(x ? T_TRUE : T_FALSE);
        return;
      case "string":
        out.push(T_STRING);
        out.push(stringRef(x));
        return;
      case "function":
        out.push(T_FUNCTION);
        out.push(stringRef(key));
        return;
      case "object":
        break;
      default:
        throw new Error(`transfer: a ${typeof x} (property "${key}") cannot be sent to a worker`);
    }
    if (x === null) {
      out.push(T_NULL);
      return;
    }
    // Records first, and not numbered: they are most of the references, and a record is known by
    // its node and incarnation.
    if (isSimRecord(x)) {
      out.push(T_RECORD);
      out.push(x.index);
      out.push(x.incarnation);
      return;
    }
    const known = seen.get(x);
    if (known !== undefined) {
      out.push(T_SEEN);
      out.push(known);
      return;
    }
    seen.set(x, seen.size);
    if (ArrayBuffer.isView(x)) {
      out.push(T_TYPED);
      out.push(typed.push(x) - 1);
      return;
    }
    if (Array.isArray(x)) {
      const n = x.length;
      if (n > 0 && isNumbers(x)) {
        out.reserve(2 + n);
        out.push(T_NUMBERS);
        out.push(n);
        out.pushAll(x as number[]);
        return;
      }
      out.push(T_ARRAY);
      out.push(n);
      for (let i = 0; i < n; i++) write(x[i], key);
      return;
    }
    if (x instanceof Map) {
      out.push(T_MAP);
      out.push(x.size);
      for (const [k, v] of x) {
        write(k, key);
        write(v, key);
      }
      return;
    }
    if (x instanceof Set) {
      out.push(T_SET);
      out.push(x.size);
      for (const v of x) write(v, key);
      return;
    }
    const proto = Object.getPrototypeOf(x) as object | null;
    const c = proto === Object.prototype ? PLAIN : proto === null ? NULL_PROTO : protos.get(proto);
    if (c === undefined) throw new Error(`transfer: objects of class ${proto?.constructor?.name ?? "?"} cannot be sent to a worker (not in CLASSES)`);
    const o = x as Record<string, unknown>;
    keys.length = 0;
    for (const k in o) keys.push(k);
    const s = shapeOf(c);
    const k = shapes[s]!;
    out.push(T_OBJECT);
    out.push(c);
    out.push(s);
    out.push(Object.isFrozen(x) ? 1 : 0);
    for (let i = 0; i < k.length; i++) write(o[k[i]!], k[i]!);
  };
  write(root, "");
  // The whole buffer, not a copy of its used part: it moves to the other thread (transferList).
  return { stream: out.data, length: out.length, strings, typed, shapes } satisfies Transferable;
}

/** Reads back a stream made by `toTransferable` (after postMessage); `functions` gives each
 * function by the name of the property that held it. `records`: this thread's record of each
 * node, used for a record of the same incarnation instead of a new one. */
export function fromTransferable(
  t: unknown,
  functions: Readonly<Record<string, (...args: never[]) => unknown>>,
  records: readonly PeerRecord[] = [],
): unknown {
  const { stream: d, length, strings, typed, shapes } = t as Transferable;
  // Objects made so far, numbered as `toTransferable` met them.
  const made: unknown[] = [];
  const others = new Map<string, PeerRecord>();
  // Per shape (a shape belongs to one class), the constructor that lays the object out (see snapshot.ts).
  const makers: (ReturnType<typeof makerFor> | undefined)[] = [];
  let p = 0;
  const read = (): unknown => {
    const tag = d[p++]!;
    switch (tag) {
      case T_NUMBER:
        return d[p++]!;
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_STRING:
        return strings[d[p++]!]!;
      case T_FUNCTION: {
        const name = strings[d[p++]!]!;
        const f = functions[name];
        if (f === undefined) throw new Error(`transfer: no function given for property "${name}"`);
        return f;
      }
      case T_SEEN:
        return made[d[p++]!];
      case T_TYPED: {
        const x = typed[d[p++]!]!;
        made.push(x);
        return x;
      }
      case T_RECORD: {
        const r = d[p++]!;
        const inc = d[p++]!;
        const own = records[r];
        if (own !== undefined && own.incarnation === inc) return own;
        // Another incarnation: one record for all its references.
        const id = `${r}/${inc}`;
        let rec = others.get(id);
        if (rec === undefined) others.set(id, (rec = simRecord(r, inc)));
        return rec;
      }
      case T_NUMBERS: {
        const n = d[p++]!;
        const a = doubles(d, p, n);
        p += n;
        made.push(a);
        return a;
      }
      case T_ARRAY: {
        const n = d[p++]!;
        const a: unknown[] = [];
        made.push(a);
        for (let i = 0; i < n; i++) a.push(read());
        return a;
      }
      case T_MAP: {
        const n = d[p++]!;
        const m = new Map();
        made.push(m);
        for (let i = 0; i < n; i++) {
          const k = read();
          m.set(k, read());
        }
        return m;
      }
      case T_SET: {
        const n = d[p++]!;
        const s = new Set();
        made.push(s);
        for (let i = 0; i < n; i++) s.add(read());
        return s;
      }
      case T_OBJECT: {
        const c = d[p++]!;
        const s = d[p++]!;
        const frozen = d[p++] === 1;
        const proto = c === PLAIN ? Object.prototype : c === NULL_PROTO ? null : (CLASSES[c]!.prototype as object);
        const k = shapes[s]!;
        let make = makers[s];
        if (make === undefined) make = makers[s] = proto === null ? null : makerFor(proto, k);
        const o = (make === null ? Object.create(proto) : new make()) as Record<string, unknown>;
        made.push(o);
        for (let i = 0; i < k.length; i++) o[k[i]!] = read();
        if (frozen) Object.freeze(o);
        return o;
      }
      default:
        throw new Error(`transfer: bad stream (tag ${tag} at ${p - 1})`);
    }
  };
  const root = read();
  if (p !== length) throw new Error(`transfer: bad stream (read ${p} of ${length} numbers)`);
  return root;
}

/** The buffers of `toTransferable`'s result that postMessage can move instead of copying (the
 * sender must not use the result afterwards). */
export function transferList(t: unknown): ArrayBuffer[] {
  return [(t as Transferable).stream.buffer as ArrayBuffer];
}

/** Whether every element of `a` is a number (no hole, no object). */
function isNumbers(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== "number") return false;
  return true;
}

/** An array of unboxed doubles with the `n` numbers of `d` from `at`: made from a fraction, so
 * that it is one from the start whatever the numbers. */
function doubles(d: Float64Array, at: number, n: number): number[] {
  const a = new Array<number>(n).fill(0.5);
  for (let i = 0; i < n; i++) a[i] = d[at + i]!;
  return a;
}

/** Room for a stabilised core in a stream: 372-414 numbers at 5,000-100,000 nodes after the cycles
 * of the "paper" model (more only grows the stream). */
export const NUMBERS_PER_CORE = 512;

/** Ends `sim`'s split with the other thread (Simulation.merge): the cores cross as a stream (`toTransferable`), and
 * their records become this thread's own records again. */
export function mergeHalves(sim: Simulation): void {
  const records = Array.from({ length: sim.size }, (_, i) => sim.record(i));
  sim.merge(
    (cores) => {
      const data = toTransferable(cores, NUMBERS_PER_CORE * cores.length);
      return { data, transfer: transferList(data) };
    },
    (x) => fromTransferable(x, {}, records) as HyParView[],
  );
}
