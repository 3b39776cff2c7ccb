/**
 * The bias of Selective Backprop (lib/sampling/selective_backprop.ts), exactly: the distance of
 * its expected step from the full gradient.
 *
 * The law: a candidate is a uniform draw, kept with probability a_i = P_H(ℓ_i)^β against a loss
 * history H, until one is kept; so each of the b kept samples is i from q_i = a_i / Σ_k a_k
 * (rejection sampling), independently, and with weights 1 the expected step is
 * E[g] = Σ_i q_i G_i, while the full gradient is Ḡ = (1/N) Σ_i G_i. The bias is
 * ‖E[g] − Ḡ‖ / ‖Ḡ‖: 0 when β = 0 (q uniform).
 *
 * Which history: by default H is the N losses themselves, the limit of the sampler's history at a
 * fixed θ when R is large (its history is a sample of uniform candidates' losses). The sampler's
 * own history also moves by one loss per candidate; for a given frozen history pass it as
 * `history`. This is exact for that law (no sampling), not a Monte Carlo estimate.
 *
 * @module
 */
import type { Matrix } from "../matrix.ts";
import { percentileAtMost } from "./selective_backprop.ts";

/** Options of {@link selectionProbabilities} and {@link selectiveBackpropBias}. */
export interface SelectionLawOptions {
  /** β ≥ 0. */
  beta: number;
  /** The loss history H the percentiles are taken in. Default: the N losses. */
  history?: ArrayLike<number>;
}

/**
 * q_i = P_H(ℓ_i)^β / Σ_k P_H(ℓ_k)^β, the probability that a kept sample is i (see the module doc).
 *
 * @throws {RangeError} for β < 0, a NaN loss, an empty history, or when no sample can be kept
 * @example Losses 1, 2, 3 are at percentiles 1/3, 2/3, 1: with β = 1, q ∝ 1, 2, 3
 * ```ts
 * import { selectionProbabilities } from "@lib/sampling/selective_backprop_bias.ts";
 * import assert from "node:assert/strict";
 * const q = selectionProbabilities([3, 1, 2], { beta: 1 });
 * assert.deepEqual(Array.from(q), [0.5, 1 / 6, 1 / 3]);
 * assert.deepEqual(Array.from(selectionProbabilities([3, 1, 2], { beta: 0 })), [1 / 3, 1 / 3, 1 / 3]);
 * ```
 */
export function selectionProbabilities(
  losses: ArrayLike<number>,
  options: SelectionLawOptions,
): Float64Array {
  const action = "cannot compute Selective Backprop's selection law";
  const beta = options.beta, n = losses.length;
  if (!(beta >= 0) || beta === Infinity) {
    throw new RangeError(`${action}: beta must be finite and >= 0, got ${beta}`);
  }
  const history = Float64Array.from(options.history ?? losses);
  if (history.length === 0) throw new RangeError(`${action}: the history is empty`);
  if (history.some(Number.isNaN) || Array.prototype.some.call(losses, Number.isNaN)) {
    throw new RangeError(`${action}: a loss is NaN`);
  }
  history.sort();
  const q = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += q[i] = beta === 0 ? 1 : percentileAtMost(history, history.length, losses[i]) ** beta;
  }
  if (!(total > 0)) {
    throw new RangeError(`${action}: every loss is below the whole history, none can be kept`);
  }
  for (let i = 0; i < n; i++) q[i] /= total;
  return q;
}

/** What {@link selectiveBackpropBias} measured. */
export interface SelectiveBackpropBias {
  /** ‖E[g] − Ḡ‖ / ‖Ḡ‖. */
  readonly bias: number;
  /** ‖E[g] − Ḡ‖. */
  readonly distance: number;
  /** q, the law of a kept sample. */
  readonly probabilities: Float64Array;
  /** E[g] = Σ_i q_i G_i. */
  readonly expectedStep: Float64Array;
  /** Ḡ = (1/N) Σ_i G_i. */
  readonly fullGradient: Float64Array;
}

/**
 * The bias of Selective Backprop's step, ‖Σ_i q_i G_i − Ḡ‖ / ‖Ḡ‖, from the per-sample gradients
 * G_i (the rows of an N×P matrix, or N arrays; lib/convergence.ts's perSampleGradients) and the
 * losses ℓ_i at the same θ. Independent of b: each kept sample has the same law q.
 *
 * @throws {RangeError} when the gradients and losses disagree in N, or as
 * {@link selectionProbabilities}
 * @example Two samples with opposite gradients: keeping the high-loss one more pulls E[g] its way
 * ```ts
 * import { selectiveBackpropBias } from "@lib/sampling/selective_backprop_bias.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, 0), Float64Array.of(-1, 2)]; // Ḡ = (0, 1)
 * const r = selectiveBackpropBias(G, [0.1, 0.5], { beta: 1 }); // percentiles ½, 1: q = ⅓, ⅔
 * assert.ok(Math.abs(r.expectedStep[0] + 1 / 3) < 1e-15);
 * assert.ok(Math.abs(r.bias - Math.hypot(1 / 3, 1 / 3)) < 1e-15);
 * assert.equal(selectiveBackpropBias(G, [0.1, 0.5], { beta: 0 }).bias, 0);
 * ```
 */
export function selectiveBackpropBias(
  gradients: Matrix | readonly Float64Array[],
  losses: ArrayLike<number>,
  options: SelectionLawOptions,
): SelectiveBackpropBias {
  const rows = Array.isArray(gradients)
    ? gradients as readonly Float64Array[]
    : matrixRows(gradients as Matrix);
  const n = rows.length;
  if (n !== losses.length || n === 0) {
    throw new RangeError(
      `cannot measure Selective Backprop's bias: ${n} gradients and ${losses.length} losses (need the same N >= 1)`,
    );
  }
  const q = selectionProbabilities(losses, options), P = rows[0].length;
  const expected = new Float64Array(P), full = new Float64Array(P), u = 1 / n;
  for (let i = 0; i < n; i++) {
    const g = rows[i];
    for (let k = 0; k < P; k++) {
      expected[k] += q[i] * g[k];
      full[k] += u * g[k]; // as E[g] is summed, so that β = 0 gives 0 exactly
    }
  }
  let d = 0, f = 0;
  for (let k = 0; k < P; k++) {
    d += (expected[k] - full[k]) ** 2;
    f += full[k] ** 2;
  }
  const distance = Math.sqrt(d);
  return {
    bias: distance / Math.sqrt(f),
    distance,
    probabilities: q,
    expectedStep: expected,
    fullGradient: full,
  };
}

function matrixRows(m: Matrix): Float64Array[] {
  return Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols));
}
