/**
 * PolicyLab's seeded random number generator: xoshiro128** (Blackman & Vigna, 2018),
 * a 32-bit generator with 128 bits of state, seeded through SplitMix32 so that
 * nearby integer seeds give unrelated streams.
 *
 * - `nextUint32()` is one xoshiro128** output.
 * - `uniform()` is a float64 in [0, 1) built from two outputs (53 random bits).
 * - `normal()` is a standard normal from the Box–Muller transform (no cached second value,
 *   so the state alone determines the stream).
 *
 * Each env, each vector env copy and each algorithm owns its own `Rng`; `getState()/setState()`
 * capture it exactly for checkpoints and replay.
 */
export type RngState = readonly [number, number, number, number];

function splitMix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  constructor(seed: number = 0) {
    this.seed(seed);
  }

  /** Re-seeds the stream. Seeds are integers; any integer (including negatives and > 2^32) is accepted. */
  seed(seed: number): void {
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    // Fold the high bits in so seeds above 2^32 still differ.
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const sm = splitMix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
    this.#s0 = sm() | 0;
    this.#s1 = sm() | 0;
    this.#s2 = sm() | 0;
    this.#s3 = sm() | 0;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  nextUint32(): number {
    // State is kept as int32 (`| 0`) so V8 stays on small-integer arithmetic; outputs are identical
    // to the uint32 formulation (~3x faster per draw, measured in the env bench).
    const s0 = this.#s0;
    const s1 = this.#s1;
    const r = Math.imul(s1, 5);
    const result = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    const s2 = this.#s2 ^ s0;
    const s3 = this.#s3 ^ s1;
    this.#s1 = s1 ^ s2;
    this.#s0 = s0 ^ s3;
    this.#s2 = s2 ^ t;
    this.#s3 = (s3 << 11) | (s3 >>> 21);
    return result >>> 0;
  }

  /** Float64 uniform in [0, 1). */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Float64 uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Integer uniform in [0, n), without modulo bias. */
  integer(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`integer(n) needs a positive integer n, got ${n}`);
    if (n > 2 ** 32) return Math.floor(this.uniform() * n);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal N(0, 1) by Box–Muller. */
  normal(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  getState(): RngState {
    return [this.#s0 >>> 0, this.#s1 >>> 0, this.#s2 >>> 0, this.#s3 >>> 0];
  }

  setState(state: RngState): void {
    // `state as unknown`: Array.isArray would otherwise narrow the readonly tuple type to never.
    if (!Array.isArray(state as unknown) || state.length !== 4 || !state.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
      throw new Error(`Rng state must be four uint32 values, got ${JSON.stringify(state)}`);
    }
    if (state.every((x) => x === 0)) throw new Error('Rng state must not be all zeros');
    this.#s0 = state[0] | 0;
    this.#s1 = state[1] | 0;
    this.#s2 = state[2] | 0;
    this.#s3 = state[3] | 0;
  }
}
