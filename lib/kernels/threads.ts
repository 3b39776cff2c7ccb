/**
 * A second thread for large matrix products: a worker that shares the WebAssembly memory
 * (lib/kernels/wasm_arena.ts) and computes half of the output columns, with results bit-identical
 * to one thread. Its source is lib/kernels/helper_source.ts.
 *
 * Deno cannot terminate a worker that is busy in a synchronous loop, so the helper stops itself:
 * it waits for jobs in 2 ms slices and checks a generation word each time. The main thread stops
 * a helper by bumping the generation and waiting for its acknowledgement, and a helper exits on
 * its own after HELPER_IDLE_MS without work, so that a program that forgets to stop it can end.
 *
 * @module
 */
import { CONTROL, HELPER_SOURCE, HELPER_STATE } from "./helper_source.ts";
import {
  allocateKernelArray,
  loadWasm,
  memoryResizable,
  type WasmGemm,
  WORK_BYTES,
} from "./wasm_arena.ts";

/**
 * Products with at least this many floating-point operations (2·m·n·k) are split between two
 * threads when {@link useKernelThreads} asked for two.
 */
export const PARALLEL_PRODUCT_FLOPS: number = 2 ** 24;

const { STATE, JOB, DONE, STATUS, GEN, ACK, ARGS } = CONTROL;
const { STARTING, READY, EXITED, BUSY } = HELPER_STATE;
/** A helper idle this long exits; the next large product starts a new one. */
const HELPER_IDLE_MS = 1000;

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
 * import { matmul, useKernelThreads } from "@lib/kernels/mod.ts";
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
 * import { kernelThreadsActive } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(kernelThreadsActive(), 1); // one thread unless asked for two
 * ```
 */
export function kernelThreadsActive(): number {
  return kernelThreads === 2 && helper !== null && Atomics.load(helper.control, STATE) === READY
    ? 2
    : 1;
}

/** One call of gemm: sizes, byte offsets and strides of op(A), op(B) and C, and β. */
export interface GemmCall {
  /** Rows of C. */
  m: number;
  /** Columns of C. */
  n: number;
  /** The inner size. */
  k: number;
  /** Byte offset of A in the wasm memory. */
  a: number;
  /** Row stride of op(A), in doubles. */
  ars: number;
  /** Column stride of op(A), in doubles. */
  acs: number;
  /** Byte offset of B. */
  b: number;
  /** Row stride of op(B). */
  brs: number;
  /** Column stride of op(B). */
  bcs: number;
  /** Byte offset of C. */
  c: number;
  /** Row stride of C. */
  ldc: number;
  /** 0 to overwrite C, 1 to add to it. */
  beta: number;
}

/**
 * Runs one gemm call on the main thread, or, when two threads are asked for and ready and the
 * product is large, splits its columns with the helper: columns [0, h) here and [h, n) there,
 * with h a multiple of the tile width 4, so that every entry is computed exactly as on one thread.
 * A helper that failed has its part redone here.
 *
 * @example
 * ```ts
 * import { runGemm } from "@lib/kernels/threads.ts";
 * import { heapArray, loadWasm, reserve, stagingStart } from "@lib/kernels/wasm_arena.ts";
 * import assert from "node:assert/strict";
 * const engine = loadWasm();
 * if (engine !== null) {
 *   const at = stagingStart(); // A = [1 2], B = [3; 4], C at the end
 *   reserve(engine, at + 8);
 *   heapArray().set([1, 2, 3, 4], at);
 *   runGemm(engine, { m: 1, n: 1, k: 2, a: at * 8, ars: 2, acs: 1, b: (at + 2) * 8, brs: 1, bcs: 1, c: (at + 4) * 8, ldc: 1, beta: 0 });
 *   assert.equal(heapArray()[at + 4], 11);
 * }
 * ```
 */
export function runGemm(engine: WasmGemm, call: GemmCall): void {
  const { m, n, k, a: offA, ars, acs, b: offB, brs, bcs, c: offC, ldc, beta } = call;
  if (kernelThreads === 2 && 2 * m * n * k >= PARALLEL_PRODUCT_FLOPS && n >= 8) {
    const h = ((n >> 1) + 3) & ~3;
    const args = [m, n - h, k, offA, ars, acs, offB + h * bcs * 8, brs, bcs, offC + h * 8];
    if (postToHelper(engine, args, ldc, beta)) {
      engine.gemm(m, h, k, offA, ars, acs, offB, brs, bcs, offC, ldc, beta, 0);
      if (!awaitHelper()) {
        engine.gemm(
          m,
          n - h,
          k,
          offA,
          ars,
          acs,
          offB + h * bcs * 8,
          brs,
          bcs,
          offC + h * 8,
          ldc,
          beta,
          0,
        );
      }
      return;
    }
  }
  engine.gemm(m, n, k, offA, ars, acs, offB, brs, bcs, offC, ldc, beta, 0);
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
  if (helperBroken || !memoryResizable() || typeof Worker !== "function") return;
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
