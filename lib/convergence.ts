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
import type { Dataset } from "./datasets.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import { Mlp, MlpPass } from "./mlp.ts";
import { cumulative, type Random } from "./random.ts";
import { type Sampler, uniformSampler } from "./sampler.ts";
import { Sgd } from "./sgd.ts";

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

interface Rows {
  n: number;
  p: number;
  rows: Float64Array[];
}

function rowsOf(gradients: PerSampleGradients, action: string): Rows {
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

function vectorOf(theta: ParameterSource, p: number, name: string, action: string): Float64Array {
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

function checkStep(options: { learningRate?: number; batchSize: number }, action: string): void {
  const { learningRate: eta, batchSize: b } = options;
  if ("learningRate" in options && (!(eta! > 0) || eta === Infinity)) {
    throw new RangeError(`${action}: learningRate must be a finite number > 0, got ${eta}`);
  }
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`${action}: batchSize must be an integer >= 1, got ${b}`);
  }
}

/** The checked inputs shared by the S computations: gradient rows, θ, θ* and p. */
function checkedProblem(
  gradients: PerSampleGradients,
  options: ConvergenceOptions,
  action: string,
): Rows & { theta: Float64Array; thetaStar: Float64Array; dist: Float64Array } {
  const rows = rowsOf(gradients, action);
  checkStep(options, action);
  return {
    ...rows,
    theta: vectorOf(options.theta, rows.p, "theta", action),
    thetaStar: vectorOf(options.thetaStar, rows.p, "thetaStar", action),
    dist: distributionOf(options.p, rows.n, action),
  };
}

/**
 * p as a checked Float64Array (uniform when omitted): length N, entries finite and >= 0, sum 1
 * within 1e-9.
 */
function distributionOf(p: ArrayLike<number> | undefined, n: number, action: string): Float64Array {
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

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    s += d * d;
  }
  return s;
}

/**
 * The parameters of a network as one vector: θ_1, θ_2, … each row-major (bias last in each row).
 *
 * @example
 * ```ts
 * import { parameterVector } from "@lib/convergence.ts";
 * import { Matrix, Mlp, identity } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = new Mlp([Matrix.from([[1, 2]]), Matrix.from([[3, 4]])], [identity, identity]);
 * assert.deepEqual(Array.from(parameterVector(net)), [1, 2, 3, 4]);
 * ```
 */
export function parameterVector(model: Mlp, out?: Float64Array): Float64Array {
  return flattenMatrices(model.thetas, out);
}

/**
 * Writes a vector from {@link parameterVector} back into the network's θ_l.
 *
 * @throws {RangeError} when the length is not the parameter count
 * @example
 * ```ts
 * import { parameterVector, setParameterVector } from "@lib/convergence.ts";
 * import { Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([2, 3, 1], { random: new Random(0) });
 * const v = parameterVector(net).map((x) => 2 * x);
 * setParameterVector(net, v);
 * assert.deepEqual(parameterVector(net), v);
 * ```
 */
export function setParameterVector(model: Mlp, vector: ArrayLike<number>): void {
  const count = model.parameterCount;
  if (vector.length !== count) {
    throw new RangeError(
      `cannot set the parameters: the vector has ${vector.length} entries, the network ${count}`,
    );
  }
  let offset = 0;
  for (const t of model.thetas) {
    for (let k = 0; k < t.size; k++) t.data[k] = vector[offset + k];
    offset += t.size;
  }
}

/**
 * Concatenates matrices row-major into one vector: a gradient list ∇_{θ_1}, ∇_{θ_2}, … flattened
 * in the order of {@link parameterVector}.
 *
 * @example
 * ```ts
 * import { flattenMatrices } from "@lib/convergence.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(flattenMatrices([Matrix.from([[1], [2]]), Matrix.row([3])])), [1, 2, 3]);
 * ```
 */
