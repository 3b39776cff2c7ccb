/**
 * The weighted minibatch SGD step θ ← θ − η g, where g is the gradient of the weighted mean loss
 * (1/b) Σ_i w_i ℓ_i of a minibatch of b samples. The weights are constants: with w_i = 1/(N p_i)
 * for samples drawn from p, g is an unbiased estimate of the full gradient (1/N) Σ_i ∇ℓ_i.
 *
 * @module
 */
import { gradientFault, NonFiniteGradientError } from "./gradient_fault.ts";
import { axpy, scaleColumns } from "./kernels/mod.ts";
import { fastSquaredNormSafe, squaredNorm } from "./gradient_norm.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import { passInputs } from "./pass_columns.ts";
import { type Mlp, MlpPass } from "./mlp.ts";

/**
 * A learning rate: a constant η > 0, or a schedule t ↦ η_t called with t = the number of steps
 * already taken (0 for the first step). A schedule may return 0 but nothing negative or non-finite.
 */
export type LearningRate = number | ((step: number) => number);

/** Options of {@link Sgd}. */
export interface SgdOptions {
  /** The per-sample loss ℓ: a name from lib/losses.ts or a {@link Loss}. */
  loss: string | Loss;
  /** η, constant or a schedule of the step count. */
  learningRate: LearningRate;
  /**
   * Allocates the workspace's pass and output gradient (zero-filled arrays of the given length),
   * e.g. in kernel memory with a `KernelLease` (lib/kernel_lease.ts). Default: plain arrays.
   */
  allocate?: (length: number) => Float64Array;
  /**
   * Return one result record per batch size, refilled at every step: each result is then valid,
   * numbers included, only until the next step (for a caller that keeps none, as `fit`), and a
   * step allocates nothing. Default false: a new record per step.
   */
  reuseResults?: boolean;
}

/** What {@link Sgd.step} computed. Arrays are the workspace's: valid until the next step. */
export interface SgdStepResult {
  /** The step just taken, counted from 1. */
  step: number;
  /** η used by this step. */
  learningRate: number;
  /** The weighted mean loss (1/b) Σ w_i ℓ_i at θ before the update. */
  loss: number;
  /**
   * ‖g‖, the Euclidean norm of the gradient over all θ_l, summed in order when first read (so the
   * step does not pay for it): read it before the next step, which overwrites the gradient.
   */
  readonly gradientNorm: number;
  /** The per-sample losses ℓ_i (unweighted) at θ before the update. */
  values: Float64Array;
  /** The forward and backward pass of this step (at θ before the update). */
  pass: MlpPass;
  /** The weights w_i the pass was computed with (all 1 when none were given). */
  weights: Float64Array;
}

/** The numbers of a {@link DivergenceError}. */
export interface DivergenceFields {
  /** The step that failed, counted from 1. */
  step: number;
  /** What was not finite. */
  quantity: string;
  /** The non-finite value met. */
  loss: number;
  /** The last finite minibatch loss before it, or null. */
  lastFiniteLoss: number | null;
  /** When the gradient failed: the minibatch loss of the failing step, which was finite. */
  minibatchLoss?: number;
  /** When the gradient failed: where and why (see `gradientFault`). */
  reason?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A loss or a gradient that grew beyond the doubles during training: a NaN or infinite minibatch
 * loss, or a gradient whose finite factors overflow. The parameters are left as they were before
 * the failing step. (A gradient that is not finite for another cause, a σ′ or a loss gradient that
 * is not finite, is a `NonFiniteGradientError` instead.)
 *
 * @example
 * ```ts
 * import { DivergenceError } from "@lib/sgd.ts";
 * import assert from "node:assert/strict";
 * const e = new DivergenceError("cannot take SGD step 3: …", {
 *   step: 3, quantity: "minibatch loss", loss: NaN, lastFiniteLoss: 0.5,
 * });
 * assert.ok(e instanceof RangeError);
 * assert.equal(e.lastFiniteLoss, 0.5);
 * ```
 */
export class DivergenceError extends RangeError {
  /** The error's name. */
  override name = "DivergenceError";
  /** The step that failed, counted from 1. */
  readonly step: number;
  /** What was not finite: "minibatch loss", "squared gradient norm" or "training loss". */
  readonly quantity: string;
  /** The non-finite value met. */
  readonly loss: number;
  /** The last finite minibatch loss before it, or null when there was none. */
  readonly lastFiniteLoss: number | null;
  /** When the gradient failed: the finite minibatch loss of the failing step; else null. */
  readonly minibatchLoss: number | null;
  /** When the gradient failed: where and why; else null. */
  readonly reason: string | null;

