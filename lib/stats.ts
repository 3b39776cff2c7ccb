/**
 * Descriptive statistics of plain number arrays, one copy for the whole library: mean, variance
 * and standard deviation (sample, n − 1), median, quantiles (linear interpolation, Hyndman & Fan type 7),
 * ranks with ties averaged, and the correlations of Pearson and Spearman.
 *
 * Sums run left to right, so results are the same bits whatever the caller; an empty input gives
 * NaN (null for a correlation).
 *
 * @module
 */

/**
 * The arithmetic mean, summed left to right; NaN for no values.
 *
 * @example
 * ```ts
 * import { mean } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mean([1, 2, 3, 4]), 2.5);
 * assert.ok(Number.isNaN(mean([])));
 * ```
 */
export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  return sum / n;
}

/**
 * The sample variance Σ (v − v̄)² / (n − 1), from deviations to the {@link mean}; 0 for one value
 * (no spread seen), NaN for none.
 *
 * @example
 * ```ts
 * import { variance } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(variance([2, 4, 4, 4, 5, 5, 7, 9]), 32 / 7); // n − 1, not the population's n
 * assert.equal(variance([3]), 0);
 * ```
 */
export function variance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (n === 1) return 0;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return ss / (n - 1);
}

/**
 * The sample standard deviation √(Σ (v − v̄)² / (n − 1)), the square root of {@link variance};
 * 0 for one value (no spread seen), NaN for none.
 *
 * @example
 * ```ts
 * import { sd } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7)); // n − 1, not the population's n
 * assert.equal(sd([3]), 0);
 * ```
 */
export function sd(values: ArrayLike<number>): number {
  return Math.sqrt(variance(values));
}

function sorted(values: ArrayLike<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

/**
 * The median: the middle of the sorted values, or the mean of the two middle ones; NaN for no
 * values. The input is not changed.
 *
 * @example
 * ```ts
 * import { median } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([4, 1, 3, 2]), 2.5);
 * ```
 */
export function median(values: ArrayLike<number>): number {
  const s = sorted(values), h = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * The high median: the upper of the two middle values when their count is even (the sorted
 * value at index ⌊n/2⌋), so always one of the values; NaN for none. Python's
 * `statistics.median_high`.
 *
 * @example
 * ```ts
 * import { medianHigh } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(medianHigh([4, 1, 3, 2]), 3);
 * assert.equal(medianHigh([3, 1, 2]), 2);
 * ```
 */
export function medianHigh(values: ArrayLike<number>): number {
  const s = sorted(values);
  return s.length === 0 ? NaN : s[s.length >> 1];
}

function checkLevel(q: number): void {
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(`cannot take a quantile at level ${q}: it must be in [0, 1]`);
  }
}

function interpolated(s: readonly number[], q: number): number {
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q, lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

/**
 * The q-quantile by linear interpolation between order statistics (Hyndman & Fan's type 7, the
 * default of R and NumPy): with the values sorted as s_0 ≤ … ≤ s_{n−1} and h = (n − 1) q, it is
 * s_⌊h⌋ + (h − ⌊h⌋)(s_⌊h⌋+1 − s_⌊h⌋). Level 0 gives the minimum, 1 the maximum, ½ the median.
 *
 * @throws {RangeError} when q is not in [0, 1]
 * @example
 * ```ts
 * import { quantile } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
 * assert.equal(quantile([10, 20], 0.75), 17.5);
 * ```
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  checkLevel(q);
  return interpolated(sorted(values), q);
}

/**
 * Several quantiles ({@link quantile}, type 7) of the same values, sorting them once.
 *
 * @throws {RangeError} when a level is not in [0, 1]
 * @example
 * ```ts
 * import { quantiles } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(quantiles([5, 1, 4, 2, 3], [0, 0.5, 1]), [1, 3, 5]);
 * ```
 */
export function quantiles(values: ArrayLike<number>, levels: readonly number[]): number[] {
  levels.forEach(checkLevel);
  const s = sorted(values);
  return levels.map((q) => interpolated(s, q));
}

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new RangeError(`cannot correlate ${a.length} values with ${b.length}: lengths differ`);
  }
}

/**
 * Pearson's correlation of two equally long arrays: Σ(a − ā)(b − b̄) / √(Σ(a − ā)² Σ(b − b̄)²);
 * null when either is constant (or empty).
 *
 * @throws {RangeError} when the lengths differ
 * @example
 * ```ts
 * import { pearson } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
 * assert.equal(pearson([1, 2, 3], [3, 2, 1]), -1);
 * assert.equal(pearson([1, 2, 3], [5, 5, 5]), null);
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  checkPair(a, b);
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

/**
 * Ranks 1..n in increasing order, tied values given the mean of the ranks they span. NaN has no
 * rank: leave it out first.
 *
 * @example
 * ```ts
 * import { ranks } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(ranks([30, 10, 20, 10])), [4, 1.5, 3, 1.5]);
 * ```
 */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length, order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => values[i] - values[j] || i - j);
  const r = new Float64Array(n);
  for (let s = 0; s < n;) {
    let e = s;
    while (e + 1 < n && values[order[e + 1]] === values[order[s]]) e++;
    for (let k = s; k <= e; k++) r[order[k]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

/**
 * Spearman's rank correlation: Pearson's correlation of the {@link ranks} (ties averaged), so
 * unchanged by any increasing map of either array; null when either is constant.
 *
 * @throws {RangeError} when the lengths differ
 * @example
 * ```ts
 * import { spearman } from "@lib/stats.ts";
 * import assert from "node:assert/strict";
 * assert.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1); // monotone, not linear
 * assert.equal(spearman([1, 2, 3], [3, 1, 2]), -0.5);
 * ```
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  checkPair(a, b);
  return pearson(ranks(a), ranks(b));
}
