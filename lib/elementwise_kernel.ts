/**
 * The activations' elementwise maps over arrays, σ(z) and σ′ ∘ g for tanh, relu, sigmoid and
 * softplus, in WebAssembly SIMD (`lib/wasm/tanh.wat`, two lanes at a time, no branch per entry),
 * with scalar TypeScript loops as the fallback where WebAssembly SIMD with relaxed SIMD is
 * unavailable. Two paths, chosen per call:
 *
 * - in place, when every array of the call lives in the matrix products' WebAssembly memory
 *   (`allocateKernelArray` of `lib/kernels/wasm_arena.ts`: the training loop's parameters and
 *   `MlpPass` workspaces): the module, instantiated a second time on that memory, reads and
 *   writes the arrays where they are, with no copy, all n entries in one call;
 * - staged, for any other `Float64Array`: chunks of 2,048 entries are copied (one or two
 *   inputs) into a small memory of the module's own, mapped there and copied out. tanh′ ∘ g and
 *   sigmoid′ ∘ g from x are plain TypeScript loops on this path: staging their two inputs would
 *   cost more than they do.
 *
 * What it costs, per entry, in product FLOPs (the 256×257×256 product at about 19 GFLOP/s on the
 * 2-core AMD EPYC; minima of interleaved runs on a busy machine, `bench/forward_backward_bench.ts`),
 * in place / staged: relu 6 / 23, relu′ ∘ g 8.5 / 32, tanh′ ∘ g 8.4 / 13.5, sigmoid′ ∘ g 10 / 14,
 * tanh 95 / 114, sigmoid 61 / 80, softplus 142 / 160, softplus′ ∘ g 65 / 90. The copies
 * dominate relu on the staged path; tanh, sigmoid and softplus are limited by their arithmetic
 * (one f64x2 division per pair alone takes 0.7 ns per entry, and a pair's chain of ~15
 * dependent fused multiply-adds limits how many pairs overlap).
 *
 * What each WebAssembly map gives, against the TypeScript path (the scalar code of
 * `lib/activations.ts`):
 *
 * - relu and relu′ ∘ g: the same bits (a compare and a bitwise and; NaN gives 0 as z > 0 ? z : 0
 *   does). tanh′ ∘ g = g·(1 − x·x) and sigmoid′ ∘ g = (g·x)·(1 − x): the same operations in the
 *   same order, each rounded once (no fused multiply-add), so the same bits.
 * - tanh: within 2 ulp of the correctly rounded tanh (see `lib/tanh_kernel.ts`).
 * - sigmoid, softplus and softplus′ ∘ g = g·σ(z): from one exponential of −|z| per entry and one
 *   division, not `Math.exp` and `Math.log1p`, so a few ulp from the TypeScript path (measured in
 *   `tests/elementwise_kernel_test.ts` against a 45-digit reference: sigmoid at most 2.2 ulp and
 *   softplus at most 2.5 ulp from the exact value, where the TypeScript path is at most 1.9 and
 *   1.2). Overflow-safe for every z: σ is
 *   exactly 0 and 1 far out, softplus(z) is z for large z and 0 below −746, ±∞ and NaN as the
 *   scalar code gives them.
 *
 * Every map is deterministic: an entry's bits depend on its value only, not on the array's
 * length or the entry's position.
 *
 * @module
 */
import { loadWasm } from "./kernels/wasm_arena.ts";
import { tanhWasmBytes } from "./wasm/tanh_wasm.ts";

/** The maps of {@link elementwiseForward} and {@link elementwiseBackward}. */
export type ElementwiseMap = "tanh" | "relu" | "sigmoid" | "softplus";

/**
 * Which implementation the maps use: `"auto"` (WebAssembly when available, else TypeScript),
 * `"wasm"` (WebAssembly or an error) or `"typescript"`.
 */
export type ElementwiseBackend = "auto" | "wasm" | "typescript";

/** σ over count entries: byte offsets of the input and the output in the instance's memory. */
type Unary = (src: number, dst: number, count: number) => void;
/** σ′ ∘ g over count entries: byte offsets of g, of z or x, and of the output. */
type Binary = (g: number, second: number, dst: number, count: number) => void;

