/**
 * The three matrix-product forms of backpropagation, θ·x (forward), δ·xᵀ (weight gradient) and
 * θ̄ᵀ·δ (input gradient), and the choice between their two engines: WebAssembly SIMD
 * (lib/kernels/wasm_arena.ts, lib/kernels/threads.ts) for products of at least
 * {@link SMALL_PRODUCT_FLOPS}, register-blocked TypeScript loops otherwise or where WebAssembly is
 * unavailable. Every path has a fixed summation order.
 *
 * @module
 */
import { counterSlots } from "./counters.ts";
import { type GemmCall, prepareThreads, runGemm } from "./threads.ts";
import {
  align8,
  heapArray,
  loadWasm,
  reserve,
  stagingStart,
  type WasmGemm,
  wasmLoadError,
} from "./wasm_arena.ts";

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

/**
 * Matrix products with fewer floating-point operations (2·m·n·k) than this run in TypeScript even
 * when WebAssembly is available: below it, the fixed cost of a WebAssembly call (about 0.2 µs
 * with its copies) exceeds what SIMD saves (measured: 8×8×4 is faster in TypeScript, 8×8×8 in
 * WebAssembly).
 */
export const SMALL_PRODUCT_FLOPS = 1024;

/**
 * Which implementation the matrix products use: `"auto"` (the default) picks WebAssembly SIMD
 * when available and the product is not small, `"wasm"` always uses WebAssembly, `"typescript"`
 * always uses the TypeScript loops.
 */
export type KernelBackend = "auto" | "wasm" | "typescript";

let kernelBackend: KernelBackend = "auto";

/**
 * Chooses the implementation of the matrix products and returns the previous choice, so that a
 * test or a bench can switch and restore.
 *
 * @throws {Error} when `"wasm"` is asked for and WebAssembly SIMD is unavailable
 * @example
 * ```ts
 * import { matmul, useKernelBackend } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const previous = useKernelBackend("typescript");
 * try {
 *   const out = new Float64Array(1);
 *   matmul(Float64Array.of(1, 2), Float64Array.of(3, 4), { out, m: 1, k: 2, n: 1 });
 *   assert.equal(out[0], 11);
 * } finally {
 *   useKernelBackend(previous);
 * }
 * ```
 */
export function useKernelBackend(backend: KernelBackend): KernelBackend {
  if (backend !== "auto" && backend !== "wasm" && backend !== "typescript") {
    throw new TypeError(`cannot use kernel backend ${JSON.stringify(backend)}: unknown name`);
  }
  if (backend === "wasm" && loadWasm() === null) {
    throw new Error(
      `cannot use the wasm kernel backend: WebAssembly SIMD with relaxed SIMD is unavailable (${wasmLoadError()})`,
    );
  }
  const previous = kernelBackend;
  kernelBackend = backend;
  return previous;
}

/**
 * C = op(A)·op(B) in WebAssembly, where op(A)(i, p) = a[i·ars + p·acs] and
 * op(B)(p, j) = b[p·brs + j·bcs]; `la` and `lb` are the lengths of a and b actually read.
 * Arrays in the wasm memory (from allocateKernelArray) are used in place; the others are
 * staged after the arena. Returns false (having done nothing) when the operands do not fit the
 * wasm memory. k ≥ 1.
 */
/** The record {@link wasmProduct} fills for each product it hands to `runGemm`. */
const gemmCall: GemmCall = {
  m: 0,
  n: 0,
  k: 0,
  a: 0,
  ars: 0,
  acs: 0,
  b: 0,
  brs: 0,
  bcs: 0,
  c: 0,
  ldc: 0,
  beta: 0,
};

