/**
 * One minibatch step, the loop body that `fit` (lib/train.ts), the measured gradient variance
 * (lib/sampling/monte_carlo_variance.ts), S from real SGD steps (lib/convergence_monte_carlo.ts) and the
 * importance experiment's step timings share:
 *
 *   sampler.sample(context) → check the batch → gather its columns of x and y into reused
 *   matrices → the weighted step (1/b) Σ_j w_j ℓ_{I_j}: an SGD update, or only its gradient →
 *   sampler.observe(losses, pass, gradient norms on demand).
 *
 * The sampler draws from the stream it is given, in the order above, and nothing else draws: a
 * loop written with this helper makes the same draws as the hand-written loop it replaces, so
 * its outputs are bit-identical. The gathered x and y, the gradient's pass and the SGD
 * workspace are allocated once and reused by every step. A wide x (32 rows or more) is gathered
 * from a sample-major copy, made once per data matrix (lib/column_gatherer.ts): the same bits, a
 * fraction of the cache misses, twice the memory of x.
 *
 * @module
 */
import { InputGatherer } from "./column_gatherer.ts";
import type { Dataset, Inputs } from "./datasets.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import { type LossAndGradient, type Mlp, MlpPass } from "./mlp.ts";
import type { Random } from "./random.ts";
import {
  type Minibatch,
  type SampleContext,
  type Sampler,
  type StepFeedback,
  uniformSampler,
} from "./sampling/sampler.ts";
import { type LearningRate, Sgd, type SgdStepOptions, type SgdStepResult } from "./sgd.ts";

/** Options of {@link MinibatchStep}. */
export interface MinibatchStepOptions {
  /** The per-sample loss: a name from lib/losses.ts or a {@link Loss}. */
  loss: string | Loss;
  /** b, the samples of each step (an integer >= 1). */
  batchSize: number;
  /** The sampler's random stream: every draw comes from it, in step order. */
  random: Random;
  /**
   * Draws the minibatches. Default: uniform with replacement. Used as it is: the caller resets it
   * (`sampler.reset?.()`) when a run should start from a clean state.
   */
  sampler?: Sampler;
  /** η, constant or a schedule; needed only by {@link MinibatchStep.update}. */
  learningRate?: LearningRate;
  /** Names the failed action in errors about a bad minibatch. Default "cannot take a minibatch step". */
  action?: string;
  /**
   * Allocates the SGD workspace and the gradient's pass (zero-filled arrays of the given length),
   * e.g. in kernel memory with a `KernelLease` (lib/kernel_lease.ts). Default: plain arrays.
   */
  allocate?: (length: number) => Float64Array;
  /**
   * The data set's x was checked finite (as `fit` does with `validateDataset`) and does not
   * change: the forward pass of each step skips scanning the gathered x. Default false.
   */
  finiteData?: boolean;
  /**
   * Let the sampler return the same batch record and arrays at every draw (`SampleContext.reuse`),
   * and the SGD step its result record (`SgdOptions.reuseResults`): {@link MinibatchStep.batch},
   * what {@link MinibatchStep.take} and {@link MinibatchStep.update} return are then valid only
   * until the next draw. Default false.
   */
  reuseBatches?: boolean;
}

/** What {@link MinibatchStep.take} did: the batch drawn and the SGD step taken on it. */
export interface MinibatchStepResult {
  /** The sampler's minibatch. */
  batch: Minibatch;
  /** The SGD step (arrays are the workspace's: valid until the next step). */
  result: SgdStepResult;
}

