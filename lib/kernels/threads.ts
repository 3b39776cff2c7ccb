/**
 * A second thread for large matrix products: a worker that shares the WebAssembly memory
 * (lib/kernels/wasm_arena.ts) and takes chunks of the output's rows or columns while the main
 * thread takes the others, with results bit-identical to one thread. Its source is
 * lib/kernels/helper_source.ts.
 *
 * Two threads are the default on the main thread of a machine with at least two cores; one
 * thread is the default inside a worker (such as a reproduction's worker threads, which already
 * keep the cores busy: a helper per worker would oversubscribe them), and everywhere when the
 * environment variable SGDLAB_KERNEL_THREADS is 1. {@link useKernelThreads} overrides both.
 * Chunks are claimed dynamically, so a helper that gets no core (a busy machine) costs the main
 * thread at most the chunk it holds.
 *
 * Deno cannot terminate a worker that is busy in a synchronous loop, so the helper stops itself:
 * it waits for jobs in 2 ms slices and checks a generation word each time. The main thread stops
 * a helper by bumping the generation and waiting for its acknowledgement, and a helper exits on
 * its own after HELPER_IDLE_MS without work, so that a program that forgets to stop it can end.
 *
 * @module
 */
import { counterSlots } from "./counters.ts";
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
 * threads when two are in use (see {@link useKernelThreads}); smaller ones, where handing work
 * to the helper would cost more than it saves, stay on one thread.
 */
export const PARALLEL_PRODUCT_FLOPS: number = 2 ** 24;

const { STATE, JOB, DONE, STATUS, GEN, ACK, ARGS, SPLIT, NEXT } = CONTROL;
const { STARTING, READY, EXITED, BUSY } = HELPER_STATE;
/**
 * A helper idle this long exits, so that a program whose last large product is done can end
 * soon after; the next large product starts a new one (in about 30 ms, on one thread meanwhile).
 */
const HELPER_IDLE_MS = 250;

/**
 * The default number of kernel threads: 1 inside a worker, when the machine has one core, or when
 * SGDLAB_KERNEL_THREADS is 1 (read only if env access is granted); 2 otherwise.
 */
function defaultThreads(): number {
  const scope = globalThis as { WorkerGlobalScope?: unknown };
  if (typeof scope.WorkerGlobalScope === "function") return 1;
  if ((globalThis.navigator?.hardwareConcurrency ?? 1) < 2) return 1;
  try {
    const variable = "SGDLAB_KERNEL_THREADS";
    if (Deno.permissions.querySync({ name: "env", variable }).state === "granted") {
      if (Deno.env.get(variable) === "1") return 1;
    }
  } catch {
    // no Deno namespace or no permission API: keep the default
  }
  return 2;
}

let kernelThreads = defaultThreads();
/** Large products left to run on one thread before trying two again, and the next such pause. */
let skipSplits = 0, splitBackoff = 0;
let helper: { worker: Worker; control: Int32Array; gen: number; job: number } | null = null;
/** Set when a helper did not stop when asked: no new helper may share its workspace. */
let helperBroken = false;
/** Byte offsets, in the arena, of the helper's control words and packing workspace. */
let helperControl = -1, helperWork = -1;

