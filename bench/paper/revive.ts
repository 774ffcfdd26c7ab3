/**
 * Reads back a stream that transfer.ts wrote, as objects of the same classes. Either into new
 * objects (an overlay sent to a worker), or into the objects this thread already holds for the
 * same state (the halves of a split run: each thread holds the other's cores as they were when the
 * split began, and the stream brings their state after the cycles).
 *
 * Filling the objects in place matters for speed, not only for memory. V8 gives an object made by
 * a generated constructor (snapshot.ts) a hidden class of its own, so new cores beside this
 * thread's own would make every property access in the core see two or three shapes. At 20,000
 * nodes the experiments after a split ran about twice as slowly on such an overlay as after a build
 * in one thread; at 100,000 the part after the build took 40-42 s against 32 s filled in place
 * (bench/paper/PERFORMANCE.md). For the same
 * reason the reader gives numbers and strings back in the form the core's own code makes them: an
 * integer as a small integer (read from a Float64Array it would be a boxed double, and one such
 * value turns a field that held small integers into one of boxed numbers for every object of that
 * shape), a string as an internalized one (compared by identity).
 */
import type { PeerRecord } from "../../src/protocol/index.js";
import { simRecord } from "../../src/sim/records.js";
import { makerFor } from "./snapshot.js";
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

/**
 * Reads back a stream made by `toTransferable` (after postMessage); `functions` gives each
 * function by the name of the property that held it. `records`: this thread's record of each
 * node, used for a record of the same incarnation instead of a new one.
 *
 * `into`: what this thread holds in place of the root, filled in place where it matches. An
 * object is filled when the one at the same place in `into` has the same class and the same
 * properties in the same order, is not frozen and has not been filled already; an array or a Map
 * or Set is filled when there is one at that place. Anything else is made anew. A frozen object
 * equal, property by property, to the one at its place is replaced by that one (the cores' shared
 * configuration). The objects in `into` must not be shared with anything the stream does not
 * describe: they end up holding the stream's state.
 *
 * `onlyFrozenShared`: as given to `toTransferable`; then only frozen objects of `into` can be
 * reached twice, and only those are checked for having been filled already (reading 25,000 cores
 * into place took 0.45-0.57 s so, against 0.63-0.74 s with every object in the table).
 */
export function fromTransferable(
  t: unknown,
  functions: Readonly<Record<string, (...args: never[]) => unknown>>,
  records: readonly PeerRecord[] = [],
  into?: unknown,
  onlyFrozenShared = false,
): unknown {
  const { stream: d, length, typed, shapes } = t as Transferable;
  const strings = (t as Transferable).strings.map(internalized);
  // Objects met so far, numbered as `toTransferable` met them.
  const made: unknown[] = [];
  // Objects of `into` filled so far (see `onlyFrozenShared`): two objects of the stream never land in one.
  const filled = new Set<object>();
  const others = new Map<string, PeerRecord>();
  // Per shape (a shape belongs to one class), the constructor that lays the object out (see snapshot.ts).
  const makers: (ReturnType<typeof makerFor> | undefined)[] = [];
  let p = 0;
  /** The next value; `at`: what this thread holds in its place; `key`: the property that holds it
   * (for an array's elements, the array's). */
  const read = (at: unknown, key: string): unknown => {
    const tag = d[p++]!;
    switch (tag) {
      case T_NUMBER:
        return smallIfInteger(d[p++]!);
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
        let a: number[];
        if (fillable(at)) fillersFor(key).numbers((a = at as number[]), d, p, n);
        else a = doubles(d, p, n);
        p += n;
        made.push(a);
        return a;
      }
      case T_ARRAY: {
        const n = d[p++]!;
        if (fillable(at)) {
          made.push(at);
          fillersFor(key).values(at, n, (x) => read(x, key));
          return at;
        }
        const a: unknown[] = [];
        made.push(a);
        for (let i = 0; i < n; i++) a.push(read(undefined, key));
        return a;
      }
      case T_MAP: {
        const n = d[p++]!;
        const m = at instanceof Map && claim(at) ? at : new Map();
        m.clear();
        made.push(m);
        for (let i = 0; i < n; i++) {
          const k = read(undefined, key);
          m.set(k, read(undefined, key));
        }
        return m;
      }
      case T_SET: {
        const n = d[p++]!;
        const s = at instanceof Set && claim(at) ? at : new Set();
        s.clear();
        made.push(s);
        for (let i = 0; i < n; i++) s.add(read(undefined, key));
        return s;
      }
      case T_OBJECT: {
        const c = d[p++]!;
        const s = d[p++]!;
        const k = shapes[s]!;
        const frozen = d[p++] === 1;
        const proto = c === PLAIN ? Object.prototype : c === NULL_PROTO ? null : (CLASSES[c]!.prototype as object);
        if (!frozen && sameShape(at, proto, k) && claim(at)) {
          const o = at;
          made.push(o);
          for (let i = 0; i < k.length; i++) o[k[i]!] = read(o[k[i]!], k[i]!);
          return o;
        }
        let make = makers[s];
        if (make === undefined) make = makers[s] = proto === null ? null : makerFor(proto, k);
        const o = (make === null ? Object.create(proto) : new make()) as Record<string, unknown>;
        const number = made.push(o) - 1;
        for (let i = 0; i < k.length; i++) o[k[i]!] = read(undefined, k[i]!);
        if (!frozen) return o;
        Object.freeze(o);
        if (!sameShape(at, proto, k) || !Object.isFrozen(at) || !sameValues(o, at, k)) return o;
        made[number] = at;
        return at;
      }
      default:
        throw new Error(`transfer: bad stream (tag ${tag} at ${p - 1})`);
    }
  };
  /** Whether `at` is an array not filled yet (and marks it filled). */
  const fillable = (at: unknown): at is unknown[] => Array.isArray(at) && claim(at);
  const claim = (o: object): boolean => {
    if (onlyFrozenShared && !Object.isFrozen(o)) return true;
    if (filled.has(o)) return false;
    filled.add(o);
    return true;
  };
  const root = read(into, "");
  if (p !== length) throw new Error(`transfer: bad stream (read ${p} of ${length} numbers)`);
  return root;
}