  /**
   * An error with a full message; the fields repeat its numbers for programs.
   *
   * @param message the full message, naming the step and the last finite loss
   */
  constructor(message: string, fields: DivergenceFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.step = fields.step;
    this.quantity = fields.quantity;
    this.loss = fields.loss;
    this.lastFiniteLoss = fields.lastFiniteLoss;
    this.minibatchLoss = fields.minibatchLoss ?? null;
    this.reason = fields.reason ?? null;
  }
}

/**
 * η_t for a learning rate, checked: a constant must be finite and > 0, a schedule's value finite
 * and >= 0.
 *
 * @throws {RangeError} naming `learningRate` when the value is not allowed
 * @example
 * ```ts
 * import { learningRateAt } from "@lib/sgd.ts";
 * import assert from "node:assert/strict";
 * assert.equal(learningRateAt(0.1, 5), 0.1);
 * assert.equal(learningRateAt((t) => 1 / (t + 1), 3), 0.25);
 * assert.throws(() => learningRateAt(0, 0), /learningRate must be a finite number > 0, got 0/);
 * ```
 */
export function learningRateAt(learningRate: LearningRate, step: number): number {
  if (typeof learningRate === "number") {
    if (!(learningRate > 0) || learningRate === Infinity) {
      throw new RangeError(
        `cannot use the learning rate: learningRate must be a finite number > 0, got ${learningRate}`,
      );
    }
    return learningRate;
  }
  if (typeof learningRate !== "function") {
    throw new RangeError(
      `cannot use the learning rate: learningRate must be a number or a function of the step, got ${typeof learningRate}`,
    );
  }
  const eta = learningRate(step);
  if (typeof eta !== "number" || !(eta >= 0) || eta === Infinity) {
    throw new RangeError(
      `cannot use the learning rate at step ${step}: the learningRate schedule returned ${eta}, expected a finite number >= 0`,
    );
  }
  return eta;
}

/**
 * θ_l ← θ_l − η ∇_l for every layer, in place: the update of one SGD step.
 *
 * @throws {RangeError} when the lists or shapes differ
 * @example
 * ```ts
 * import { sgdUpdate } from "@lib/sgd.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const theta = [Matrix.from([[1, 2]])];
 * sgdUpdate(theta, { gradients: [Matrix.from([[10, -10]])], learningRate: 0.1 });
 * assert.deepEqual(theta[0].toArray(), [[0, 3]]);
 * ```
 */
export function sgdUpdate(
  thetas: readonly Matrix[],
  options: { gradients: readonly Matrix[]; learningRate: number },
): void {
  const { gradients, learningRate } = options;
  if (gradients.length !== thetas.length) {
    throw new RangeError(
      `cannot update the parameters: ${thetas.length} parameter matrices but ${gradients.length} gradients`,
    );
  }
  for (let l = 0; l < thetas.length; l++) {
    if (thetas[l].rows !== gradients[l].rows || thetas[l].cols !== gradients[l].cols) {
      throw new RangeError(
        `cannot update the parameters: θ_${l + 1} is ${thetas[l].shape} but its gradient is ${
          gradients[l].shape
        }`,
      );
    }
  }
  for (let l = 0; l < thetas.length; l++) {
    axpy(-learningRate, gradients[l].data, { out: thetas[l].data, n: thetas[l].size });
  }
}

/**
 * Σ_j scale_j · values_j over j < b, in order, into SUM[0]. A small function of its own: its
 * loop is compiled early, while a loop in the large `Sgd.step` would run interpreted for
 * thousands of steps, boxing every partial sum (about 1 KB a step at b = 32).
 */
function weightedSum(scale: Float64Array, values: Float64Array, b: number): void {
  // the running sum lives in a typed array: V8's mid tier (Maglev), inlining this loop into
  // `Sgd.step`, boxed a local sum at every iteration (16 bytes each), and a number returned by
  // a call that is not inlined is boxed too. The same roundings.
  const sum = SUM;
  sum[0] = 0;
  for (let j = 0; j < b; j++) sum[0] += scale[j] * values[j];
}

const SUM = new Float64Array(1);

/**
 * Copies the weights w_j and w_j/b into the workspace; returns the first bad index, or −1. A
 * function of its own that throws nothing: the loop with its throw, inlined into `Sgd.step`,
 * allocated 24 bytes a step (bench/allocation_probe.ts --profile).
 */
function copyWeights(weights: ArrayLike<number>, ws: Workspace): number {
  const dst = ws.weights, scale = ws.scale, b = dst.length;
  for (let j = 0; j < b; j++) {
    const w = weights[j];
    if (!(w >= 0) || w === Infinity) return j;
    dst[j] = w;
    scale[j] = w / b;
  }
  return -1;
}

/** Options of {@link Sgd.step}. */
export interface SgdStepOptions {
  /** The weights w_i, finite and >= 0 (default all 1). */
  weights?: ArrayLike<number>;
  /**
   * A forward pass over exactly the columns of x, in order, at the current θ, with the bits
   * `model.forward(x)` would give (see `Minibatch.pass`; z_l may be missing where layer l's
   * backward does not read it). When given, the step skips its forward pass and runs its backward
   * pass in this one, overwriting its δ_l and ∇θ_l.
   */
  pass?: MlpPass;
  /** x is known to be finite (gathered from a checked data set): the forward pass skips its scan. */
  finiteInput?: boolean;
}

/** The given forward pass, after checking that its shapes are the network's (no record per call). */
function checkForwardPass(model: Mlp, pass: MlpPass, batch: number, step: number): MlpPass {
  const sizes = model.sizes, L = model.layers;
  let ok = pass.batch === batch && pass.zs.length === L && pass.xs.length === L + 1;
  for (let l = 1; ok && l <= L; l++) {
    ok = pass.zs[l - 1].rows === sizes[l] && pass.grads[l - 1].cols === sizes[l - 1] + 1;
  }
  if (!ok) {
    throw new RangeError(
      `cannot take SGD step ${step}: the given forward pass (batch ${pass.batch}) does not fit the network's layers [${sizes}] and the batch of ${batch}`,
    );
  }
  return pass;
}

/**
 * A step's result: a class, so that each step allocates one small object (an object literal with
 * a getter took about 700 bytes per step in V8).
 */
class StepResult implements SgdStepResult {
  #norm = -1;
  /**
   * The loss in a typed array: a number stored into a field is boxed anew whenever it changes
   * (16 bytes at every refill, V8's sampling heap profiler in bench/allocation_probe.ts).
   */
  readonly #loss = new Float64Array(1);
  constructor(
    public step: number,
    public learningRate: number,
    loss: number,
    public values: Float64Array,
    public pass: MlpPass,
    public weights: Float64Array,
  ) {
    this.#loss[0] = loss;
  }

