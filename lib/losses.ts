/**
 * Per-sample losses ℓ(x_L, y) on a minibatch (columns are samples), with their gradients with
 * respect to the network output x_L and to the last pre-activation z_L.
 *
 * @module
 */
import type { Activation, ActivationArrays } from "./activations.ts";
import { allFinite } from "./kernels/mod.ts";
import { Matrix } from "./matrix.ts";
import { describeValue, firstNonFinite } from "./validate.ts";

/** A per-sample loss and its gradient with respect to the output x_L. */
export interface Loss {
  /** Short name. */
  readonly name: string;
  /** ℓ_i for every column i of `output`, written to `out` (length B). */
  values(output: Matrix, target: Matrix, out?: Float64Array): Float64Array;
  /** ∂ℓ_i/∂x_L for every column i, same shape as `output`. */
  gradOutput(output: Matrix, target: Matrix, out?: Matrix): Matrix;
  /** Throws unless `target` fits `output` (shape, finiteness, and the loss's own rules). */
  checkTarget(output: Matrix, target: Matrix): void;
}

/** `allFinite`'s record, reused by {@link checkPair} (read at once, never kept). */
const FINITE_SCAN = { n: 0 };

function checkPair(name: string, output: Matrix, target: Matrix): void {
  if (output.rows !== target.rows || output.cols !== target.cols) {
    throw new RangeError(
      `cannot compute ${name}: the output is ${output.shape} but the target is ${target.shape}`,
    );
  }
  if (output.cols === 0) {
    throw new RangeError(`cannot compute ${name} on an empty batch (0 columns)`);
  }
  // the fast scan first, through a reused record: firstNonFinite builds one per call
  FINITE_SCAN.n = target.rows * target.cols;
  const bad = allFinite(target.data, FINITE_SCAN) ? null : firstNonFinite(target);
  if (bad !== null) {
    throw new RangeError(
      `cannot compute ${name}: the target of sample ${bad.col} of the batch (column ${bad.col}, ${target.shape}) has ${bad.value} in row ${bad.row}`,
    );
  }
}

/**
 * Squared error ℓ = ½‖x_L − y‖², so ∂ℓ/∂x_L = x_L − y.
 *
 * @example
 * ```ts
 * import { squaredError } from "@lib/losses.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const x = Matrix.from([[1, 2]]), y = Matrix.from([[0, 0]]);
 * assert.deepEqual(Array.from(squaredError.values(x, y)), [0.5, 2]);
 * assert.deepEqual(squaredError.gradOutput(x, y).toArray(), [[1, 2]]);
 * ```
 */
export const squaredError: Loss = {
  name: "squared error",
  checkTarget(output, target) {
    checkPair("squared error", output, target);
  },
  values(output, target, out = new Float64Array(output.cols)) {
    this.checkTarget(output, target);
    const { rows, cols } = output, x = output.data, y = target.data;
    out.fill(0, 0, cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const d = x[i * cols + j] - y[i * cols + j];
        out[j] += 0.5 * d * d;
      }
    }
    return out;
  },
  gradOutput(output, target, out = new Matrix(output.rows, output.cols)) {
    this.checkTarget(output, target);
    const x = output.data, y = target.data, g = out.data;
    for (let k = 0; k < x.length; k++) g[k] = x[k] - y[k];
    return out;
  },
};

/**
 * Softmax cross-entropy on logits: ℓ = log Σ_k e^(x_k) − Σ_k y_k x_k for a target column y of
 * probabilities (one-hot labels or soft labels summing to 1), computed with the log-sum-exp shift.
 * Its gradient is softmax(x_L) − y. Use it with the identity output activation, so that x_L = z_L
 * are the logits and this gradient is also ∂ℓ/∂z_L.
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropy } from "@lib/losses.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const logits = Matrix.from([[0], [0]]), y = Matrix.from([[1], [0]]);
 * assert.equal(softmaxCrossEntropy.values(logits, y)[0], Math.LN2);
 * assert.deepEqual(softmaxCrossEntropy.gradOutput(logits, y).toArray(), [[-0.5], [0.5]]);
 * // no overflow at large logits
 * assert.equal(softmaxCrossEntropy.values(Matrix.from([[1000], [0]]), y)[0], 0);
 * ```
 */
