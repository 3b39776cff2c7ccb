/**
 * Baselines that the importance-sampling experiments compare with, beyond uniform sampling and
 * the paper's upper bound:
 * - {@link lossProportionalSampler}: K&F's own "loss" baseline, Algorithm 1 with p ∝ ℓ_i;
 * - {@link onlineBatchSelectionSampler}: Loshchilov & Hutter's rank-based online batch selection
 *   (ICLR 2016 workshop, arXiv 1511.06343), a history-based and biased scheme.
 *
 * Sources: Katharopoulos & Fleuret, ICML 2018, §4 ("loss" baseline); Loshchilov & Hutter,
 * "Online batch selection for faster training of neural networks", 2015; the formulas as in the
 * reference implementation idiap/importance-sampling (samplers.py, OnlineBatchSelectionSampler).
 *
 * @module
 */
import type { Dataset, Inputs } from "../datasets.ts";
import type { Loss } from "../losses.ts";
import type { Mlp } from "../mlp.ts";
import { drawWithWeights } from "./importance_sampler.ts";
import { type Presampler, presampler, type PresamplerOptions } from "./presampler.ts";
import { checkBatch, type SampleContext, type Sampler } from "./sampler.ts";
import { lossScore, Scorer } from "./scores.ts";

/**
 * K&F's "loss" baseline: their Algorithm 1 (presampling, weights 1/(B p_j), the τ switch) with
 * p_j ∝ ℓ_j instead of the upper bound. It is unbiased; it differs from the upper bound only in
 * which samples it favours (for squared error with the identity output the bound is √(2ℓ), so
 * loss sampling is the more peaked of the two). For p ∝ ℓ over all N samples use
 * `importanceSampler({ score: "loss" })`.
 *
 * @example
 * ```ts
 * import { lossProportionalSampler } from "@lib/sampling/baselines.ts";
 * import assert from "node:assert/strict";
 * const sampler = lossProportionalSampler({ presample: 5 });
 * assert.equal(sampler.name, "presampled loss");
 * assert.equal(sampler.score.name, "loss");
 * ```
 */
export function lossProportionalSampler(
  options: Omit<PresamplerOptions, "score"> = {},
): Presampler {
  return presampler({ ...options, score: lossScore });
}

/** Options of {@link onlineBatchSelectionSampler}. */
export interface OnlineBatchSelectionOptions {
  /**
   * s_e > 0: the highest-ranked sample is drawn s_e^((N−1)/N) ≈ s_e times as often as the lowest.
   * Default 100 (L&H's s_e0 for MNIST; they also anneal it, which is not done here).
   */
  selectionPressure?: number;
  /** Re-rank the samples by their latest known losses every k steps. Default ⌈N/b⌉ (an epoch). */
  rerankEvery?: number;
  /** Recompute the loss of every sample every k steps (cost N). Default: only at the start. */
  recomputeEvery?: number;
  /**
   * Weights 1/(N p_i), making the estimate unbiased. Default false: weights 1, as L&H, whose
   * scheme is biased towards the samples of high loss.
   */
  reweight?: boolean;
  /** Columns per forward pass when scoring. Default 1000. */
  chunk?: number;
  /** The name shown in tables. Default "online batch selection". */
  name?: string;
}

/** What an online batch selection sampler holds. Arrays are its own: do not modify. */
export interface OnlineBatchSelectionState {
  /** The latest known loss of every sample (null before the first step). */
  readonly losses: Float64Array | null;
  /** The distribution drawn from (by the ranks of the last re-ranking). */
  readonly probabilities: Float64Array | null;
  /** The step count of the last re-ranking, or null. */
  readonly rankedAt: number | null;
}

/** A rank-based online batch selection sampler, with its state exposed. */
export interface OnlineBatchSelectionSampler extends Sampler {
  /** The state after the last `sample` or `observe`. */
  readonly state: OnlineBatchSelectionState;
}

