/**
 * Sampling: which b samples an SGD step draws, with what weights, and how much gradient variance
 * that leaves.
 *
 * - `sampler.ts`: the {@link Sampler} interface and uniform sampling;
 * - `importance_sampler.ts`: importance sampling over all N samples, p_i ∝ s_i, w_i = 1/(N p_i);
 * - `presampler.ts`: K&F's two-stage sampling inside a uniform presample of B, with the τ switch;
 * - `scores.ts`: the scores s_i (loss, upper bound, exact gradient norm) and their {@link Scorer};
 * - `tau_estimate.ts`: τ, the presampler's estimate of the variance reduction;
 * - `baselines.ts`: loss-proportional sampling and online batch selection;
 * - `stale_scores.ts`: importance sampling over all N from each sample's last upper-bound score,
 *   mixed with uniform (w ≤ 1/α), scores kept in a {@link SumTree} (`sum_tree.ts`);
 * - `selective_backprop.ts`: Selective Backprop (biased; `selective_backprop_bias.ts` measures how
 *   far its expected step is from the full gradient);
 * - `isgd.ts`: ISGD, extra steps on a minibatch whose loss is above a control limit;
 * - `exact_variance.ts`: Tr V[g] of every scheme from the per-sample gradient norms (exact for
 *   uniform and full-data importance sampling, exact given each presample);
 * - `monte_carlo_variance.ts`: Tr V[g] of any sampler, measured by drawing minibatches.
 *
 * @example Importance weights keep the minibatch gradient unbiased; the exact gradient norm gives the least variance
 * ```ts
 * import { exactVariance, importanceDistribution, presampler } from "@lib/sampling/mod.ts";
 * import { Mlp, oneHot, Random, softmaxCrossEntropy } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(Array.from(importanceDistribution([1, 3])), [0.25, 0.75]);
 * const random = new Random(1);
 * const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
 * const data = { name: "toy", x: random.normalMatrix(5, 40), y: oneHot(labels, 3), labels };
 * const model = Mlp.create([5, 8, 3], { random, activation: "relu" });
 * const v = exactVariance(model, data, {
 *   loss: "softmaxCrossEntropy", batchSize: 4, presampleSize: 12, presamples: 10, random,
 * });
 * assert.ok(v.full.gradientNorm <= v.uniform);
 *
 * const sampler = presampler({ presample: 3, alwaysOn: true }); // B = 3b = 12
 * const context = { model, data, loss: softmaxCrossEntropy, batchSize: 4, random, step: 0 };
 * const batch = sampler.sample(context);
 * assert.equal(batch.indices.length, 4);
 * assert.equal(batch.forwardEquivalents, 12); // one forward pass over the presample
 * ```
 *
 * @module
 */
export {
  type Minibatch,
  type SampleContext,
  type Sampler,
  type StepFeedback,
  uniformSampler,
  type UniformSamplerOptions,
} from "./sampler.ts";
export {
  type DrawOptions,
  drawWithWeights,
  importanceDistribution,
  type ImportanceDistributionOptions,
  type ImportanceSampler,
  importanceSampler,
  type ImportanceSamplerOptions,
  type ImportanceSamplerState,
} from "./importance_sampler.ts";
export {
  type Presampler,
  presampler,
  type PresamplerOptions,
  type PresamplerState,
} from "./presampler.ts";
export {
  gradientNormScore,
  lossScore,
  resolveScore,
  type Score,
  type ScoreOptions,
  Scorer,
  type ScorerOptions,
  scores,
  uniformScore,
  upperBoundFromPass,
  upperBoundScore,
} from "./scores.ts";
export {
  sqrtVarianceRatio,
  TauEstimate,
  type TauEstimateOptions,
  tauThreshold,
  type TauVariant,
  varianceRatio,
} from "./tau_estimate.ts";
export {
  lossProportionalSampler,
  type OnlineBatchSelectionOptions,
  type OnlineBatchSelectionSampler,
  onlineBatchSelectionSampler,
  type OnlineBatchSelectionState,
} from "./baselines.ts";
export { type StaleScoreOptions, StaleScoreSampler, staleScoreSampler } from "./stale_scores.ts";
export { SumTree } from "./sum_tree.ts";
export {
  LossHistory,
  percentileAtMost,
  type SelectiveBackpropOptions,
  SelectiveBackpropSampler,
  selectiveBackpropSampler,
} from "./selective_backprop.ts";
export {
  type SelectionLawOptions,
  selectionProbabilities,
  type SelectiveBackpropBias,
  selectiveBackpropBias,
} from "./selective_backprop_bias.ts";
export { type IsgdOptions, IsgdSampler, isgdSampler } from "./isgd.ts";
export {
  type ExactVariance,
  exactVariance,
  type ExactVarianceOptions,
  SCHEME_SCORES,
  type SchemeScore,
} from "./exact_variance.ts";
export {
  type MonteCarloVariance,
  monteCarloVariance,
  type MonteCarloVarianceOptions,
} from "./monte_carlo_variance.ts";
