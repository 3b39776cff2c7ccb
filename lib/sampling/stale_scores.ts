/**
 * Importance sampling over all N training samples from stale upper-bound scores, mixed with
 * uniform sampling to bound the weights.
 *
 * Source: the stale-score sampler of issue 12 ("When does importance sampling pay?"), built on
 * Katharopoulos & Fleuret 2018's upper bound s_i = ‖∂ℓ_i/∂z_L‖ (= ‖softmax(z_L) − y‖ for softmax
 * cross-entropy; lib/sampling/scores.ts). Instead of scoring a presample at every step, each
 * sample keeps the score of the last training step that used it: the step's own forward pass
 * holds δ_L, so refreshing the b drawn scores costs nothing beyond the step.
 *
 * Draws: b indices with replacement from p_i = (1 − α)·s_i/Σs + α/N, weights
 * w_i = 1/(N p_i) = 1/((1 − α)·N·s_i/Σs + α) ≤ 1/α (computed in that form, so the bound holds
 * in floating point too). When every score is 0 (or α = 1), p is uniform and w_i = 1.
 *
 * Cost in forward-equivalents: N for the first scoring pass (unless `initialScore` is given, then
 * 0), N for each optional full refresh every E steps (reported in the {@link Minibatch} of the step
 * that pays it), and 0 otherwise: the b scores are read from the step's pass, and drawing and
 * updating are O(b log N) in a {@link SumTree}.
 *
 * Bias: none. Given the scores held when `sample` is called, E[(1/b) Σ_j w_j ∇ℓ_{I_j}] = ∇L
 * exactly, however stale the scores are: staleness changes p, hence the variance, never the mean
 * (tests/stale_scores_test.ts checks it by enumerating every draw). Stale scores can make p small
 * for a sample whose loss has grown, and its weight large: the mixing with uniform caps it at 1/α.
 *
 * Staleness is exposed as data: the age (steps since its score was computed) of each drawn
 * sample, their mean, and the mean age over all N.
 *
 * @module
 */
import { columnSquaredNorms } from "../kernels/mod.ts";
import type { Dataset, Inputs } from "../datasets.ts";
import type { Loss } from "../losses.ts";
import type { Mlp } from "../mlp.ts";
import {
  checkBatch,
  type Minibatch,
  type SampleContext,
  type Sampler,
  type StepFeedback,
} from "./sampler.ts";
import { Scorer } from "./scores.ts";
import { SumTree } from "./sum_tree.ts";

/** Options of {@link staleScoreSampler}. */
export interface StaleScoreOptions {
  /** α in (0, 1], the share of uniform sampling; weights are at most 1/α. Default 0.5. */
  alpha?: number;
  /**
   * E: rescore all N samples (cost N) when E steps have passed since the last full scoring.
   * Default Infinity: only the first scoring pass.
   */
  refreshEvery?: number;
  /**
   * Start every score at this value instead of scoring all N samples (cost 0 instead of N). A
   * high value (√2 bounds the softmax cross-entropy score) makes unvisited samples likely.
   */
  initialScore?: number;
  /** Columns per forward pass of a full scoring. Default 1000. */
  chunk?: number;
  /** The name shown in tables. Default "stale scores (α = <alpha>)". */
  name?: string;
}

/**
 * The stale-score sampler (see the module doc), a class so that its state reads without
 * allocation. `sample` returns the same {@link Minibatch} object and arrays at every call (valid
 * until the next `sample`; `reset` allocates new ones), so the steady state allocates nothing.
 *
 * @example Weights bounded by 1/α, scores refreshed from the step, ages counted
 * ```ts
 * import { staleScoreSampler } from "@lib/sampling/stale_scores.ts";
 * import { Matrix, Mlp, Random, identity, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[1, 0]])], [identity]); // x_L = x
 * const data = { name: "toy", x: Matrix.row([0, 0, 0, 0]), y: Matrix.row([1, 1, 1, 5]), labels: null };
 * const sampler = staleScoreSampler({ alpha: 0.5 });
 * const context = { model, data, loss: squaredError, batchSize: 3, random: new Random(1), step: 0 };
 * assert.deepEqual(Array.from(sampler.distribution(context)), [0.1875, 0.1875, 0.1875, 0.4375]);
 * const batch = sampler.sample(context);
 * assert.equal(batch.forwardEquivalents, 4); // the first scoring pass over N = 4
 * batch.weights.forEach((w) => assert.ok(w <= 2));
 * assert.deepEqual(Array.from(sampler.ages), [0, 0, 0]);
 * assert.equal(sampler.sample({ ...context, step: 5 }).forwardEquivalents, 0);
 * assert.deepEqual(Array.from(sampler.ages), [5, 5, 5]); // no step has refreshed a score
 * ```
 */
