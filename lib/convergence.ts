/**
 * The convergence speed of SGD: the expected decrease of the squared distance to an optimum θ* in
 * one step θ' = θ − η g,
 *
 *   S = −E[‖θ' − θ*‖² − ‖θ − θ*‖²] = 2η (θ − θ*)ᵀ E[g] − η² E‖g‖²,
 *   E‖g‖² = ‖E g‖² + Tr V[g].
 *
 * g = (1/b) Σ_j w_{I_j} G_{I_j} is the weighted minibatch gradient: b draws I_j with replacement
 * from a distribution p over the N training samples, weights w_i = 1/(N p_i), and G_i = ∇ℓ_i(θ) the
 * per-sample gradients (unweighted). Then E[g] = Ḡ = (1/N) Σ_i G_i and Tr V[g] = Tr V_p / b with
 * Tr V_p = (1/N²) Σ_i ‖G_i‖² / p_i − ‖Ḡ‖², so
 *
 *   S = 2η (θ − θ*)ᵀ Ḡ − η² ‖Ḡ‖² − η² Tr V_p / b.
 *
 * The first two terms are the progress of full-batch gradient descent; p acts only through
 * Tr V_p, which p_i ∝ ‖G_i‖ minimises. The course's last line drops η
 * ({@link courseConvergenceSpeed}); it equals S only at η = 1.
 *
 * Per-sample gradients are given as an N×P matrix (one row per sample, P parameters; note that
 * this is the transpose of the columns-are-samples convention) or as N arrays of length P. An
 * {@link Mlp}'s parameters and gradients are flattened θ_1, θ_2, … in row-major order.
 *
 * @module
 */
import type { Dataset, Inputs } from "./datasets.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import { type Mlp, MlpPass } from "./mlp.ts";
import {
  checkedProblem,
  distributionOf,
  dot,
  gradientRows,
  squaredDistance,
  weightedSecondMoment,
} from "./convergence_inputs.ts";

export { flattenMatrices, parameterVector, setParameterVector } from "./parameter_vector.ts";

/** Per-sample gradients G_1..G_N: an N×P matrix (row i is G_i) or N vectors of length P. */
export type PerSampleGradients = Matrix | readonly Float64Array[];

/** A parameter vector, or a network whose parameters are flattened. */
export type ParameterSource = ArrayLike<number> | Mlp;

/** Options of {@link convergenceSpeed} and the other functions of S. */
export interface ConvergenceOptions {
  /** θ, the current parameters. */
  theta: ParameterSource;
  /** θ*, the optimum (or its approximation). */
  thetaStar: ParameterSource;
  /** η > 0. */
  learningRate: number;
  /** b >= 1, draws per minibatch (with replacement). */
  batchSize: number;
  /** The sampling distribution p over the N samples. Default uniform. */
  p?: ArrayLike<number>;
}

/** The closed form of S and its terms: S = progress − meanGradientTerm − varianceTerm. */
export interface ConvergenceSpeed {
  /** S = 2η(θ − θ*)ᵀḠ − η²‖Ḡ‖² − η² Tr V_p / b. */
  speed: number;
  /** 2η (θ − θ*)ᵀ Ḡ: the progress towards θ* (linear in η). */
  progress: number;
  /** η² ‖Ḡ‖²: the penalty full-batch gradient descent also pays. */
  meanGradientTerm: number;
  /** η² Tr V_p / b: the penalty for the noise of the minibatch (the only term p changes). */
  varianceTerm: number;
  /** ‖Ḡ‖² = ‖E g‖². */
  meanGradientSquaredNorm: number;
  /** Tr V_p: the trace of the covariance of one weighted draw w_I G_I. */
  traceVariance: number;
  /** E‖g‖² = ‖Ḡ‖² + Tr V_p / b. */
  expectedSquaredNorm: number;
}

/** A Monte Carlo estimate: the mean of `draws` values and its standard error sd/√draws. */
export interface MonteCarloEstimate {
  /** The sample mean. */
  mean: number;
  /** The standard error of the mean, from the sample standard deviation (n − 1). */
  standardError: number;
  /** The number of draws. */
  draws: number;
}

