/**
 * Minibatch samplers: how `fit()` (lib/train.ts) picks the b samples of each SGD step and their weights.
 *
 * A sampler draws indices I_1..I_b into the training set (with replacement, unless it says
 * otherwise) and weights w_j such that the weighted minibatch gradient (1/b) Σ_j w_j ∇ℓ_{I_j} is
 * an unbiased estimate of the full gradient (1/N) Σ_i ∇ℓ_i. Drawing from a distribution p over
 * the N samples, that is w_i = 1/(N p_i); inside a uniform presample of size B, w_i = 1/(B p_i).
 * Uniform sampling is p_i = 1/N, w_i = 1.
 *
 * What an importance sampler can use:
 * - in {@link Sampler.sample}: the model at the current θ, the training data and the loss, to run
 *   a forward pass on a presample (and report its cost in forward-equivalents);
 * - in {@link Sampler.observe}, after each step: the per-sample losses of the batch, its pass, and
 *   on demand the exact per-sample gradient norms ‖∇ℓ_i‖ (at θ before the update).
 *
 * @module
 */
import type { Dataset, Inputs } from "../datasets.ts";
import type { Loss } from "../losses.ts";
import type { Mlp, MlpPass } from "../mlp.ts";
import type { Random } from "../random.ts";

/** What a sampler is given to draw one minibatch. */
export interface SampleContext {
  /** The network at the current θ_t. Read it, run forward passes; do not change θ. */
  readonly model: Mlp;
  /** The training set; indices point at its columns. */
  readonly data: Dataset<Inputs>;
  /** The per-sample loss being minimised. */
  readonly loss: Loss;
  /** b, the number of draws to return. */
  readonly batchSize: number;
  /** The sampler's own random stream (forked from the training seed). */
  readonly random: Random;
  /** t, the number of SGD steps taken so far (0 before the first). */
  readonly step: number;
  /**
   * The caller reads the batch returned only until its next `sample` call and keeps none of it
   * (as `fit` does): the sampler may then return the same record and arrays at every draw,
   * refilled, so that drawing allocates nothing; and the caller refills this context record for
   * the next draw, so the sampler reads it during the call and keeps none of it either. Default
   * false: a new batch and a new context each time.
   */
  readonly reuse?: boolean;
  /**
   * Every entry of `data.x` is known finite (the caller checked the data set, as `fit` does):
   * scoring passes need not scan their gathered inputs again. Default false.
   */
  readonly finiteData?: boolean;
}

/** One drawn minibatch. */
export interface Minibatch {
  /** b column indices into the training set, repeats allowed. */
  readonly indices: Int32Array;
  /** b weights w_j >= 0, finite, making the weighted mean gradient unbiased (see the module doc). */
  readonly weights: Float64Array;
  /**
   * The cost of choosing this batch in forward-equivalents (a forward pass of one sample counts 1,
   * a backward pass 2), beyond the step's own 3b: 0 for uniform, B for scoring a presample of B
   * samples by a forward pass.
   */
  readonly forwardEquivalents: number;
  /**
   * Optional: a forward pass over exactly these b columns, in order, at the current θ, with the
   * same bits `model.forward` would give (batch size b; x_0 .. x_L filled, and z_l wherever layer
   * l's activation reads z in its backward pass, `Activation.backwardReadsZ`). When
   * present, the step uses it instead of running the forward pass: x and y are still gathered
   * (for the loss), and the step's backward pass runs in this pass, overwriting its δ_l and ∇θ_l.
   * Counting the forward pass the sampler saved (the step then costs 2b, not 3b,
   * forward-equivalents) is the sampler's business, through `forwardEquivalents`.
   */
  readonly pass?: MlpPass;
}