function wasmProduct(
  engine: WasmGemm,
  a: Float64Array,
  la: number,
  b: Float64Array,
  lb: number,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
  ars: number,
  acs: number,
  brs: number,
  bcs: number,
  accumulate: boolean,
): boolean {
  const mn = m * n;
  prepareThreads(engine, 2 * m * n * k); // may allocate in the arena: before staging
  const memory = engine.memory.buffer;
  const inA = a.buffer === memory, inB = b.buffer === memory, inC = out.buffer === memory;
  // staging slots, in doubles, for the operands that are not already in the wasm memory
  let top = stagingStart();
  const offA = inA ? a.byteOffset / 8 : top;
  if (!inA) top = align8(top + la);
  const offB = inB ? b.byteOffset / 8 : top;
  if (!inB) top = align8(top + lb);
  const offC = inC ? out.byteOffset / 8 : top;
  if (!inC) top += mn;
  if (!reserve(engine, top)) return false;
  const h = heapArray();
  if (!inA) h.set(la === a.length ? a : a.subarray(0, la), offA);
  if (!inB) h.set(lb === b.length ? b : b.subarray(0, lb), offB);
  if (accumulate && !inC) h.set(mn === out.length ? out : out.subarray(0, mn), offC);
  // one call record, refilled: runGemm reads it before returning (no object per product)
  const call = gemmCall;
  call.m = m;
  call.n = n;
  call.k = k;
  call.a = offA * 8;
  call.ars = ars;
  call.acs = acs;
  call.b = offB * 8;
  call.brs = brs;
  call.bcs = bcs;
  call.c = offC * 8;
  call.ldc = n;
  call.beta = accumulate ? 1 : 0;
  runGemm(engine, call);
  if (!inC) out.set(h.subarray(offC, offC + mn));
  return true;
}

/** Scratch for a k×4 panel of op(B) in {@link tsProduct}; grows with k and is reused. */
let tsPanel = new Float64Array(4 * 256);

/**
 * C = op(A)·op(B) (or C + op(A)·op(B)) with the strides of {@link wasmProduct}: 2×4 register
 * tiles over a contiguous copy of four columns of op(B), one sequential sum per output entry,
 * then the edges one entry at a time.
 */
function tsProduct(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
  ars: number,
  acs: number,
  brs: number,
  bcs: number,
  accumulate: boolean,
): void {
  const m2 = m - (m & 1), n4 = n - (n & 3);
  if (tsPanel.length < 4 * k) tsPanel = new Float64Array(4 * k);
  const panel = tsPanel;
  for (let j = 0; j < n4; j += 4) {
    // copy columns j..j+3 of op(B) into a contiguous k×4 panel, reused by every row pair
    for (let p = 0, ib = j * bcs, q = 0; p < k; p++, ib += brs, q += 4) {
      panel[q] = b[ib];
      panel[q + 1] = b[ib + bcs];
      panel[q + 2] = b[ib + 2 * bcs];
      panel[q + 3] = b[ib + 3 * bcs];
    }
    for (let i = 0; i < m2; i += 2) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let ia = i * ars;
      for (let q = 0; q < 4 * k; q += 4) {
        const a0 = a[ia], a1 = a[ia + ars];
        const b0 = panel[q], b1 = panel[q + 1], b2 = panel[q + 2], b3 = panel[q + 3];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s02 += a0 * b2;
        s03 += a0 * b3;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s12 += a1 * b2;
        s13 += a1 * b3;
        ia += acs;
      }
      const c0 = i * n + j, c1 = c0 + n;
      if (accumulate) {
        out[c0] += s00;
        out[c0 + 1] += s01;
        out[c0 + 2] += s02;
        out[c0 + 3] += s03;
        out[c1] += s10;
        out[c1 + 1] += s11;
        out[c1 + 2] += s12;
        out[c1 + 3] += s13;
      } else {
        out[c0] = s00;
        out[c0 + 1] = s01;
        out[c0 + 2] = s02;
        out[c0 + 3] = s03;
        out[c1] = s10;
        out[c1 + 1] = s11;
        out[c1 + 2] = s12;
        out[c1 + 3] = s13;
      }
    }
  }
  // the last row when m is odd (columns < n4), then the last n mod 4 columns of every row
  if (m2 < m) {
    for (let j = 0; j < n4; j++) tsEntry(a, b, out, m2, j, k, n, ars, acs, brs, bcs, accumulate);
  }
  for (let i = 0; i < m; i++) {
    for (let j = n4; j < n; j++) tsEntry(a, b, out, i, j, k, n, ars, acs, brs, bcs, accumulate);
  }
}