/** out[i] += alpha · x[i] over count entries: byte offsets of x and of out. */
type Axpy = (alpha: number, x: number, dst: number, count: number) => void;

/** One instance's maps, by name, its axpy and its two reductions. */
interface Maps {
  forward: Readonly<Record<string, Unary>>;
  backward: Readonly<Record<string, Binary>>;
  axpy: Axpy;
  /** 1 when the count doubles at the byte offset are all finite, else 0. */
  finite: (src: number, count: number) => number;
  /** Adds Σ x² of the count doubles at the byte offset (four partial sums) to the double at dst. */
  sumSquares: (src: number, count: number, dst: number) => void;
}

interface Engine {
  /** The staging instance's memory as doubles: chunk A at 0, chunk B at {@link CHUNK}. */
  heap: Float64Array;
  /** The maps on the staging instance's own memory. */
  staging: Maps;
  /** The products' memory and the maps on it (null when the product engine is unavailable). */
  kernel: { memory: WebAssembly.Memory; maps: Maps } | null;
}

interface Exports {
  tanh: Unary;
  relu: Unary;
  relu_backward: Binary;
  tanh_backward: Binary;
  sigmoid_backward: Binary;
  axpy: Axpy;
  logistic(src: number, g: number, dst: number, count: number, mode: number): void;
  finite(src: number, count: number): number;
  sum_squares(src: number, count: number, dst: number): void;
}

/** Entries per WebAssembly call on the staging memory: two 16 KiB chunks, so that they stay in L1. */
const CHUNK = 2048;
/** Byte offset of chunk B. */
const B = CHUNK * 8;
/** Below this many entries a chunk is staged by plain loops rather than typed-array copies. */
const SMALL_CHUNK = 32;
/** How errors name each backward map. */
const BACKWARD_ACTIONS: Readonly<Record<string, string>> = Object.freeze({
  relu: "relu′ ∘ g",
  tanh: "tanh′ ∘ g",
  sigmoid: "sigmoid′ ∘ g",
  softplus: "softplus′ ∘ g",
});
/** The `mode` of the module's `logistic`. */
const SIGMOID = 0, SOFTPLUS = 1, SOFTPLUS_BACKWARD = 2;

let engine: Engine | null | undefined;
let engineError = "";

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Maps {
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  const { logistic } = e;
  return {
    forward: Object.freeze({
      relu: e.relu,
      tanh: e.tanh,
      sigmoid: (src: number, dst: number, m: number) => logistic(src, 0, dst, m, SIGMOID),
      softplus: (src: number, dst: number, m: number) => logistic(src, 0, dst, m, SOFTPLUS),
    }),
    backward: Object.freeze({
      relu: e.relu_backward,
      tanh: e.tanh_backward,
      sigmoid: e.sigmoid_backward,
      softplus: (g: number, z: number, dst: number, m: number) =>
        logistic(z, g, dst, m, SOFTPLUS_BACKWARD),
    }),
    axpy: e.axpy,
    finite: e.finite,
    sumSquares: e.sum_squares,
  };
}

/** The import `env.memory` with limits flag 3 (shared, with a maximum), as the binary spells it. */
const SHARED_MEMORY_IMPORT = [3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 3];

/**
 * The module with its memory import made unshared (limits flag 1), for the staging instance:
 * V8 copies into and reads from an unshared memory faster (about 0.1 ns per entry on the staged
 * path's copies). The maps use no atomics, so either kind of memory validates. Null when the
 * import is not found (the shared module is then used for staging too).
 */
function unsharedModule(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  const p = SHARED_MEMORY_IMPORT;
  for (let i = 0; i + p.length <= bytes.length; i++) {
    let j = 0;
    while (j < p.length && bytes[i + j] === p[j]) j++;
    if (j < p.length) continue;
    const copy = bytes.slice();
    copy[i + p.length - 1] = 1;
    return WebAssembly.validate(copy) ? new WebAssembly.Module(copy) : null;
  }
  return null;
}