/** What the trainer tells a sampler after each step. Valid only during the call. */
export interface StepFeedback {
  /** The step just taken, counted from 1. */
  readonly step: number;
  /** The batch the step used: the sampler's own minibatch. */
  readonly batch: Minibatch;
  /** The per-sample losses ℓ_i (unweighted) of the batch at θ before the update. */
  readonly losses: Float64Array;
  /** The step's forward and backward pass at θ before the update (a workspace, reused). */
  readonly pass: MlpPass;
  /**
   * The exact per-sample gradient norms ‖∇_Θ ℓ_i‖ of the batch at θ before the update, computed
   * from `pass` on first call (about one elementwise pass over the activations; not counted as
   * forward-equivalents).
   */
  gradientNorms(): Float64Array;
}

/**
 * Draws the minibatches of SGD. Samplers may keep state (scores, a moving average): `fit()` calls
 * `reset` before training, so that one sampler object can serve several seeded runs.
 *
 * @example An importance sampler from a fixed distribution p, with weights 1/(N p_i)
 * ```ts
 * import type { Sampler } from "@lib/sampling/sampler.ts";
 * import { fit } from "@lib/train.ts";
 * import { cumulative, Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const p = [0.1, 0.2, 0.3, 0.4], cdf = cumulative(p);
 * const sampler: Sampler = {
 *   name: "fixed p",
 *   sample({ data, batchSize, random }) {
 *     const indices = new Int32Array(batchSize), weights = new Float64Array(batchSize);
 *     for (let j = 0; j < batchSize; j++) {
 *       indices[j] = random.fromCumulative(cdf);
 *       weights[j] = 1 / (data.x.cols * p[indices[j]]);
 *     }
 *     return { indices, weights, forwardEquivalents: 0 };
 *   },
 *   distribution: () => Float64Array.from(p),
 * };
 * const data = { name: "toy", x: Matrix.row([-1, 0, 1, 2]), y: Matrix.row([-2, 0, 2, 4]), labels: null };
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * const history = await fit(model, data, {
 *   loss: "squaredError", random: new Random(1), batchSize: 2, learningRate: 0.05, steps: 300,
 *   sampler, progress: "none",
 * });
 * assert.ok(history.at(-1)!.train_loss < 1e-6);
 * ```
 */
export interface Sampler {
  /** A short name for tables and charts ("uniform", "upper bound", …). */
  readonly name: string;
  /** Draws b indices and their weights. */
  sample(context: SampleContext): Minibatch;
  /** Receives the losses (and, on demand, gradient norms) of the step just taken. */
  observe?(feedback: StepFeedback): void;
  /** Forgets any state from an earlier run. */
  reset?(): void;
  /**
   * The distribution p over the N training samples that `sample` draws from at the current θ,
   * where there is one (not for two-stage presampling). Used for the closed form of the
   * convergence speed S.
   */
  distribution?(context: SampleContext): Float64Array;
}

/** Options of {@link uniformSampler}. */
export interface UniformSamplerOptions {
  /** Draw with replacement (i.i.d. draws, the default) or b distinct samples per batch. */
  replacement?: boolean;
}

/**
 * Uniform sampling: p_i = 1/N, every weight 1, no scoring cost. With replacement (the default)
 * the b draws are independent; without, they are b distinct samples (a partial Fisher–Yates
 * shuffle), which is also unbiased with weights 1.
 *
 * @example Indices in range, weights 1, nothing spent on scoring
 * ```ts
 * import { uniformSampler } from "@lib/sampling/sampler.ts";
 * import { Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const data = { name: "toy", x: Matrix.row([0, 1, 2, 3]), y: Matrix.row([0, 1, 4, 9]), labels: null };
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * const context = { model, data, loss: squaredError, batchSize: 3, random: new Random(1), step: 0 };
 * const batch = uniformSampler().sample(context);
 * assert.equal(batch.indices.length, 3);
 * assert.ok(batch.indices.every((i) => i >= 0 && i < 4));
 * assert.deepEqual(Array.from(batch.weights), [1, 1, 1]);
 * assert.equal(batch.forwardEquivalents, 0);
 * const distinct = uniformSampler({ replacement: false }).sample({ ...context, batchSize: 4 });
 * assert.deepEqual([...distinct.indices].sort(), [0, 1, 2, 3]);
 * ```
 */
