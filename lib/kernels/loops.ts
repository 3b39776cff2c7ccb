/**
 * Elementwise kernels and reductions on plain Float64Arrays with explicit sizes: one sequential
 * loop each, no allocation, counted in `kernelCounters` (lib/kernels/counters.ts).
 *
 * @module
 */
import { axpyInKernelMemory, finiteInKernelMemory } from "../elementwise_kernel.ts";
import { counterSlots } from "./counters.ts";

/**
 * out[i] = a[i] · b[i] for i < n (Hadamard product); `out` may alias `a` or `b`.
 *
 * @example
 * ```ts
 * import { hadamard } from "@lib/kernels/mod.ts";
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
  counterSlots.elementwiseOps[0] += n;
}

/** From this many entries on, {@link axpy} of arrays in kernel memory runs in WebAssembly. */
const AXPY_WASM_MIN = 16;

/**
 * out[i] += alpha · x[i] for i < n: the product rounded, then the sum. When x and out live in the
 * products' WebAssembly memory (the training loop's θ_l and gradients, see
 * `allocateKernelArray`), in WebAssembly SIMD in place (`axpyInKernelMemory` of
 * lib/elementwise_kernel.ts), with the same bits; else a TypeScript loop.
 *
 * @example
 * ```ts
 * import { axpy } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const y = Float64Array.of(1, 1);
 * axpy(2, Float64Array.of(1, 2), { out: y, n: 2 });
 * assert.deepEqual(Array.from(y), [3, 5]);
 * ```
 */
export function axpy(
  alpha: number,
  x: Float64Array,
  io: { out: Float64Array; n: number },
): void {
  const out = io.out, n = io.n;
  counterSlots.elementwiseOps[0] += 2 * n;
  if (n >= AXPY_WASM_MIN && axpyInKernelMemory(alpha, x, io)) return;
  for (let i = 0; i < n; i++) out[i] += alpha * x[i];
}

/**
 * Squared Euclidean norm of each column of an r×c row-major array, written to out[0..c).
 *
 * @example
 * ```ts
 * import { columnSquaredNorms } from "@lib/kernels/mod.ts";
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
  counterSlots.elementwiseOps[0] += 2 * rows * cols;
}

/**
 * Multiplies column j of an r×c row-major array by scale[j], in place.
 *
 * @example
 * ```ts
 * import { scaleColumns } from "@lib/kernels/mod.ts";
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
  counterSlots.elementwiseOps[0] += rows * cols;
}

/** From this many entries on, {@link allFinite} of an array in kernel memory runs in WebAssembly. */
const FINITE_WASM_MIN = 64;

/**
 * Whether x[0..n) are all finite: one pass that sums v·0 (NaN exactly when some v is NaN or
 * ±Infinity) in four independent accumulators; in WebAssembly SIMD when x lives in the products'
 * memory (`finiteInKernelMemory` of lib/elementwise_kernel.ts), with the same answer.
 *
 * @example
 * ```ts
 * import { allFinite } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(allFinite(Float64Array.of(1, -2, 1e308), { n: 3 }), true);
 * assert.equal(allFinite(Float64Array.of(1, Infinity, 3), { n: 3 }), false);
 * assert.equal(allFinite(Float64Array.of(1, 2, NaN), { n: 2 }), true); // only the first n
 * ```
 */
export function allFinite(x: Float64Array, { n }: { n: number }): boolean {
  if (n >= FINITE_WASM_MIN) {
    const answer = finiteInKernelMemory(x, n); // in WebAssembly when x lives in kernel memory
    if (answer !== -1) return answer === 1;
  }
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i] * 0;
    s1 += x[i + 1] * 0;
    s2 += x[i + 2] * 0;
    s3 += x[i + 3] * 0;
  }
  for (; i < n; i++) s0 += x[i] * 0;
  const s = s0 + s1 + s2 + s3;
  return s === s;
}

/**
 * Sum of each row of an r×c row-major array, written to out[0..r).
 *
 * @example
 * ```ts
 * import { rowSums } from "@lib/kernels/mod.ts";
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
  counterSlots.elementwiseOps[0] += rows * cols;
}

/** Sizes of {@link gatherColumns}. */
export interface GatherSizes {
  /** Rows of the output (entries per gathered column). */
  rows: number;
  /** Distance in `src` from an entry to the one below it (cols for a row-major source, 1 for a
   * sample-major one). */
  rowStride: number;
  /** Distance in `src` from an entry to the one on its right (1 row-major, rows sample-major). */
  colStride: number;
  /** The source columns, in output order (repeats allowed); the caller checks their range. */
  positions: Int32Array;
  /** The output, rows × positions.length row-major. */
  out: Float64Array;
}

/**
 * out[i, j] = src[i·rowStride + positions[j]·colStride]: columns of a matrix stored row-major or
 * sample-major, gathered eight at a time down all rows, so that their offsets stay in locals and
 * each output row gets eight values, one cache line (1.3–1.7 ns an entry against 2.2–2.4 for a
 * row at a time, row-major, 33 to 257 rows, b = 32 to 256, interleaved). A copy: the same bits.
 * Positions and array lengths are the caller's to check.
 *
 * @example
 * ```ts
 * import { gatherColumns } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const rowMajor = Float64Array.of(1, 2, 3, 4, 5, 6); // 2 × 3
 * const out = new Float64Array(4), positions = Int32Array.of(2, 0);
 * gatherColumns(rowMajor, { rows: 2, rowStride: 3, colStride: 1, positions, out });
 * assert.deepEqual(Array.from(out), [3, 1, 6, 4]);
 * const sampleMajor = Float64Array.of(1, 4, 2, 5, 3, 6); // the same matrix, a column at a time
 * gatherColumns(sampleMajor, { rows: 2, rowStride: 1, colStride: 2, positions, out });
 * assert.deepEqual(Array.from(out), [3, 1, 6, 4]);
 * ```
 */
export function gatherColumns(src: Float64Array, sizes: GatherSizes): void {
  const { rows, rowStride, colStride, positions, out } = sizes, b = positions.length;
  let j = 0;
  for (; j + 8 <= b; j += 8) {
    const p0 = positions[j] * colStride, p1 = positions[j + 1] * colStride;
    const p2 = positions[j + 2] * colStride, p3 = positions[j + 3] * colStride;
    const p4 = positions[j + 4] * colStride, p5 = positions[j + 5] * colStride;
    const p6 = positions[j + 6] * colStride, p7 = positions[j + 7] * colStride;
    for (let i = 0, s = 0, d = j; i < rows; i++, s += rowStride, d += b) {
      out[d] = src[s + p0];
      out[d + 1] = src[s + p1];
      out[d + 2] = src[s + p2];
      out[d + 3] = src[s + p3];
      out[d + 4] = src[s + p4];
      out[d + 5] = src[s + p5];
      out[d + 6] = src[s + p6];
      out[d + 7] = src[s + p7];
    }
  }
  for (; j < b; j++) {
    const p = positions[j] * colStride;
    for (let i = 0, s = 0, d = j; i < rows; i++, s += rowStride, d += b) out[d] = src[s + p];
  }
}
