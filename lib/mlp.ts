/**
 * A fully connected network in the course's notation, with backpropagation as the generic δ
 * recursion. Columns are samples, rows are units.
 *
 * Forward, for l = 1..L:
 * x_0 = [x; 1], z_l = θ_l · x_{l−1}, x_l = [σ_l(z_l); 1] for hidden layers, x_L = σ_L(z_L).
 * θ_l holds weights and bias in one matrix whose last column is the bias; with d_l counting the
 * constant unit, a hidden θ_l is (d_l − 1) × d_{l−1} and the output θ_L is d_L × d_{L−1}.
 *
 * Backward, for any differentiable σ_l and loss ℓ:
 * δ_L = σ_L′(z_L) ∘ ∇_{x_L} ℓ, ∇_{θ_l} = δ_l · x_{l−1}ᵀ, δ_{l−1} = σ_{l−1}′(z_{l−1}) ∘ (θ̄_lᵀ · δ_l),
 * where θ̄_l is θ_l without its bias column.
 *
 * @module
 */
import { type Activation, type ActivationArrays, resolveActivation } from "./activations.ts";
import {
  allFinite,
  allocateKernelArray,
  columnSquaredNorms,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  type ProductSizes,
  scaleColumns,
} from "./kernels/mod.ts";
import { gradientFault, NonFiniteGradientError } from "./gradient_fault.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { assertFinite, Matrix } from "./matrix.ts";
import type { Random } from "./random.ts";
import { describeValue, firstNonFinite, validateOptionNames } from "./validate.ts";

export {
  type GradientFault,
  gradientFault,
  type GradientFaultKind,
  NonFiniteGradientError,
} from "./gradient_fault.ts";

/** How to draw the initial weights; biases start at 0. */
export type Init = "glorot" | "he";

/** Options of {@link Mlp.create}. */
export interface MlpOptions {
  /** The generator that draws the initial weights. */
  random: Random;
  /** Hidden activations: one for all hidden layers, or one per hidden layer. Default tanh. */
  activation?: string | Activation | ReadonlyArray<string | Activation>;
  /** Output activation σ_L. Default identity. */
  output?: string | Activation;
  /** Weight scale: "glorot" N(0, 1/fan_in), "he" N(0, 2/fan_in). Default "he" for relu, else "glorot". */
  init?: Init;
}

/**
 * The stored values of one forward and backward pass for a batch of B samples. A pass is a
 * workspace: give it back to {@link Mlp.forward} to reuse its arrays on the next batch of the
 * same size. Layers are numbered as in the course, from 1 to L.
 *
 * With `kernelMemory`, the arrays live in the WebAssembly memory of the matrix products
 * (`allocateKernelArray`), which then read and write them in place instead of copying them in
 * and out: the same values, bit for bit, 1 to 15 % faster per pass (measured on the course's
 * networks). That memory is never reclaimed, so use it for a pass that is kept and reused over
 * many steps, not for one pass per call.
 *
 * @example A reused pass in kernel memory gives the same gradients
 * ```ts
 * import { Matrix, Mlp, MlpPass, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([3, 4, 1], { random: new Random(1) });
 * const x = Matrix.from([[1, 2], [0, 1], [-1, 0]]), y = Matrix.from([[1, 0]]);
 * const pass = new MlpPass(net.sizes, 2, { kernelMemory: true });
 * const a = net.lossAndGradient(x, y, { loss: "squaredError", pass }).grads[0].clone();
 * const b = net.lossAndGradient(x, y, { loss: "squaredError" }).grads[0];
 * assert.deepEqual(Array.from(a.data), Array.from(b.data));
 * ```
 */
export class MlpPass {
  /** Batch size B. */
  readonly batch: number;
  /** x_0 .. x_L: hidden x_l (and x_0) carry the constant row of ones last. */
  readonly xs: Matrix[];
  /** z_1 .. z_L, at index l − 1. */
  readonly zs: Matrix[];
  /** δ_1 .. δ_L, at index l − 1 (filled by backward). */
  readonly deltas: Matrix[];
  /** ∇_{θ_1} .. ∇_{θ_L}, at index l − 1 (filled by backward). */
  readonly grads: Matrix[];
  /** ∇_x of the loss, (d_0 − 1) × B, when backward was asked for it. */
  inputGradient: Matrix | null = null;