export function uniformSampler(options: UniformSamplerOptions = {}): Sampler {
  const replacement = options.replacement ?? true;
  let pool: Int32Array | null = null;
  let kept: { indices: Int32Array; weights: Float64Array; forwardEquivalents: number } | null =
    null;
  const shuffle = { count: 0, random: null as unknown as Random };
  return {
    name: replacement ? "uniform" : "uniform without replacement",
    sample({ data, batchSize: b, random, reuse }) {
      const n = checkBatch(data, b, "uniform sampler");
      // with `reuse`, one batch record refilled at each draw (its weights stay 1)
      if (reuse && (kept === null || kept.indices.length !== b)) {
        kept = {
          indices: new Int32Array(b),
          weights: new Float64Array(b).fill(1),
          forwardEquivalents: 0,
        };
      }
      const indices = reuse ? kept!.indices : new Int32Array(b);
      if (replacement) {
        for (let j = 0; j < b; j++) indices[j] = random.int(n);
      } else {
        if (b > n) {
          throw new RangeError(
            `cannot draw with the uniform sampler: ${b} distinct samples requested without replacement from ${n}`,
          );
        }
        if (pool === null || pool.length !== n) pool = Int32Array.from({ length: n }, (_, i) => i);
        shuffle.count = b;
        shuffle.random = random;
        partialShuffle(pool, shuffle);
        for (let j = 0; j < b; j++) indices[j] = pool[j];
      }
      if (reuse) return kept!;
      return { indices, weights: new Float64Array(b).fill(1), forwardEquivalents: 0 };
    },
    reset() {
      pool = null;
    },
    distribution({ data }) {
      const n = data.x.cols;
      return new Float64Array(n).fill(1 / n);
    },
  };
}

/**
 * Moves `count` entries of `pool`, drawn uniformly without replacement, to its front, in place
 * (a partial Fisher–Yates shuffle: position j swaps with a uniform position in [j, n)), and
 * returns `pool`. Each swap draws one `random.int`; the rest of the pool keeps the other entries,
 * so a pool reused across calls stays a permutation.
 *
 * @throws {RangeError} when count is not an integer in [0, pool.length]
 * @example
 * ```ts
 * import { partialShuffle } from "@lib/sampling/sampler.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const pool = Int32Array.from([0, 1, 2, 3, 4, 5]);
 * const front = partialShuffle(pool, { count: 3, random: new Random(1) }).slice(0, 3);
 * assert.equal(new Set(front).size, 3);
 * assert.deepEqual([...pool].sort(), [0, 1, 2, 3, 4, 5]);
 * ```
 */
export function partialShuffle(
  pool: Int32Array,
  { count, random }: { count: number; random: Random },
): Int32Array {
  const n = pool.length;
  if (!Number.isInteger(count) || count < 0 || count > n) {
    throw new RangeError(
      `cannot shuffle a pool of ${n}: count must be an integer in [0, ${n}], got ${count}`,
    );
  }
  for (let j = 0; j < count; j++) {
    const k = j + random.int(n - j);
    const t = pool[j];
    pool[j] = pool[k];
    pool[k] = t;
  }
  return pool;
}

/**
 * N, after checking that a batch of b can be drawn from `data`. For samplers' own checks.
 *
 * @throws {RangeError} naming `batchSize` when b is not an integer >= 1, or when the data set is
 * empty
 * @example
 * ```ts
 * import { checkBatch } from "@lib/sampling/sampler.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const data = { name: "toy", x: Matrix.zeros(2, 5), y: Matrix.zeros(1, 5), labels: null };
 * assert.equal(checkBatch(data, 3, "my sampler"), 5);
 * assert.throws(() => checkBatch(data, 0, "my sampler"), /cannot draw with my sampler: batchSize/);
 * ```
 */
export function checkBatch(data: Dataset<Inputs>, batchSize: number, sampler: string): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `cannot draw with ${sampler}: batchSize must be an integer >= 1, got ${batchSize}`,
    );
  }
  const n = data.x.cols;
  if (n < 1) {
    throw new RangeError(`cannot draw with ${sampler}: the data set '${data.name}' is empty`);
  }
  return n;
}
