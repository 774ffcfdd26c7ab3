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
 * `#private` fields, no WeakMaps); `checkSnapshot` below catches a copy that went wrong.
 */

export function deepCopy<T>(value: T): T {
  return copy(value, new Map()) as T;
}

function copy(v: unknown, memo: Map<object, unknown>): unknown {
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
  if (Array.isArray(v)) {
    const c: unknown[] = new Array(v.length);
    memo.set(v, c);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      c[i] = typeof x === "object" && x !== null ? copy(x, memo) : x;
    }
    return c;
  }
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
  const c = Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>;
  memo.set(v, c);
  const o = v as Record<string, unknown>;
  // for-in over own enumerable data properties (class methods live on the prototype and are not
  // enumerable); cheaper than allocating Object.keys per object.
  for (const k in o) {
    const x = o[k];
    c[k] = typeof x === "object" && x !== null ? copy(x, memo) : x;
  }
  return c;
}