export const softmaxCrossEntropy: Loss = {
  name: "softmax cross-entropy",
  checkTarget(output, target) {
    checkPair("softmax cross-entropy", output, target);
    const { rows, cols } = target, y = target.data;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) {
        const v = y[i * cols + j];
        if (v < 0) {
          throw new RangeError(
            `cannot compute softmax cross-entropy: target (${i}, ${j}) is ${v}, probabilities must be >= 0`,
          );
        }
        s += v;
      }
      if (Math.abs(s - 1) > 1e-9) {
        throw new RangeError(
          `cannot compute softmax cross-entropy: target column ${j} sums to ${s}, expected 1`,
        );
      }
    }
  },
  values(output, target, out = new Float64Array(output.cols)) {
    this.checkTarget(output, target);
    const { rows, cols } = output, x = output.data, y = target.data;
    for (let j = 0; j < cols; j++) {
      let max = -Infinity;
      for (let i = 0; i < rows; i++) max = Math.max(max, x[i * cols + j]);
      let sum = 0, dot = 0;
      for (let i = 0; i < rows; i++) {
        const v = x[i * cols + j];
        sum += Math.exp(v - max);
        dot += y[i * cols + j] * (v - max);
      }
      out[j] = Math.log(sum) - dot;
    }
    return out;
  },
  gradOutput(output, target, out = new Matrix(output.rows, output.cols)) {
    this.checkTarget(output, target);
    const { rows, cols } = output, x = output.data, y = target.data, g = out.data;
    for (let j = 0; j < cols; j++) {
      let max = -Infinity;
      for (let i = 0; i < rows; i++) max = Math.max(max, x[i * cols + j]);
      let sum = 0;
      for (let i = 0; i < rows; i++) {
        const e = Math.exp(x[i * cols + j] - max);
        g[i * cols + j] = e;
        sum += e;
      }
      for (let i = 0; i < rows; i++) g[i * cols + j] = g[i * cols + j] / sum - y[i * cols + j];
    }
    return out;
  },
};

/** The losses known by name. */
export const losses: Readonly<Record<string, Loss>> = Object.freeze({
  squaredError,
  softmaxCrossEntropy,
});

/**
 * The loss named `spec` (`squaredError` or `softmaxCrossEntropy`), or `spec` itself.
 *
 * @throws {RangeError} for an unknown name, or anything that is neither a name nor a Loss
 * @example
 * ```ts
 * import { resolveLoss, squaredError } from "@lib/losses.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveLoss("squaredError"), squaredError);
 * assert.throws(() => resolveLoss("mse"), /unknown loss 'mse'/);
 * assert.throws(() => resolveLoss(undefined!), /cannot use undefined as the loss: give a name/);
 * ```
 */
export function resolveLoss(spec: string | Loss): Loss {
  if (typeof spec !== "string") {
    const loss = spec as Partial<Loss> | null | undefined;
    if (
      typeof loss?.values !== "function" || typeof loss?.gradOutput !== "function" ||
      typeof loss?.checkTarget !== "function"
    ) {
      throw new RangeError(
        `cannot use ${describeValue(spec)} as the loss: give a name (${
          Object.keys(losses).join(", ")
        }) or a Loss with values(), gradOutput() and checkTarget()`,
      );
    }
    return spec;
  }
  const known = Object.hasOwn(losses, spec) ? losses[spec] : undefined;
  if (!known) {
    throw new RangeError(
      `unknown loss '${spec}': expected one of ${Object.keys(losses).join(", ")}`,
    );
  }
  return known;
}

/**
 * ∂ℓ_i/∂z_L = σ_L′(z_L) ∘ ∂ℓ_i/∂x_L, column by column: the start δ_L of backpropagation.
 *
 * @example
 * ```ts
 * import { gradPreActivation, squaredError } from "@lib/losses.ts";
 * import { sigmoid } from "@lib/activations.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const z = Matrix.from([[0]]), x = Matrix.from([[0.5]]), y = Matrix.from([[1]]);
 * const d = gradPreActivation(squaredError, { z, output: x, target: y, activation: sigmoid });
 * assert.equal(d.get(0, 0), 0.25 * (0.5 - 1));
 * ```
 */
export function gradPreActivation(
  loss: Loss,
  args: { z: Matrix; output: Matrix; target: Matrix; activation: Activation; out?: Matrix },
): Matrix {
  const g = loss.gradOutput(args.output, args.target, args.out);
  // one record for every call (read during the call only), let go of afterwards
  const arrays = BACKWARD_ARRAYS;
  arrays.z = args.z.data;
  arrays.x = args.output.data;
  arrays.out = g.data;
  arrays.n = g.size;
  try {
    args.activation.backward(g.data, arrays);
  } finally {
    arrays.z = arrays.x = arrays.out = NO_ENTRIES;
  }
  return g;
}

const NO_ENTRIES: Float64Array = new Float64Array(0);
/** The arrays record of {@link gradPreActivation}'s σ′ ∘ g, reused. */
const BACKWARD_ARRAYS: ActivationArrays = { z: NO_ENTRIES, x: NO_ENTRIES, out: NO_ENTRIES, n: 0 };

/**
 * One-hot columns for integer class labels: a classes×B matrix with a 1 in row labels[j].
 *
 * @throws {RangeError} when a label is not an integer in [0, classes), or classes is not an
 *   integer >= 1
 * @example
 * ```ts
 * import { oneHot } from "@lib/losses.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(oneHot([2, 0], 3).toArray(), [[0, 1], [0, 0], [1, 0]]);
 * assert.throws(() => oneHot([3], 3), /label 3 at position 0 is out of range \[0, 3\)/);
 * ```
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Matrix {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new RangeError(
      `cannot one-hot encode: classes must be an integer >= 1, got ${classes}`,
    );
  }
  const b = labels.length, m = new Matrix(classes, b);
  for (let j = 0; j < b; j++) {
    const c = labels[j];
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(
        `cannot one-hot encode: label ${c} at position ${j} is out of range [0, ${classes})`,
      );
    }
    m.data[c * b + j] = 1;
  }
  return m;
}
