/**
 * How fast the machine's memory answers right now. A large run spends most of its time waiting on
 * memory (each message goes to a random node whose state is not in any cache), and on a shared
 * virtual machine that wait drifts by a third or more within an hour: a run's wall time means
 * little without it. The report prints this probe, taken before and after the run, beside the
 * times.
 */

/** Entries of the probe's array: 128 MiB of 32-bit indices, several times any cache here. */
const SIZE = 1 << 25;
/** Dependent reads timed. */
const READS = 1 << 20;

/**
 * Mean time of one dependent read (ns) at random places in 128 MiB: each read's address is the
 * previous read's value, so the reads cannot overlap, as a step's chain of objects cannot; the
 * array is one cycle through every entry (`chain`). About a second; the memory is freed afterwards.
 */
export function memoryLatencyNs(): number {
  const next = chain(SIZE);
  let at = 0;
  // A short first pass, so that the timed one runs optimised code.
  for (let k = 0; k < READS >> 4; k++) at = next[at]!;
  const t = performance.now();
  for (let k = 0; k < READS; k++) at = next[at]!;
  const ns = ((performance.now() - t) * 1e6) / READS;
  // `at` is used, so the loop is not dropped.
  return at < 0 ? -1 : ns;
}

/**
 * An array of `size` entries (a power of two) that is one cycle through all of them: entry i holds
 * 1103515245 i + 12345 mod size, a generator of full period (its multiplier is 1 mod 4, its
 * increment odd), in an order that no prefetcher follows.
 */
export function chain(size: number): Int32Array {
  if (!(Number.isInteger(Math.log2(size)) && size >= 4)) throw new RangeError(`chain: size must be a power of two >= 4, got ${size}`);
  const next = new Int32Array(size);
  for (let i = 0; i < size; i++) next[i] = (Math.imul(i, 1_103_515_245) + 12_345) & (size - 1);
  return next;
}
