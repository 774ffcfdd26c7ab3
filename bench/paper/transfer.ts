/**
 * A stabilised overlay sent to another thread. postMessage's structured clone keeps shared
 * references and cycles but not prototypes, non-enumerable properties or functions, and cloning
 * a million small objects one by one is slow. So the graph is written as one stream of numbers
 * instead: each object as its class, its shape (a key list, sent once for all the objects that
 * have it) and its values; an array of numbers as its numbers; a simulator record as (node,
 * incarnation); a function as the name of the property that held it; an object met before as its
 * number in the order of first meeting. Strings and typed arrays go beside the stream. The other
 * thread reads the stream back (revive.ts) into objects of the same classes, new ones or those it
 * already holds for the same state, and supplies its own functions by those names.
 *
 * Only classes listed in CLASSES (transfer-format.ts) can cross; any other is an error, not a
 * silent plain object.
 */
import type { HyParView } from "../../src/protocol/index.js";
import { isSimRecord } from "../../src/sim/records.js";
import type { Simulation } from "../../src/sim/simulation.js";
import { NumberBuffer } from "../../src/sim/wire.js";
import { fromTransferable } from "./revive.js";
import {
  CLASSES,
  NULL_PROTO,
  PLAIN,
  T_ARRAY,
  T_FALSE,
  T_FUNCTION,
  T_MAP,
  T_NULL,
  T_NUMBER,
  T_NUMBERS,
  T_OBJECT,
  T_RECORD,
  T_SEEN,
  T_SET,
  T_STRING,
  T_TRUE,
  T_TYPED,
  T_UNDEFINED,
  type Transferable,
} from "./transfer-format.js";

export { fromTransferable };

/** `root` as a stream (see the file comment), ready for postMessage. `capacity`: the numbers the
 * stream is expected to hold (more is fine): the stream is then written once, where growing it
 * would copy it into fresh memory each time it doubles.
 *
 * `onlyFrozenShared`: the caller knows that every object `root` reaches by more than one path (or
 * by a cycle) is frozen. The others are then numbered but not remembered: writing 25,000 cores
 * (about half a million objects) took 0.59-0.68 s so, against 0.77-0.82 s with every object in the
 * table (`mergeHalves`). An unfrozen object met twice would be written twice, and read back as two.
 *
 * `into`: an array to write the stream into, when it holds `capacity` numbers (shared memory:
 * `mergeHalves`); if the stream outgrows it, the rest goes to a copy, as with a buffer of its own. */
export function toTransferable(root: unknown, capacity = 1 << 12, onlyFrozenShared = false, into?: Float64Array): unknown {
  const protos = new Map<object, number>(CLASSES.map((c, i) => [c.prototype as object, i]));
  const out = new NumberBuffer(into !== undefined && into.length >= capacity ? into : capacity);
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const typed: ArrayBufferView[] = [];
  const shapes: string[][] = [];
  // Per class, the shapes seen so far (most classes have one).
  const byClass = new Map<number, number[]>();
  // Objects met so far (all, or only the frozen ones: `onlyFrozenShared`), numbered in order.
  const seen = new Map<object, number>();
  let met = 0;
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
    const remember = !onlyFrozenShared || Object.isFrozen(x);
    const known = remember ? seen.get(x) : undefined;
    if (known !== undefined) {
      out.push(T_SEEN);
      out.push(known);
      return;
    }
    if (remember) seen.set(x, met);
    met++;
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

/** The buffers of `toTransferable`'s result that postMessage can move instead of copying (the
 * sender must not use the result afterwards): none when the stream is in shared memory. */
export function transferList(t: unknown): ArrayBuffer[] {
  const buffer = (t as Transferable).stream.buffer;
  return buffer instanceof SharedArrayBuffer ? [] : [buffer];
}

/** Whether every element of `a` is a number (no hole, no object). */
function isNumbers(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== "number") return false;
  return true;
}

/** Room for a stabilised core in a stream: 372-414 numbers at 5,000-100,000 nodes after the cycles
 * of the "paper" model (more only grows the stream). */
export const NUMBERS_PER_CORE = 512;

/** How many cores a thread writes at a time when the halves are swapped (`mergeHalves`). */
export const CORES_PER_PIECE = 2048;

/** Ends `sim`'s split with the other thread (Simulation.merge): the cores cross as streams
 * (`toTransferable`), `piece` cores at a time, and are read into the cores this thread holds for
 * those nodes (revive.ts); their records become this thread's own records again. Both threads
 * must give the same `piece`.
 *
 * Each piece is written into shared memory, which the other thread reads where it is. A buffer of
 * the thread's own, moved to the other thread, is what V8 counts as memory outside its heap
 * (`process.memoryUsage().external`; shared memory is not counted there): about 200 MB of it at
 * 100,000 nodes, new on both sides at the swap, made V8 collect the whole heap of both threads
 * during the swap (bench/paper/PERFORMANCE.md, "The halves swapped in shared memory"). The pieces
 * take turns in two buffers (the other thread has read one piece before this one writes the piece
 * after next), so a swap touches memory for two pieces, not for a whole half: at 1,000,000 nodes
 * a half's stream is some 1.6 GB, and every page of fresh memory costs a fault when first written. */
export function mergeHalves(sim: Simulation, piece = CORES_PER_PIECE): void {
  const records = Array.from({ length: sim.size }, (_, i) => sim.record(i));
  const buffers: Float64Array[] = [];
  sim.merge(
    // The cores share only frozen objects (the configuration) and records: test/sim/paper-transfer.test.ts
    // checks it on the cores of both models, after the cycles and after failures and repair. So
    // pieces written apart lose nothing: a frozen object is read back as the one this thread holds.
    (cores, round) => {
      const capacity = NUMBERS_PER_CORE * cores.length;
      const k = round % 2;
      buffers[k] ??= new Float64Array(new SharedArrayBuffer(8 * NUMBERS_PER_CORE * Math.max(1, Math.min(piece, cores.length))));
      const data = toTransferable(cores, capacity, true, buffers[k]);
      return { data, transfer: transferList(data) };
    },
    (x, stale) => fromTransferable(x, {}, records, stale, true) as HyParView[],
    piece,
  );
}
