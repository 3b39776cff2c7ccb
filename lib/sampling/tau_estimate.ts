/**
 * τ, the variance reduction that importance sampling would bring, estimated from scores
 * (Katharopoulos & Fleuret 2018, §3.3). The presampler (lib/sampling/presampler.ts) switches importance
 * sampling on when τ exceeds a threshold.
 *
 * For B scored samples with scores s_i, g = s/Σs the importance distribution and u = 1/B the
 * uniform one, and gradient norms proportional to the scores, the ratio of the second moments of
 * one uniform draw and one importance draw with weight 1/(B g_i) is
 *
 *   E_u[s²] / E_g[w² s²] = B Σ_i g_i² = 1 / (1 − ‖g − u‖² / ‖g‖²) = E[s²] / E[s]² = 1 + CV(s)²,
 *
 * {@link varianceRatio}: how many times larger a uniform batch would have to be to match the
 * variance of the importance-sampled one (neglecting ‖E G‖²). It is 1 for equal scores and grows
 * with their spread. Two readings of τ are found in the literature, both here under their names:
 * - the variance ratio itself, the quantity that the cost threshold (B + 3b)/(3b) compares with;
 * - its square root 1/√(1 − ‖g − u‖²/‖g‖²), which is what the reference implementation computes
 *   (idiap/importance-sampling, samplers.py, VarianceReductionCondition); the extraction of the
 *   paper's Algorithm 1 we could read does not settle which exponent the paper prints.
 * With the default threshold 2 (B = 3b), the square-root reading switches on when CV² > 3, the
 * variance ratio when CV² > 1.
 *
 * τ is smoothed by an exponential moving average, τ ← a_τ τ + (1 − a_τ) τ_new, starting at τ = 0
 * (a_τ = 0.9 in the reference code), so that a single lucky batch does not switch.
 *
 * @module
 */

/** Which quantity τ averages: the reference code's square root, or the variance ratio itself. */
export type TauVariant = "sqrtVarianceRatio" | "varianceRatio";

/** Σ s_i and Σ s_i², both of s scaled by its maximum (so nothing underflows), and that maximum. */
/** [Σ v, Σ v², max] of the last {@link scaledSums}, reused (an array return allocated per step). */
const SUMS = new Float64Array(3);

/**
 * Σ v and Σ v² of v = s/max(s), and max(s), into {@link SUMS} (all 0 when every score is 0):
 * scaled so that the squares cannot overflow.
 */
function scaledSums(scores: ArrayLike<number>, action: string): Float64Array {
  const n = scores.length;
  if (n < 1) throw new RangeError(`cannot ${action}: no scores`);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (!(v >= 0) || v === Infinity) {
      throw new RangeError(`cannot ${action}: score ${i} is ${v}, expected a finite value >= 0`);
    }
    if (v > max) max = v;
  }
  SUMS[0] = SUMS[1] = SUMS[2] = 0;
  if (max === 0) return SUMS;
  let s = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[i] / max;
    s += v;
    ss += v * v;
  }
  SUMS[0] = s;
  SUMS[1] = ss;
  SUMS[2] = max;
  return SUMS;
}

/**
 * B Σ_i g_i² with g = s/Σs: E[s²]/E[s]², the factor by which importance sampling with p ∝ s
 * shrinks the second moment of a draw when the gradient norms are proportional to s. It is 1 when
 * all scores are equal or all are 0 (then the sampler is uniform).
 *
 * @throws {RangeError} for no scores, or a score that is negative or not finite
 * @example
 * ```ts
 * import { varianceRatio } from "@lib/sampling/tau_estimate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(varianceRatio([2, 2, 2]), 1);
 * assert.equal(varianceRatio([1, 0, 0, 0]), 4); // B Σ g² with g = (1, 0, 0, 0)
 * assert.equal(varianceRatio([0, 0]), 1);
 * ```
 */
export function varianceRatio(scores: ArrayLike<number>): number {
  const sums = scaledSums(scores, "compute the variance ratio");
  if (sums[2] === 0) return 1;
  const s = sums[0];
  return (scores.length * sums[1]) / (s * s);
}

/**
 * √(B Σ g_i²) = 1/√(1 − ‖g − u‖²/‖g‖²): the τ_new of the reference implementation (see the module
 * doc), the square root of {@link varianceRatio}.
 *
 * @example
 * ```ts
 * import { sqrtVarianceRatio } from "@lib/sampling/tau_estimate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sqrtVarianceRatio([1, 0, 0, 0]), 2);
 * ```
 */
