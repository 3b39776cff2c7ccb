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
import { tanhWasmBytes } from "./wasm/tanh_wasm.ts";

/**
 * Which implementation {@link tanhKernel} uses: `"auto"` (WebAssembly when available, else
 * `Math.tanh`), `"wasm"` (WebAssembly or an error) or `"typescript"` (`Math.tanh`).
 */
export type TanhBackend = "auto" | "wasm" | "typescript";

interface TanhEngine {
  /** The module's memory as doubles; chunks are staged at offset 0. */
  heap: Float64Array;
  tanh(src: number, dst: number, count: number): void;
}

/** Entries per WebAssembly call: 16 KiB staged and computed in place, so it stays in L1. */
const CHUNK = 2048;
/** Below this many entries a chunk is staged by plain loops rather than typed-array copies. */
const SMALL_CHUNK = 32;

let engine: TanhEngine | null | undefined;
let engineError = "";
let fullChunk: Float64Array = new Float64Array(0);

function loadEngine(): TanhEngine | null {
  if (engine !== undefined) return engine;
  try {
    const bytes = tanhWasmBytes();
    if (!WebAssembly.validate(bytes)) throw new Error("the module does not validate");
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const { memory, tanh } = instance.exports as {
      memory: WebAssembly.Memory;
      tanh: TanhEngine["tanh"];
    };
    const heap = new Float64Array(memory.buffer);
    if (heap.length < CHUNK + 2) throw new Error("the module's memory is too small");
    fullChunk = heap.subarray(0, CHUNK);
    engine = { heap, tanh };
  } catch (error) {
    engineError = error instanceof Error ? error.message : String(error);
    engine = null;
  }
  return engine;
}

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
  return loadEngine() !== null;
}

/**
 * out[i] = tanh(z[i]) for i < n. `out` may be `z` itself but must not otherwise overlap it.
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
  { out, n, backend = "auto" }: { out: Float64Array; n: number; backend?: TanhBackend },
): void {
  if (!Number.isInteger(n) || n < 0 || n > z.length || n > out.length) {
    throw new RangeError(
      `cannot compute tanh of ${n} entries: need an integer n >= 0 within the input (${z.length}) and output (${out.length}) lengths`,
    );
  }
  if (backend !== "auto" && backend !== "wasm" && backend !== "typescript") {
    throw new TypeError(`cannot compute tanh with backend ${JSON.stringify(backend)}`);
  }
  const e = backend === "typescript" ? null : engine === undefined ? loadEngine() : engine;
  if (e === null) {
    if (backend === "wasm") {
      throw new Error(`cannot compute tanh in WebAssembly: ${engineError || "not loaded"}`);
    }
    for (let i = 0; i < n; i++) out[i] = Math.tanh(z[i]);
    return;
  }
  const heap = e.heap;
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    if (m < SMALL_CHUNK) {
      for (let j = 0; j < m; j++) heap[j] = z[i + j];
      e.tanh(0, 0, m);
      for (let j = 0; j < m; j++) out[i + j] = heap[j];
    } else {
      heap.set(i === 0 && m === z.length ? z : z.subarray(i, i + m));
      e.tanh(0, 0, m);
      out.set(m === CHUNK ? fullChunk : heap.subarray(0, m), i);
    }
  }
}
