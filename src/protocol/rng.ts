/** Randomness comes into the core through this interface, so a seed replays a run exactly. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng.next() * n);
}

/**
 * sfc32, a small fast generator with a 128-bit state: good statistical quality, cheap enough for
 * a simulator running millions of steps, and fully determined by its seed.
 */
export class SeededRng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // Mix the high bits of seeds above 2^32 in too, then warm up.
    this.c ^= Math.floor(seed / 0x100000000) >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A new generator whose seed is drawn from this one (one stream per simulated node). */
  fork(): SeededRng {
    return new SeededRng(Math.floor(this.next() * 4294967296));
  }
}