/**
 * Draws a minibatch with a sampler, gathers it and takes a weighted step on `model`, reusing one
 * set of workspaces (see the module doc for the data flow). Call {@link MinibatchStep.draw}, then
 * {@link MinibatchStep.update} (an SGD step, θ changes) or {@link MinibatchStep.gradient} (the
 * weighted gradient only, θ stays), then {@link MinibatchStep.observe}; or
 * {@link MinibatchStep.take} for all three.
 *
 * @example The helper's steps are the hand-written loop's, bit for bit
 * ```ts
 * import { MinibatchStep } from "@lib/minibatch_step.ts";
 * import { Matrix, Mlp, Random, Sgd, uniformSampler } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const data = { name: "line", x: Matrix.row([-1, 0, 1, 2]), y: Matrix.row([-3, -1, 1, 3]), labels: null };
 * const a = Mlp.create([1, 1], { random: new Random(0) }), b = a.clone();
 * const step = new MinibatchStep(a, data, { loss: "squaredError", batchSize: 2, random: new Random(1), learningRate: 0.1 });
 * for (let t = 0; t < 5; t++) step.take();
 * // by hand: sample, gather, weighted step
 * const random = new Random(1), sampler = uniformSampler(), sgd = new Sgd(b, { loss: "squaredError", learningRate: 0.1 });
 * for (let t = 0; t < 5; t++) {
 *   const batch = sampler.sample({ model: b, data, loss: sgd.loss, batchSize: 2, random, step: t });
 *   sgd.step(data.x.gatherColumns(batch.indices), data.y.gatherColumns(batch.indices), { weights: batch.weights });
 * }
 * assert.deepEqual(a.thetas[0].data, b.thetas[0].data);
 * assert.equal(step.steps, 5);
 * ```
 */
export class MinibatchStep {
  /** The network: the sampler sees it, and {@link MinibatchStep.update} changes its θ. */
  readonly model: Mlp;
  /** The training set the indices point into. */
  readonly data: Dataset<Inputs>;
  /** The per-sample loss. */
  readonly loss: Loss;
  /** The sampler that draws each batch. */
  readonly sampler: Sampler;
  /** b. */
  readonly batchSize: number;
  /** The columns of y of the last batch drawn (k×b, reused). */
  readonly y: Matrix;
  readonly #x: Matrix;
  /** The last batch's x columns are not gathered yet: it carried its forward pass. */
  #xPending = false;
  readonly #random: Random;
  readonly #action: string;
  readonly #sgd: Sgd | null;
  #pass: MlpPass | null = null;
  #batch: Minibatch | null = null;
  readonly #allocate: ((length: number) => Float64Array) | undefined;
  /** The refilled context of every draw, with `reuseBatches` (null until the first). */
  #context: { -readonly [K in keyof SampleContext]: SampleContext[K] } | null = null;
  readonly #gatherX: InputGatherer;
  readonly #gatherY: InputGatherer;
  readonly #finiteData: boolean;
  readonly #reuseBatches: boolean;
  /** `Sgd.step`'s options, one record for every step. */
  readonly #stepOptions: SgdStepOptions;
  /** The sampler's feedback, one record for every step (valid only during `observe`). */
  readonly #feedback: Feedback;