  /**
   * Allocates the arrays of a pass of `batch` samples through layers of `sizes` units, in the
   * products' WebAssembly memory when `kernelMemory` is set (plain arrays where it is absent), or
   * with `allocate` (zero-filled arrays of the given length, e.g. a `KernelLease`'s) when given.
   */
  constructor(
    sizes: readonly number[],
    batch: number,
    options: { kernelMemory?: boolean; allocate?: (length: number) => Float64Array } = {},
  ) {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new RangeError(
        `cannot allocate a pass of ${batch} samples: the batch size must be an integer >= 1`,
      );
    }
    const layers = sizes.length - 1;
    const allocate = options.allocate ?? (options.kernelMemory ? allocateKernelArray : null);
    const matrix = allocate === null
      ? (rows: number, cols: number) => new Matrix(rows, cols)
      : (rows: number, cols: number) => new Matrix(rows, cols, allocate(rows * cols));
    this.batch = batch;
    this.xs = [];
    for (let l = 0; l <= layers; l++) {
      const constant = l < layers ? 1 : 0;
      const x = matrix(sizes[l] + constant, batch);
      if (constant) x.data.fill(1, sizes[l] * batch);
      this.xs.push(x);
    }
    this.zs = [];
    this.deltas = [];
    this.grads = [];
    for (let l = 1; l <= layers; l++) {
      this.zs.push(matrix(sizes[l], batch));
      this.deltas.push(matrix(sizes[l], batch));
      this.grads.push(matrix(sizes[l], sizes[l - 1] + 1));
    }
  }

  /** x_l, l = 0..L. */
  x(l: number): Matrix {
    return this.xs[l];
  }
  /** z_l, l = 1..L. */
  z(l: number): Matrix {
    return this.zs[l - 1];
  }
  /** δ_l = ∂(loss)/∂z_l, l = 1..L. */
  delta(l: number): Matrix {
    return this.deltas[l - 1];
  }
  /** ∇_{θ_l} of the loss, l = 1..L. */
  grad(l: number): Matrix {
    return this.grads[l - 1];
  }
  /** The network output f(x, Θ) = x_L. */
  get output(): Matrix {
    return this.xs[this.xs.length - 1];
  }
}

/** The result of {@link Mlp.lossAndGradient}. */
export interface LossAndGradient {
  /** The weighted mean loss (1/B) Σ w_i ℓ_i. */
  loss: number;
  /** The per-sample losses ℓ_i (unweighted). */
  values: Float64Array;
  /** ∇_{θ_l} of the weighted mean loss, l = 1..L at index l − 1 (the pass's own arrays). */
  grads: Matrix[];
  /** The pass, holding z_l, x_l, δ_l. */
  pass: MlpPass;
}

/**
 * A multilayer perceptron θ_1..θ_L with activations σ_1..σ_L.
 *
 * @example Train one step and see the loss fall
 * ```ts
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const net = Mlp.create([2, 8, 1], { random: new Random(1), activation: "tanh" });
 * const x = Matrix.from([[0, 1, 0, 1], [0, 0, 1, 1]]), y = Matrix.from([[0, 1, 1, 0]]);
 * const before = net.lossAndGradient(x, y, { loss: "squaredError" });
 * net.thetas.forEach((t, i) => t.data.forEach((_, k) => t.data[k] -= 0.1 * before.grads[i].data[k]));
 * assert.ok(net.lossAndGradient(x, y, { loss: "squaredError" }).loss < before.loss);
 * ```
 */
export class Mlp {
  /** Units per layer without the constant unit: [d_0 − 1, d_1 − 1, …, d_L]. */
  readonly sizes: readonly number[];
  /** θ_1 .. θ_L at index l − 1; θ_l is sizes[l] × (sizes[l − 1] + 1), bias in the last column. */
  readonly thetas: Matrix[];
  /** σ_1 .. σ_L at index l − 1. */
  readonly activations: Activation[];

