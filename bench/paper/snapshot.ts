/**
 * A deep copy of a whole simulation (every core, the event queue, the links), so that each failure
 * rate starts from the same stabilised overlay without rebuilding it: at 10,000 nodes the joins and
 * 50 cycles take far longer than a copy, and the experiment needs one fresh overlay per failure
 * rate and per figure.
 *
 * The copy is generic: objects keep their prototype, arrays, maps, sets and typed arrays are
 * copied, shared references stay shared (a peer record held by a thousand views is copied once, or
 * not at all when frozen: frozen objects are immutable and are shared between copies), functions
 * are shared. It relies on the copied classes keeping their state in ordinary properties (no
 * `#private` fields, no WeakMaps).
 *
 * A copied object is made by a constructor generated once per prototype and property list, which
 * assigns every property in order. An object made by `Object.create` and then given its
 * properties holds only its first few inside itself and the rest in a separate array: every core
 * state of a copied simulation would take one more pointer hop, and one more cache miss, per read
 * of most of its fields. At 100,000 nodes the cycles ran about 1.6 times slower on such a copy
 * than on the original.
 */

/** A deep copy of `value`; the objects in `shared` (and what only they reach) are not copied: the
 * copy refers to them as they are. */
export function deepCopy<T>(value: T, shared: Iterable<object> = []): T {
  const memo = new Map<object, unknown>();
  for (const x of shared) memo.set(x, x);
  return copy(value, memo) as T;
}

type Maker = new () => Record<string, unknown>;
/** Per prototype: the constructors made so far, by property list ("a,b,c"). */
const makers = new Map<object, Map<string, Maker>>();
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether every key can be written as `o.key` in generated code. */
function identifiers(keys: readonly string[]): boolean {
  return keys.every((k) => IDENTIFIER.test(k));
}

/** A constructor of empty objects with prototype `proto` and the properties `keys`, in that order,
 * laid out inside the object; null if a key is not a plain identifier. */
export function makerFor(proto: object, keys: string[]): Maker | null {
  let byKeys = makers.get(proto);
  if (byKeys === undefined) makers.set(proto, (byKeys = new Map()));
  const sig = keys.join(",");
  let make = byKeys.get(sig);
  if (make === undefined) {
    if (!identifiers(keys)) return null;
    // Generated from identifiers only (checked above).
    make = new Function(keys.map((k) => `this.${k} = undefined;`).join("\n")) as unknown as Maker;
    make.prototype = proto;
    byKeys.set(sig, make);
  }
  return make;
}

/** A constructor that makes the copy of one object of a given prototype and property list: it
 * records the copy in the memo first (so that cycles back to the object find it), then assigns
 * every property in order, by name. Generated per shape, so that each of its property reads and
 * writes sees one shape only: looked up by a key string instead, they are the slow, generic kind. */
type Copier = new (o: Record<string, unknown>, memo: Map<object, unknown>) => Record<string, unknown>;
/** Per prototype: its shapes met so far (property lists) and their copiers (null: some key is not an
 * identifier). Most prototypes have one shape. */
const copiers = new Map<object, { keys: string[]; copier: Copier | null }[]>();
/** Scratch for an object's keys, reused: a shape's own list is kept only when it is new. */
const scratchKeys: string[] = [];

function copierFor(proto: object, keys: readonly string[]): { keys: string[]; copier: Copier | null } {
  let shapes = copiers.get(proto);
  if (shapes === undefined) copiers.set(proto, (shapes = []));
  next: for (const s of shapes) {
    if (s.keys.length !== keys.length) continue;
    for (let i = 0; i < keys.length; i++) if (s.keys[i] !== keys[i]) continue next;
    return s;
  }
  const own = keys.slice();
  let copier: Copier | null = null;
  if (identifiers(own)) {
    // Generated from identifiers only (checked above). Each property gets an array copier of its
    // own (see `arrayCopier`).
    const body = own.map((k, i) => `x = o.${k}; this.${k} = typeof x === "object" && x !== null ? copy(x, memo, a[${i}]) : x;`).join("\n");
    const a = own.map(() => arrayCopier());
    copier = new Function("copy", "a", `return function Copier(o, memo) { memo.set(o, this); let x; ${body} };`)(copy, a) as Copier;
    copier.prototype = proto;
  }
  const shape = { keys: own, copier };
  shapes.push(shape);
  return shape;
}

type ArrayCopier = (v: unknown[], memo: Map<object, unknown>) => unknown[];

/**
 * A function that copies an array: `slice` keeps the array's elements kind (the views' number
 * arrays stay arrays of small integers and of unboxed doubles: views.ts), then the elements that
 * are objects are copied in place. Each property of each shape gets a function of its own: once
 * optimised, a loop that reads the elements of arrays of several kinds turns those of the narrower
 * kinds (numbers) into the widest (any value, numbers boxed) as it reads them. One loop for every
 * array turned nearly all of a copy's number arrays into arrays of boxed numbers (seen with
 * `--allow-natives-syntax`). Each function's source is made unique by its number: V8 gives
 * functions made from the same source one and the same feedback.
 */
let arrayCopiers = 0;
function arrayCopier(): ArrayCopier {
  return new Function(
    "copy",
    `return function copyArray${++arrayCopiers}(v, memo) {
      const c = v.slice();
      memo.set(v, c);
      for (let i = 0; i < c.length; i++) {
        const x = c[i];
        if (typeof x === "object" && x !== null) c[i] = copy(x, memo);
      }
      return c;
    };`,
  )(copy) as ArrayCopier;
}

/** For arrays not held by an object's property (in an array, a Map or a Set). */
const copyArray = arrayCopier();

/** `arrays`: how an array met here is copied (see `arrayCopier`). */
function copy(v: unknown, memo: Map<object, unknown>, arrays: ArrayCopier = copyArray): unknown {
  if (typeof v !== "object" || v === null) return v; // primitives and functions are shared
  // Frozen first: peer records are most of the references and are shared as they are, without
  // a memo lookup.
  if (Object.isFrozen(v)) return v;
  const known = memo.get(v);
  if (known !== undefined) return known;
  if (ArrayBuffer.isView(v)) {
    const c = (v as unknown as { slice(): unknown }).slice();
    memo.set(v, c);
    return c;
  }
  if (Array.isArray(v)) return arrays(v as unknown[], memo);
  if (v instanceof Map) {
    const c = new Map();
    memo.set(v, c);
    for (const [k, x] of v) c.set(copy(k, memo), copy(x, memo));
    return c;
  }
  if (v instanceof Set) {
    const c = new Set();
    memo.set(v, c);
    for (const x of v) c.add(copy(x, memo));
    return c;
  }
  const o = v as Record<string, unknown>;
  // for-in: own enumerable data properties (class methods live on the prototype and are not
  // enumerable).
  const scratch = scratchKeys;
  scratch.length = 0;
  for (const k in o) scratch.push(k);
  const proto = Object.getPrototypeOf(v) as object | null;
  const shape = proto === null ? null : copierFor(proto, scratch);
  if (shape !== null && shape.copier !== null) return new shape.copier(o, memo);
  // Keys that are not identifiers, or no prototype: property by property (no generated
  // constructor can name such keys either, so the object starts empty).
  const keys = shape === null ? scratch.slice() : shape.keys;
  const c = Object.create(proto) as Record<string, unknown>;
  memo.set(v, c);
  for (const k of keys) {
    const x = o[k];
    c[k] = typeof x === "object" && x !== null ? copy(x, memo) : x;
  }
  return c;
}
