/**
 * Columns of a forward pass copied into another pass: the forward pass of b chosen columns of a
 * batch, without running it again. The presampler (lib/sampling/presampler.ts) scores a presample
 * of B columns with one forward pass and trains on b of them; {@link passColumns} hands the step
 * their z_l and x_l, saving its forward pass (a presampled step then costs B + 2b
 * forward-equivalents instead of B + 3b).
 *
 * Copying is exact, so the gathered pass equals a forward pass run on the gathered columns
 * exactly when that forward pass would compute every entry as the B-column one did. Each entry of
 * a product θ_l·x_{l−1} is a sum over the inner size only, in an order fixed by the inner size
 * (lib/wasm/gemm.wat: KC-deep blocks of fused multiply-adds; the TypeScript loops: one
 * sequential sum of products; the two-thread split divides columns), and the activations are
 * elementwise and position-independent (lib/tanh_kernel.ts). What can differ is the engine: a
 * product of fewer than SMALL_PRODUCT_FLOPS (lib/kernels/products.ts) runs in TypeScript, whose
 * products are rounded before they are added, where WebAssembly fuses the multiply-add. So the
 * b-column product can take TypeScript while the B-column one took WebAssembly and differ in the
 * last bits; {@link passColumnsExact} tells when that cannot happen.
 *
 * @module
 */
import { gatherColumns, type GatherSizes, SMALL_PRODUCT_FLOPS } from "./kernels/mod.ts";
import { Matrix } from "./matrix.ts";
import type { MlpPass } from "./mlp.ts";

/** Sizes of {@link gatherColumnBlock}. */
export interface ColumnBlockSizes {
  /** Rows of the source and of the output. */
  rows: number;
  /** Columns of the source (row stride of `src`). */
  cols: number;
  /** The source columns to copy, in output order (repeats allowed), each in [0, cols). */
  positions: Int32Array;
  /** The output, rows × positions.length row-major. */
  out: Float64Array;
}

/**
 * out[i, j] = src[i, positions[j]] for a row-major rows × cols `src`: the kernel of
 * {@link passColumns}. Positions are not checked here (the caller checks them once for all
 * layers).
 *
 * @throws {RangeError} when an array is shorter than its sizes imply
 * @example
 * ```ts
 * import { gatherColumnBlock } from "@lib/pass_columns.ts";
 * import assert from "node:assert/strict";
 * const src = Float64Array.of(1, 2, 3, 4, 5, 6); // 2 × 3
 * const out = new Float64Array(4);
 * gatherColumnBlock(src, { rows: 2, cols: 3, positions: Int32Array.of(2, 2), out });
 * assert.deepEqual(Array.from(out), [3, 3, 6, 6]);
 * ```
 */
export function gatherColumnBlock(src: Float64Array, sizes: ColumnBlockSizes): void {
  gatherBlock(src, sizes.rows, sizes.cols, sizes.positions, sizes.out);
}

/**
 * The inputs of a pass: a d_0 × batch matrix over the first rows of its x_0 (the last row holds
 * the constant ones). A batch gathered into it is not copied again by the forward pass that runs
 * in this pass (`Mlp.forward` sees x already in place); the training step, the scorers and the
 * presampler gather there.
 *
 * @example
 * ```ts
 * import { passInputs } from "@lib/pass_columns.ts";
 * import { MlpPass } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const pass = new MlpPass([3, 2, 1], 4);
 * const x = passInputs(pass);
 * assert.equal(x.shape, "3x4");
 * assert.equal(x.data.buffer, pass.xs[0].data.buffer);
 * ```
 */
export function passInputs(pass: MlpPass): Matrix {
  const x0 = pass.xs[0], d = x0.rows - 1, b = pass.batch;
  return new Matrix(d, b, x0.data.subarray(0, d * b));
}

/** Options of {@link passColumns}. */
export interface PassColumnsOptions {
  /** The columns of `source` to copy, in order (repeats allowed): out.batch of them. */
  positions: ArrayLike<number>;
  /** The pass to fill, of the same layer sizes as `source` and batch positions.length. */
  out: MlpPass;
  /**
   * Copy x_0's columns too (default true). false leaves x_0 to the caller, who can gather the
   * same inputs from the data set for less: b columns from bytes or a sample-major copy, where
   * this would sweep the source's whole d_0 × B block (lib/sampling/presampler.ts).
   */
  inputs?: boolean;
  /**
   * Which z_l to copy: z_l when zs[l − 1] is true (default: all). A step whose layer-l activation
   * does not read z in its backward pass (`Activation.backwardReadsZ` false: tanh, sigmoid,
   * identity) needs no z_l, and a presampled step then copies half as much (lib/sampling/presampler.ts).
   */
  zs?: readonly boolean[];
}

/**
 * Copies columns `positions` of x_0 .. x_L and z_1 .. z_L (constant rows included) of a pass whose
 * forward has run into `out`, and returns `out`: the forward pass of those columns, in order. δ_l
 * and ∇θ_l of `out` are left as they were (a backward pass overwrites them), and so are the z_l
 * that `zs` leaves out.
 *
 * @throws {RangeError} when the passes' layer sizes differ, positions.length is not out.batch,
 *   or a position is not an integer in [0, source.batch)
 * @example Equal to the forward pass of the gathered columns
 * ```ts
 * import { passColumns } from "@lib/pass_columns.ts";
 * import { Matrix, Mlp, MlpPass, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(2);
 * const net = Mlp.create([3, 4, 2], { random, activation: "relu" });
 * const x = random.normalMatrix(3, 5), positions = [4, 0, 4];
 * const out = passColumns(net.forward(x), { positions, out: new MlpPass(net.sizes, 3) });
 * const direct = net.forward(x.gatherColumns(positions));
 * assert.deepEqual(out.output.data, direct.output.data);
 * assert.deepEqual(out.z(1).data, direct.z(1).data);
 * // without z_1: x_1 and the output are copied, z_1 keeps what it held
 * const held = new MlpPass(net.sizes, 3);
 * passColumns(net.forward(x), { positions, out: held, zs: [false, true] });
 * assert.deepEqual([held.x(1).data, held.output.data], [direct.x(1).data, direct.output.data]);
 * assert.ok(held.z(1).data.every((v) => v === 0));
 * ```
 */
