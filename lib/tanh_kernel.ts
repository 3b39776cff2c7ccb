/**
 * tanh over arrays, the activation of the course's network. `Math.tanh` costs 10 to 16 ns per
 * entry here, as much as a few hundred product FLOPs, which made the forward pass look slow next
 * to the backward pass. This kernel runs two lanes at a time in WebAssembly SIMD
 * (`lib/wasm/tanh.wat`: a Padé approximant below 0.875, 1 − 2/(e^{2|x|} + 1) above, one division
 * for both; about 3 ns per entry) and falls back to `Math.tanh` where WebAssembly SIMD with relaxed
 * SIMD is unavailable.
 *
 * Accuracy of the WebAssembly path: within 2 ulp of the correctly rounded tanh over the whole
 * double range (first-order error bound 1.8 ulp; measured against 45-digit references at most
 * 1.42 ulp from the exact value, near the switch at |x| = 0.875, and never more than 1 ulp from
 * the correctly rounded one); exactly ±1 from |x| > 19.07 on, ±0 and the sign of zero kept, NaN
 * propagated. It is deterministic: the same
 * input gives the same bits on a given machine, whatever the array's length or the entry's
 * position. The two paths differ from each other by a few ulp.
 *
 * @module
 */
import {
  type ElementwiseBackend,
  elementwiseForward,
  elementwiseKernelAvailable,
} from "./elementwise_kernel.ts";

/**
 * Which implementation {@link tanhKernel} uses: `"auto"` (WebAssembly when available, else
 * `Math.tanh`), `"wasm"` (WebAssembly or an error) or `"typescript"` (`Math.tanh`).
 */
export type TanhBackend = ElementwiseBackend;

/**
 * Whether the WebAssembly tanh can run here (compiles the module on first call).
 *
 * @example
 * ```ts
 * import { tanhKernelAvailable } from "@lib/tanh_kernel.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof tanhKernelAvailable(), "boolean");
 * ```
 */
export function tanhKernelAvailable(): boolean {
  return elementwiseKernelAvailable();
}

/**
 * out[i] = tanh(z[i]) for i < n. `out` may be `z` itself but must not otherwise overlap it.
 * The `"tanh"` map of `elementwiseForward` (`lib/elementwise_kernel.ts`): in place when `z` and
 * `out` live in the products' WebAssembly memory (`allocateKernelArray`), else staged through the
 * module's own memory in chunks of 2,048.
 *
 * @throws {RangeError} when n is not a non-negative integer or an array is shorter than n
 * @throws {Error} when `backend` is `"wasm"` and WebAssembly SIMD is unavailable
 * @example
 * ```ts
 * import { tanhKernel } from "@lib/tanh_kernel.ts";
 * import assert from "node:assert/strict";
 * const z = Float64Array.of(-0, 0.5, 20, -Infinity, NaN), out = new Float64Array(5);
 * tanhKernel(z, { out, n: 5 });
 * assert.ok(Object.is(out[0], -0));
 * assert.ok(Math.abs(out[1] - Math.tanh(0.5)) < 1e-15);
 * assert.deepEqual(Array.from(out.subarray(2)), [1, -1, NaN]);
 * ```
 */
export function tanhKernel(
  z: Float64Array,
  options: { out: Float64Array; n: number; backend?: TanhBackend },
): void {
  elementwiseForward("tanh", z, options);
}