  /**
   * A network from its parameters and activations, checking that the shapes chain.
   *
   * @throws {RangeError} when θ_l is not sizes[l] × (sizes[l−1] + 1) or the counts differ
   */
  constructor(thetas: Matrix[], activations: ReadonlyArray<Activation>) {
    if (thetas.length === 0 || thetas.length !== activations.length) {
      throw new RangeError(
        `cannot build a network from ${thetas.length} parameter matrices and ${activations.length} activations: need L >= 1 of each`,
      );
    }
    const sizes = [thetas[0].cols - 1];
    for (let l = 1; l <= thetas.length; l++) {
      const t = thetas[l - 1];
      if (t.cols !== sizes[l - 1] + 1 || t.rows < 1) {
        throw new RangeError(
          `cannot build a network: θ_${l} is ${t.shape} but layer ${l - 1} has ${
            sizes[l - 1]
          } units plus the constant, so θ_${l} needs ${sizes[l - 1] + 1} columns`,
        );
      }
      sizes.push(t.rows);
    }
    this.sizes = Object.freeze(sizes);
    this.thetas = thetas;
    this.activations = [...activations];
  }

  /**
   * A network with `sizes` = [inputs, hidden…, outputs] units (constant units not counted) and
   * weights drawn from `random`.
   *
   * @throws {RangeError} without `random`, for fewer than two sizes, a size below 1, a wrong
   *   activation count, an unknown option or an unknown `init`
   * @example θ_l has the design's shape
   * ```ts
   * import { Mlp, Random } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const net = Mlp.create([784, 256, 10], { random: new Random(0), activation: "relu" });
   * assert.deepEqual(net.thetas.map((t) => t.shape), ["256x785", "10x257"]);
   * ```
   */
  static create(sizes: readonly number[], options: MlpOptions): Mlp {
    const action = `cannot create a network with sizes [${sizes}]`;
    if (!Array.isArray(sizes)) {
      throw new RangeError(
        `${action}: sizes must be a list of units per layer, e.g. [784, 256, 10]`,
      );
    }
    if (typeof options?.random?.normal !== "function") {
      throw new RangeError(
        `${action}: options.random is required, the generator that draws the initial weights: pass { random: new Random(seed) } (Random from lib/random.ts), got ${
          describeValue(options?.random)
        }`,
      );
    }
    validateOptionNames(options, ["random", "activation", "output", "init"], action);
    if (options.init !== undefined && options.init !== "glorot" && options.init !== "he") {
      throw new RangeError(`${action}: init must be "glorot" or "he", got ${options.init}`);
    }
    if (sizes.length < 2) {
      throw new RangeError(
        `cannot create a network with sizes [${sizes}]: need at least an input and an output size`,
      );
    }
    for (const [l, s] of sizes.entries()) {
      if (!Number.isInteger(s) || s < 1) {
        throw new RangeError(
          `cannot create a network with sizes [${sizes}]: layer ${l} has ${s} units, expected an integer >= 1`,
        );
      }
    }
    const hidden = sizes.length - 2;
    const spec = options.activation ?? "tanh";
    let hiddenActs: Activation[];
    if (Array.isArray(spec)) {
      if (spec.length !== hidden) {
        throw new RangeError(
          `cannot create a network with ${hidden} hidden layers from ${spec.length} activations`,
        );
      }
      hiddenActs = spec.map((s) => resolveActivation(s));
    } else {
      const act = resolveActivation(spec as string | Activation);
      hiddenActs = Array.from({ length: hidden }, () => act);
    }
    const acts = [...hiddenActs, resolveActivation(options.output ?? "identity")];
    const thetas = [];
    for (let l = 1; l < sizes.length; l++) {
      const fanIn = sizes[l - 1];
      const init = options.init ?? (acts[l - 1].name === "relu" ? "he" : "glorot");
      const std = Math.sqrt((init === "he" ? 2 : 1) / fanIn);
      const t = new Matrix(sizes[l], fanIn + 1);
      for (let i = 0; i < t.rows; i++) {
        for (let j = 0; j < fanIn; j++) t.data[i * t.cols + j] = std * options.random.normal();
      }
      thetas.push(t);
    }
    return new Mlp(thetas, acts);
  }

  /** Number of layers L. */
  get layers(): number {
    return this.thetas.length;
  }

  /** θ_l, l = 1..L. */
  theta(l: number): Matrix {
    return this.thetas[l - 1];
  }

  /** Number of scalar parameters. */
  get parameterCount(): number {
    return this.thetas.reduce((s, t) => s + t.size, 0);
  }

  /** A deep copy (same activations, copied parameters). */
  clone(): Mlp {
    return new Mlp(this.thetas.map((t) => t.clone()), this.activations);
  }