  /** The weighted mean loss (1/b) Σ w_i ℓ_i at θ before the update. */
  get loss(): number {
    return this.#loss[0];
  }

  /** This record for another step (`SgdOptions.reuseResults`). */
  refill(step: number, learningRate: number, loss: number): this {
    this.step = step;
    this.learningRate = learningRate;
    this.#loss[0] = loss;
    this.#norm = -1;
    return this;
  }

  get gradientNorm(): number {
    // the sum in order, over the gradient before any later step overwrites it
    if (this.#norm < 0) this.#norm = Math.sqrt(squaredNorm(this.pass.grads));
    return this.#norm;
  }
}

interface Workspace {
  pass: MlpPass;
  values: Float64Array;
  gradOutput: Matrix;
  weights: Float64Array;
  scale: Float64Array;
  /** The result record refilled at every step (`SgdOptions.reuseResults`), once made. */
  result: StepResult | null;
  /** `scaleColumns`' record for the output gradient, built once. */
  scaleArgs: { scale: Float64Array; rows: number; cols: number };
}

/**
 * Weighted minibatch SGD on an {@link Mlp}, updating its θ_l in place. It keeps one workspace
 * (pass, per-sample losses, output gradient) per batch size, so steps allocate no arrays.
 *
 * @example Steps on a fixed batch lower its loss
 * ```ts
 * import { Sgd } from "@lib/sgd.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const model = Mlp.create([1, 8, 1], { random: new Random(1) });
 * const x = Matrix.row([-1, 0, 1]), y = Matrix.row([1, 0, 1]);
 * const sgd = new Sgd(model, { loss: "squaredError", learningRate: (t) => 0.2 / (1 + t / 100) });
 * const first = sgd.step(x, y).loss;
 * let last = first;
 * for (let t = 0; t < 200; t++) last = sgd.step(x, y, { weights: [1, 1, 1] }).loss;
 * assert.ok(last < first / 5);
 * assert.equal(sgd.steps, 201);
 * ```
 */
export class Sgd {
  /** The network trained in place. */
  readonly model: Mlp;
  /** The per-sample loss. */
  readonly loss: Loss;
  /** The learning rate, constant or a schedule. */
  readonly learningRate: LearningRate;
  #steps = 0;
  /** NaN before the first step: a field that only ever holds numbers is stored unboxed. */
  #lastFiniteLoss = NaN;
  #workspaces = new Map<number, Workspace>();
  readonly #axpyArgs: { out: Float64Array; n: number }[] = [];
  readonly #reuseResults: boolean;
  readonly #allocate: ((length: number) => Float64Array) | undefined;

