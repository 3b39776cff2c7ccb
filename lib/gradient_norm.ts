/**
 * The squared norm of a gradient, Σ g² over its layers, two ways: in order (the bits a step
 * reports as ‖g‖), and fast (four partial sums, in WebAssembly SIMD for arrays in kernel memory),
 * which only decides whether the sum in order is finite, so that an SGD step (lib/sgd.ts) sums in
 * order only when it reports ‖g‖ or the fast sum says it may overflow.
 *
 * @module
 */
import { addSquaresInKernelMemory } from "./elementwise_kernel.ts";
import { allocateKernelArray } from "./kernels/mod.ts";
import type { Matrix } from "./matrix.ts";

/**
 * Below this, a sum of squares in any order is finite: the orders differ by a relative n·ε, far
 * below a factor of 2.
 */
const SAFE_SQUARED = Number.MAX_VALUE / 2;

/**
 * Σ g², in order over the layers and entries: the bits of ‖g‖ that a step reports.
 *
 * @example
 * ```ts
 * import { squaredNorm } from "@lib/gradient_norm.ts";
 * import { Matrix } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(squaredNorm([Matrix.row([3, 4]), Matrix.row([12])]), 169);
 * ```
 */
export function squaredNorm(grads: readonly Matrix[]): number {
  let squared = 0;
  for (const g of grads) {
    const d = g.data;
    for (let k = 0; k < d.length; k++) squared += d[k] * d[k];
  }
  return squared;
}

/**
 * Whether Σ g² (four partial sums per array) is at most SAFE_SQUARED, so that Σ g² in any order
 * is finite. Arrays in kernel memory (the gradients while training) are summed in WebAssembly
 * SIMD into a slot of that memory (`addSquaresInKernelMemory`), the others here. A boolean back,
 * not the sum: a double returned by a call that is not inlined is boxed.
 *
 * @example
 * ```ts
 * import { fastSquaredNormSafe } from "@lib/gradient_norm.ts";
 * import { Matrix } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fastSquaredNormSafe([Matrix.row([3, 4])]), true);
 * assert.equal(fastSquaredNormSafe([Matrix.row([1e300, 1e300])]), false); // Σ g² overflows
 * assert.equal(fastSquaredNormSafe([Matrix.row([NaN])]), false);
 * ```
 */
export function fastSquaredNormSafe(grads: readonly Matrix[]): boolean {
  const sum = squaresSlot();
  sum[0] = 0;
  for (let l = 0; l < grads.length; l++) {
    const d = grads[l].data, n = d.length;
    if (!addSquaresInKernelMemory(d, n, sum)) sum[0] += squaresOf(d, n);
  }
  return sum[0] <= SAFE_SQUARED;
}

/** Σ d[k]² over k < n in four partial sums: NaN or infinite when an entry is. */
function squaresOf(d: Float64Array, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += d[k] * d[k];
    s1 += d[k + 1] * d[k + 1];
    s2 += d[k + 2] * d[k + 2];
    s3 += d[k + 3] * d[k + 3];
  }
  for (; k < n; k++) s0 += d[k] * d[k];
  return (s0 + s1) + (s2 + s3);
}

/** {@link fastSquaredNormSafe}'s running sum: one double in kernel memory, made on first use. */
let squares: Float64Array | null = null;
function squaresSlot(): Float64Array {
  return squares ??= allocateKernelArray(1);
}