export function sqrtVarianceRatio(scores: ArrayLike<number>): number {
  return Math.sqrt(varianceRatio(scores));
}

/**
 * The default switch threshold τ_th = (B + 3b)/(3b): a presampled step costs B + 3b
 * forward-equivalents (scoring B, then forward and backward on b), a uniform step with a batch
 * τ times larger costs 3τb, so importance sampling pays for itself when τ > (B + 3b)/(3b).
 *
 * @throws {RangeError} when a size is not an integer >= 1
 * @example
 * ```ts
 * import { tauThreshold } from "@lib/sampling/tau_estimate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(tauThreshold(384, 128), 2);
 * ```
 */
export function tauThreshold(presampleSize: number, batchSize: number): number {
  for (const [name, v] of [["presampleSize", presampleSize], ["batchSize", batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`cannot compute τ_th: ${name} must be an integer >= 1, got ${v}`);
    }
  }
  return (presampleSize + 3 * batchSize) / (3 * batchSize);
}

/** Options of {@link TauEstimate}. */
export interface TauEstimateOptions {
  /** Which τ_new to average. Default "sqrtVarianceRatio" (the reference implementation). */
  variant?: TauVariant;
  /** a_τ in [0, 1): the weight of the old τ. Default 0.9. */
  momentum?: number;
}

/**
 * The moving average τ ← a_τ τ + (1 − a_τ) τ_new, τ_new the variance ratio of each batch of
 * scores or its square root, starting at τ = 0.
 *
 * @throws {RangeError} for an unknown variant or a momentum outside [0, 1)
 * @example τ_new = 2 every time: 0.2, then 0.38
 * ```ts
 * import { TauEstimate } from "@lib/sampling/tau_estimate.ts";
 * import assert from "node:assert/strict";
 * const tau = new TauEstimate({ variant: "sqrtVarianceRatio", momentum: 0.9 });
 * assert.equal(tau.tau, 0);
 * assert.ok(Math.abs(tau.update([1, 0, 0, 0]) - 0.2) < 1e-15);
 * assert.ok(Math.abs(tau.update([0, 3, 0, 0]) - 0.38) < 1e-15);
 * assert.equal(tau.last, 2);
 * ```
 */
export class TauEstimate {
  /** Which τ_new is averaged. */
  readonly variant: TauVariant;
  /** a_τ. */
  readonly momentum: number;
  /**
   * τ and the last τ_new (NaN before the first update), in a typed array: a number stored into a
   * field is boxed anew whenever it changes (16 bytes a step, bench/allocation_probe.ts).
   */
  readonly #state = Float64Array.of(0, NaN);
  #updates = 0;

  constructor(options: TauEstimateOptions = {}) {
    const variant = options.variant ?? "sqrtVarianceRatio";
    if (variant !== "sqrtVarianceRatio" && variant !== "varianceRatio") {
      throw new RangeError(
        `cannot estimate τ: unknown variant '${variant}', expected "sqrtVarianceRatio" or "varianceRatio"`,
      );
    }
    const momentum = options.momentum ?? 0.9;
    if (!(momentum >= 0 && momentum < 1)) {
      throw new RangeError(`cannot estimate τ: momentum must be in [0, 1), got ${momentum}`);
    }
    this.variant = variant;
    this.momentum = momentum;
  }

  /** The current τ (0 before the first update). */
  get tau(): number {
    return this.#state[0];
  }

  /** τ_new of the last update, or null. */
  get last(): number | null {
    const last = this.#state[1];
    return last === last ? last : null;
  }

  /** Updates since construction or the last reset. */
  get updates(): number {
    return this.#updates;
  }

  /** τ_new of a batch of scores, in this estimate's variant. */
  next(scores: ArrayLike<number>): number {
    const ratio = varianceRatio(scores);
    return this.variant === "varianceRatio" ? ratio : Math.sqrt(ratio);
  }

  /** Folds the τ_new of `scores` into τ and returns the new τ. */
  update(scores: ArrayLike<number>): number {
    const fresh = this.next(scores), state = this.#state;
    state[0] = this.momentum * state[0] + (1 - this.momentum) * fresh;
    state[1] = fresh;
    this.#updates++;
    return state[0];
  }

  /** Back to τ = 0. */
  reset(): void {
    this.#state[0] = 0;
    this.#state[1] = NaN;
    this.#updates = 0;
  }
}