/**
 * Every per-sample gradient G_i = ∇_Θ ℓ_i of a network on a data set, as an N×P matrix (row i is
 * G_i, flattened like {@link parameterVector}). Batched: one forward and backward pass per chunk
 * of columns, then G_i of layer l is the outer product δ_l^(i) x_{l−1}^(i)ᵀ.
 *
 * @throws {RangeError} for shapes that do not fit the network
 * @example Row i is the gradient of sample i alone
 * ```ts
 * import { flattenMatrices, perSampleGradients } from "@lib/convergence.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([2, 3, 1], { random: new Random(1) });
 * const data = { name: "toy", x: Matrix.from([[1, 2, 0], [0, 1, -1]]), y: Matrix.row([1, 0, 2]), labels: null };
 * const G = perSampleGradients(net, data, { loss: "squaredError" });
 * assert.equal(G.shape, `3x${net.parameterCount}`);
 * const one = net.lossAndGradient(data.x.gatherColumns([2]), data.y.gatherColumns([2]), { loss: "squaredError" });
 * const g2 = flattenMatrices(one.grads);
 * g2.forEach((v, k) => assert.ok(Math.abs(G.get(2, k) - v) <= 1e-12 * (1 + Math.abs(v))));
 * const into = Matrix.filled(G.rows, G.cols, NaN); // every entry is overwritten
 * assert.equal(perSampleGradients(net, data, { loss: "squaredError", into }), into);
 * assert.deepEqual(into.data, G.data);
 * ```
 */
export function perSampleGradients(
  model: Mlp,
  data: Dataset<Inputs>,
  options: {
    loss: string | Loss;
    batchSize?: number;
    /**
     * An N×P matrix to write G into (every entry is written), so that a caller measuring at many
     * θ holds one G instead of leaving one per call to the garbage collector (204 MB each for
     * the convergence reproduction's full MNIST part). Default: a new matrix.
     */
    into?: Matrix;
  },
): Matrix {
  const action = "cannot compute per-sample gradients";
  const loss = resolveLoss(options.loss);
  const n = data.x.cols, sizes = model.sizes, L = model.layers;
  if (data.y.cols !== n || data.y.rows !== sizes[L]) {
    throw new RangeError(`${action}: y is ${data.y.shape}, expected ${sizes[L]}x${n}`);
  }
  const chunk = Math.min(options.batchSize ?? 256, n);
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`${action}: batchSize must be an integer >= 1, got ${options.batchSize}`);
  }
  const P = model.parameterCount;
  const into = options.into;
  if (into !== undefined && (into.rows !== n || into.cols !== P)) {
    throw new RangeError(`${action}: into is ${into.shape}, expected ${n}x${P}`);
  }
  const G = into ?? new Matrix(n, P);
  const passes = new Map<number, MlpPass>();
  for (let start = 0; start < n; start += chunk) {
    const c = Math.min(chunk, n - start);
    const indices = Int32Array.from({ length: c }, (_, j) => start + j);
    let pass = passes.get(c);
    if (pass === undefined) passes.set(c, pass = new MlpPass(sizes, c));
    const x = data.x.gatherColumns(indices), y = data.y.gatherColumns(indices);
    model.forward(x, pass);
    // the gradient of Σ_i ℓ_i: column i of δ_l is ∂ℓ_i/∂z_l, unscaled
    model.backward(pass, loss.gradOutput(pass.output, y));
    let offset = 0;
    for (let l = 1; l <= L; l++) {
      const rows = sizes[l], cols = sizes[l - 1] + 1;
      const delta = pass.deltas[l - 1].data, xPrev = pass.xs[l - 1].data;
      for (let j = 0; j < c; j++) {
        const g = G.data, base = (start + j) * P + offset;
        for (let r = 0; r < rows; r++) {
          const d = delta[r * c + j], at = base + r * cols;
          for (let k = 0; k < cols; k++) g[at + k] = d * xPrev[k * c + j];
        }
      }
      offset += rows * cols;
    }
  }
  return G;
}

/**
 * Ḡ = (1/N) Σ_i G_i, the full gradient.
 *
 * @example
 * ```ts
 * import { meanGradient } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(meanGradient([Float64Array.of(1, 2), Float64Array.of(3, 6)])), [2, 4]);
 * ```
 */
export function meanGradient(gradients: PerSampleGradients): Float64Array {
  const { n, p, rows } = gradientRows(gradients, "cannot average the gradients");
  const mean = new Float64Array(p);
  for (const g of rows) for (let k = 0; k < p; k++) mean[k] += g[k];
  for (let k = 0; k < p; k++) mean[k] /= n;
  return mean;
}

/**
 * Tr V_p = (1/N²) Σ_i ‖G_i‖² / p_i − ‖Ḡ‖²: the trace of the covariance of one weighted draw
 * w_I G_I, I ~ p, w_i = 1/(N p_i). Samples with p_i = 0 must have G_i = 0 (otherwise the
 * weighted estimate is biased).
 *
 * @throws {RangeError} when p is not a distribution over the N samples, or is 0 where G_i ≠ 0
 * @example Uniform sampling: the mean squared distance of G_i to Ḡ
 * ```ts
 * import { traceVariance } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, 0), Float64Array.of(3, 0)]; // Ḡ = (2, 0)
 * assert.equal(traceVariance(G), 1);
 * assert.equal(traceVariance(G, { p: [0.25, 0.75] }), (1 / 4) * (1 / 0.25 + 9 / 0.75) - 4);
 * ```
 */