  /**
   * A step helper for `model` on `data`; allocates the gathered x and y once.
   *
   * @throws {RangeError} naming `batchSize` when it is not an integer >= 1, or the learning rate
   *   or the loss when they are not usable
   */
  constructor(model: Mlp, data: Dataset<Inputs>, options: MinibatchStepOptions) {
    const b = options.batchSize;
    this.#action = options.action ?? "cannot take a minibatch step";
    if (!Number.isInteger(b) || b < 1) {
      throw new RangeError(`${this.#action}: batchSize must be an integer >= 1, got ${b}`);
    }
    this.model = model;
    this.data = data;
    this.loss = resolveLoss(options.loss);
    this.sampler = options.sampler ?? uniformSampler();
    this.batchSize = b;
    this.#random = options.random;
    this.#sgd = options.learningRate === undefined ? null : new Sgd(model, {
      loss: this.loss,
      learningRate: options.learningRate,
      allocate: options.allocate,
      reuseResults: options.reuseBatches ?? false,
    });
    this.#allocate = options.allocate;
    this.#finiteData = options.finiteData ?? false;
    this.#reuseBatches = options.reuseBatches ?? false;
    // gathered straight into the SGD pass's x_0 when there is one (no copy in the forward pass)
    this.#x = this.#sgd !== null && model.sizes[0] === data.x.rows
      ? this.#sgd.inputBuffer(b)
      : new Matrix(data.x.rows, b);
    this.y = new Matrix(data.y.rows, b);
    this.#gatherX = new InputGatherer(data.x);
    this.#gatherY = new InputGatherer(data.y);
    this.#stepOptions = { weights: undefined, pass: undefined, finiteInput: this.#finiteData };
    this.#feedback = new Feedback(model);
  }

  /** The SGD optimiser of {@link MinibatchStep.update} (null without a learning rate). */
  get sgd(): Sgd | null {
    return this.#sgd;
  }

  /** SGD steps taken by {@link MinibatchStep.update} so far. */
  get steps(): number {
    return this.#sgd?.steps ?? 0;
  }

  /**
   * The columns of x of the last batch drawn (d×b, reused). A batch that carries its forward pass
   * does not need them for its step, so they are gathered only when read.
   */
  get x(): Matrix {
    if (this.#xPending) {
      this.#xPending = false;
      this.#gatherInputs(this.#batch!.indices);
    }
    return this.#x;
  }

  /** The last batch drawn, or null before the first draw. */
  get batch(): Minibatch | null {
    return this.#batch;
  }

  /**
   * Draws a batch with the sampler (the context's step is `step`, default the SGD steps taken),
   * checks it, and gathers its columns into {@link MinibatchStep.x} and {@link MinibatchStep.y}.
   *
   * @throws {RangeError} `<action>: sampler '<name>' at step <step + 1> returned …` for a batch of
   *   the wrong size, an index outside [0, N), a weight that is negative or not finite, or a
   *   scoring cost that is negative or not finite
   */
  draw(step: number = this.steps): Minibatch {
    // with reuse, one context record refilled (`SampleContext.reuse`); else a new one per draw,
    // which a sampler may keep
    let context = this.#context;
    if (context === null) {
      const { model, data, loss, batchSize } = this;
      context = {
        model,
        data,
        loss,
        batchSize,
        random: this.#random,
        step,
        reuse: this.#reuseBatches,
        finiteData: this.#finiteData,
      };
      if (this.#reuseBatches) this.#context = context;
    }
    context.step = step;
    const batch = this.sampler.sample(context);
    this.#check(batch, step + 1);
    this.#xPending = batch.pass !== undefined;
    if (!this.#xPending) this.#gatherInputs(batch.indices);
    this.#gatherY.gather(batch.indices, this.y);
    this.#batch = batch;
    return batch;
  }

  /**
   * One weighted SGD step on the batch drawn last: θ ← θ − η_t g (see `Sgd.step`). When the batch
   * carries a forward pass (`Minibatch.pass`), the step uses it instead of running its own.
   *
   * @throws {RangeError} when nothing was drawn or no learning rate was given; and as `Sgd.step`
   */
  update(): SgdStepResult {
    const batch = this.#drawn("an SGD step");
    if (this.#sgd === null) {
      throw new RangeError(`${this.#action}: an SGD step needs a learningRate`);
    }
    // with a carried pass the step reads only x's shape, so its columns stay ungathered
    const options = this.#stepOptions;
    options.weights = batch.weights;
    options.pass = batch.pass;
    return this.#sgd.step(batch.pass === undefined ? this.x : this.#x, this.y, options);
  }

  /**
   * The weighted gradient of (1/b) Σ_j w_j ℓ_{I_j} on the batch drawn last, at the current θ
   * (not changed), in a reused pass (see `Mlp.lossAndGradient`).
   *
   * @throws {RangeError} when nothing was drawn; and as `Mlp.lossAndGradient`
   */
  gradient(): LossAndGradient {
    const batch = this.#drawn("a gradient");
    this.#pass ??= new MlpPass(this.model.sizes, this.batchSize, { allocate: this.#allocate });
    return this.model.lossAndGradient(this.x, this.y, {
      loss: this.loss,
      weights: batch.weights,
      pass: this.#pass,
    });
  }

  /**
   * Tells the sampler (when it has `observe`) about the step just taken on the batch drawn last:
   * its number, the losses and pass at θ before the update, and the exact per-sample gradient
   * norms, computed on the first call.
   */
  observe(result: SgdStepResult): void {
    const sampler = this.sampler;
    if (!sampler.observe) return;
    const feedback = this.#feedback;
    feedback.batch = this.#drawn("feedback to the sampler");
    feedback.step = result.step;
    feedback.losses = result.values;
    feedback.pass = result.pass;
    feedback.weights = result.weights;
    feedback.norms = null;
    sampler.observe(feedback);
  }

  /** {@link MinibatchStep.draw} at the steps taken, {@link MinibatchStep.update}, then {@link MinibatchStep.observe}. */
  take(): MinibatchStepResult {
    const batch = this.draw();
    const result = this.update();
    this.observe(result);
    return { batch, result };
  }

  #gatherInputs(indices: Int32Array): void {
    this.#gatherX.gather(indices, this.#x);
  }

  #drawn(what: string): Minibatch {
    if (this.#batch === null) {
      throw new RangeError(`${this.#action}: ${what} needs a batch: call draw() first`);
    }
    return this.#batch;
  }

  #check(batch: Minibatch, step: number): void {
    const b = this.batchSize, n = this.data.x.cols;
    if (batch?.indices?.length !== b) {
      throw this.#failure(step, `returned ${batch?.indices?.length} indices for a batch of ${b}`);
    }
    if (batch.weights?.length !== b) {
      throw this.#failure(step, `returned ${batch.weights?.length} weights for a batch of ${b}`);
    }
    const j = firstBadEntry(batch, n);
    if (j >= 0) {
      const i = batch.indices[j], w = batch.weights[j];
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw this.#failure(step, `returned index ${i} at position ${j}, outside [0, ${n})`);
      }
      throw this.#failure(step, `returned weight ${w} at position ${j}`);
    }
    const cost = batch.forwardEquivalents;
    if (!(cost >= 0) || cost === Infinity) {
      throw this.#failure(step, `returned a scoring cost of ${cost}`);
    }
  }

  /** The error of a bad batch (a method: a closure here would be built at every draw). */
  #failure(step: number, message: string): RangeError {
    return new RangeError(
      `${this.#action}: sampler '${this.sampler.name}' at step ${step} ${message}`,
    );
  }
}