/** `x` as a small integer when it is one: the form the core's own arithmetic gives it. */
function smallIfInteger(x: number): number {
  return (x | 0) === x && (x !== 0 || 1 / x > 0) ? x | 0 : x;
}

/** The internalized copy of `s`, as the core's string literals are (a property key is one). */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

/** Whether `at` is a non-null object of prototype `proto` with exactly the keys `keys`, in order. */
function sameShape(at: unknown, proto: object | null, keys: readonly string[]): at is Record<string, unknown> {
  if (typeof at !== "object" || at === null || Array.isArray(at) || Object.getPrototypeOf(at) !== proto) return false;
  let i = 0;
  for (const key in at) if (key !== keys[i++]) return false;
  return i === keys.length;
}

function sameValues(a: Record<string, unknown>, b: Record<string, unknown>, keys: readonly string[]): boolean {
  for (const k of keys) if (!Object.is(a[k], b[k])) return false;
  return true;
}

/**
 * Fills an array this thread holds, keeping the elements kind its own code gave it: small integers,
 * doubles or anything. V8 lets one store site generalise the arrays it writes to the most general
 * kind it has seen there (an array of small integers stored into where arrays of doubles were too
 * becomes one of doubles), so each property name gets store sites of its own: the arrays a property
 * holds have one kind (a view's id hashes are small integers, its fields doubles).
 */
interface Fillers {
  /** `a` gets the `n` numbers of `d` from `at` (integers as small integers). */
  readonly numbers: (a: number[], d: Float64Array, at: number, n: number) => void;
  /** `a` gets `n` values, each `next(what a holds at that index)`. */
  readonly values: (a: unknown[], n: number, next: (x: unknown) => unknown) => void;
}

const fillers = new Map<string, Fillers>();

function fillersFor(key: string): Fillers {
  let f = fillers.get(key);
  if (f === undefined) {
    // Made anew per key, each from a source of its own (numbered): V8 gives functions made from the
    // same source one and the same feedback, and so the same store sites.
    const serial = fillers.size;
    const numbers = new Function(
      "a",
      "d",
      "at",
      "n",
      `// numbers ${serial}\n` +
        "if (a.length > n) a.length = n;\n" +
        "for (let i = 0; i < n; i++) { const x = d[at + i]; a[i] = (x | 0) === x && (x !== 0 || 1 / x > 0) ? x | 0 : x; }",
    ) as Fillers["numbers"];
    const values = new Function(
      "a",
      "n",
      "next",
      `// values ${serial}\nif (a.length > n) a.length = n;\nfor (let i = 0; i < n; i++) a[i] = next(a[i]);`,
    ) as Fillers["values"];
    fillers.set(key, (f = { numbers, values }));
  }
  return f;
}

/** An array of unboxed doubles with the `n` numbers of `d` from `at`: made from a fraction, so
 * that it is one from the start whatever the numbers. */
function doubles(d: Float64Array, at: number, n: number): number[] {
  const a = new Array<number>(n).fill(0.5);
  for (let i = 0; i < n; i++) a[i] = d[at + i]!;
  return a;
}
