/**
 * Hot loops on plain Float64Arrays with explicit sizes. Kernels know nothing of matrices,
 * autodiff or networks, and allocate nothing per call: the caller passes the output, and the
 * products' internal workspaces grow to the largest size seen and are then reused.
 *
 * All arrays are row-major. The three matrix-product forms are the three products of one
 * layer of backpropagation: θ·x (forward), δ·xᵀ (weight gradient) and θ̄ᵀ·δ (input gradient).
 *
 * The products run in WebAssembly SIMD (`lib/wasm/gemm.wat`: packed panels, a 6×4 register tile
 * of fused multiply-adds, blocked for the caches) when the runtime has it, and otherwise in
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
 * @module
 */

import { gemmWasmBytes } from "./wasm/gemm_wasm.ts";

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
 * Operation counts reported by the kernels since the last {@link resetKernelCounters}:
 * `productFlops` adds 2·m·n·k per matrix product, `elementwiseOps` one per floating-point
 * multiply or add done by the elementwise kernels and reductions.
 *
 * @example
 * ```ts
 * import { kernelCounters, matmul, resetKernelCounters } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * resetKernelCounters();
 * matmul(new Float64Array(6), new Float64Array(12), { out: new Float64Array(8), m: 2, k: 3, n: 4 });
 * assert.equal(kernelCounters.productFlops, 2 * 2 * 3 * 4);
 * ```
 */
export const kernelCounters: { productFlops: number; elementwiseOps: number } = {
  productFlops: 0,
  elementwiseOps: 0,
};

/**
 * Sets both {@link kernelCounters} to zero.
 *
 * @example
 * ```ts
 * import { hadamard, kernelCounters, resetKernelCounters } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const x = new Float64Array(3);
 * hadamard(x, x, { out: x, n: 3 });
 * resetKernelCounters();
 * assert.deepEqual(kernelCounters, { productFlops: 0, elementwiseOps: 0 });
 * ```
 */
