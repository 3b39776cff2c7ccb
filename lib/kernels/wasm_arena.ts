/**
 * The WebAssembly side of the matrix products: the gemm module (lib/wasm/gemm.wat), compiled
 * once, and its memory, which holds gemm's packing workspace, then the arena of arrays handed out
 * by {@link allocateKernelArray} (used in place by the products, and by the activations' maps of
 * `lib/elementwise_kernel.ts`, whose module is instantiated on this memory too), then the staging
 * area where other operands are copied for one product. The memory only grows.
 *
 * @module
 */
import { gemmWasmBytes } from "../wasm/gemm_wasm.ts";

/** The compiled gemm module, its shared memory and its one export. */
export interface WasmGemm {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    ldc: number,
    beta: number,
    work: number,
  ): void;
}

/** Bytes of packing workspace gemm.wat needs: 8·(MC·KC + KC·NC + MR·NR), a multiple of 64. */
export const WORK_BYTES: number = 8 * (128 * 256 + 256 * 1024 + 4 * 4);
/** Largest memory we ask for: 4 GiB less a page, the wasm32 limit. */
const MAX_BYTES = 65535 * 65536;

let wasm: WasmGemm | null | undefined;
let wasmError = "";
let heap: Float64Array = new Float64Array(0);
/** Whether views of the wasm memory survive its growth (Memory.toResizableBuffer). */
let resizable = false;
/** End of the arrays handed out by allocateKernelArray, in bytes; staging starts after it. */
let arenaTop = WORK_BYTES;

/**
 * The gemm engine, compiled and instantiated on first call; null when WebAssembly SIMD with
 * relaxed SIMD is unavailable ({@link wasmLoadError} says why).
 *
 * @example
 * ```ts
 * import { loadWasm, wasmKernelsAvailable } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * assert.equal(loadWasm() !== null, wasmKernelsAvailable());
 * assert.equal(loadWasm(), loadWasm()); // compiled once
 * ```
 */
export function loadWasm(): WasmGemm | null {
  if (wasm !== undefined) return wasm;
  try {
    const bytes = gemmWasmBytes();
    if (!WebAssembly.validate(bytes)) throw new Error("the module does not validate");
    const module = new WebAssembly.Module(bytes);
    const pages = Math.ceil((WORK_BYTES + 64 * 1024) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
    const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const resizableMemory = memory as WebAssembly.Memory & { toResizableBuffer?: () => unknown };
    try {
      resizableMemory.toResizableBuffer?.();
      resizable = resizableMemory.toResizableBuffer !== undefined;
    } catch {
      resizable = false;
    }
    heap = new Float64Array(memory.buffer); // length-tracking when resizable
    wasm = { module, memory, gemm: gemm as WasmGemm["gemm"] };
  } catch (error) {
    wasmError = error instanceof Error ? error.message : String(error);
    wasm = null;
  }
  return wasm;
}

/**
 * Why the gemm engine could not load ("" when it loaded or was not tried).
 *
 * @example
 * ```ts
 * import { loadWasm, wasmLoadError } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * assert.equal(loadWasm() === null, wasmLoadError() !== "");
 * ```
 */
export function wasmLoadError(): string {
  return wasmError;
}

/**
 * Makes the wasm memory hold `doubles` doubles; false when that is beyond wasm32's reach.
 *
 * @example
 * ```ts
 * import { heapArray, loadWasm, reserve } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * const engine = loadWasm();
 * if (engine !== null) {
 *   assert.equal(reserve(engine, 1024), true);
 *   assert.ok(heapArray().length >= 1024);
 *   assert.equal(reserve(engine, 2 ** 40), false);
 * }
 * ```
 */
export function reserve(engine: WasmGemm, doubles: number): boolean {
  const bytes = doubles * 8;
  const have = engine.memory.buffer.byteLength;
  if (bytes > have) {
    if (bytes > MAX_BYTES) return false;
    // grow by at least half of what we have, to keep the number of grows logarithmic
    const want = Math.min(MAX_BYTES, Math.max(bytes, have + (have >> 1)));
    try {
      engine.memory.grow(Math.ceil((want - have) / 65536));
    } catch {
      return false;
    }
  }
  if (heap.buffer !== engine.memory.buffer) heap = new Float64Array(engine.memory.buffer);
  return true;
}

/**
 * The whole wasm memory as doubles, current after the last {@link reserve}.
 *
 * @example
 * ```ts
 * import { heapArray, loadWasm } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * if (loadWasm() !== null) assert.equal(heapArray().buffer, loadWasm()!.memory.buffer);
 * ```
 */
export function heapArray(): Float64Array {
  return heap;
}

/**
 * Where a product's staged operands start, in doubles: after the arena, on a 64-byte boundary.
 *
 * @example
 * ```ts
 * import { stagingStart, WORK_BYTES } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * assert.ok(stagingStart() >= WORK_BYTES / 8 && stagingStart() % 8 === 0);
 * ```
 */
export function stagingStart(): number {
  return align8(Math.ceil(arenaTop / 8));
}

/**
 * Whether views of the wasm memory survive its growth, so that arrays can live in it (known once
 * the engine loaded).
 *
 * @example
 * ```ts
 * import { loadWasm, memoryResizable } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * if (loadWasm() === null) assert.equal(memoryResizable(), false);
 * ```
 */
export function memoryResizable(): boolean {
  return resizable;
}

/**
 * Rounds a double index up to a 64-byte boundary.
 *
 * @example
 * ```ts
 * import { align8 } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([0, 1, 8, 9].map(align8), [0, 8, 8, 16]);
 * ```
 */
export function align8(i: number): number {
  return (i + 7) & ~7;
}

/**
 * A zero-filled Float64Array that lives in the WebAssembly memory of the matrix products: a
 * product whose operands or output are such arrays reads and writes them in place instead of
 * copying them in and out, which saves 3 to 9 % of a product at 64×64×32, 256×256×256 and
 * 1024×256×1024 (measured best-of-many on the 2-core development machine). The activations'
 * elementwise maps (`lib/elementwise_kernel.ts`) likewise map such arrays in place, 2 to 4 times
 * faster than plain arrays for relu and the derivatives from x.
 * The array stays valid when that memory grows. Its memory is never reclaimed, so allocate
 * long-lived buffers (parameters, gradients, per-layer workspaces) once and reuse them. Where
 * WebAssembly SIMD or resizable memory buffers are unavailable it is a plain Float64Array.
 *
 * @throws {RangeError} when `length` is not a non-negative integer or the memory is exhausted
 * @example
 * ```ts
 * import { allocateKernelArray, matmul } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const a = allocateKernelArray(4), out = allocateKernelArray(4);
 * a.set([1, 2, 3, 4]);
 * matmul(a, Float64Array.of(1, 0, 0, 1), { out, m: 2, k: 2, n: 2 });
 * assert.deepEqual(Array.from(out), [1, 2, 3, 4]);
 * ```
 */
export function allocateKernelArray(length: number): Float64Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(
      `cannot allocate a kernel array of length ${length}: it must be a non-negative integer`,
    );
  }
  const engine = loadWasm();
  if (engine === null || !resizable) return new Float64Array(length);
  const offset = (arenaTop + 63) & ~63, end = offset + 8 * length;
  if (!reserve(engine, end / 8 + 8)) {
    throw new RangeError(
      `cannot allocate a kernel array of length ${length}: the WebAssembly memory would exceed 4 GiB`,
    );
  }
  arenaTop = end;
  const array = new Float64Array(engine.memory.buffer, offset, length);
  array.fill(0); // the region may hold staged operands of earlier products
  return array;
}

