/**
 * A seeded pseudo-random generator written here: xoshiro128** (Blackman & Vigna, 2018), seeded
 * through SplitMix32. Every random draw in sgdlab goes through a {@link Random} that the caller
 * passes in; lib/ never calls Math.random.
 *
 * @module
 */
import { Matrix } from "./matrix.ts";

/** A 32-bit SplitMix step: a well-mixed 32-bit value from a counter. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Seeded xoshiro128** generator with uniform, integer, normal and categorical draws.
 * The same seed gives the same sequence, bit for bit, on every machine.
 *
 * @example Two generators with one seed agree
 * ```ts
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new Random(42), b = new Random(42);
 * assert.equal(a.float(), b.float());
 * const u = a.float();
 * assert.ok(u >= 0 && u < 1);
 * ```
 */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  readonly #word = new Uint32Array(1);
  #spareNormal: number | null = null;

  /**
   * @param seed any safe integer; different seeds give independent-looking streams
   * @throws {RangeError} when the seed is not a safe integer
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`cannot seed the generator with ${seed}: expected a safe integer`);
    }
    const lo = seed | 0, hi = Math.floor(seed / 2 ** 32) | 0;
    let c = splitmix32(lo ^ 0x5bd1e995) ^ hi;
    this.#s0 = c = splitmix32(c);
    this.#s1 = c = splitmix32(c);
    this.#s2 = c = splitmix32(c);
    this.#s3 = splitmix32(c);
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /**
   * A generator started from a raw xoshiro128** state of four 32-bit words (not all zero),
   * for checking against the reference implementation.
   *
   * @throws {RangeError} for a state that is not four 32-bit words, or all zero
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * assert.equal(Random.fromState([1, 2, 3, 4]).uint32(), 11520);
   * ```
   */
  static fromState(state: ArrayLike<number>): Random {
    const ok = state.length === 4 &&
      Array.from(state).every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32);
    if (!ok || Array.from(state).every((w) => w === 0)) {
      throw new RangeError(
        `cannot start the generator from [${
          Array.from(state)
        }]: expected four 32-bit words, not all zero`,
      );
    }
    const r = new Random(0);
    r.#s0 = state[0] | 0;
    r.#s1 = state[1] | 0;
    r.#s2 = state[2] | 0;
    r.#s3 = state[3] | 0;
    return r;
  }

  /**
   * The next uniform 32-bit unsigned integer.
   *
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const v = new Random(1).uint32();
   * assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
   * ```
   */
  uint32(): number {
    this.#advance();
    return this.#word[0];
  }

  /**
   * One step of the generator; its 32-bit output goes to `#word[0]`. Returned instead, a draw of
   * 2^30 or more would not fit a small integer and be boxed on the heap wherever the call is not
   * inlined (about 9 bytes per draw in the training loop's samplers): `int`, `float` and
   * `fromCumulative` read it from there.
   */
  #advance(): void {
    const s1 = this.#s1;
    this.#word[0] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
  }

  /**
   * A uniform double in [0, 1) with 53 random bits.
   *
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const r = new Random(3);
   * for (let i = 0; i < 100; i++) { const u = r.float(); assert.ok(u >= 0 && u < 1); }
   * ```
   */
  float(): number {
    this.#advance();
    const hi = this.#word[0] >>> 5; // 27 bits
    this.#advance();
    return (hi * 67108864 + (this.#word[0] >>> 6)) / 9007199254740992; // and 26
  }

  /**
   * A uniform integer in [0, n), without modulo bias (rejection sampling).
   *
   * @throws {RangeError} when n is not an integer in [1, 2^32]
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const r = new Random(5);
   * for (let i = 0; i < 100; i++) assert.ok(r.int(3) < 3);
   * assert.throws(() => r.int(0), /cannot draw an integer in \[0, 0\)/);
   * ```
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) {
      throw new RangeError(
        `cannot draw an integer in [0, ${n}): n must be an integer in [1, 2^32]`,
      );
    }
    const limit = 2 ** 32 - (2 ** 32 % n);
    let v: number;
    do {
      this.#advance();
      v = this.#word[0];
    } while (v >= limit);
    return v % n;
  }

  /**
   * A standard normal draw (Box–Muller; the second value of each pair is kept for the next call).
   *
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const r = new Random(7);
   * let sum = 0;
   * for (let i = 0; i < 10000; i++) sum += r.normal();
   * assert.ok(Math.abs(sum / 10000) < 0.04); // 4 standard errors of the mean
   * ```
   */
  normal(): number {
    if (this.#spareNormal !== null) {
      const v = this.#spareNormal;
      this.#spareNormal = null;
      return v;
    }
    let u = this.float();
    while (u === 0) u = this.float();
    const radius = Math.sqrt(-2 * Math.log(u)), angle = 2 * Math.PI * this.float();
    this.#spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /**
   * A rows×cols matrix of independent standard normal draws, filled row by row.
   *
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const m = new Random(1).normalMatrix(2, 3);
   * assert.equal(m.shape, "2x3");
   * assert.deepEqual(m.data, new Random(1).normalMatrix(2, 3).data);
   * ```
   */
  normalMatrix(rows: number, cols: number): Matrix {
    const m = new Matrix(rows, cols);
    for (let k = 0; k < m.data.length; k++) m.data[k] = this.normal();
    return m;
  }

  /**
   * Shuffles `items` in place (Fisher–Yates) and returns it.
   *
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const a = new Random(9).shuffle([1, 2, 3, 4, 5]);
   * assert.deepEqual([...a].sort(), [1, 2, 3, 4, 5]);
   * ```
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /**
   * An index drawn with probability proportional to `weights` (non-negative, not all zero).
   * For many draws from one distribution use {@link cumulative} and {@link Random.fromCumulative}.
   *
   * @throws {RangeError} when a weight is negative or not finite, or all are zero
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new Random(1).categorical([0, 0, 1]), 2);
   * ```
   */
  categorical(weights: ArrayLike<number>): number {
    return this.fromCumulative(cumulative(weights));
  }

  /**
   * An index i drawn with probability (cdf[i] − cdf[i−1]) / cdf[last], by binary search.
   *
   * @example
   * ```ts
   * import { Random, cumulative } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * const cdf = cumulative([1, 0, 3]);
   * const r = new Random(2);
   * for (let t = 0; t < 50; t++) assert.notEqual(r.fromCumulative(cdf), 1);
   * ```
   */
  fromCumulative(cdf: Float64Array): number {
    // `float()` written out: a double returned from a call that is not inlined is boxed
    this.#advance();
    const high = this.#word[0] >>> 5;
    this.#advance();
    const u = (high * 67108864 + (this.#word[0] >>> 6)) / 9007199254740992 * cdf[cdf.length - 1];
    let lo = 0, hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * A new generator seeded from this one: an independent stream for a sub-task.
   *
   * @example
   * ```ts
   * import { Random } from "@lib/random.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new Random(1).fork().float(), new Random(1).fork().float());
   * ```
   */
  fork(): Random {
    return new Random(this.uint32() * 2 ** 21 + (this.uint32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Running sums of non-negative weights, for {@link Random.fromCumulative}.
 *
 * @throws {RangeError} when a weight is negative or not finite, or all weights are zero
 * @example
 * ```ts
 * import { cumulative } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(cumulative([1, 2, 3])), [1, 3, 6]);
 * assert.throws(() => cumulative([0, 0]), /all 2 weights are zero/);
 * ```
 */
export function cumulative(weights: ArrayLike<number>): Float64Array {
  const cdf = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (!(w >= 0) || w === Infinity) {
      throw new RangeError(
        `cannot sample from weights: weight ${i} is ${w}, expected a finite value >= 0`,
      );
    }
    s += w;
    cdf[i] = s;
  }
  if (!(s > 0)) {
    throw new RangeError(`cannot sample from weights: all ${weights.length} weights are zero`);
  }
  return cdf;
}
