/** Typed arrays that grow: the simulator keeps its per-node, per-event and per-link state in them. */
export type TypedArray = Uint8Array | Int32Array | Float64Array;

/** A copy of `a` with room for `length` elements (the new ones zero). */
export function grown<T extends TypedArray>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
