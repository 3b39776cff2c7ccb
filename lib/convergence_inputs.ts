/**
 * The checked inputs of the S computations, shared by the closed form (lib/convergence.ts) and
 * the Monte Carlo estimators (lib/convergence_monte_carlo.ts): per-sample gradient rows, θ and
 * θ*, the step (η, b) and the sampling distribution p, each checked with an error that names the
 * failed action; and the small sums they all take (dot products, distances, E_p ‖w_I G_I‖²).
 *
 * @module
 */
import { Matrix } from "./matrix.ts";
import { Mlp } from "./mlp.ts";
import { parameterVector } from "./parameter_vector.ts";
import type { ConvergenceOptions, ParameterSource, PerSampleGradients } from "./convergence.ts";

/** Per-sample gradients as N rows of length P. */
export interface GradientRows {
  /** N, the number of samples. */
  n: number;
  /** P, the number of parameters. */
  p: number;
  /** G_i, one row per sample (views into a Matrix when given one). */
  rows: Float64Array[];
}

/**
 * The rows G_i of per-sample gradients, checked: at least one, all of the same length.
 *
 * @throws {RangeError} prefixed with `action`, for no gradients or rows of unequal length
 * @example
 * ```ts
 * import { gradientRows } from "@lib/convergence_inputs.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const { n, p, rows } = gradientRows(Matrix.from([[1, 2], [3, 4], [5, 6]]), "cannot test");
 * assert.deepEqual([n, p, Array.from(rows[2])], [3, 2, [5, 6]]);
 * assert.throws(() => gradientRows([], "cannot test"), /cannot test: no per-sample gradients/);
 * ```
 */
export function gradientRows(gradients: PerSampleGradients, action: string): GradientRows {
  let rows: Float64Array[];
  if (gradients instanceof Matrix) {
    const { rows: n, cols: p, data } = gradients;
    rows = Array.from({ length: n }, (_, i) => data.subarray(i * p, (i + 1) * p));
  } else if (Array.isArray(gradients)) {
    rows = gradients as Float64Array[];
  } else {
    throw new RangeError(`${action}: gradients must be an N×P Matrix or an array of Float64Arrays`);
  }
  const n = rows.length;
  if (n < 1) throw new RangeError(`${action}: no per-sample gradients (N = 0)`);
  const p = rows[0].length;
  for (let i = 0; i < n; i++) {
    if (rows[i].length !== p) {
      throw new RangeError(
        `${action}: gradient ${i} has ${rows[i].length} entries, gradient 0 has ${p}`,
      );
    }
  }
  return { n, p, rows };
}

/**
 * A parameter source as a finite vector of length p (a network is flattened by
 * {@link parameterVector}).
 *
 * @throws {RangeError} prefixed with `action`, naming `name`, for a wrong length or a non-finite entry
 * @example
 * ```ts
 * import { parameterVectorOf } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(parameterVectorOf([1, 2], 2, { name: "theta", action: "cannot test" })), [1, 2]);
 * assert.throws(() => parameterVectorOf([1, NaN], 2, { name: "theta", action: "cannot test" }), /cannot test: theta\[1\] is NaN/);
 * ```
 */
export function parameterVectorOf(
  theta: ParameterSource,
  p: number,
  options: { name: string; action: string },
): Float64Array {
  const { name, action } = options;
  const v = theta instanceof Mlp ? parameterVector(theta) : Float64Array.from(theta ?? []);
  if (v.length !== p) {
    throw new RangeError(
      `${action}: ${name} has ${v.length} entries, expected ${p} (one per parameter)`,
    );
  }
  for (let k = 0; k < p; k++) {
    if (!Number.isFinite(v[k])) throw new RangeError(`${action}: ${name}[${k}] is ${v[k]}`);
  }
  return v;
}

/**
 * Checks a step: η finite and > 0 (when the options have the key), b an integer >= 1.
 *
 * @throws {RangeError} prefixed with `action`, naming the option
 * @example
 * ```ts
 * import { checkStep } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * checkStep({ learningRate: 0.1, batchSize: 2 }, "cannot test");
 * checkStep({ batchSize: 2 }, "cannot test"); // no η to check
 * assert.throws(() => checkStep({ learningRate: 0, batchSize: 2 }, "cannot test"), /learningRate must be a finite number > 0, got 0/);
 * assert.throws(() => checkStep({ batchSize: 1.5 }, "cannot test"), /batchSize must be an integer >= 1, got 1.5/);
 * ```
 */
export function checkStep(
  options: { learningRate?: number; batchSize: number },
  action: string,
): void {
  const { learningRate: eta, batchSize: b } = options;
  if ("learningRate" in options && (!(eta! > 0) || eta === Infinity)) {
    throw new RangeError(`${action}: learningRate must be a finite number > 0, got ${eta}`);
  }
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`${action}: batchSize must be an integer >= 1, got ${b}`);
  }
}