export function resetKernelCounters(): void {
  kernelCounters.productFlops = 0;
  kernelCounters.elementwiseOps = 0;
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

/**
 * Chooses the implementation of the matrix products and returns the previous choice, so that a
 * test or a bench can switch and restore.
 *
 * @throws {Error} when `"wasm"` is asked for and WebAssembly SIMD is unavailable
 * @example
 * ```ts
 * import { matmul, useKernelBackend } from "@lib/kernels.ts";
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
      `cannot use the wasm kernel backend: WebAssembly SIMD with relaxed SIMD is unavailable (${wasmError})`,
    );
  }
  const previous = kernelBackend;
  kernelBackend = backend;
  return previous;
}

/**
 * Whether the WebAssembly SIMD products can run here (compiles the module on first call).
 *
 * @example
 * ```ts
 * import { wasmKernelsAvailable } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof wasmKernelsAvailable(), "boolean");
 * ```
 */
export function wasmKernelsAvailable(): boolean {
  return loadWasm() !== null;
}

// ---------------------------------------------------------------------------------------------
// WebAssembly engine

interface WasmGemm {
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
const WORK_BYTES = 8 * (126 * 256 + 256 * 1024 + 6 * 4);
/** Largest memory we ask for: 4 GiB less a page, the wasm32 limit. */
const MAX_BYTES = 65535 * 65536;

let kernelBackend: KernelBackend = "auto";
let wasm: WasmGemm | null | undefined;
let wasmError = "";
let heap: Float64Array = new Float64Array(0);
/** Whether views of the wasm memory survive its growth (Memory.toResizableBuffer). */
let resizable = false;
/** End of the arrays handed out by allocateKernelArray, in bytes; staging starts after it. */
let arenaTop = WORK_BYTES;

function loadWasm(): WasmGemm | null {
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

/** Makes the wasm memory hold `doubles` doubles; false when that is beyond wasm32's reach. */
function reserve(engine: WasmGemm, doubles: number): boolean {
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

/** Rounds a double index up to a 64-byte boundary. */
function align8(i: number): number {
  return (i + 7) & ~7;
}

/**
 * A zero-filled Float64Array that lives in the WebAssembly memory of the matrix products: a
 * product whose operands or output are such arrays reads and writes them in place instead of
 * copying them in and out, which saves 3 to 9 % of a product at 64×64×32, 256×256×256 and
 * 1024×256×1024 (measured best-of-many on the 2-core development machine).
 * The array stays valid when that memory grows. Its memory is never reclaimed, so allocate
 * long-lived buffers (parameters, gradients, per-layer workspaces) once and reuse them. Where
 * WebAssembly SIMD or resizable memory buffers are unavailable it is a plain Float64Array.
 *
 * @throws {RangeError} when `length` is not a non-negative integer or the memory is exhausted
 * @example
 * ```ts
 * import { allocateKernelArray, matmul } from "@lib/kernels.ts";
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
 * C = op(A)·op(B) in WebAssembly, where op(A)(i, p) = a[i·ars + p·acs] and
 * op(B)(p, j) = b[p·brs + j·bcs]; `la` and `lb` are the lengths of a and b actually read.
 * Arrays in the wasm memory (from allocateKernelArray) are used in place; the others are
 * staged after the arena. Returns false (having done nothing) when the operands do not fit the
 * wasm memory. k ≥ 1.
 */
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
  const memory = engine.memory.buffer;
  const inA = a.buffer === memory, inB = b.buffer === memory, inC = out.buffer === memory;
  // staging slots, in doubles, for the operands that are not already in the wasm memory
  let top = align8(Math.ceil(arenaTop / 8));
  const offA = inA ? a.byteOffset / 8 : top;
  if (!inA) top = align8(top + la);
  const offB = inB ? b.byteOffset / 8 : top;
  if (!inB) top = align8(top + lb);
  const offC = inC ? out.byteOffset / 8 : top;
  if (!inC) top += mn;
  if (!reserve(engine, top)) return false;
  const h = heap;
  if (!inA) h.set(la === a.length ? a : a.subarray(0, la), offA);
  if (!inB) h.set(lb === b.length ? b : b.subarray(0, lb), offB);
  if (accumulate && !inC) h.set(mn === out.length ? out : out.subarray(0, mn), offC);
  const beta = accumulate ? 1 : 0;
  if (kernelThreads === 2 && 2 * m * n * k >= PARALLEL_PRODUCT_FLOPS && n >= 8) {
    // columns [0, h) here, [h, n) on the helper; h is a multiple of the tile width 4, so every
    // entry is computed exactly as on one thread
    const h = ((n >> 1) + 3) & ~3;
    const args = [m, n - h, k, offA * 8, ars, acs, (offB + h * bcs) * 8, brs, bcs, (offC + h) * 8];
    if (postToHelper(engine, args, n, beta)) {
      engine.gemm(m, h, k, offA * 8, ars, acs, offB * 8, brs, bcs, offC * 8, n, beta, 0);
      if (!awaitHelper()) {
        engine.gemm(
          m,
          n - h,
          k,
          offA * 8,
          ars,
          acs,
          (offB + h * bcs) * 8,
          brs,
          bcs,
          (offC + h) * 8,
          n,
          beta,
          0,
        );
      }
    } else {
      engine.gemm(m, n, k, offA * 8, ars, acs, offB * 8, brs, bcs, offC * 8, n, beta, 0);
    }
  } else {
    engine.gemm(m, n, k, offA * 8, ars, acs, offB * 8, brs, bcs, offC * 8, n, beta, 0);
  }
  if (!inC) out.set(h.subarray(offC, offC + mn));
  return true;
}

// ---------------------------------------------------------------------------------------------
// A second thread: a worker that shares the wasm memory and computes half of the columns
//
// Deno cannot terminate a worker that is busy in a synchronous loop, so the helper stops itself:
// it waits for jobs in 2 ms slices and checks a generation word each time. The main thread stops
// a helper by bumping the generation and waiting for its acknowledgement, and a helper exits on
// its own after HELPER_IDLE_MS without work, so that a program that forgets to stop it can end.

/**
 * Products with at least this many floating-point operations (2·m·n·k) are split between two
 * threads when {@link useKernelThreads} asked for two.
 */
export const PARALLEL_PRODUCT_FLOPS: number = 2 ** 24;

/** Control words (Int32 indices) shared with the helper; the arguments of gemm follow ARGS. */
const STATE = 0, JOB = 1, DONE = 2, STATUS = 3, GEN = 4, ACK = 5, ARGS = 6;
/** Helper states: starting, ready (idle), exited on its own, busy (claimed by the main thread). */
const STARTING = 0, READY = 1, EXITED = 2, BUSY = 3;
/** A helper idle this long exits; the next large product starts a new one. */
const HELPER_IDLE_MS = 1000;

/** The helper worker, run from a data: URL (no file access needed). */
const HELPER_SOURCE = `
self.onmessage = (event) => {
  const { module, memory, control, work, gen, idleMs } = event.data;
  const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(memory.buffer, control, 32);
  const exit = () => {
    Atomics.store(c, ${ACK}, gen);
    Atomics.notify(c, ${ACK});
    self.close();
  };
  let seen = Atomics.load(c, ${JOB}), idleSince = performance.now();
  Atomics.compareExchange(c, ${STATE}, ${STARTING}, ${READY});
  for (;;) {
    Atomics.wait(c, ${JOB}, seen, 2);
    if (Atomics.load(c, ${GEN}) !== gen) return exit(); // stopped by the main thread
    const job = Atomics.load(c, ${JOB});
    if (job === seen) {
      const idle = performance.now() - idleSince > idleMs;
      if (idle && Atomics.compareExchange(c, ${STATE}, ${READY}, ${EXITED}) === ${READY}) {
        return exit();
      }
      continue;
    }
    seen = job;
    let status = 1;
    try {
      const a = ${ARGS};
      gemm(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8],
        c[a + 9], c[a + 10], c[a + 11], work);
    } catch {
      status = -1;
    }
    Atomics.store(c, ${STATUS}, status);
    Atomics.store(c, ${DONE}, job);
    Atomics.notify(c, ${DONE});
    idleSince = performance.now();
  }
};
`;

let kernelThreads = 1;
let helper: { worker: Worker; control: Int32Array; gen: number; job: number } | null = null;
/** Set when a helper did not stop when asked: no new helper may share its workspace. */
let helperBroken = false;
/** Byte offsets, in the arena, of the helper's control words and packing workspace. */
let helperControl = -1, helperWork = -1;

/**
 * Sets how many threads a large matrix product (at least {@link PARALLEL_PRODUCT_FLOPS}) uses,
 * 1 (the default) or 2, and returns the previous setting. With 2, a worker sharing the
 * WebAssembly memory computes half of the output columns; results are bit-identical to one
 * thread. The worker starts in the background (products run on one thread until it is ready,
 * see {@link kernelThreadsActive}), exits after a second without work (so that a program can
 * end; it restarts on demand), and is stopped by `useKernelThreads(1)`.
 * Two threads pay off only when the second core is free: on the 2-core development machine a
 * 1024×256×1024 product ran 1.8× faster (256×256×256: 1.6×) when the machine was otherwise
 * idle, and no faster while other processes kept the second core busy.
 *
 * @throws {RangeError} when `threads` is not 1 or 2
 * @example
 * ```ts
 * import { matmul, useKernelThreads } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * const previous = useKernelThreads(2);
 * try {
 *   const out = new Float64Array(4);
 *   matmul(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 0, 0, 1), { out, m: 2, k: 2, n: 2 });
 *   assert.deepEqual(Array.from(out), [1, 2, 3, 4]);
 * } finally {
 *   useKernelThreads(previous);
 * }
 * ```
 */
export function useKernelThreads(threads: number): number {
  if (threads !== 1 && threads !== 2) {
    throw new RangeError(`cannot use ${threads} kernel threads: use 1 or 2`);
  }
  const previous = kernelThreads;
  kernelThreads = threads;
  if (threads === 1) stopHelper();
  else if (helper === null) {
    const engine = loadWasm();
    if (engine !== null) startHelper(engine);
  }
  return previous;
}

/**
 * How many threads a large product would use now: 2 once the helper worker asked for by
 * {@link useKernelThreads} is running and idle, else 1.
 *
 * @example
 * ```ts
 * import { kernelThreadsActive } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * assert.equal(kernelThreadsActive(), 1); // one thread unless asked for two
 * ```
 */
export function kernelThreadsActive(): number {
  return kernelThreads === 2 && helper !== null && Atomics.load(helper.control, STATE) === READY
    ? 2
    : 1;
}

/** Asks the helper to exit and waits (up to a second) until it has. */
function stopHelper(): void {
  if (helper === null) return;
  const { worker, control: c, gen } = helper;
  helper = null;
  Atomics.add(c, GEN, 1);
  Atomics.notify(c, JOB);
  const deadline = performance.now() + 1000;
  for (;;) {
    const ack = Atomics.load(c, ACK);
    if (ack === gen) break;
    if (performance.now() > deadline) {
      helperBroken = true; // still running: never start another on the same workspace
      break;
    }
    Atomics.wait(c, ACK, ack, 1);
  }
  worker.terminate();
}

/** Starts a helper worker in the background; it is usable once its state is READY. */
function startHelper(engine: WasmGemm): void {
  if (helperBroken || !resizable || typeof Worker !== "function") return;
  try {
    if (helperControl < 0) {
      // a control block and a packing workspace of its own, in the arena, once
      const control = allocateKernelArray(16), work = allocateKernelArray(WORK_BYTES / 8);
      helperControl = control.byteOffset;
      helperWork = work.byteOffset;
    }
    const c = new Int32Array(engine.memory.buffer, helperControl, 32);
    const gen = Atomics.add(c, GEN, 1) + 1;
    Atomics.store(c, STATE, STARTING);
    const worker = new Worker(
      `data:application/javascript,${encodeURIComponent(HELPER_SOURCE)}`,
      { type: "module" },
    );
    worker.postMessage({
      module: engine.module,
      memory: engine.memory,
      control: helperControl,
      work: helperWork,
      gen,
      idleMs: HELPER_IDLE_MS,
    });
    helper = { worker, control: c, gen, job: Atomics.load(c, JOB) };
  } catch {
    helper = null;
  }
}

/**
 * Hands gemm(args…, ldc, beta) to the helper if it is ready and returns true; otherwise returns
 * false (restarting a helper that exited on its own), and the caller computes everything.
 */
function postToHelper(engine: WasmGemm, args: number[], ldc: number, beta: number): boolean {
  if (helper === null) {
    startHelper(engine);
    return false;
  }
  const c = helper.control;
  const state = Atomics.compareExchange(c, STATE, READY, BUSY);
  if (state !== READY) {
    if (state === EXITED) {
      stopHelper();
      startHelper(engine);
    }
    return false;
  }
  for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i];
  c[ARGS + 10] = ldc;
  c[ARGS + 11] = beta;
  helper.job = (helper.job + 1) | 0;
  Atomics.store(c, JOB, helper.job);
  Atomics.notify(c, JOB);
  return true;
}

/** Waits for the helper's job; false when it failed (the caller then redoes that part). */
function awaitHelper(): boolean {
  const h = helper!, c = h.control;
  for (;;) {
    const done = Atomics.load(c, DONE);
    if (done === h.job) break;
    Atomics.wait(c, DONE, done, 1); // timed: a lost wake-up costs at most 1 ms
  }
  const ok = Atomics.load(c, STATUS) === 1;
  Atomics.store(c, STATE, READY);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// TypeScript engine

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

// ---------------------------------------------------------------------------------------------
// The three product forms

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
  kernelCounters.productFlops += flops;
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
  const engine = wasm === undefined ? loadWasm() : wasm;
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
  product(a, m * k, b, k * n, out, m, k, n, k, 1, n, 1, sizes.accumulate === true);
}

/**
 * C = Aᵀ·B where A is stored k×lda (its first m columns are used, lda ≥ m) and B is k×n.
 * With lda = m + 1 this multiplies by θ̄ᵀ, θ without its last (bias) column, without a copy.
 *
 * @throws {RangeError} when lda < m or an array is shorter than its size implies
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
  const la = k === 0 ? 0 : (k - 1) * lda + m;
  checkSizes("Aᵀ·B", a, b, sizes, [la, k * n]);
  product(a, la, b, k * n, out, m, k, n, 1, lda, n, 1, sizes.accumulate === true);
}

/**
 * C = A·Bᵀ with A m×k and B n×k: each output entry is a dot product of two contiguous rows.
 *
 * @throws {RangeError} when an array is shorter than its size implies
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
  product(a, m * k, b, n * k, out, m, k, n, k, 1, 1, k, sizes.accumulate === true);
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
  kernelCounters.elementwiseOps += n;
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
  kernelCounters.elementwiseOps += 2 * n;
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
  kernelCounters.elementwiseOps += 2 * rows * cols;
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
  kernelCounters.elementwiseOps += rows * cols;
}

/**
 * Whether x[0..n) are all finite: one pass that sums v·0 (NaN exactly when some v is NaN or
 * ±Infinity) in four independent accumulators.
 *
 * @example
 * ```ts
 * import { allFinite } from "@lib/kernels.ts";
 * import assert from "node:assert/strict";
 * assert.equal(allFinite(Float64Array.of(1, -2, 1e308), { n: 3 }), true);
 * assert.equal(allFinite(Float64Array.of(1, Infinity, 3), { n: 3 }), false);
 * assert.equal(allFinite(Float64Array.of(1, 2, NaN), { n: 2 }), true); // only the first n
 * ```
 */
export function allFinite(x: Float64Array, { n }: { n: number }): boolean {
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
  kernelCounters.elementwiseOps += rows * cols;
}
