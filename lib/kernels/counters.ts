/**
 * The operation counts every kernel adds to: matrix products their 2·m·n·k, elementwise kernels
 * and reductions one per multiply or add.
 *
 * @module
 */

/**
 * Where the kernels add their counts, one typed-array slot per count of {@link kernelCounters}:
 * once past V8's small integers (2^30), a count kept in an object's field is a boxed number,
 * allocated anew at every addition (16 bytes per kernel call, about 30 bytes a training step in
 * bench/allocation_probe.ts); a slot is written in place.
 *
 * @example
 * ```ts
 * import { counterSlots, kernelCounters } from "@lib/kernels/counters.ts";
 * import assert from "node:assert/strict";
 * const before = kernelCounters.elementwiseOps;
 * counterSlots.elementwiseOps[0] += 3;
 * assert.equal(kernelCounters.elementwiseOps, before + 3);
 * ```
 */
export const counterSlots: {
  readonly productFlops: Float64Array;
  readonly elementwiseOps: Float64Array;
  readonly splitProducts: Float64Array;
} = {
  productFlops: new Float64Array(1),
  elementwiseOps: new Float64Array(1),
  splitProducts: new Float64Array(1),
};

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
  get productFlops(): number {
    return counterSlots.productFlops[0];
  },
  set productFlops(count: number) {
    counterSlots.productFlops[0] = count;
  },
  get elementwiseOps(): number {
    return counterSlots.elementwiseOps[0];
  },
  set elementwiseOps(count: number) {
    counterSlots.elementwiseOps[0] = count;
  },
  get splitProducts(): number {
    return counterSlots.splitProducts[0];
  },
  set splitProducts(count: number) {
    counterSlots.splitProducts[0] = count;
  },
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