/**
 * Sets how many threads a large matrix product (at least {@link PARALLEL_PRODUCT_FLOPS}) uses,
 * 1 or 2, and returns the previous setting. The default is 2 on the main thread of a machine with
 * two or more cores, and 1 inside a worker or when the environment variable
 * SGDLAB_KERNEL_THREADS is 1. With 2, a worker sharing the WebAssembly memory takes chunks of the
 * output's rows or columns; results are bit-identical to one thread. The worker starts in the
 * background at the first large product (products run on one thread until it is ready, see
 * {@link kernelThreadsActive}), exits after 250 ms without work (so that a program can end; it
 * restarts on demand), and is stopped by `useKernelThreads(1)`.
 * Two threads pay off only when the second core is free: on the 2-core development machine a
 * 1024×256×1024 product ran 1.8× faster (256×256×256: 1.6×) when the machine was otherwise
 * idle; while another process keeps the second core busy, the main thread takes the chunks the
 * helper cannot, and after a split that did not pay, the next 16 to 1024 large products run on
 * one thread (the pause doubles while splits keep failing; each call of this function ends it).
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
  skipSplits = splitBackoff = 0; // a fresh choice: the next large product tries two threads
  if (threads === 1) stopHelper();
  else if (helper === null) {
    const engine = loadWasm();
    if (engine !== null) startHelper(engine);
  }
  return previous;
}

/**
 * How many threads a large product would use now: 2 when two are in use (the default on a main
 * thread, see {@link useKernelThreads}) and the helper worker is running and idle, else 1.
 * (A pause after splits that did not pay is not counted here.)
 *
 * @example
 * ```ts
 * import { kernelThreadsActive } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(kernelThreadsActive(), 1); // the helper starts at the first large product
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
 * Runs one gemm call on the main thread, or, when two threads are in use and ready and the
 * product is large, cuts it into chunks of whole rows (when the output has at least as many rows
 * as columns: each chunk repacks only B) or columns (each repacks only A), which this thread and
 * the helper claim in turn. Every entry is computed exactly as on one thread, whoever computes
 * it. A helper that failed has its chunks redone here.
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
  const { m, n, k } = call;
  const flops = 2 * m * n * k;
  if (kernelThreads === 2 && flops >= PARALLEL_PRODUCT_FLOPS && Math.max(m, n) >= 16) {
    if (skipSplits > 0) skipSplits--;
    else {
      const axis = m >= n ? 0 : 1, extent = axis === 0 ? m : n;
      // 4 chunks below 2^27 FLOPs, else 8: enough to balance two threads, few enough that the
      // operand each chunk repacks costs little; chunk sizes are multiples of the tile (4)
      const size = ((Math.ceil(extent / (flops < 2 ** 27 ? 4 : 8)) + 3) >> 2) << 2;
      const count = Math.ceil(extent / size);
      const c = postToHelper(call, axis, size, count);
      if (c !== null) {
        counterSlots.splitProducts[0]++;
        // the clock is read at one split in TIMED_SPLITS (each reading boxes a number, about 16 bytes)
        const timed = splits++ % TIMED_SPLITS === 0, times = SPLIT_TIMES;
        if (timed) times[0] = performance.now();
        let mine = 0, done = 0; // a bit per chunk computed here (count ≤ 8), and their number
        for (let i = Atomics.add(c, NEXT, 1); i < count; i = Atomics.add(c, NEXT, 1)) {
          runChunk(engine, call, axis, size, i);
          mine |= 1 << i;
          done++;
        }
        if (timed) times[1] = performance.now();
        const ok = awaitHelper();
        if (!ok) {
          for (let i = 0; i < count; i++) {
            if (!(mine & (1 << i))) runChunk(engine, call, axis, size, i);
          }
        }
        if (timed) times[2] = performance.now();
        judgeSplit(ok && done < count && (!timed || beatAlone(done, count)), timed);
        return;
      }
    }
  }
  const { a, ars, acs, b, brs, bcs, c, ldc, beta } = call;
  engine.gemm(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, beta, 0);
}

/**
 * A timed split's clock readings: its start, when this thread ran out of chunks, when the helper
 * was done. In a typed array, so that {@link judgeSplit} gets them without boxed numbers.
 */
const SPLIT_TIMES = new Float64Array(3);
/** One split in this many is timed (the others are judged by whether the helper took a chunk). */
const TIMED_SPLITS = 8;
/** Splits so far. */
let splits = 0;

/**
 * Whether the timed split (SPLIT_TIMES) took less than this thread alone would have, estimated
 * from its own chunks: its work per chunk times the chunks (`done` of `count` were its own).
 */
function beatAlone(done: number, count: number): boolean {
  const times = SPLIT_TIMES, worked = times[1] - times[0], waited = times[2] - times[1];
  return done === 0 || worked + waited < (worked / done) * count;
}