export class StaleScoreSampler implements Sampler {
  /** The name shown in tables. */
  readonly name: string;
  /** α, the share of uniform sampling. */
  readonly alpha: number;
  /** E, the steps between full scorings (Infinity: none after the first). */
  readonly refreshEvery: number;
  readonly #initialScore: number | undefined;
  readonly #chunk: number;
  readonly #scorers = new Map<Loss, Scorer>();
  readonly #mix: Float64Array;
  #tree: SumTree | null = null;
  #refreshedAt: Int32Array = new Int32Array(0);
  #refreshedSum = 0;
  #scoredAt = 0;
  #model: Mlp | null = null;
  #data: Dataset<Inputs> | null = null;
  #batch: { indices: Int32Array; weights: Float64Array; forwardEquivalents: number } = {
    indices: new Int32Array(0),
    weights: new Float64Array(0),
    forwardEquivalents: 0,
  };
  #ages: Int32Array = new Int32Array(0);
  #norms: Float64Array = new Float64Array(0);
  #step = 0;
  #fullScorings = 0;
  #scoringCost = 0;

  /** @throws {RangeError} for options out of range */
  constructor(options: StaleScoreOptions = {}) {
    const action = "cannot make a stale-score sampler";
    const alpha = options.alpha ?? 0.5;
    if (!(alpha > 0 && alpha <= 1)) {
      throw new RangeError(`${action}: alpha must be in (0, 1], got ${alpha}`);
    }
    const every = options.refreshEvery ?? Infinity;
    if (every !== Infinity && !(Number.isInteger(every) && every >= 1)) {
      throw new RangeError(
        `${action}: refreshEvery must be an integer >= 1 or Infinity, got ${every}`,
      );
    }
    const initial = options.initialScore;
    if (initial !== undefined && !(initial >= 0 && initial < Infinity)) {
      throw new RangeError(`${action}: initialScore must be finite and >= 0, got ${initial}`);
    }
    const chunk = options.chunk ?? 1000;
    if (!Number.isInteger(chunk) || chunk < 1) {
      throw new RangeError(`${action}: chunk must be an integer >= 1, got ${chunk}`);
    }
    this.alpha = alpha;
    this.refreshEvery = every;
    this.#initialScore = initial;
    this.#chunk = chunk;
    this.#mix = Float64Array.of(alpha, 1);
    this.name = options.name ?? `stale scores (α = ${alpha})`;
  }

  /** The N scores s_i held now (a view; null before the first `sample`). Do not modify. */
  get scores(): Float64Array | null {
    const tree = this.#tree;
    return tree === null ? null : tree.nodes.subarray(tree.leaves, tree.leaves + tree.size);
  }

  /** For each sample, the step count t at which θ_t gave its score. Do not modify. */
  get refreshedAt(): Int32Array {
    return this.#refreshedAt;
  }

  /** The age t − refreshedAt of each sample drawn by the last `sample` (at step t). */
  get ages(): Int32Array {
    return this.#ages;
  }

  /** The mean of {@link StaleScoreSampler.ages}: how stale the scores of the last batch were. */
  get meanAge(): number {
    const a = this.#ages;
    let s = 0;
    for (let j = 0; j < a.length; j++) s += a[j];
    return a.length === 0 ? 0 : s / a.length;
  }

  /** The mean age over all N scores at the step of the last `sample`. */
  get populationMeanAge(): number {
    const n = this.#refreshedAt.length;
    return n === 0 ? 0 : this.#step - this.#refreshedSum / n;
  }

  /** Full scorings of all N since the last reset (the first one included). */
  get fullScorings(): number {
    return this.#fullScorings;
  }

  /** Forward-equivalents spent on full scorings since the last reset. */
  get scoringCost(): number {
    return this.#scoringCost;
  }

  /** Draws b indices from p (see the module doc), scoring all N first when due. */
  sample(context: SampleContext): Minibatch {
    const n = checkBatch(context.data, context.batchSize, `the sampler '${this.name}'`);
    const b = context.batchSize, step = context.step;
    let cost = 0;
    if (this.#stale(context)) cost = this.#scoreAll(context);
    if (this.#batch.indices.length !== b) {
      this.#batch = {
        indices: new Int32Array(b),
        weights: new Float64Array(b),
        forwardEquivalents: 0,
      };
      this.#ages = new Int32Array(b);
      this.#norms = new Float64Array(b);
    }
    const tree = this.#tree!, total = tree.total, alpha = this.alpha, random = context.random;
    const { indices, weights } = this.#batch, ages = this.#ages, refreshedAt = this.#refreshedAt;
    const uniform = alpha === 1 || !(total > 0), scale = (1 - alpha) * n / total;
    for (let j = 0; j < b; j++) {
      let i: number;
      if (uniform) i = random.int(n);
      else i = random.fromCumulative(this.#mix) === 0 ? random.int(n) : tree.draw(random);
      indices[j] = i;
      weights[j] = uniform ? 1 : 1 / (scale * tree.get(i) + alpha);
      ages[j] = step - refreshedAt[i];
    }
    this.#step = step;
    this.#batch.forwardEquivalents = cost;
    return this.#batch;
  }

  /**
   * Sets the scores of the batch just trained on from its pass, at no forward cost: the step's
   * δ_L is (w_j / b)·∂ℓ_j/∂z_L (lib/sgd.ts), so s_j = ‖δ_L^(j)‖·b/w_j, the upper bound at θ before
   * the update (step − 1 in `context.step` terms).
   *
   * @throws {RangeError} when the batch is not this sampler's last one or a score is not finite
   */
  observe(feedback: StepFeedback): void {
    const tree = this.#tree, { batch, pass } = feedback, b = batch.indices.length;
    if (tree === null || batch.indices !== this.#batch.indices || pass.batch !== b) {
      throw new RangeError(
        `cannot update the stale scores of '${this.name}': the step's batch is not the one it drew last`,
      );
    }
    const delta = pass.deltas[pass.deltas.length - 1], norms = this.#norms, at = feedback.step - 1;
    columnSquaredNorms(delta.data, { out: norms, rows: delta.rows, cols: b });
    for (let j = 0; j < b; j++) {
      const i = batch.indices[j], w = batch.weights[j];
      const s = Math.sqrt(norms[j]) * b / w;
      if (!(s < Infinity)) {
        throw new RangeError(
          `cannot update the stale score of sample ${i} at step ${feedback.step}: it is ${s} (the step diverged?)`,
        );
      }
      tree.set(i, s);
      this.#refreshedSum += at - this.#refreshedAt[i];
      this.#refreshedAt[i] = at;
    }
  }

  /** Forgets the scores (the next `sample` scores all N again) and allocates new batch arrays. */
  reset(): void {
    this.#tree = null;
    this.#refreshedAt = new Int32Array(0);
    this.#refreshedSum = this.#scoredAt = this.#step = 0;
    this.#model = this.#data = null;
    this.#batch = {
      indices: new Int32Array(0),
      weights: new Float64Array(0),
      forwardEquivalents: 0,
    };
    this.#ages = new Int32Array(0);
    this.#fullScorings = this.#scoringCost = 0;
  }

  /**
   * p, the distribution `sample(context)` would draw from now (scoring all N, without keeping the
   * scores, when a full scoring is due).
   */
  distribution(context: SampleContext): Float64Array {
    const n = context.data.x.cols, alpha = this.alpha;
    let s: Float64Array, total = 0;
    if (!this.#stale(context)) {
      s = this.scores!;
      total = this.#tree!.total;
    } else {
      s = this.#first(context) && this.#initialScore !== undefined
        ? new Float64Array(n).fill(this.#initialScore)
        : this.#scorer(context.loss).scoreColumns(context.model, context.data);
      total = SumTree.from(s).total; // summed as the tree sums
    }
    const p = new Float64Array(n), uniform = alpha === 1 || !(total > 0);
    for (let i = 0; i < n; i++) p[i] = uniform ? 1 / n : (1 - alpha) * s[i] / total + alpha / n;
    return p;
  }

  #first({ model, data }: SampleContext): boolean {
    return this.#tree === null || this.#tree.size !== data.x.cols || model !== this.#model ||
      data !== this.#data;
  }

  #stale({ model, data, step }: SampleContext): boolean {
    return this.#tree === null || model !== this.#model || data !== this.#data ||
      step < this.#scoredAt || step - this.#scoredAt >= this.refreshEvery;
  }

  #scorer(loss: Loss): Scorer {
    let scorer = this.#scorers.get(loss);
    if (scorer === undefined) {
      scorer = new Scorer("upperBound", { loss, chunk: this.#chunk });
      this.#scorers.set(loss, scorer);
    }
    return scorer;
  }

  /** Scores all N at θ_t (or sets them to the initial score at the start); returns the cost. */
  #scoreAll(context: SampleContext): number {
    const { model, data, step } = context, n = data.x.cols;
    const first = this.#first(context);
    if (first) {
      this.#tree = new SumTree(n);
      this.#refreshedAt = new Int32Array(n);
    }
    const tree = this.#tree!;
    let cost = 0;
    if (first && this.#initialScore !== undefined) {
      tree.nodes.fill(this.#initialScore, tree.leaves, tree.leaves + n);
    } else {
      const scorer = this.#scorer(context.loss);
      scorer.scoreColumns(model, data, {
        out: tree.nodes.subarray(tree.leaves, tree.leaves + n),
        finiteInput: context.finiteData === true,
      });
      cost = scorer.cost(n);
      this.#fullScorings++;
      this.#scoringCost += cost;
    }
    tree.setAll(tree.nodes.subarray(tree.leaves, tree.leaves + n));
    this.#refreshedAt.fill(step);
    this.#refreshedSum = step * n;
    this.#scoredAt = step;
    this.#model = model;
    this.#data = data;
    return cost;
  }
}

/**
 * A {@link StaleScoreSampler} (see the module doc for its source, cost and bias).
 *
 * @throws {RangeError} for options out of range
 * @example
 * ```ts
 * import { staleScoreSampler } from "@lib/sampling/stale_scores.ts";
 * import assert from "node:assert/strict";
 * const sampler = staleScoreSampler({ alpha: 0.25, refreshEvery: 500 });
 * assert.equal(sampler.name, "stale scores (α = 0.25)");
 * assert.throws(() => staleScoreSampler({ alpha: 0 }), /alpha must be in \(0, 1\]/);
 * ```
 */
export function staleScoreSampler(options: StaleScoreOptions = {}): StaleScoreSampler {
  return new StaleScoreSampler(options);
}
