/**
 * Hot loops on plain Float64Arrays with explicit sizes. Kernels know nothing of matrices,
 * autodiff or networks, and allocate nothing per call: the caller passes the output, and the
 * products' internal workspaces grow to the largest size seen and are then reused.
 *
 * All arrays are row-major. The three matrix-product forms are the three products of one
 * layer of backpropagation: θ·x (forward), δ·xᵀ (weight gradient) and θ̄ᵀ·δ (input gradient).
 *
 * The products run in WebAssembly SIMD (`lib/wasm/gemm.wat`: packed panels, a 4×4 register tile
 * of fused multiply-adds without broadcasts, blocked for the caches) when the runtime has it, and otherwise in
 * register-blocked TypeScript loops. Operands are copied into the WebAssembly memory, which is
 * kept and reused between calls, unless they were allocated there by
 * {@link allocateKernelArray}; products below {@link SMALL_PRODUCT_FLOPS} stay in TypeScript,
 * where the fixed cost of a WebAssembly call would exceed what SIMD saves. Every path has a fixed summation order, so
 * the same inputs give bit-identical outputs on a given machine, and the three forms give
 * bit-identical results on equivalent (transposed) operands. Products propagate NaN and ±∞ as
 * IEEE arithmetic does (0·∞ is NaN: no term is skipped). `out` must not overlap `a` or `b`.
 *
 * Every kernel adds its operation count to {@link kernelCounters}.
 *
 * The files: `products.ts` (the three product forms, the engine choice and the TypeScript
 * loops), `wasm_arena.ts` (the WebAssembly module, its memory and the arena of
 * {@link allocateKernelArray}), `threads.ts` (the second thread: on by default on the main thread of
 * a multi-core machine, off inside workers and with `SGDLAB_KERNEL_THREADS=1`) with its worker's
 * source in `helper_source.ts`, `loops.ts` (elementwise kernels and reductions), `counters.ts`.
 *
 * @module
 */

export { kernelCounters, resetKernelCounters } from "./counters.ts";
export {
  type KernelBackend,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  type ProductSizes,
  SMALL_PRODUCT_FLOPS,
  useKernelBackend,
} from "./products.ts";
export { allocateKernelArray, wasmKernelsAvailable } from "./wasm_arena.ts";
export { kernelThreadsActive, PARALLEL_PRODUCT_FLOPS, useKernelThreads } from "./threads.ts";
export {
  allFinite,
  axpy,
  columnSquaredNorms,
  gatherColumns,
  type GatherSizes,
  hadamard,
  rowSums,
  scaleColumns,
} from "./loops.ts";
