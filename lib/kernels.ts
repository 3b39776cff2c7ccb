/**
 * Hot loops on plain Float64Arrays with explicit sizes. Kernels know nothing of matrices,
 * autodiff or networks, and allocate nothing: the caller passes the output.
 *
 * All arrays are row-major. The three matrix-product forms are the three products of one
 * layer of backpropagation: θ·x (forward), δ·xᵀ (weight gradient) and θ̄ᵀ·δ (input gradient).
 *
 * @module
 */

/** Sizes of a matrix product: the output is m×n and the inner size is k. */
export interface ProductSizes {
  /** The output array, m×n; overwritten unless `accumulate` is set. */
  out: Float64Array;
  /** Rows of the output. */
  m: number;
  /** The inner (summed) size. */
  k: number;
  /** Columns of the output. */
  n: number;
  /** Add the product into `out` instead of overwriting it. */
  accumulate?: boolean;
}

function checkSizes(
  what: string,
  a: Float64Array,
  b: Float64Array,
  s: ProductSizes,
  lengths: [number, number],
): void {
  const { m, k, n, out } = s;
  if (a.length < lengths[0] || b.length < lengths[1] || out.length < m * n) {
    throw new RangeError(
      `cannot compute ${what} with m=${m}, k=${k}, n=${n}: arrays of length ${a.length}, ${b.length} and ${out.length} are too short`,
    );
  }
}

/**
 * C = A·B with A m×k and B k×n (row-major). Loop order i-p-j keeps the inner loop contiguous.
 *
 * @example
 * ```ts
 * import { matmul } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(1);
 * matmul(Float64Array.of(1, 2), Float64Array.of(3, 4), { out, m: 1, k: 2, n: 1 });
 * assert.equal(out[0], 11);
 * ```
 */
export function matmul(a: Float64Array, b: Float64Array, sizes: ProductSizes): void {
  const { out, m, k, n } = sizes;
  checkSizes("A·B", a, b, sizes, [m * k, k * n]);
  if (!sizes.accumulate) out.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) out[ci + j] += aip * b[bp + j];
    }
  }
}

/**
 * C = Aᵀ·B where A is stored k×lda (its first m columns are used, lda ≥ m) and B is k×n.
 * With lda = m + 1 this multiplies by θ̄ᵀ, θ without its last (bias) column, without a copy.
 *
 * @example
 * ```ts
 * import { matmulTransposeA } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * // A = [[1, 2, 9]] (1x3, last column ignored with lda 3, m 2); B = [[5]]
 * const out = new Float64Array(2);
 * matmulTransposeA(Float64Array.of(1, 2, 9), Float64Array.of(5), { out, m: 2, k: 1, n: 1, lda: 3 });
 * assert.deepEqual(Array.from(out), [5, 10]);
 * ```
 */
export function matmulTransposeA(
  a: Float64Array,
  b: Float64Array,
  sizes: ProductSizes & { lda?: number },
): void {
  const { out, m, k, n } = sizes;
  const lda = sizes.lda ?? m;
  if (lda < m) throw new RangeError(`cannot compute Aᵀ·B: lda ${lda} is below m ${m}`);
  checkSizes("Aᵀ·B", a, b, sizes, [k === 0 ? 0 : (k - 1) * lda + m, k * n]);
  if (!sizes.accumulate) out.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * lda, bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[ap + i];
      if (api === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) out[ci + j] += api * b[bp + j];
    }
  }
}

/**
 * C = A·Bᵀ with A m×k and B n×k: each output entry is a dot product of two contiguous rows.
 *
 * @example
 * ```ts
 * import { matmulTransposeB } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(1);
 * matmulTransposeB(Float64Array.of(1, 2), Float64Array.of(3, 4), { out, m: 1, k: 2, n: 1 });
 * assert.equal(out[0], 11);
 * ```
 */
export function matmulTransposeB(a: Float64Array, b: Float64Array, sizes: ProductSizes): void {
  const { out, m, k, n } = sizes;
  checkSizes("A·Bᵀ", a, b, sizes, [m * k, n * k]);
  const acc = sizes.accumulate === true;
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      out[i * n + j] = acc ? out[i * n + j] + s : s;
    }
  }
}

/**
 * out[i] = a[i] · b[i] for i < n (Hadamard product); `out` may alias `a` or `b`.
 *
 * @example
 * ```ts
 * import { hadamard } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const a = Float64Array.of(1, 2, 3);
 * hadamard(a, Float64Array.of(2, 2, 2), { out: a, n: 3 });
 * assert.deepEqual(Array.from(a), [2, 4, 6]);
 * ```
 */
export function hadamard(
  a: Float64Array,
  b: Float64Array,
  { out, n }: { out: Float64Array; n: number },
): void {
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
}

/**
 * out[i] += alpha · x[i] for i < n.
 *
 * @example
 * ```ts
 * import { axpy } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const y = Float64Array.of(1, 1);
 * axpy(2, Float64Array.of(1, 2), { out: y, n: 2 });
 * assert.deepEqual(Array.from(y), [3, 5]);
 * ```
 */
export function axpy(
  alpha: number,
  x: Float64Array,
  { out, n }: { out: Float64Array; n: number },
): void {
  for (let i = 0; i < n; i++) out[i] += alpha * x[i];
}

/**
 * Squared Euclidean norm of each column of an r×c row-major array, written to out[0..c).
 *
 * @example
 * ```ts
 * import { columnSquaredNorms } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(2);
 * columnSquaredNorms(Float64Array.of(3, 1, 4, 1), { out, rows: 2, cols: 2 });
 * assert.deepEqual(Array.from(out), [25, 2]);
 * ```
 */
export function columnSquaredNorms(
  x: Float64Array,
  { out, rows, cols }: { out: Float64Array; rows: number; cols: number },
): void {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[j] += x[r + j] * x[r + j];
  }
}

/**
 * Multiplies column j of an r×c row-major array by scale[j], in place.
 *
 * @example
 * ```ts
 * import { scaleColumns } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const x = Float64Array.of(1, 1, 2, 2);
 * scaleColumns(x, { scale: Float64Array.of(10, 0.5), rows: 2, cols: 2 });
 * assert.deepEqual(Array.from(x), [10, 0.5, 20, 1]);
 * ```
 */
export function scaleColumns(
  x: Float64Array,
  { scale, rows, cols }: { scale: ArrayLike<number>; rows: number; cols: number },
): void {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) x[r + j] *= scale[j];
  }
}

/**
 * Sum of each row of an r×c row-major array, written to out[0..r).
 *
 * @example
 * ```ts
 * import { rowSums } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(2);
 * rowSums(Float64Array.of(1, 2, 3, 4), { out, rows: 2, cols: 2 });
 * assert.deepEqual(Array.from(out), [3, 7]);
 * ```
 */
export function rowSums(
  x: Float64Array,
  { out, rows, cols }: { out: Float64Array; rows: number; cols: number },
): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const r = i * cols;
    for (let j = 0; j < cols; j++) s += x[r + j];
    out[i] = s;
  }
}