/**
 * Whether `array` lives in the products' WebAssembly memory (made by {@link allocateKernelArray},
 * or a view of such an array), so that the kernels read and write it in place.
 *
 * @example
 * ```ts
 * import { allocateKernelArray } from "@lib/kernels/mod.ts";
 * import { inKernelMemory, loadWasm } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * assert.equal(inKernelMemory(new Float64Array(4)), false);
 * if (loadWasm() !== null) assert.equal(inKernelMemory(allocateKernelArray(4)), true);
 * ```
 */
export function inKernelMemory(array: Float64Array): boolean {
  const engine = loadWasm();
  return engine !== null && array.buffer === engine.memory.buffer;
}

/**
 * A zero-filled view of `length` doubles at `byteOffset` of the products' WebAssembly memory: a
 * region {@link allocateKernelArray} gave out before, handed out again (lib/kernel_lease.ts reuses
 * released regions this way). Null where arrays do not live in that memory.
 *
 * @example
 * ```ts
 * import { allocateKernelArray } from "@lib/kernels/mod.ts";
 * import { kernelArrayAt } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * const a = allocateKernelArray(8);
 * a.fill(1);
 * const again = kernelArrayAt(a.byteOffset, 4);
 * if (again !== null) assert.deepEqual(Array.from(a), [0, 0, 0, 0, 1, 1, 1, 1]);
 * ```
 */
export function kernelArrayAt(byteOffset: number, length: number): Float64Array | null {
  const engine = loadWasm();
  if (engine === null || !resizable) return null;
  const array = new Float64Array(engine.memory.buffer, byteOffset, length);
  array.fill(0);
  return array;
}

/**
 * Whether the WebAssembly SIMD products can run here (compiles the module on first call).
 *
 * @example
 * ```ts
 * import { wasmKernelsAvailable } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof wasmKernelsAvailable(), "boolean");
 * ```
 */
export function wasmKernelsAvailable(): boolean {
  return loadWasm() !== null;
}