/**
 * The first position whose index is not an integer in [0, n) or whose weight is not finite and
 * >= 0, or −1. A loop that throws nothing: with the throws (whose messages quote the values)
 * inside it, the optimised draw boxed a presampler's weights, about 25 bytes a step
 * (bench/allocation_probe.ts).
 */
function firstBadEntry(batch: Minibatch, n: number): number {
  const { indices, weights } = batch;
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j], w = weights[j];
    if (!Number.isInteger(i) || i < 0 || i >= n || !(w >= 0) || w === Infinity) return j;
  }
  return -1;
}

/**
 * The sampler's feedback on a step, one record per {@link MinibatchStep} refilled at each step
 * (feedback is valid only during `observe`): the per-sample gradient norms are computed on the
 * first call of `gradientNorms` after a refill, by a function built once.
 */
class Feedback implements StepFeedback {
  step = 0;
  batch: Minibatch = EMPTY_BATCH;
  losses: Float64Array = EMPTY;
  pass!: MlpPass;
  weights: Float64Array = EMPTY;
  norms: Float64Array | null = null;
  readonly gradientNorms: () => Float64Array;

  constructor(model: Mlp) {
    this.gradientNorms = () =>
      this.norms ??= model.perSampleGradientNorms(this.pass, { weights: this.weights });
  }
}

const EMPTY = new Float64Array(0);
const EMPTY_BATCH: Minibatch = {
  indices: new Int32Array(0),
  weights: EMPTY,
  forwardEquivalents: 0,
};
