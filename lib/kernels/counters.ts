/**
 * The operation counts every kernel adds to: matrix products their 2·m·n·k, elementwise kernels
 * and reductions one per multiply or add.
 *
 * @module
 */

/**
 * Operation counts reported by the kernels since the last {@link resetKernelCounters}:
 * `productFlops` adds 2·m·n·k per matrix product, `elementwiseOps` one per floating-point
 * multiply or add done by the elementwise kernels and reductions, `splitProducts` one per
 * product whose chunks were shared with the helper thread (lib/kernels/threads.ts).
 *
 * @example
 * ```ts
 * import { kernelCounters, matmul, resetKernelCounters } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * resetKernelCounters();
 * matmul(new Float64Array(6), new Float64Array(12), { out: new Float64Array(8), m: 2, k: 3, n: 4 });
 * assert.equal(kernelCounters.productFlops, 2 * 2 * 3 * 4);
 * ```
 */
export const kernelCounters: {
  productFlops: number;
  elementwiseOps: number;
  splitProducts: number;
} = {
  productFlops: 0,
  elementwiseOps: 0,
  splitProducts: 0,
};

/**
 * Sets every {@link kernelCounters} count to zero.
 *
 * @example
 * ```ts
 * import { hadamard, kernelCounters, resetKernelCounters } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const x = new Float64Array(3);
 * hadamard(x, x, { out: x, n: 3 });
 * resetKernelCounters();
 * assert.deepEqual(kernelCounters, { productFlops: 0, elementwiseOps: 0, splitProducts: 0 });
 * ```
 */
export function resetKernelCounters(): void {
  kernelCounters.productFlops = 0;
  kernelCounters.elementwiseOps = 0;
  kernelCounters.splitProducts = 0;
}