  /**
   * The forward pass on a (d_0 − 1) × B batch, keeping every z_l and x_l.
   *
   * @param pass a pass of the same batch size to reuse; a new one is allocated otherwise
   * @param options `finiteInput`: x is known to be finite (gathered from a data set the caller
   *   checked), so it is not scanned again
   * @throws {RangeError} for a wrong row count, an empty batch, or NaN/Infinity in x (naming the
   *   sample, that is the column) or in Θ (naming the layer)
   */
  forward(x: Matrix, pass?: MlpPass, options: { finiteInput?: boolean } = NO_OPTIONS): MlpPass {
    const sizes = this.sizes, b = x.cols;
    if (x.rows !== sizes[0]) {
      throw new RangeError(
        `cannot run the forward pass: the network takes ${
          sizes[0]
        } inputs per sample but x is ${x.shape}`,
      );
    }
    if (b === 0) throw new RangeError("cannot run the forward pass on an empty batch (0 columns)");
    // the fast scan first, through a reused record: firstNonFinite builds one per call
    const bad = options.finiteInput || scannedFinite(x) ? null : firstNonFinite(x);
    if (bad !== null) {
      throw new RangeError(
        `cannot run the forward pass: sample ${bad.col} of the batch (column ${bad.col} of x, ${x.shape}) has ${bad.value} in input ${bad.row}`,
      );
    }
    if (pass && pass.batch !== b) {
      throw new RangeError(
        `cannot reuse a pass of batch size ${pass.batch} for a batch of ${b} samples`,
      );
    }
    const p = pass ?? new MlpPass(sizes, b);
    const x0 = p.xs[0].data;
    // x may already be x_0's first rows (gathered there, see `Sgd.inputBuffer`): then no copy
    if (x.data.buffer !== x0.buffer || x.data.byteOffset !== x0.byteOffset) x0.set(x.data);
    const args = passArgs(p, sizes);
    for (let l = 1; l <= this.layers; l++) {
      const z = p.zs[l - 1], at = args.forward[l - 1];
      matmul(this.thetas[l - 1].data, p.xs[l - 1].data, at.product);
      // A non-finite entry of θ_l always makes z_l non-finite (its bias column meets the
      // constant 1), so θ_l is scanned only then: O(n·B) per layer instead of O(n²).
      if (!allFinite(z.data, at.finite)) assertFinite(this.thetas[l - 1], `θ_${l}`);
      this.activations[l - 1].forward(z.data, at.map);
    }
    return p;
  }

  /**
   * The network output f(x, Θ) = x_L for a batch (a fresh matrix).
   *
   * @example
   * ```ts
   * import { Matrix, Mlp, Random } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const net = Mlp.create([3, 4, 2], { random: new Random(0) });
   * assert.equal(net.predict(Matrix.zeros(3, 5)).shape, "2x5");
   * ```
   */
  predict(x: Matrix): Matrix {
    return this.forward(x).output.clone();
  }

  /**
   * Backpropagation: from ∇_{x_L} (the gradient of the loss with respect to the output, d_L × B)
   * fills δ_l and ∇_{θ_l} of `pass` for l = L..1. The first layer's input gradient θ̄_1ᵀ·δ_1 is
   * computed only when `inputGradient` is set.
   *
   * @throws {RangeError} when `gradOutput` does not have the output's shape
   */
  backward(
    pass: MlpPass,
    gradOutput: Matrix,
    options: { inputGradient?: boolean } = NO_OPTIONS,
  ): void {
    const sizes = this.sizes, L = this.layers, b = pass.batch;
    if (gradOutput.rows !== sizes[L] || gradOutput.cols !== b) {
      throw new RangeError(
        `cannot run the backward pass: ∇x_L is ${gradOutput.shape} but the output is ${
          sizes[L]
        }x${b}`,
      );
    }
    const args = passArgs(pass, sizes);
    this.activations[L - 1].backward(gradOutput.data, args.backward[L - 1].map);
    for (let l = L; l >= 1; l--) {
      const delta = pass.deltas[l - 1], xPrev = pass.xs[l - 1], at = args.backward[l - 1];
      // ∇θ_l = δ_l · x_{l−1}ᵀ
      matmulTransposeB(delta.data, xPrev.data, at.weights);
      if (l === 1 && !options.inputGradient) break;
      // g = θ̄_lᵀ · δ_l, then δ_{l−1} = σ′_{l−1}(z_{l−1}) ∘ g
      const target = l > 1 ? pass.deltas[l - 2] : new Matrix(sizes[0], b);
      const input = l > 1 ? at.input : { ...at.input, out: target.data };
      matmulTransposeA(this.thetas[l - 1].data, delta.data, input);
      if (l > 1) {
        this.activations[l - 2].backward(target.data, args.backward[l - 2].map);
      } else {
        pass.inputGradient = target;
      }
    }
  }