export function traceVariance(
  gradients: PerSampleGradients,
  options: { p?: ArrayLike<number> } = {},
): number {
  const action = "cannot compute Tr V_p";
  const { n, rows } = gradientRows(gradients, action);
  const p = distributionOf(options.p, n, action);
  const mean = meanGradient(gradients);
  return weightedSecondMoment(rows, p, action) - dot(mean, mean);
}

/**
 * The distribution that minimises Tr V_p (and so maximises S): p_i = ‖G_i‖ / Σ_j ‖G_j‖. When every
 * G_i is 0 it is uniform.
 *
 * @example
 * ```ts
 * import { optimalDistribution } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(optimalDistribution([Float64Array.of(3, 4), Float64Array.of(0, 15)])), [0.25, 0.75]);
 * ```
 */
export function optimalDistribution(gradients: PerSampleGradients): Float64Array {
  const { n, rows } = gradientRows(gradients, "cannot compute the optimal distribution");
  const norms = Float64Array.from(rows, (g) => Math.sqrt(dot(g, g)));
  const total = norms.reduce((s, v) => s + v, 0);
  if (total === 0) return new Float64Array(n).fill(1 / n);
  return norms.map((v) => v / total);
}

/**
 * The closed form of the convergence speed S, with each of its terms.
 *
 * @throws {RangeError} naming the option for a bad learningRate, batchSize, p or shape
 * @example A larger batch only shrinks the variance term
 * ```ts
 * import { convergenceSpeed } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, 0), Float64Array.of(3, 0)]; // Ḡ = (2, 0), Tr V = 1
 * const options = { theta: [1, 0], thetaStar: [0, 0], learningRate: 0.1 };
 * const one = convergenceSpeed(G, { ...options, batchSize: 1 });
 * assert.equal(one.progress, 2 * 0.1 * 2);
 * assert.ok(Math.abs(one.meanGradientTerm - 0.01 * 4) < 1e-15);
 * assert.ok(Math.abs(one.varianceTerm - 0.01 * 1) < 1e-15);
 * assert.ok(Math.abs(one.speed - (0.4 - 0.04 - 0.01)) < 1e-15);
 * const four = convergenceSpeed(G, { ...options, batchSize: 4 });
 * assert.ok(Math.abs(four.varianceTerm - one.varianceTerm / 4) < 1e-15);
 * ```
 */
export function convergenceSpeed(
  gradients: PerSampleGradients,
  options: ConvergenceOptions,
): ConvergenceSpeed {
  const action = "cannot compute the convergence speed S";
  const { rows, theta, thetaStar, dist: p } = checkedProblem(gradients, options, action);
  const mean = meanGradient(gradients);
  const meanGradientSquaredNorm = dot(mean, mean);
  const traceV = weightedSecondMoment(rows, p, action) - meanGradientSquaredNorm;
  const terms = convergenceSpeedTerms({
    theta,
    thetaStar,
    meanGradient: mean,
    meanGradientSquaredNorm,
    traceVariance: traceV,
    learningRate: options.learningRate,
    batchSize: options.batchSize,
  });
  return {
    ...terms,
    meanGradientSquaredNorm,
    traceVariance: traceV,
    expectedSquaredNorm: meanGradientSquaredNorm + traceV / options.batchSize,
  };
}

/** What {@link convergenceSpeedTerms} needs: θ, θ*, Ḡ, ‖Ḡ‖², Tr V_p, η and b. */
export interface ConvergenceSpeedInputs {
  /** θ, flattened. */
  theta: ArrayLike<number>;
  /** θ*, flattened in the same order. */
  thetaStar: ArrayLike<number>;
  /** Ḡ = E g, in the same order. */
  meanGradient: ArrayLike<number>;
  /** ‖Ḡ‖². */
  meanGradientSquaredNorm: number;
  /** Tr V_p of one weighted draw (or of a whole minibatch's g, with batchSize 1). */
  traceVariance: number;
  /** η. */
  learningRate: number;
  /** b. */
  batchSize: number;
}

/**
 * S and its three terms from the quantities they are made of: progress 2η(θ − θ*)ᵀḠ,
 * meanGradientTerm η²‖Ḡ‖², varianceTerm η² Tr V_p / b, and S = progress − the two others.
 * {@link convergenceSpeed} computes its inputs from per-sample gradients; an experiment that has
 * Ḡ and Tr V from elsewhere (lib/sampling/exact_variance.ts) calls it directly.
 *
 * @example
 * ```ts
 * import { convergenceSpeedTerms } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * const t = convergenceSpeedTerms({
 *   theta: [1, 0], thetaStar: [0, 0], meanGradient: [2, 0], meanGradientSquaredNorm: 4,
 *   traceVariance: 1, learningRate: 0.5, batchSize: 2,
 * });
 * assert.deepEqual(t, { speed: 2 - 1 - 0.125, progress: 2, meanGradientTerm: 1, varianceTerm: 0.125 });
 * ```
 */