export function flattenMatrices(matrices: readonly Matrix[], out?: Float64Array): Float64Array {
  const total = matrices.reduce((s, m) => s + m.size, 0);
  const v = out ?? new Float64Array(total);
  if (v.length !== total) {
    throw new RangeError(`cannot flatten ${total} values into a vector of ${v.length}`);
  }
  let offset = 0;
  for (const m of matrices) {
    v.set(m.data, offset);
    offset += m.size;
  }
  return v;
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
 * ```
 */
export function perSampleGradients(
  model: Mlp,
  data: Dataset,
  options: { loss: string | Loss; batchSize?: number },
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
  const G = new Matrix(n, P);
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
  const { n, p, rows } = rowsOf(gradients, "cannot average the gradients");
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
  const { n, rows } = rowsOf(gradients, action);
  const p = distributionOf(options.p, n, action);
  const mean = meanGradient(gradients);
  return weightedSecondMoment(rows, p, action) - dot(mean, mean);
}

/** (1/N²) Σ_i ‖G_i‖² / p_i = E_p ‖w_I G_I‖². */
function weightedSecondMoment(rows: Float64Array[], p: Float64Array, action: string): number {
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
  const { n, rows } = rowsOf(gradients, "cannot compute the optimal distribution");
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
  const { p: P, rows, theta, thetaStar, dist: p } = checkedProblem(gradients, options, action);
  const eta = options.learningRate, b = options.batchSize;
  const mean = meanGradient(gradients);
  let progress = 0;
  for (let k = 0; k < P; k++) progress += (theta[k] - thetaStar[k]) * mean[k];
  progress *= 2 * eta;
  const meanGradientSquaredNorm = dot(mean, mean);
  const traceV = weightedSecondMoment(rows, p, action) - meanGradientSquaredNorm;
  const meanGradientTerm = eta * eta * meanGradientSquaredNorm;
  const varianceTerm = eta * eta * traceV / b;
  return {
    speed: progress - meanGradientTerm - varianceTerm,
    progress,
    meanGradientTerm,
    varianceTerm,
    meanGradientSquaredNorm,
    traceVariance: traceV,
    expectedSquaredNorm: meanGradientSquaredNorm + traceV / b,
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

/** Draws b indices from the cumulative table and writes g = (1/b) Σ w_{I_j} G_{I_j}. */
function drawGradient(
  g: Float64Array,
  { rows, p, cdf, b, random }: {
    rows: Float64Array[];
    p: Float64Array;
    cdf: Float64Array;
    b: number;
    random: Random;
  },
): void {
  const n = rows.length, P = g.length;
  g.fill(0);
  for (let j = 0; j < b; j++) {
    const i = random.fromCumulative(cdf), scale = 1 / (b * n * p[i]), row = rows[i];
    for (let k = 0; k < P; k++) g[k] += scale * row[k];
  }
}

function estimate(values: Float64Array): MonteCarloEstimate {
  const m = values.length;
  let mean = 0;
  for (let k = 0; k < m; k++) mean += values[k];
  mean /= m;
  let ss = 0;
  for (let k = 0; k < m; k++) ss += (values[k] - mean) ** 2;
  const sd = m > 1 ? Math.sqrt(ss / (m - 1)) : NaN;
  return { mean, standardError: sd / Math.sqrt(m), draws: m };
}

function checkDraws(draws: number, action: string): void {
  if (!Number.isInteger(draws) || draws < 2) {
    throw new RangeError(`${action}: draws must be an integer >= 2, got ${draws}`);
  }
}

/**
 * A Monte Carlo estimate of S: `draws` times, draw a minibatch of b from p with replacement, take
 * the step θ' = θ − η g, and measure −(‖θ' − θ*‖² − ‖θ − θ*‖²).
 *
 * @throws {RangeError} naming the option for bad draws, and as {@link convergenceSpeed}
 * @example Within 4 standard errors of the closed form
 * ```ts
 * import { convergenceSpeed, monteCarloConvergenceSpeed } from "@lib/convergence.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, -1), Float64Array.of(3, 0), Float64Array.of(0, 2)];
 * const options = { theta: [1, 1], thetaStar: [0, 0.5], learningRate: 0.3, batchSize: 2 };
 * const mc = monteCarloConvergenceSpeed(G, { ...options, draws: 20000, random: new Random(1) });
 * assert.ok(Math.abs(mc.mean - convergenceSpeed(G, options).speed) < 4 * mc.standardError);
 * ```
 */
export function monteCarloConvergenceSpeed(
  gradients: PerSampleGradients,
  options: ConvergenceOptions & { draws: number; random: Random },
): MonteCarloEstimate {
  const action = "cannot estimate the convergence speed S";
  checkDraws(options.draws, action);
  const { p: P, rows, theta, thetaStar, dist: p } = checkedProblem(gradients, options, action);
  weightedSecondMoment(rows, p, action); // p = 0 only where G = 0
  const cdf = cumulative(p), eta = options.learningRate, b = options.batchSize;
  const before = squaredDistance(theta, thetaStar);
  const g = new Float64Array(P), next = new Float64Array(P);
  const values = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    drawGradient(g, { rows, p, cdf, b, random: options.random });
    for (let k = 0; k < P; k++) next[k] = theta[k] - eta * g[k];
    values[d] = before - squaredDistance(next, thetaStar);
  }
  return estimate(values);
}

/** What {@link squaredNormDecomposition} measured, next to the exact values. */
export interface SquaredNormDecomposition {
  /** Number of minibatch gradients drawn. */
  draws: number;
  /** The left side estimated: (1/n) Σ ‖g‖², with its standard error. */
  meanSquaredNorm: MonteCarloEstimate;
  /** The trace of the sample covariance of g (divided by n), computed from deviations. */
  traceVariance: number;
  /** ‖ḡ‖², the squared norm of the sample mean. */
  squaredNormOfMean: number;
  /** The right side: traceVariance + squaredNormOfMean. */
  sum: number;
  /** The exact values: E‖g‖², Tr V[g] = Tr V_p / b and ‖E g‖² = ‖Ḡ‖². */
  exact: { squaredNorm: number; traceVariance: number; squaredNormOfMean: number };
}

/**
 * E‖g‖² = Tr V[g] + ‖E g‖², shown numerically: draws minibatch gradients g (b draws from p with
 * replacement, weighted) and estimates each side separately — the mean of ‖g‖², and the trace of
 * the sample covariance (from deviations to the running mean) plus the squared norm of the sample
 * mean — next to their exact values.
 *
 * @example
 * ```ts
 * import { squaredNormDecomposition } from "@lib/convergence.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, -1), Float64Array.of(3, 0), Float64Array.of(0, 2)];
 * const r = squaredNormDecomposition(G, { batchSize: 2, draws: 5000, random: new Random(3) });
 * assert.ok(Math.abs(r.meanSquaredNorm.mean - r.sum) < 1e-12 * r.sum); // the identity, sample by sample
 * assert.ok(Math.abs(r.meanSquaredNorm.mean - r.exact.squaredNorm) < 4 * r.meanSquaredNorm.standardError);
 * ```
 */
export function squaredNormDecomposition(
  gradients: PerSampleGradients,
  options: { batchSize: number; p?: ArrayLike<number>; draws: number; random: Random },
): SquaredNormDecomposition {
  const action = "cannot decompose E‖g‖²";
  const { n, p: P, rows } = rowsOf(gradients, action);
  checkStep({ batchSize: options.batchSize }, action);
  checkDraws(options.draws, action);
  const p = distributionOf(options.p, n, action);
  const secondMoment = weightedSecondMoment(rows, p, action); // p = 0 only where G = 0
  const cdf = cumulative(p), b = options.batchSize, m = options.draws;
  const g = new Float64Array(P), mean = new Float64Array(P), m2 = new Float64Array(P);
  const squares = new Float64Array(m);
  for (let d = 0; d < m; d++) {
    drawGradient(g, { rows, p, cdf, b, random: options.random });
    squares[d] = dot(g, g);
    for (let k = 0; k < P; k++) { // Welford: running mean and sum of squared deviations
      const delta = g[k] - mean[k];
      mean[k] += delta / (d + 1);
      m2[k] += delta * (g[k] - mean[k]);
    }
  }
  const traceV = m2.reduce((s, v) => s + v, 0) / m;
  const squaredNormOfMean = dot(mean, mean);
  const exactMean = meanGradient(gradients);
  const exactMeanSq = dot(exactMean, exactMean);
  const exactTrace = (secondMoment - exactMeanSq) / b;
  return {
    draws: m,
    meanSquaredNorm: estimate(squares),
    traceVariance: traceV,
    squaredNormOfMean,
    sum: traceV + squaredNormOfMean,
    exact: {
      squaredNorm: exactMeanSq + exactTrace,
      traceVariance: exactTrace,
      squaredNormOfMean: exactMeanSq,
    },
  };
}

/** Options of {@link sampledConvergenceSpeed}. */
export interface SampledConvergenceOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** θ*, as a vector or a network. */
  thetaStar: ParameterSource;
  /** η > 0 (a constant). */
  learningRate: number;
  /** b >= 1. */
  batchSize: number;
  /** Draws the minibatches. Default uniform with replacement. Its `reset()` is called first. */
  sampler?: Sampler;
  /** Number of steps to take from θ. */
  draws: number;
  /** The random stream given to the sampler. */
  random: Random;
}

/**
 * A Monte Carlo estimate of S for any {@link Sampler} on a real network: `draws` times, from the
 * network's current θ, draw a minibatch with the sampler, take one weighted SGD step on a copy,
 * and measure ‖θ − θ*‖² − ‖θ' − θ*‖². It needs no closed form, so it also measures two-stage
 * samplers (presampling). The network itself is not changed; `observe` is not called.
 *
 * @throws {RangeError} naming the option for bad options or shapes
 * @example Uniform sampling agrees with the closed form
 * ```ts
 * import { convergenceSpeed, perSampleGradients, sampledConvergenceSpeed } from "@lib/convergence.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([1, 3, 1], { random: new Random(2) });
 * const data = { name: "toy", x: Matrix.row([-1, 0, 0.5, 1]), y: Matrix.row([1, 0, 0.2, 1]), labels: null };
 * const thetaStar = new Float64Array(model.parameterCount); // any point: S is defined for every θ*
 * const options = { thetaStar, learningRate: 0.1, batchSize: 2 };
 * const mc = sampledConvergenceSpeed(model, data, { ...options, loss: "squaredError", draws: 4000, random: new Random(1) });
 * const G = perSampleGradients(model, data, { loss: "squaredError" });
 * const exact = convergenceSpeed(G, { ...options, theta: model }).speed;
 * assert.ok(Math.abs(mc.mean - exact) < 4 * mc.standardError);
 * ```
 */
export function sampledConvergenceSpeed(
  model: Mlp,
  data: Dataset,
  options: SampledConvergenceOptions,
): MonteCarloEstimate {
  const action = "cannot estimate the convergence speed S by sampling";
  checkStep(options, action);
  checkDraws(options.draws, action);
  const P = model.parameterCount, b = options.batchSize;
  const theta = parameterVector(model);
  const thetaStar = vectorOf(options.thetaStar, P, "thetaStar", action);
  const loss = resolveLoss(options.loss);
  const work = model.clone();
  const sgd = new Sgd(work, { loss, learningRate: options.learningRate });
  const sampler = options.sampler ?? uniformSampler();
  sampler.reset?.();
  const before = squaredDistance(theta, thetaStar);
  const xb = new Matrix(data.x.rows, b), yb = new Matrix(data.y.rows, b);
  const next = new Float64Array(P), values = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    setParameterVector(work, theta);
    const batch = sampler.sample({
      model: work,
      data,
      loss,
      batchSize: b,
      random: options.random,
      step: 0,
    });
    data.x.gatherColumns(batch.indices, xb);
    data.y.gatherColumns(batch.indices, yb);
    sgd.step(xb, yb, { weights: batch.weights });
    values[d] = before - squaredDistance(parameterVector(work, next), thetaStar);
  }
  return estimate(values);
}