  /**
   * An optimiser for `model`, which it updates in place.
   *
   * @throws {RangeError} naming `learningRate` or `loss` when they are not usable
   */
  constructor(model: Mlp, options: SgdOptions) {
    this.model = model;
    this.loss = resolveLoss(options.loss);
    if (typeof options.learningRate !== "function") learningRateAt(options.learningRate, 0);
    this.learningRate = options.learningRate;
    this.#allocate = options.allocate;
    this.#reuseResults = options.reuseResults ?? false;
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** The last finite minibatch loss seen, or null before the first step. */
  get lastFiniteLoss(): number | null {
    const last = this.#lastFiniteLoss;
    return last === last ? last : null;
  }

  /**
   * One step on a d×b minibatch x with targets y: forward, per-sample losses, backward of
   * (1/b) Σ w_i ℓ_i (weights constant, default 1), then θ ← θ − η_t g.
   *
   * @throws {DivergenceError} when the loss is NaN or infinite, or the gradient overflows; θ is
   *   unchanged
   * @throws {NonFiniteGradientError} when the gradient is not finite for another cause (a σ′ or
   *   the loss gradient), naming the layer and the sample within the batch; θ is unchanged
   * @throws {RangeError} for bad shapes or weights (length b, finite, >= 0)
   * @example A NaN loss stops before the update
   * ```ts
   * import { DivergenceError, Sgd } from "@lib/sgd.ts";
   * import { Matrix, Mlp, Random } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const model = Mlp.create([1, 1], { random: new Random(0) });
   * const before = model.thetas[0].clone();
   * const sgd = new Sgd(model, { loss: "squaredError", learningRate: 0.1 });
   * assert.throws(
   *   () => sgd.step(Matrix.row([1]), Matrix.row([1e300])),
   *   (e) => e instanceof DivergenceError && /step 1: the minibatch loss is Infinity/.test(e.message),
   * );
   * assert.deepEqual(model.thetas[0].data, before.data);
   * ```
   */
  step(x: Matrix, y: Matrix, options: SgdStepOptions = {}): SgdStepResult {
    const model = this.model, b = x.cols, step = this.#steps + 1;
    const out = model.sizes[model.layers];
    if (b < 1) throw new RangeError(`cannot take SGD step ${step}: the minibatch is empty`);
    if (y.rows !== out || y.cols !== b) {
      throw new RangeError(
        `cannot take SGD step ${step}: the targets are ${y.shape} but the network gives ${out}x${b}`,
      );
    }
    const eta = learningRateAt(this.learningRate, this.#steps);
    const ws = this.#workspace(b);
    setWeights(ws, options.weights, step);
    const pass = options.pass === undefined
      ? model.forward(x, ws.pass, options) // reads only `finiteInput`
      : checkForwardPass(model, options.pass, b, step);
    const values = this.loss.values(pass.output, y, ws.values);
    weightedSum(ws.scale, values, b);
    const loss = SUM[0];
    if (!Number.isFinite(loss)) throw this.#divergence(step, "minibatch loss", loss);
    this.loss.gradOutput(pass.output, y, ws.gradOutput);
    scaleColumns(ws.gradOutput.data, ws.scaleArgs);
    model.backward(pass, ws.gradOutput);
    // A fast sum of squares (four partial sums) decides: when it is finite and far from overflow,
    // so is the sum in order, which ‖g‖ keeps (computed when read). Otherwise the sum in order
    // decides, as before.
    const grads = pass.grads;
    // (a boolean back, not the sum: a number returned by a call that is not inlined is boxed)
    let squared = 0;
    if (!fastSquaredNormSafe(grads)) squared = squaredNorm(grads);
    if (!Number.isFinite(squared)) {
      // off the hot path: only a failing step traces the cause, in a given pass after running its
      // forward again (it may lack the z_l its backward does not read; θ is unchanged)
      if (options.pass !== undefined) model.forward(passInputs(pass), pass);
      const fault = gradientFault(model, pass, ws.gradOutput);
      if (fault !== null && fault.kind !== "overflow") {
        throw new NonFiniteGradientError(
          `cannot take SGD step ${step}: ${fault.reason}; parameters left unchanged`,
          fault,
        );
      }
      throw this.#divergence(step, "squared gradient norm", squared, {
        minibatchLoss: loss,
        reason: fault?.reason ??
          "every entry of the gradient is finite but the sum of their squares overflows: the gradient is too large",
      });
    }
    this.#update(pass.grads, eta);
    this.#steps = step;
    this.#lastFiniteLoss = loss;
    if (!this.#reuseResults) return new StepResult(step, eta, loss, values, pass, ws.weights);
    // the record's arrays are the workspace's own, the same at every step of this batch size
    if (ws.result === null || ws.result.pass !== pass || ws.result.values !== values) {
      ws.result = new StepResult(step, eta, loss, values, pass, ws.weights);
    }
    return ws.result.refill(step, eta, loss);
  }

  /**
   * `sgdUpdate(model.thetas, { gradients, learningRate: eta })` with the axpy records kept from
   * step to step (renewed when a θ_l is replaced): the same checks and bits, no object per step.
   */
  #update(gradients: readonly Matrix[], eta: number): void {
    const thetas = this.model.thetas, args = this.#axpyArgs;
    if (gradients.length !== thetas.length) {
      sgdUpdate(thetas, { gradients, learningRate: eta }); // throws, naming the counts
    }
    for (let l = 0; l < thetas.length; l++) {
      const t = thetas[l];
      if (t.rows !== gradients[l].rows || t.cols !== gradients[l].cols) {
        sgdUpdate(thetas, { gradients, learningRate: eta }); // throws, naming the shapes
      }
      if (args.length <= l || args[l].out !== t.data || args[l].n !== t.size) {
        args[l] = { out: t.data, n: t.size };
      }
    }
    const alpha = -eta; // once, not a number boxed per layer
    for (let l = 0; l < thetas.length; l++) axpy(alpha, gradients[l].data, args[l]);
  }