  /**
   * The weighted mean loss (1/B) Σ_i w_i ℓ_i of a batch and its gradient with respect to every
   * θ_l, by one forward and one backward pass. Weights are constants (default all 1).
   *
   * @throws {RangeError} for bad shapes, targets or weights (length B, finite, >= 0)
   * @throws {NonFiniteGradientError} (a RangeError) when a ∇θ_l comes out NaN or infinite,
   *   naming the layer, the sample within the batch and the cause (see {@link gradientFault})
   * @example The gradient matches finite differences
   * ```ts
   * import { Matrix, Mlp, Random, gradcheck } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const net = Mlp.create([2, 3, 1], { random: new Random(4) });
   * const x = Matrix.from([[0.1, -0.3], [0.7, 0.2]]), y = Matrix.from([[1, -1]]);
   * const { grads } = net.lossAndGradient(x, y, { loss: "squaredError" });
   * const report = gradcheck(() => net.lossAndGradient(x, y, { loss: "squaredError" }).loss, {
   *   params: net.thetas,
   *   analytic: grads.map((g) => g.clone()),
   * });
   * assert.ok(report.ok);
   * ```
   */
  lossAndGradient(
    x: Matrix,
    y: Matrix,
    options: {
      loss: string | Loss;
      weights?: ArrayLike<number>;
      pass?: MlpPass;
      finiteInput?: boolean;
    },
  ): LossAndGradient {
    const loss = resolveLoss(options.loss);
    const pass = this.forward(x, options.pass, options); // reads only `finiteInput`
    const b = pass.batch;
    const work = lossWorkspace(pass);
    const scale = columnScale(b, options.weights, work.scale);
    const values = loss.values(pass.output, y);
    let total = 0;
    for (let j = 0; j < b; j++) total += scale[j] * values[j];
    const g = loss.gradOutput(pass.output, y, work.gradOutput);
    scaleColumns(g.data, { scale, rows: g.rows, cols: b });
    this.backward(pass, g);
    const fault = gradientFault(this, pass, g);
    if (fault !== null) {
      throw new NonFiniteGradientError(`cannot compute the gradient: ${fault.reason}`, fault);
    }
    return { loss: total, values, grads: pass.grads, pass };
  }

  /**
   * The per-sample gradient norms ‖∇_Θ ℓ_i‖ from one batched backward pass, using
   * ‖∇_{θ_l} ℓ_i‖² = ‖δ_l^(i)‖² ‖x_{l−1}^(i)‖² (the gradient of one sample is an outer product).
   * `weights` must be those the pass's backward used: δ was scaled by w_i/B and is unscaled here.
   *
   * @example Equal to a per-sample loop
   * ```ts
   * import { Matrix, Mlp, Random } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const net = Mlp.create([2, 3, 2], { random: new Random(2) });
   * const x = Matrix.from([[1, 2], [3, -1]]), y = Matrix.from([[0, 1], [1, 0]]);
   * const { pass } = net.lossAndGradient(x, y, { loss: "squaredError" });
   * const norms = net.perSampleGradientNorms(pass);
   * const one = net.lossAndGradient(x.gatherColumns([1]), y.gatherColumns([1]), { loss: "squaredError" });
   * const loop = Math.sqrt(one.grads.reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0));
   * assert.ok(Math.abs(norms[1] - loop) < 1e-12 * loop);
   * ```
   */
  perSampleGradientNorms(
    pass: MlpPass,
    options: { weights?: ArrayLike<number> } = {},
  ): Float64Array {
    const b = pass.batch, sizes = this.sizes;
    const scale = columnScale(b, options.weights);
    const total = new Float64Array(b), dn = new Float64Array(b), xn = new Float64Array(b);
    for (let l = 1; l <= this.layers; l++) {
      columnSquaredNorms(pass.deltas[l - 1].data, { out: dn, rows: sizes[l], cols: b });
      columnSquaredNorms(pass.xs[l - 1].data, { out: xn, rows: sizes[l - 1] + 1, cols: b });
      for (let j = 0; j < b; j++) total[j] += dn[j] * xn[j];
    }
    for (let j = 0; j < b; j++) total[j] = scale[j] === 0 ? 0 : Math.sqrt(total[j]) / scale[j];
    return total;
  }
}

