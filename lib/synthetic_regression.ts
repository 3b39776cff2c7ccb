/**
 * Synthetic regressions with a known answer: a linear regression with its exact least-squares
 * solution θ* (optionally with outliers), and a teacher-student regression whose targets a random
 * network produced. Every draw comes from the caller's {@link Random}: the same seed gives
 * bit-identical data sets.
 *
 * @module
 */
import { mathjs } from "./mathjs.ts";
import type { Activation } from "./activations.ts";
import { checkAtMost, checkNonNegative, checkRandom, checkSize } from "./dataset_checks.ts";
import type { Dataset } from "./datasets.ts";
import { assertFinite, Matrix } from "./matrix.ts";
import { Mlp } from "./mlp.ts";
import type { Random } from "./random.ts";

/** Options of {@link linearRegression}. */
export interface LinearRegressionOptions {
  /** The generator of θ_true, x and the noise. */
  random: Random;
  /** Number of samples N, at least d + 1 so that θ* is unique. */
  n: number;
  /** Number of features d. */
  d: number;
  /** Standard deviation of the Gaussian noise added to every target. */
  noise: number;
  /** How many samples (the first columns) get an outlier error. Default 0. */
  outliers?: number;
  /** The error added to each outlier's target. Default 100. */
  outlierError?: number;
}

/** The result of {@link linearRegression}. */
export interface LinearRegression {
  /** x (d×N, standard normal entries), y (1×N), labels null. */
  dataset: Dataset;
  /**
   * The exact minimiser of the empirical risk (1/N) Σ_i ½(θ·[x_i; 1] − y_i)² as a 1×(d+1) row,
   * bias last: the layout of θ_1 in `Mlp.create([d, 1], { output: "identity" })`.
   */
  thetaStar: Matrix;
  /** The parameters that generated the targets (1×(d+1), bias last), before noise and outliers. */
  thetaTrue: Matrix;
  /** The columns whose target carries the outlier error. */
  outlierIndices: Int32Array;
}

/**
 * A linear regression y_i = θ_true·[x_i; 1] + noise·ε_i with standard normal x_i, θ_true and
 * ε_i, and the exact least-squares solution θ*.
 *
 * θ* minimises the empirical squared loss R(θ) = (1/N) Σ_i ½(θ·[x_i; 1] − y_i)² over all
 * θ ∈ ℝ^(1×(d+1)) (the bias is the last component), so ∇R(θ*) = 0: it solves the normal
 * equations AᵀA θᵀ = Aᵀy with A = [xᵀ 1] (N×(d+1)), by mathjs's LU solver and one step of
 * iterative refinement. Its layout is that of θ_1 in a network `Mlp.create([d, 1], …)` with the
 * identity output, whose squared-error loss is R. With outliers, θ* is still the minimiser of R
 * on the data as given (outliers included), not θ_true.
 *
 * θ_true, x and the noise come from three generators forked from `random` in that order, and x
 * is drawn sample by sample, so the first samples do not depend on N, and the same seed with and
 * without outliers (or with another noise level) gives the same x. Outliers are the first
 * `outliers` columns: y_i += outlierError.
 *
 * @throws {RangeError} when n < d + 1, a size is not a positive integer, or noise or
 *   outlierError is negative or not finite
 * @example Without noise, θ* recovers θ_true
 * ```ts
 * import { linearRegression } from "@lib/synthetic_regression.ts";
 * import { relativeDifference } from "@lib/assert_close.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const { dataset, thetaStar, thetaTrue } = linearRegression({
 *   random: new Random(0),
 *   n: 50,
 *   d: 3,
 *   noise: 0,
 * });
 * assert.equal(dataset.x.shape, "3x50");
 * assert.equal(thetaStar.shape, "1x4");
 * assert.ok(relativeDifference(thetaStar, thetaTrue) < 1e-12);
 * ```
 */
export function linearRegression(options: LinearRegressionOptions): LinearRegression {
  const action = "cannot build the linear regression";
  checkRandom(action, options?.random);
  const d = checkSize(action, "d", options.d);
  const n = checkSize(action, "n", options.n);
  if (n < d + 1) {
    throw new RangeError(
      `${action}: n must be at least d + 1 = ${d + 1} for a unique θ*, got n = ${n}`,
    );
  }
  const noise = checkNonNegative(action, "noise", options.noise);
  const outliers = options.outliers === undefined || options.outliers === 0
    ? 0
    : checkSize(action, "outliers", options.outliers);
  checkAtMost(action, "outliers", outliers, { max: n, available: "the number of samples n" });
  const outlierError = checkNonNegative(action, "outlierError", options.outlierError ?? 100);

  const thetaRandom = options.random.fork(), xRandom = options.random.fork();
  const noiseRandom = options.random.fork();
  const thetaTrue = thetaRandom.normalMatrix(1, d + 1);
  const x = samplesOf(xRandom, d, n);
  const y = new Matrix(1, n), w = thetaTrue.data;
  for (let j = 0; j < n; j++) {
    let s = w[d];
    for (let i = 0; i < d; i++) s += w[i] * x.data[i * n + j];
    y.data[j] = s + noise * noiseRandom.normal();
  }
  const outlierIndices = Int32Array.from({ length: outliers }, (_, i) => i);
  for (const j of outlierIndices) y.data[j] += outlierError;
  return {
    dataset: { name: "linear regression", x, y, labels: null },
    thetaStar: leastSquares(x, y),
    thetaTrue,
    outlierIndices,
  };
}