function tsEntry(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  i: number,
  j: number,
  k: number,
  n: number,
  ars: number,
  acs: number,
  brs: number,
  bcs: number,
  accumulate: boolean,
): void {
  let s = 0;
  let ia = i * ars, ib = j * bcs;
  for (let p = 0; p < k; p++) {
    s += a[ia] * b[ib];
    ia += acs;
    ib += brs;
  }
  const c = i * n + j;
  out[c] = accumulate ? out[c] + s : s;
}

/** Checks the arrays against the lengths la and lb they need (positional: no array per call). */
function checkSizes(
  what: string,
  a: Float64Array,
  b: Float64Array,
  s: ProductSizes,
  la: number,
  lb: number,
): void {
  const { m, k, n, out } = s;
  if (a.length < la || b.length < lb || out.length < m * n) {
    throw new RangeError(
      `cannot compute ${what} with m=${m}, k=${k}, n=${n}: arrays of length ${a.length}, ${b.length} and ${out.length} are too short`,
    );
  }
}

/** Dispatches one checked product to WebAssembly or TypeScript. */
function product(
  a: Float64Array,
  la: number,
  b: Float64Array,
  lb: number,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
  ars: number,
  acs: number,
  brs: number,
  bcs: number,
  accumulate: boolean,
): void {
  const flops = 2 * m * n * k;
  counterSlots.productFlops[0] += flops;
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) out.fill(0, 0, m * n);
    return;
  }
  if (
    kernelBackend === "typescript" || (kernelBackend === "auto" && flops < SMALL_PRODUCT_FLOPS)
  ) {
    tsProduct(a, b, out, m, k, n, ars, acs, brs, bcs, accumulate);
    return;
  }
  const engine = loadWasm();
  if (
    engine === null ||
    !wasmProduct(engine, a, la, b, lb, out, m, k, n, ars, acs, brs, bcs, accumulate)
  ) {
    tsProduct(a, b, out, m, k, n, ars, acs, brs, bcs, accumulate);
  }
}

/**
 * C = A·B with A m×k and B k×n (row-major).
 *
 * @throws {RangeError} when an array is shorter than its size implies
 * @example
 * ```ts
 * import { matmul } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(1);
 * matmul(Float64Array.of(1, 2), Float64Array.of(3, 4), { out, m: 1, k: 2, n: 1 });
 * assert.equal(out[0], 11);
 * ```
 */
export function matmul(a: Float64Array, b: Float64Array, sizes: ProductSizes): void {
  const { out, m, k, n } = sizes;
  checkSizes("A·B", a, b, sizes, m * k, k * n);
  product(a, m * k, b, k * n, out, m, k, n, k, 1, n, 1, sizes.accumulate === true);
}

/**
 * C = Aᵀ·B where A is stored k×lda (its first m columns are used, lda ≥ m) and B is k×n.
 * With lda = m + 1 this multiplies by θ̄ᵀ, θ without its last (bias) column, without a copy.
 *
 * @throws {RangeError} when lda < m or an array is shorter than its size implies
 * @example
 * ```ts
 * import { matmulTransposeA } from "@lib/kernels/mod.ts";
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
  const la = k === 0 ? 0 : (k - 1) * lda + m;
  checkSizes("Aᵀ·B", a, b, sizes, la, k * n);
  product(a, la, b, k * n, out, m, k, n, 1, lda, n, 1, sizes.accumulate === true);
}

/**
 * C = A·Bᵀ with A m×k and B n×k: each output entry is a dot product of two contiguous rows.
 *
 * @throws {RangeError} when an array is shorter than its size implies
 * @example
 * ```ts
 * import { matmulTransposeB } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(1);
 * matmulTransposeB(Float64Array.of(1, 2), Float64Array.of(3, 4), { out, m: 1, k: 2, n: 1 });
 * assert.equal(out[0], 11);
 * ```
 */
export function matmulTransposeB(a: Float64Array, b: Float64Array, sizes: ProductSizes): void {
  const { out, m, k, n } = sizes;
  checkSizes("A·Bᵀ", a, b, sizes, m * k, n * k);
  product(a, m * k, b, n * k, out, m, k, n, k, 1, 1, k, sizes.accumulate === true);
}