function loadEngine(): Engine | null {
  if (engine !== undefined) return engine;
  try {
    const bytes = tanhWasmBytes();
    if (!WebAssembly.validate(bytes)) throw new Error("the module does not validate");
    const module = new WebAssembly.Module(bytes), unshared = unsharedModule(bytes);
    const own = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: unshared === null });
    const heap = new Float64Array(own.buffer);
    if (heap.length < 2 * CHUNK) throw new Error("the module's memory is too small");
    const products = loadWasm();
    engine = {
      heap,
      staging: instantiate(unshared ?? module, own),
      kernel: products === null
        ? null
        : { memory: products.memory, maps: instantiate(module, products.memory) },
    };
  } catch (error) {
    engineError = error instanceof Error ? error.message : String(error);
    engine = null;
  }
  return engine;
}

/**
 * The kernel instance's maps when the arrays (two or three: `c` may repeat `b`) live in the
 * products' memory, else null. No array of arrays per call: the maps run once per layer and step.
 */
function inKernelMemory(e: Engine, a: Float64Array, b: Float64Array, c: Float64Array): Maps | null {
  if (e.kernel === null) return null;
  const memory = e.kernel.memory.buffer;
  if (a.buffer !== memory || b.buffer !== memory || c.buffer !== memory) return null;
  return e.kernel.maps;
}

/**
 * out[i] += alpha · x[i] for i < n in WebAssembly SIMD, in place, when x and out both live in the
 * products' memory (`allocateKernelArray`; the training loop's θ_l and gradients): a multiply
 * then an add per entry, each rounded once (no fused multiply-add), so the bits of the scalar
 * loop of `axpy` (lib/kernels/loops.ts), which calls it. Returns false, having written nothing,
 * when it cannot: an array elsewhere, n not an integer in [0, both lengths], out overlapping x
 * other than as x itself, or no WebAssembly SIMD; the caller then loops.
 *
 * @example
 * ```ts
 * import { axpyInKernelMemory } from "@lib/elementwise_kernel.ts";
 * import { allocateKernelArray } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const theta = allocateKernelArray(3), g = allocateKernelArray(3);
 * theta.set([1, 2, 3]);
 * g.set([10, -10, 0.5]);
 * if (axpyInKernelMemory(-0.1, g, { out: theta, n: 3 })) {
 *   assert.deepEqual(Array.from(theta), [1 + -0.1 * 10, 2 + -0.1 * -10, 3 + -0.1 * 0.5]);
 * }
 * assert.equal(axpyInKernelMemory(1, new Float64Array(3), { out: theta, n: 3 }), false);
 * ```
 */
export function axpyInKernelMemory(
  alpha: number,
  x: Float64Array,
  io: { out: Float64Array; n: number },
): boolean {
  const e = engine === undefined ? loadEngine() : engine;
  if (e === null || e.kernel === null) return false;
  const out = io.out, n = io.n;
  const memory = e.kernel.memory.buffer;
  if (x.buffer !== memory || out.buffer !== memory) return false;
  if (!((n | 0) === n && n >= 0 && n <= x.length && n <= out.length)) return false;
  const xo = x.byteOffset, oo = out.byteOffset;
  // a shifted overlap would read entries the pairs have already written: the loop keeps order
  if (xo !== oo && xo < oo + 8 * n && oo < xo + 8 * n) return false;
  e.kernel.maps.axpy(alpha, xo, oo, n);
  return true;
}

/** The kernel instance's maps when x[0..n) lives in the products' memory, else null. */
function reducible(x: Float64Array, n: number): Maps | null {
  const e = engine === undefined ? loadEngine() : engine;
  if (e === null || e.kernel === null || x.buffer !== e.kernel.memory.buffer) return null;
  return (n | 0) === n && n >= 0 && n <= x.length ? e.kernel.maps : null;
}