export function convergenceSpeedTerms(
  inputs: ConvergenceSpeedInputs,
): Pick<ConvergenceSpeed, "speed" | "progress" | "meanGradientTerm" | "varianceTerm"> {
  const { theta, thetaStar, meanGradient: mean, traceVariance: traceV } = inputs;
  const eta = inputs.learningRate, b = inputs.batchSize;
  let progress = 0;
  for (let k = 0; k < theta.length; k++) progress += (theta[k] - thetaStar[k]) * mean[k];
  progress *= 2 * eta;
  const meanGradientTerm = eta * eta * inputs.meanGradientSquaredNorm;
  const varianceTerm = eta * eta * traceV / b;
  return {
    speed: progress - meanGradientTerm - varianceTerm,
    progress,
    meanGradientTerm,
    varianceTerm,
  };
}

/**
 * The course's printed last line, which drops η: S_course = 2(θ − θ*)ᵀE[g] − E‖g‖². It is not
 * the convergence speed (it equals {@link convergenceSpeed} only at η = 1); it is here so that the
 * notebook can show the difference.
 *
 * @example Equal to S at η = 1 only
 * ```ts
 * import { convergenceSpeed, courseConvergenceSpeed } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, 0), Float64Array.of(3, 0)];
 * const options = { theta: [1, 0], thetaStar: [0, 0], batchSize: 1 };
 * const course = courseConvergenceSpeed(G, options);
 * assert.equal(course, 2 * 2 - (4 + 1));
 * assert.equal(convergenceSpeed(G, { ...options, learningRate: 1 }).speed, course);
 * assert.notEqual(convergenceSpeed(G, { ...options, learningRate: 0.1 }).speed, course);
 * ```
 */
export function courseConvergenceSpeed(
  gradients: PerSampleGradients,
  options: Omit<ConvergenceOptions, "learningRate">,
): number {
  const s = convergenceSpeed(gradients, { ...options, learningRate: 1 });
  return s.progress - s.expectedSquaredNorm;
}

/**
 * S by exact enumeration of every ordered minibatch of b draws with replacement: the sum over all
 * N^b sequences (i_1..i_b) of Π_j p_{i_j} · (‖θ − θ*‖² − ‖θ' − θ*‖²), θ' = θ − η (1/b) Σ_j w_{i_j}
 * G_{i_j}. The definition of S, computed without its closed form; for small N^b only.
 *
 * @throws {RangeError} when N^b exceeds `limit` (default 10⁶), and as {@link convergenceSpeed}
 * @example Equal to the closed form
 * ```ts
 * import { convergenceSpeed, enumeratedConvergenceSpeed } from "@lib/convergence.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, -1), Float64Array.of(3, 0), Float64Array.of(0, 2)];
 * const options = { theta: [1, 1], thetaStar: [0, 0.5], learningRate: 0.3, batchSize: 2, p: [0.5, 0.3, 0.2] };
 * const exact = enumeratedConvergenceSpeed(G, options);
 * assert.ok(Math.abs(exact - convergenceSpeed(G, options).speed) < 1e-14);
 * ```
 */
export function enumeratedConvergenceSpeed(
  gradients: PerSampleGradients,
  options: ConvergenceOptions & { limit?: number },
): number {
  const action = "cannot enumerate the minibatches";
  const { n, p: P, rows, theta, thetaStar, dist: p } = checkedProblem(gradients, options, action);
  const eta = options.learningRate, b = options.batchSize, limit = options.limit ?? 1e6;
  if (n ** b > limit) {
    throw new RangeError(`${action}: N^b = ${n}^${b} sequences exceed the limit of ${limit}`);
  }
  weightedSecondMoment(rows, p, action); // p = 0 only where G = 0
  const before = squaredDistance(theta, thetaStar);
  const draw = new Int32Array(b), next = new Float64Array(P);
  let total = 0;
  for (;;) {
    let prob = 1;
    for (let j = 0; j < b; j++) prob *= p[draw[j]];
    if (prob > 0) {
      next.set(theta);
      for (let j = 0; j < b; j++) {
        const i = draw[j], scale = eta / (b * n * p[i]), g = rows[i];
        for (let k = 0; k < P; k++) next[k] -= scale * g[k];
      }
      total += prob * (before - squaredDistance(next, thetaStar));
    }
    let j = 0;
    while (j < b && ++draw[j] === n) draw[j++] = 0;
    if (j === b) break;
  }
  return total;
}