/**
 * Rank-based online batch selection (Loshchilov & Hutter 2015): rank the N samples by their
 * latest known loss, r_i = 0 for the largest, and draw with replacement from
 * p_i ∝ exp(−r_i ln(s_e) / N). The latest known losses are those of the batches trained on
 * (`observe`), plus a full recomputation at the first step and every `recomputeEvery` steps,
 * which is what the reported forward-equivalents count (N each). Not unbiased unless `reweight`.
 *
 * @throws {RangeError} for bad options
 * @example The sample of highest loss is drawn most, with weight 1 (biased, as the source)
 * ```ts
 * import { onlineBatchSelectionSampler } from "@lib/sampling/baselines.ts";
 * import { Matrix, Mlp, Random, identity, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[1, 0]])], [identity]);
 * const data = { name: "toy", x: Matrix.zeros(1, 3), y: Matrix.row([1, 3, 2]), labels: null };
 * const sampler = onlineBatchSelectionSampler({ selectionPressure: 9 });
 * const context = { model, data, loss: squaredError, batchSize: 2, random: new Random(1), step: 0 };
 * const p = sampler.distribution!(context); // ∝ 9^(−r/3) for ranks r = 2, 0, 1
 * assert.ok(p[1] > p[2] && p[2] > p[0]);
 * assert.ok(Math.abs(p[1] / p[0] - 9 ** (2 / 3)) < 1e-12);
 * const batch = sampler.sample(context);
 * assert.deepEqual(Array.from(batch.weights), [1, 1]);
 * assert.equal(batch.forwardEquivalents, 3); // the losses of all N at the first step
 * ```
 */
export function onlineBatchSelectionSampler(
  options: OnlineBatchSelectionOptions = {},
): OnlineBatchSelectionSampler {
  const action = "make an online batch selection sampler";
  const pressure = options.selectionPressure ?? 100;
  if (!(pressure > 0) || pressure === Infinity) {
    throw new RangeError(
      `cannot ${action}: selectionPressure must be a finite number > 0, got ${pressure}`,
    );
  }
  for (const key of ["rerankEvery", "recomputeEvery"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1) && v !== Infinity) {
      throw new RangeError(`cannot ${action}: ${key} must be an integer >= 1, got ${v}`);
    }
  }
  const reweight = options.reweight ?? false, chunk = options.chunk ?? 1000;
  const recomputeEvery = options.recomputeEvery ?? Infinity;
  const name = options.name ?? "online batch selection";
  const scorers = new Map<Loss, Scorer>();
  let losses: Float64Array | null = null, probabilities: Float64Array | null = null;
  let rankedAt: number | null = null, recomputedAt: number | null = null;
  let lastModel: Mlp | null = null, lastData: Dataset<Inputs> | null = null;

  const recompute = (context: SampleContext) => {
    let scorer = scorers.get(context.loss);
    if (scorer === undefined) {
      scorer = new Scorer(lossScore, { loss: context.loss, chunk });
      scorers.set(context.loss, scorer);
    }
    return { values: scorer.scoreColumns(context.model, context.data), cost: context.data.x.cols };
  };
  const rankDistribution = (values: Float64Array) => {
    const n = values.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => values[b] - values[a] || a - b); // rank 0: largest loss
    const p = new Float64Array(n), decay = Math.log(pressure) / n;
    let total = 0;
    for (let r = 0; r < n; r++) total += p[order[r]] = Math.exp(-r * decay);
    for (let i = 0; i < n; i++) p[i] /= total;
    return p;
  };
  const plan = (context: SampleContext) => {
    const { model, data, step, batchSize } = context;
    const fresh = losses === null || model !== lastModel || data !== lastData ||
      step < recomputedAt! || step - recomputedAt! >= recomputeEvery;
    const every = options.rerankEvery ?? Math.ceil(data.x.cols / batchSize);
    const rerank = fresh || step < rankedAt! || step - rankedAt! >= every;
    return { fresh, rerank };
  };

  return {
    name,
    get state(): OnlineBatchSelectionState {
      return { losses, probabilities, rankedAt };
    },
    sample(context) {
      checkBatch(context.data, context.batchSize, `the sampler '${name}'`);
      const { fresh, rerank } = plan(context);
      let cost = 0;
      if (fresh) {
        const r = recompute(context);
        losses = r.values;
        cost = r.cost;
        recomputedAt = context.step;
        lastModel = context.model;
        lastData = context.data;
      }
      if (rerank) {
        probabilities = rankDistribution(losses!);
        rankedAt = context.step;
      }
      const { positions, weights } = drawWithWeights(probabilities!, context);
      if (!reweight) weights.fill(1);
      return { indices: positions, weights, forwardEquivalents: cost };
    },
    observe({ batch, losses: batchLosses }) {
      if (losses === null) return;
      for (let j = 0; j < batch.indices.length; j++) losses[batch.indices[j]] = batchLosses[j];
    },
    reset() {
      losses = probabilities = null;
      rankedAt = recomputedAt = null;
      lastModel = lastData = null;
    },
    distribution(context) {
      const { fresh, rerank } = plan(context);
      if (!rerank) return Float64Array.from(probabilities!);
      return rankDistribution(fresh ? recompute(context).values : losses!);
    },
  };
}