/**
 * p as a checked Float64Array (uniform when omitted): length N, entries finite and >= 0, sum 1
 * within 1e-9.
 *
 * @throws {RangeError} prefixed with `action`, for a wrong length, a bad entry or a bad sum
 * @example
 * ```ts
 * import { distributionOf } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(distributionOf(undefined, 4, "cannot test")), [0.25, 0.25, 0.25, 0.25]);
 * assert.throws(() => distributionOf([0.5, 0.6], 2, "cannot test"), /it sums to 1.1/);
 * ```
 */
export function distributionOf(
  p: ArrayLike<number> | undefined,
  n: number,
  action: string,
): Float64Array {
  if (p === undefined) return new Float64Array(n).fill(1 / n);
  if (p.length !== n) {
    throw new RangeError(`${action}: p has ${p.length} entries for ${n} samples`);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!(p[i] >= 0) || p[i] === Infinity) {
      throw new RangeError(`${action}: p is not a distribution: p[${i}] is ${p[i]}`);
    }
    sum += p[i];
  }
  if (!(Math.abs(sum - 1) <= 1e-9)) {
    throw new RangeError(`${action}: p is not a distribution: it sums to ${sum}, expected 1`);
  }
  return Float64Array.from(p);
}

/** The checked inputs of one S computation: the gradient rows, θ, θ* and p. */
export interface ConvergenceProblem extends GradientRows {
  /** θ, flattened. */
  theta: Float64Array;
  /** θ*, flattened. */
  thetaStar: Float64Array;
  /** p, checked (uniform when not given). */
  dist: Float64Array;
}

/**
 * The checked inputs shared by the S computations: gradient rows, the step, θ, θ* and p.
 *
 * @throws {RangeError} prefixed with `action`, naming the option, as the checks above
 * @example
 * ```ts
 * import { checkedProblem } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, 0), Float64Array.of(3, 0)];
 * const problem = checkedProblem(G, { theta: [1, 0], thetaStar: [0, 0], learningRate: 0.1, batchSize: 1 }, "cannot test");
 * assert.deepEqual(Array.from(problem.dist), [0.5, 0.5]);
 * assert.throws(() => checkedProblem(G, { theta: [1], thetaStar: [0, 0], learningRate: 0.1, batchSize: 1 }, "cannot test"), /theta has 1 entries, expected 2/);
 * ```
 */
export function checkedProblem(
  gradients: PerSampleGradients,
  options: ConvergenceOptions,
  action: string,
): ConvergenceProblem {
  const rows = gradientRows(gradients, action);
  checkStep(options, action);
  return {
    ...rows,
    theta: parameterVectorOf(options.theta, rows.p, { name: "theta", action }),
    thetaStar: parameterVectorOf(options.thetaStar, rows.p, { name: "thetaStar", action }),
    dist: distributionOf(options.p, rows.n, action),
  };
}

/**
 * Σ_k a_k b_k, summed in order.
 *
 * @example
 * ```ts
 * import { dot } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dot([1, 2, 3], [4, 5, 6]), 32);
 * ```
 */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/**
 * ‖a − b‖², summed in order.
 *
 * @example
 * ```ts
 * import { squaredDistance } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * assert.equal(squaredDistance([1, 2], [4, 6]), 25);
 * ```
 */
export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    s += d * d;
  }
  return s;
}

/**
 * (1/N²) Σ_i ‖G_i‖² / p_i = E_p ‖w_I G_I‖², the second moment of one weighted draw. Samples
 * with G_i = 0 are skipped, so p_i may be 0 there.
 *
 * @throws {RangeError} prefixed with `action`, when p_i = 0 but G_i ≠ 0 (a biased estimate)
 * @example
 * ```ts
 * import { weightedSecondMoment } from "@lib/convergence_inputs.ts";
 * import assert from "node:assert/strict";
 * const rows = [Float64Array.of(1, 0), Float64Array.of(3, 0)];
 * assert.equal(weightedSecondMoment(rows, Float64Array.of(0.5, 0.5), "cannot test"), 5);
 * assert.throws(() => weightedSecondMoment(rows, Float64Array.of(1, 0), "cannot test"), /p\[1\] is 0/);
 * ```
 */
export function weightedSecondMoment(
  rows: readonly Float64Array[],
  p: Float64Array,
  action: string,
): number {
  const n = rows.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const sq = dot(rows[i], rows[i]);
    if (sq === 0) continue;
    if (p[i] === 0) {
      throw new RangeError(
        `${action}: p[${i}] is 0 but sample ${i} has a nonzero gradient, so the weighted estimate would be biased`,
      );
    }
    s += sq / p[i];
  }
  return s / (n * n);
}