/**
 * Backs off from splitting when a split did not pay: the helper took no chunk (it got no core in
 * time), or, at a timed split (one in eight), the split took longer than this thread alone would
 * have ({@link beatAlone}; waiting for a helper that was descheduled for a moment on a shared host
 * still pays while the split beats that). The pause doubles from 16 to 1024 large products while
 * that repeats, and ends at the first timed split that pays, so that a busy second core costs
 * little more than an occasional trial.
 */
function judgeSplit(paid: boolean, timed: boolean): void {
  if (paid) {
    if (timed) splitBackoff = 0;
  } else {
    splitBackoff = Math.min(1024, Math.max(16, 2 * splitBackoff));
    skipSplits = splitBackoff;
  }
}

/**
 * Starts the helper (or restarts one that exited on its own, unless splits are paused) when two
 * threads are in use and a product of `flops` would use it. Call it before staging a product's operands: the first start
 * allocates the helper's workspace in the arena, after which the staging area begins.
 *
 * @example
 * ```ts
 * import { prepareThreads } from "@lib/kernels/threads.ts";
 * import { loadWasm } from "@lib/kernels/wasm_arena.ts";
 * const engine = loadWasm();
 * if (engine !== null) prepareThreads(engine, 1024); // small: nothing to start
 * ```
 */
export function prepareThreads(engine: WasmGemm, flops: number): void {
  if (kernelThreads !== 2 || flops < PARALLEL_PRODUCT_FLOPS) return;
  if (helper === null) startHelper(engine);
  // not while splits are paused (a busy second core): a helper idle through the pause exits,
  // and restarting it at every large product built a worker (~35 KB) every 250 ms for nothing
  else if (skipSplits === 0 && Atomics.load(helper.control, STATE) === EXITED) {
    stopHelper();
    startHelper(engine);
  }
}

/** Computes chunk `i` of a call cut along `axis` (0: rows, 1: columns) into chunks of `size`. */
function runChunk(engine: WasmGemm, call: GemmCall, axis: number, size: number, i: number): void {
  const { m, n, k, a, ars, acs, b, brs, bcs, c, ldc, beta } = call;
  const at = i * size;
  if (axis === 0) {
    const rows = Math.min(size, m - at);
    engine.gemm(
      rows,
      n,
      k,
      a + 8 * at * ars,
      ars,
      acs,
      b,
      brs,
      bcs,
      c + 8 * at * ldc,
      ldc,
      beta,
      0,
    );
  } else {
    const cols = Math.min(size, n - at);
    engine.gemm(m, cols, k, a, ars, acs, b + 8 * at * bcs, brs, bcs, c + 8 * at, ldc, beta, 0);
  }
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
 * Hands a product cut into `count` chunks of `size` rows (axis 0) or columns (1) to the helper
 * if it is ready and returns the control words, whose NEXT word both threads then claim chunks
 * from; otherwise returns null, and the caller computes everything.
 */
function postToHelper(
  call: GemmCall,
  axis: number,
  size: number,
  count: number,
): Int32Array | null {
  if (helper === null) return null;
  const c = helper.control;
  if (Atomics.compareExchange(c, STATE, READY, BUSY) !== READY) return null;
  c[ARGS] = call.m;
  c[ARGS + 1] = call.n;
  c[ARGS + 2] = call.k;
  c[ARGS + 3] = call.a;
  c[ARGS + 4] = call.ars;
  c[ARGS + 5] = call.acs;
  c[ARGS + 6] = call.b;
  c[ARGS + 7] = call.brs;
  c[ARGS + 8] = call.bcs;
  c[ARGS + 9] = call.c;
  c[ARGS + 10] = call.ldc;
  c[ARGS + 11] = call.beta;
  c[SPLIT] = axis;
  c[SPLIT + 1] = size;
  c[SPLIT + 2] = count;
  Atomics.store(c, NEXT, 0);
  helper.job = (helper.job + 1) | 0;
  Atomics.store(c, JOB, helper.job);
  Atomics.notify(c, JOB);
  return c;
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