export function passColumns(source: MlpPass, options: PassColumnsOptions): MlpPass {
  // no array, record or string per call (it runs at every presampled step): the message is built
  // only on a failure, the layer checks compare fields one by one
  const positions = options.positions, out = options.out, B = source.batch, b = positions.length;
  const L = source.zs.length;
  if (out.zs.length !== L || out.xs.length !== source.xs.length) {
    throw new RangeError(`${gatherAction(b, B)}: the passes have ${L} and ${out.zs.length} layers`);
  }
  for (let l = 0; l <= L; l++) {
    const from = source.xs[l].rows, to = out.xs[l].rows;
    const zFrom = l > 0 ? source.zs[l - 1].rows : 0, zTo = l > 0 ? out.zs[l - 1].rows : 0;
    if (from !== to || zFrom !== zTo) {
      throw new RangeError(
        `${gatherAction(b, B)}: layer ${l} has ${zFrom || from} units in the source and ${
          zTo || to
        } in the output pass`,
      );
    }
  }
  if (b !== out.batch) {
    throw new RangeError(`${gatherAction(b, B)}: the output pass holds ${out.batch} columns`);
  }
  checkPositions(positions, B);
  // one array type for the kernel, so that its loop stays monomorphic
  const at = positions instanceof Int32Array ? positions : Int32Array.from(positions);
  const first = options.inputs === false ? 1 : 0, zs = options.zs;
  for (let l = 0; l <= L; l++) {
    const x = source.xs[l];
    if (l >= first) gatherBlock(x.data, x.rows, B, at, out.xs[l].data);
    if (l === L) break;
    if (zs !== undefined && zs[l] === false) continue;
    const z = source.zs[l];
    gatherBlock(z.data, z.rows, B, at, out.zs[l].data);
  }
  return out;
}

/** The action a failure of {@link passColumns} names. */
function gatherAction(b: number, B: number): string {
  return `cannot gather ${b} columns of a pass of ${B}`;
}

/** Every position an integer in [0, B) (a loop of its own, compiled early). */
function checkPositions(positions: ArrayLike<number>, B: number): void {
  for (let j = 0; j < positions.length; j++) {
    const p = positions[j];
    if (!Number.isInteger(p) || p < 0 || p >= B) {
      throw new RangeError(
        `${
          gatherAction(positions.length, B)
        }: position ${j} is ${p}, expected an integer in [0, ${B})`,
      );
    }
  }
}

/** {@link gatherBlock}'s record for the kernel, refilled at every call (none per call). */
const GATHER: GatherSizes = {
  rows: 0,
  rowStride: 0,
  colStride: 1,
  positions: new Int32Array(0),
  out: new Float64Array(0),
};

/** {@link gatherColumnBlock} without its record. */
function gatherBlock(
  src: Float64Array,
  rows: number,
  cols: number,
  positions: Int32Array,
  out: Float64Array,
): void {
  const b = positions.length;
  if (src.length < rows * cols || out.length < rows * b) {
    throw new RangeError(
      `cannot gather ${b} columns of a ${rows}×${cols} block: arrays of length ${src.length} and ${out.length} are too short`,
    );
  }
  const at = GATHER;
  at.rows = rows;
  at.rowStride = cols;
  at.positions = positions;
  at.out = out;
  gatherColumns(src, at);
}

/** Options of {@link passColumnsExact}. */
export interface PassColumnsExactOptions {
  /** B, the columns of the source pass. */
  source: number;
  /** b, the columns gathered. */
  batch: number;
}

/**
 * Whether gathering b columns of a B-column forward pass through layers of `sizes` gives the
 * bits a forward pass of those b columns would give with the default engine choice: true when
 * every layer's product θ_l·x_{l−1} (2·d_l·(d_{l−1} + 1)·n FLOPs) lies on the same side of
 * SMALL_PRODUCT_FLOPS for n = b as for n = B (see the module doc). With the engine forced
 * (`useKernelBackend("wasm")` or `"typescript"`) the bits agree whatever this says.
 *
 * @example
 * ```ts
 * import { passColumnsExact } from "@lib/pass_columns.ts";
 * import assert from "node:assert/strict";
 * assert.equal(passColumnsExact([784, 32, 32, 10], { source: 96, batch: 32 }), true);
 * // 2·1·2·b FLOPs: 384 (TypeScript) for b = 96, 1152 (WebAssembly) for B = 288
 * assert.equal(passColumnsExact([1, 1], { source: 288, batch: 96 }), false);
 * ```
 */
export function passColumnsExact(
  sizes: readonly number[],
  options: PassColumnsExactOptions,
): boolean {
  for (let l = 1; l < sizes.length; l++) {
    const perColumn = 2 * sizes[l] * (sizes[l - 1] + 1);
    const small = perColumn * options.batch < SMALL_PRODUCT_FLOPS;
    if (small !== perColumn * options.source < SMALL_PRODUCT_FLOPS) return false;
  }
  return true;
}