/**
 * Whether x[0..n) are all finite, in WebAssembly SIMD, when x lives in the products' memory
 * (z_l and the gradients while training): 1 or 0, the answer of the scalar loop of `allFinite`
 * (lib/kernels/loops.ts), which calls it; −1 when it cannot run (an array elsewhere, n out of
 * range, no WebAssembly SIMD), and the caller loops.
 *
 * @example
 * ```ts
 * import { finiteInKernelMemory } from "@lib/elementwise_kernel.ts";
 * import { allocateKernelArray } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const z = allocateKernelArray(5);
 * z.set([1, -2, 3, 1e308, 5]);
 * if (finiteInKernelMemory(z, 5) !== -1) {
 *   assert.equal(finiteInKernelMemory(z, 5), 1);
 *   z[4] = -Infinity;
 *   assert.equal(finiteInKernelMemory(z, 5), 0);
 *   assert.equal(finiteInKernelMemory(z, 4), 1); // only the first n
 * }
 * assert.equal(finiteInKernelMemory(new Float64Array(3), 3), -1);
 * ```
 */
export function finiteInKernelMemory(x: Float64Array, n: number): number {
  const maps = reducible(x, n);
  return maps === null ? -1 : maps.finite(x.byteOffset, n);
}

/**
 * Adds Σ x² over x[0..n) (four partial sums, in WebAssembly SIMD) to `sum[0]` when x and `sum`
 * live in the products' memory and returns true; false, adding nothing, when it cannot run. The
 * sum is added in memory, not returned: a double returned by a call that is not inlined is boxed.
 *
 * @example
 * ```ts
 * import { addSquaresInKernelMemory } from "@lib/elementwise_kernel.ts";
 * import { allocateKernelArray } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const g = allocateKernelArray(5), sum = allocateKernelArray(1);
 * g.set([1, 2, 3, 4, 5]);
 * sum[0] = 1;
 * if (addSquaresInKernelMemory(g, 5, sum)) assert.equal(sum[0], 56);
 * assert.equal(addSquaresInKernelMemory(new Float64Array(3), 3, sum), false);
 * assert.equal(addSquaresInKernelMemory(g, 5, new Float64Array(1)), false);
 * ```
 */
export function addSquaresInKernelMemory(x: Float64Array, n: number, sum: Float64Array): boolean {
  const maps = reducible(x, n);
  if (maps === null || sum.buffer !== x.buffer || sum.length < 1) return false;
  maps.sumSquares(x.byteOffset, n, sum.byteOffset);
  return true;
}

/**
 * Whether the WebAssembly maps can run here (compiles the module on first call).
 *
 * @example
 * ```ts
 * import { elementwiseKernelAvailable } from "@lib/elementwise_kernel.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof elementwiseKernelAvailable(), "boolean");
 * ```
 */
export function elementwiseKernelAvailable(): boolean {
  return loadEngine() !== null;
}

/**
 * The logistic function 1/(1 + e^(−z)), overflow-safe: the scalar σ of the sigmoid activation
 * and the TypeScript path of its maps (`Math.exp`, one division).
 *
 * @example
 * ```ts
 * import { logistic } from "@lib/elementwise_kernel.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([logistic(0), logistic(-1000), logistic(1000)], [0.5, 0, 1]);
 * ```
 */
