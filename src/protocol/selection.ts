/**
 * Uniform random selection, for the views and their rules: a random index among those that pass
 * a test, and partial Fisher-Yates sampling. Randomness comes only from the injected `Rng`.
 */
import { randomInt, type Rng } from "./rng.js";

/** Entry indices to sample from: one scratch array, reused from call to call (no allocation). */
const pool: number[] = [];
export function indexPool(): number[] {
  pool.length = 0;
  return pool;
}

/** A uniformly random index in [0, n) that passes `ok`, or -1 if none does. */
export function pickWhere(rng: Rng, n: number, ok: (i: number) => boolean): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (ok(i)) count++;
  if (count === 0) return -1;
  let k = randomInt(rng, count);
  for (let i = 0; i < n; i++) {
    if (ok(i) && k-- === 0) return i;
  }
  return -1;
}

/** Up to `k` distinct items of `items` passing `ok`, uniformly at random. */
export function sample<T>(rng: Rng, items: readonly T[], k: number, ok?: (e: T) => boolean): T[] {
  return takeRandom(rng, ok ? items.filter(ok) : items.slice(), k);
}

/** Up to `k` distinct items of `pool`, uniformly at random (partial Fisher-Yates, in place: the
 * pool is consumed and returned). */
export function takeRandom<T>(rng: Rng, pool: T[], k: number): T[] {
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(rng, pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  if (pool.length !== n) pool.length = n;
  return pool;
}