  #divergence(
    step: number,
    what: string,
    value: number,
    gradient?: { minibatchLoss: number; reason: string },
  ): DivergenceError {
    const last = this.lastFiniteLoss;
    const before = last === null
      ? "no step before it"
      : `last finite loss ${last} at step ${step - 1}`;
    const at = gradient === undefined
      ? `(${before})`
      : `at a finite minibatch loss ${gradient.minibatchLoss} (${before}): ${gradient.reason}`;
    return new DivergenceError(
      `cannot take SGD step ${step}: the ${what} is ${value} ${at}; parameters left unchanged`,
      { step, quantity: what, loss: value, lastFiniteLoss: last, ...gradient },
    );
  }

  /**
   * A d_0 × b matrix over the inputs of the workspace's pass for batches of b (the first rows of
   * its x_0): a batch gathered into it is not copied again by the next step's forward pass.
   * `step(x, …)` with another x works as well; this one is only faster.
   *
   * @example
   * ```ts
   * import { Sgd } from "@lib/sgd.ts";
   * import { Matrix, Mlp, Random } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const model = Mlp.create([2, 3, 1], { random: new Random(0) });
   * const sgd = new Sgd(model, { loss: "squaredError", learningRate: 0.1 });
   * const x = sgd.inputBuffer(4);
   * x.data.set([1, 2, 3, 4, 5, 6, 7, 8]);
   * const { pass } = sgd.step(x, Matrix.zeros(1, 4));
   * assert.deepEqual(Array.from(pass.x(0).data), [1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1]);
   * ```
   */
  inputBuffer(b: number): Matrix {
    if (!Number.isInteger(b) || b < 1) {
      throw new RangeError(`cannot make an input buffer for ${b} samples: need an integer >= 1`);
    }
    return passInputs(this.#workspace(b).pass);
  }

  #workspace(b: number): Workspace {
    let ws = this.#workspaces.get(b);
    if (ws === undefined) {
      const out = this.model.sizes[this.model.layers];
      const scale = new Float64Array(b);
      ws = {
        pass: new MlpPass(this.model.sizes, b, { allocate: this.#allocate }),
        values: new Float64Array(b),
        gradOutput: new Matrix(out, b, this.#allocate?.(out * b)),
        weights: new Float64Array(b),
        scale,
        scaleArgs: { scale, rows: out, cols: b },
        result: null,
      };
      this.#workspaces.set(b, ws);
    }
    return ws;
  }
}

function setWeights(ws: Workspace, weights: ArrayLike<number> | undefined, step: number): void {
  const b = ws.weights.length;
  if (weights === undefined) {
    // a loop, not `fill`: a number passed to a built-in is boxed
    const inverse = 1 / b, w = ws.weights, scale = ws.scale;
    for (let j = 0; j < b; j++) {
      w[j] = 1;
      scale[j] = inverse;
    }
    return;
  }
  if (weights.length !== b) {
    throw new RangeError(
      `cannot take SGD step ${step}: ${weights.length} weights for a minibatch of ${b} samples`,
    );
  }
  const bad = copyWeights(weights, ws);
  if (bad >= 0) {
    throw new RangeError(
      `cannot take SGD step ${step}: weight ${bad} is ${
        weights[bad]
      }, weights must be finite and >= 0`,
    );
  }
}