export function logistic(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * softplus(z) = log(1 + e^z), overflow-safe: the scalar σ of the softplus activation and the
 * TypeScript path of its map (`Math.exp`, `Math.log1p`).
 *
 * @example
 * ```ts
 * import { softplusOf } from "@lib/elementwise_kernel.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([softplusOf(0), softplusOf(1000), softplusOf(-1000)], [Math.LN2, 1000, 0]);
 * ```
 */
export function softplusOf(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Checks n against the arrays a call reads and writes, named in `names` (comma-separated, in the
 * order a, b[, c]; c null for a map of one input), and the backend. Positional, building no
 * object or array per call: the maps run once per layer and step.
 */
function checkSizes(
  action: string,
  n: number,
  names: string,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array | null,
  backend: unknown,
): void {
  if (
    !Number.isInteger(n) || n < 0 || n > a.length || n > b.length || (c !== null && n > c.length)
  ) {
    const lengths = c === null ? [a, b] : [a, b, c];
    throw new RangeError(
      `cannot compute ${action} of ${n} entries: need an integer n >= 0 within the lengths of ${
        names.split(",").map((name, i) => `${name} (${lengths[i].length})`).join(", ")
      }`,
    );
  }
  if (backend !== "auto" && backend !== "wasm" && backend !== "typescript") {
    throw new TypeError(`cannot compute ${action} with backend ${JSON.stringify(backend)}`);
  }
}

function pickEngine(action: string, backend: ElementwiseBackend): Engine | null {
  const e = backend === "typescript" ? null : engine === undefined ? loadEngine() : engine;
  if (e === null && backend === "wasm") {
    throw new Error(`cannot compute ${action} in WebAssembly: ${engineError || "not loaded"}`);
  }
  return e;
}

/**
 * Maps a[0, n) (and b[0, n) for a map of two inputs) into out[0, n) chunk by chunk: a is staged at
 * chunk A, b at chunk B, `call(m)` maps m entries into chunk A, which is copied out. Inputs are
 * copied in by `heap.set` (a fast copy) and out by a plain loop: `out.set` from a view of the
 * module's memory takes a slow path in V8 (about 1.3 ns per entry against 0.5 for the loop).
 */
function staged(
  heap: Float64Array,
  a: Float64Array,
  b: Float64Array | null,
  out: Float64Array,
  n: number,
  // positional, no closure: a map of one input is called (0, 0, m), of two (0, B, 0, m)
  f: (...offsets: number[]) => void,
): void {
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    if (m < SMALL_CHUNK) {
      for (let j = 0; j < m; j++) heap[j] = a[i + j];
      if (b !== null) { for (let j = 0; j < m; j++) heap[CHUNK + j] = b[i + j]; }
    } else {
      heap.set(i === 0 && m === a.length ? a : a.subarray(i, i + m));
      if (b !== null) heap.set(i === 0 && m === b.length ? b : b.subarray(i, i + m), CHUNK);
    }
    if (b === null) f(0, 0, m);
    else f(0, B, 0, m);
    for (let j = 0; j < m; j++) out[i + j] = heap[j];
  }
}

/**
 * out[i] = σ(z[i]) for i < n, σ the named map. `out` may be `z` itself but must not otherwise
 * overlap it.
 *
 * @throws {RangeError} when n is not a non-negative integer or an array is shorter than n
 * @throws {Error} when `backend` is `"wasm"` and WebAssembly SIMD is unavailable
 * @example
 * ```ts
 * import { elementwiseForward } from "@lib/elementwise_kernel.ts";
 * import assert from "node:assert/strict";
 * const z = Float64Array.of(-2, -0, 3, NaN), out = new Float64Array(4);
 * elementwiseForward("relu", z, { out, n: 4 });
 * assert.ok(Object.is(out[1], 0)); // −0 → +0, as z > 0 ? z : 0 gives
 * assert.deepEqual(Array.from(out), [0, 0, 3, 0]);
 * elementwiseForward("sigmoid", Float64Array.of(0, -800, 800), { out, n: 3 });
 * assert.deepEqual(Array.from(out.subarray(0, 3)), [0.5, 0, 1]);
 * ```
 */
export function elementwiseForward(
  map: ElementwiseMap,
  z: Float64Array,
  { out, n, backend = "auto" }: { out: Float64Array; n: number; backend?: ElementwiseBackend },
): void {
  checkSizes(map, n, "input,output", z, out, null, backend);
  const e = pickEngine(map, backend);
  if (e === null) return forwardTypescript(map, z, out, n);
  if (!Object.hasOwn(e.staging.forward, map)) {
    throw new TypeError(`cannot compute ${JSON.stringify(map)}: not an elementwise map`);
  }
  const kernel = inKernelMemory(e, z, out, out);
  if (kernel !== null) return kernel.forward[map](z.byteOffset, out.byteOffset, n);
  const f = e.staging.forward[map];
  staged(e.heap, z, null, out, n, f);
}

/**
 * out[i] = σ′(z[i]) · g[i] for i < n, σ the named map: from z for relu and softplus, from
 * x = σ(z) for tanh and sigmoid (the other may be any array, it is not read). `out` may be `g`
 * itself but must not otherwise overlap an input.
 *
 * @throws {RangeError} when n is not a non-negative integer or an array read is shorter than n
 * @throws {Error} when `backend` is `"wasm"` and WebAssembly SIMD is unavailable
 * @example
 * ```ts
 * import { elementwiseBackward } from "@lib/elementwise_kernel.ts";
 * import assert from "node:assert/strict";
 * const g = Float64Array.of(5, 5, 5), out = new Float64Array(3);
 * elementwiseBackward("relu", g, { z: Float64Array.of(-1, 0, 2), x: g, out, n: 3 });
 * assert.deepEqual(Array.from(out), [0, 0, 5]);
 * elementwiseBackward("tanh", g, { z: g, x: Float64Array.of(0, 0.5, 1), out, n: 3 });
 * assert.deepEqual(Array.from(out), [5, 3.75, 0]);
 * ```
 */
export function elementwiseBackward(
  map: ElementwiseMap,
  g: Float64Array,
  { z, x, out, n, backend = "auto" }: {
    z: Float64Array;
    x: Float64Array;
    out: Float64Array;
    n: number;
    backend?: ElementwiseBackend;
  },
): void {
  const fromX = map === "tanh" || map === "sigmoid";
  const second = fromX ? x : z;
  // a constant per map: no string built per call
  const action = Object.hasOwn(BACKWARD_ACTIONS, map) ? BACKWARD_ACTIONS[map] : `${map}′ ∘ g`;
  checkSizes(action, n, fromX ? "g,x,output" : "g,z,output", g, second, out, backend);
  const e = pickEngine(action, backend);
  if (e === null) return backwardTypescript(map, g, second, out, n);
  if (!Object.hasOwn(e.staging.backward, map)) {
    throw new TypeError(`cannot compute ${JSON.stringify(map)}: not an elementwise map`);
  }
  const kernel = inKernelMemory(e, g, second, out);
  if (kernel !== null) {
    return kernel.backward[map](g.byteOffset, second.byteOffset, out.byteOffset, n);
  }
  // tanh′ and sigmoid′ from x are a few plain operations per entry, no branch: the TypeScript loop
  // runs them faster than two inputs can be staged through the module's memory
  if (fromX) return backwardTypescript(map, g, second, out, n);
  const f = e.staging.backward[map];
  staged(e.heap, g, second, out, n, f);
}

function forwardTypescript(map: ElementwiseMap, z: Float64Array, out: Float64Array, n: number) {
  if (map === "relu") { for (let i = 0; i < n; i++) out[i] = z[i] > 0 ? z[i] : 0; }
  else if (map === "tanh") { for (let i = 0; i < n; i++) out[i] = Math.tanh(z[i]); }
  else if (map === "sigmoid") { for (let i = 0; i < n; i++) out[i] = logistic(z[i]); }
  else if (map === "softplus") { for (let i = 0; i < n; i++) out[i] = softplusOf(z[i]); }
  else throw new TypeError(`cannot compute ${JSON.stringify(map)}: not an elementwise map`);
}

/**
 * The scalar σ′ ∘ g loops; `second` is z (relu, softplus) or x = σ(z) (tanh, sigmoid). Positional:
 * an options record here was built on every backward map (about 40 bytes a call).
 */
function backwardTypescript(
  map: ElementwiseMap,
  g: Float64Array,
  second: Float64Array,
  out: Float64Array,
  n: number,
) {
  const z = second, x = second;
  if (map === "relu") {
    for (let i = 0; i < n; i++) out[i] = z[i] > 0 ? g[i] : 0;
  } else if (map === "tanh") {
    for (let i = 0; i < n; i++) out[i] = g[i] * (1 - x[i] * x[i]);
  } else if (map === "sigmoid") {
    for (let i = 0; i < n; i++) out[i] = g[i] * x[i] * (1 - x[i]);
  } else if (map === "softplus") {
    for (let i = 0; i < n; i++) out[i] = g[i] * logistic(z[i]);
  } else throw new TypeError(`cannot compute ${JSON.stringify(map)}: not an elementwise map`);
}