/** c_i = w_i / B, checking the weights. */
/** The argument records of a pass's products and maps for layer l, at index l − 1. */
interface PassArgs {
  sizes: readonly number[];
  forward: {
    product: ProductSizes;
    finite: { n: number };
    map: { out: Float64Array; n: number };
  }[];
  /** `map`: σ_l′ ∘ g into δ_l, in place for hidden layers; `input`: θ̄_lᵀ · δ_l into δ_{l−1}. */
  backward: {
    weights: ProductSizes;
    input: ProductSizes & { lda: number };
    map: ActivationArrays;
  }[];
}

/**
 * The argument records of every product and map of a pass, built once per pass and network
 * shape: V8 does not inline the kernels into the passes, so records built per call were
 * allocated, about 60 bytes each, 13 per step of three layers. The kernels only read them.
 */
const passArgsCache = new WeakMap<MlpPass, PassArgs>();

/** `allFinite`'s record for {@link scannedFinite} (read at once, never kept). */
const FINITE_SCAN = { n: 0 };

/** Whether every entry of m is finite, without building a record per call. */
function scannedFinite(m: Matrix): boolean {
  FINITE_SCAN.n = m.rows * m.cols;
  return allFinite(m.data, FINITE_SCAN);
}

/** The options of a call without any: a default `{}` would be a new object on every call. */
const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

function passArgs(pass: MlpPass, sizes: readonly number[]): PassArgs {
  const cached = passArgsCache.get(pass);
  if (cached !== undefined && sameSizes(cached.sizes, sizes)) return cached;
  const b = pass.batch, L = sizes.length - 1;
  const args: PassArgs = { sizes, forward: [], backward: [] };
  for (let l = 1; l <= L; l++) {
    const z = pass.zs[l - 1], delta = pass.deltas[l - 1];
    const [m, k] = [sizes[l], sizes[l - 1] + 1];
    args.forward.push({
      product: { out: z.data, m, k, n: b },
      finite: { n: z.size },
      map: { out: pass.xs[l].data, n: m * b },
    });
    const below = l > 1 ? pass.deltas[l - 2].data : delta.data; // l = 1: replaced when used
    args.backward.push({
      weights: { out: pass.grads[l - 1].data, m, k: b, n: k },
      input: { out: below, m: sizes[l - 1], k: m, n: b, lda: k },
      map: { z: z.data, x: pass.xs[l].data, out: delta.data, n: delta.size },
    });
  }
  passArgsCache.set(pass, args);
  return args;
}

function sameSizes(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The column scale and output gradient {@link Mlp.lossAndGradient} reuses, per pass. */
const lossWorkspaces = new WeakMap<MlpPass, { scale: Float64Array; gradOutput: Matrix }>();

function lossWorkspace(pass: MlpPass): { scale: Float64Array; gradOutput: Matrix } {
  let work = lossWorkspaces.get(pass);
  if (work === undefined) {
    const output = pass.output;
    work = {
      scale: new Float64Array(pass.batch),
      gradOutput: new Matrix(output.rows, output.cols),
    };
    lossWorkspaces.set(pass, work);
  }
  return work;
}

function columnScale(
  b: number,
  weights?: ArrayLike<number>,
  scale: Float64Array = new Float64Array(b),
): Float64Array {
  if (weights === undefined) return scale.fill(1 / b);
  if (weights.length !== b) {
    throw new RangeError(`cannot weight a batch of ${b} samples with ${weights.length} weights`);
  }
  for (let j = 0; j < b; j++) {
    const w = weights[j];
    if (!(w >= 0) || w === Infinity) {
      throw new RangeError(`cannot weight sample ${j} by ${w}: weights must be finite and >= 0`);
    }
    scale[j] = w / b;
  }
  return scale;
}