/** A d×n matrix of standard normal draws taken sample by sample (column after column). */
function samplesOf(random: Random, d: number, n: number): Matrix {
  const x = new Matrix(d, n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < d; i++) x.data[i * n + j] = random.normal();
  }
  return x;
}

/** argmin_θ Σ_j ½(θ·[x_j; 1] − y_j)², a 1×(d+1) row, via the normal equations and mathjs. */
function leastSquares(x: Matrix, y: Matrix): Matrix {
  const d = x.rows, n = x.cols, m = d + 1, X = x.data, Y = y.data;
  const feature = (i: number, j: number) => (i < d ? X[i * n + j] : 1);
  // G = AᵀA and b = Aᵀy with A = [xᵀ 1]
  const G: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const b: number[][] = Array.from({ length: m }, () => [0]);
  for (let i = 0; i < m; i++) {
    for (let k = i; k < m; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += feature(i, j) * feature(k, j);
      G[i][k] = G[k][i] = s;
    }
    let s = 0;
    for (let j = 0; j < n; j++) s += feature(i, j) * Y[j];
    b[i][0] = s;
  }
  const solve = (rhs: number[][]) => (mathjs().lusolve(G, rhs) as number[][]).map((r) => r[0]);
  const theta = solve(b);
  // one step of iterative refinement: θ += G⁻¹(b − Gθ)
  const residual = b.map((row, i) => [row[0] - G[i].reduce((s, g, k) => s + g * theta[k], 0)]);
  const correction = solve(residual);
  const out = Matrix.row(theta.map((t, i) => t + correction[i]));
  assertFinite(out, "the least-squares solution θ* (are the features collinear?)");
  return out;
}

/** Options of {@link teacherStudent}. */
export interface TeacherStudentOptions {
  /** The generator of the teacher, x and the noise. */
  random: Random;
  /** Number of samples N. */
  n: number;
  /** The teacher's layer sizes [inputs, hidden…, outputs], as in `Mlp.create`. */
  sizes: readonly number[];
  /** The teacher's hidden activation(s), as in `Mlp.create`. Default tanh. */
  activation?: string | Activation | ReadonlyArray<string | Activation>;
  /** Standard deviation of the Gaussian noise added to the targets. Default 0. */
  noise?: number;
}

/** The result of {@link teacherStudent}. */
export interface TeacherStudent {
  /** x (sizes[0]×N, standard normal entries), y = teacher(x) + noise (sizes[L]×N), labels null. */
  dataset: Dataset;
  /** The network that produced the targets (identity output). */
  teacher: Mlp;
}

/**
 * A teacher-student regression: a random teacher network (weights as `Mlp.create` draws them,
 * biases N(0, 1/fan_in) so that the teacher is not forced through the origin, identity output)
 * labels standard normal inputs, y = teacher(x) + noise·ε. A student of the same architecture
 * can reach zero loss when noise is 0.
 *
 * The teacher, x (sample by sample) and the noise come from three generators forked from
 * `random`, so the teacher does not depend on N, the first samples do not depend on N, and the
 * noise level changes nothing else.
 *
 * @throws {RangeError} when n is not a positive integer, noise is negative, or the sizes are bad
 * @example The teacher reproduces the noiseless targets exactly
 * ```ts
 * import { teacherStudent } from "@lib/synthetic_regression.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const { dataset, teacher } = teacherStudent({ random: new Random(2), n: 40, sizes: [5, 8, 2] });
 * assert.equal(dataset.y.shape, "2x40");
 * assert.deepEqual(teacher.predict(dataset.x).data, dataset.y.data);
 * ```
 */
export function teacherStudent(options: TeacherStudentOptions): TeacherStudent {
  const action = "cannot build the teacher-student regression";
  checkRandom(action, options?.random);
  const n = checkSize(action, "n", options.n);
  const noise = checkNonNegative(action, "noise", options.noise ?? 0);
  const sizes = options.sizes;
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new RangeError(
      `${action}: sizes must list at least an input and an output size, got ${
        Array.isArray(sizes) ? `[${sizes}]` : sizes
      }`,
    );
  }
  for (const [l, s] of sizes.entries()) checkSize(action, `sizes[${l}]`, s);
  const teacherRandom = options.random.fork(), xRandom = options.random.fork();
  const noiseRandom = options.random.fork();
  const teacher = Mlp.create(sizes, {
    random: teacherRandom,
    activation: options.activation,
    output: "identity",
  });
  for (const theta of teacher.thetas) {
    const std = Math.sqrt(1 / (theta.cols - 1));
    for (let i = 0; i < theta.rows; i++) {
      theta.data[i * theta.cols + theta.cols - 1] = std * teacherRandom.normal();
    }
  }
  const x = samplesOf(xRandom, sizes[0], n);
  const y = teacher.predict(x);
  if (noise > 0) {
    const k = y.rows;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < k; i++) y.data[i * n + j] += noise * noiseRandom.normal();
    }
  }
  return { dataset: { name: "teacher-student", x, y, labels: null }, teacher };
}
