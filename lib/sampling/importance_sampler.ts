/**
 * Importance sampling over the whole training set (Katharopoulos & Fleuret 2018, §3.1–3.2): score
 * every sample at the current θ, draw b indices with replacement from p_i ∝ s_i and weight them by
 * w_i = 1/(N p_i), so that the weighted minibatch gradient (1/b) Σ_j w_{I_j} ∇ℓ_{I_j} stays an
 * unbiased estimate of the full gradient:
 *
 *   E[w_I ∇ℓ_I] = Σ_i p_i · ∇ℓ_i / (N p_i) = (1/N) Σ_i ∇ℓ_i.
 *
 * Its variance is smallest for s_i = ‖∇ℓ_i‖ (lib/convergence.ts: Tr V_p = (1/N²) Σ ‖G_i‖²/p_i −
 * ‖Ḡ‖², minimal at p ∝ ‖G_i‖ by Cauchy–Schwarz). The cost is honest but high: scoring all N costs
 * N · cost forward-equivalents per refresh (N for the loss or the upper bound, 3N for the exact
 * gradient norm), against 3b for the step itself, so this sampler is the reference point of the
 * experiments rather than a practical method; `refreshEvery` trades that cost for stale scores.
 * The practical method is the presampler (lib/sampling/presampler.ts).
 *
 * Two safeguards, shared with the presampler through {@link importanceDistribution}:
 * defensive mixing p = (1 − ε) s/Σs + ε/n bounds every weight by 1/ε (ε = 0, the paper's method,
 * by default), and all-zero scores give the uniform distribution.
 *
 * @module
 */
import type { Dataset, Inputs } from "../datasets.ts";
import type { Loss } from "../losses.ts";
import type { Mlp } from "../mlp.ts";
import { cumulative, type Random } from "../random.ts";
import { checkBatch, type SampleContext, type Sampler } from "./sampler.ts";
import { resolveScore, type Score, Scorer } from "./scores.ts";

/**
 * n p_i below 2^-1000 (about 1e-301) counts as p_i = 0, so that every weight 1/(n p_i) of a
 * sample that can be drawn is finite (below 2^1000). Such a sample is never drawn; the
 * distribution moves by less than 1e-301.
 */
const NEGLIGIBLE = 2 ** -1000;

/** Options of {@link importanceDistribution}. */
export interface ImportanceDistributionOptions {
  /** ε in [0, 1]: the weight of the uniform distribution mixed in. Default 0. */
  epsilon?: number;
  /** Where to write p (length n). */
  out?: Float64Array;
}

/**
 * The sampling distribution of n scored samples: p_i = (1 − ε) s_i / Σ_j s_j + ε/n. With ε > 0
 * every p_i ≥ ε/n, so every weight 1/(n p_i) ≤ 1/ε. When every score is 0 (nothing to tell the
 * samples apart) p is uniform. A score below 2^-1000 of the sum counts as 0 so that the weights
 * of the samples that can be drawn are finite.
 *
 * @throws {RangeError} for an empty list, a score that is negative or not finite, or ε outside
 * [0, 1]
 * @example
 * ```ts
 * import { importanceDistribution } from "@lib/sampling/importance_sampler.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(importanceDistribution([1, 3])), [0.25, 0.75]);
 * assert.deepEqual(Array.from(importanceDistribution([1, 3], { epsilon: 0.5 })), [0.375, 0.625]);
 * assert.deepEqual(Array.from(importanceDistribution([0, 0])), [0.5, 0.5]);
 * assert.throws(() => importanceDistribution([1, NaN]), /score 1 is NaN/);
 * ```
 */
export function importanceDistribution(
  scores: ArrayLike<number>,
  options: ImportanceDistributionOptions = {},
): Float64Array {
  const n = scores.length, epsilon = checkEpsilon(options.epsilon, "build the distribution");
  if (n < 1) throw new RangeError("cannot build the sampling distribution of 0 scores");
  const p = options.out ?? new Float64Array(n);
  if (p.length !== n) {
    throw new RangeError(`cannot write the distribution of ${n} scores into ${p.length} entries`);
  }
  let max = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (!(s >= 0) || s === Infinity) {
      throw new RangeError(
        `cannot build the sampling distribution: score ${i} is ${s}, expected a finite value >= 0`,
      );
    }
    if (s > max) max = s;
  }
  if (max === 0) return p.fill(1 / n);
  // scaled by the largest score, so that the sum neither overflows nor underflows
  let total = 0;
  for (let i = 0; i < n; i++) total += scores[i] / max;
  const floor = epsilon / n, negligible = NEGLIGIBLE / n;
  for (let i = 0; i < n; i++) {
    const v = (1 - epsilon) * (scores[i] / max / total) + floor;
    p[i] = v >= negligible ? v : 0; // so that 1/(n p_i) stays below 2^1000
  }
  return p;
}

/** Options of {@link drawWithWeights}. */
export interface DrawOptions {
  /** b, the number of draws. */
  batchSize: number;
  /** The random stream. */
  random: Random;
  /** Where to write the positions (length b); a fresh array otherwise. */
  positions?: Int32Array;
  /** Where to write the weights (length b); a fresh array otherwise. */
  weights?: Float64Array;
  /** Workspace for the running sums of p (length n); a fresh array otherwise. */
  cdf?: Float64Array;
}

/**
 * b positions drawn with replacement from a distribution p over n items, and their unbiasing
 * weights w_j = 1/(n p_{I_j}) (all finite: an item with p_i = 0 is never drawn). Each draw is one
 * `random.fromCumulative` on the running sums of p; with `positions`, `weights` and `cdf` given
 * nothing is allocated but the result object.
 *
 * @throws {RangeError} when p has a negative or non-finite entry or is all zero, or a given
 *   array has the wrong length
 * @example Weights make the weighted mean unbiased
 * ```ts
 * import { drawWithWeights } from "@lib/sampling/importance_sampler.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const { positions, weights } = drawWithWeights([0.5, 0.25, 0.25], { batchSize: 4, random: new Random(1) });
 * assert.equal(positions.length, 4);
 * positions.forEach((i, j) => assert.equal(weights[j], 1 / (3 * [0.5, 0.25, 0.25][i])));
 * ```
 */
export function drawWithWeights(
  p: ArrayLike<number>,
  options: DrawOptions,
): { positions: Int32Array; weights: Float64Array } {
  const b = options.batchSize;
  const positions = options.positions ?? new Int32Array(b);
  const weights = options.weights ?? new Float64Array(b);
  drawWithWeightsInto(p, { ...options, positions, weights }); // which checks their lengths
  return { positions, weights };
}

/**
 * {@link drawWithWeights} into the given `positions` and `weights`, with no result record: what a
 * sampler calls at every step, so that a step allocates nothing (the record took 40 bytes a step,
 * bench/allocation_probe.ts). The same draws and errors.
 *
 * @example
 * ```ts
 * import { drawWithWeights, drawWithWeightsInto } from "@lib/sampling/importance_sampler.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const p = [0.5, 0.25, 0.25], positions = new Int32Array(4), weights = new Float64Array(4);
 * drawWithWeightsInto(p, { batchSize: 4, random: new Random(1), positions, weights });
 * const fresh = drawWithWeights(p, { batchSize: 4, random: new Random(1) });
 * assert.deepEqual([positions, weights], [fresh.positions, fresh.weights]);
 * ```
 */
export function drawWithWeightsInto(
  p: ArrayLike<number>,
  options: DrawOptions & { positions: Int32Array; weights: Float64Array },
): void {
  const n = p.length, b = options.batchSize;
  const positions = sized(options.positions, b, "positions")!;
  const weights = sized(options.weights, b, "weights")!;
  const given = sized(options.cdf, n, "cdf");
  const cdf = given === undefined ? cumulative(p) : cumulativeInto(p, given);
  for (let j = 0; j < b; j++) {
    const i = options.random.fromCumulative(cdf);
    positions[j] = i;
    weights[j] = 1 / (n * p[i]);
  }
}

function sized<T extends { length: number }>(a: T | undefined, n: number, what: string) {
  if (a !== undefined && a.length !== n) {
    throw new RangeError(`cannot draw with weights: ${what} has length ${a.length}, expected ${n}`);
  }
  return a;
}

/** `cumulative` (lib/random.ts) written into `cdf`: the same sums and the same errors. */
function cumulativeInto(weights: ArrayLike<number>, cdf: Float64Array): Float64Array {
  // the running sum is read back from cdf, not carried in a local: V8's mid tier (Maglev) boxed
  // the local at every iteration once this loop was inlined (about 1.6 KB a step at B = 96)
  const n = weights.length;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w >= 0) || w === Infinity) return cumulative(weights); // throws, naming the weight
    cdf[i] = i === 0 ? w : cdf[i - 1] + w;
  }
  return n > 0 && cdf[n - 1] > 0 ? cdf : cumulative(weights); // all zero: throws
}

/**
 * ε checked to lie in [0, 1] (default 0), for samplers' own option checks.
 *
 * @throws {RangeError} naming `epsilon` and the action otherwise
 * @example
 * ```ts
 * import { checkEpsilon } from "@lib/sampling/importance_sampler.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkEpsilon(undefined, "make my sampler"), 0);
 * assert.throws(() => checkEpsilon(2, "make my sampler"), /cannot make my sampler: epsilon must be in \[0, 1\], got 2/);
 * ```
 */
export function checkEpsilon(epsilon: number | undefined, action: string): number {
  const e = epsilon ?? 0;
  if (!(e >= 0 && e <= 1)) {
    throw new RangeError(`cannot ${action}: epsilon must be in [0, 1], got ${epsilon}`);
  }
  return e;
}

/** Options of {@link importanceSampler}. */
export interface ImportanceSamplerOptions {
  /** The score s_i: a {@link Score} or its name. Default "upperBound". */
  score?: string | Score;
  /** ε in [0, 1], defensive mixing with uniform (weights ≤ 1/ε). Default 0. */
  epsilon?: number;
  /**
   * Rescore all N samples every k steps (default 1: at every step, so p is always the one at
   * θ_t). In between, the stale scores of the last refresh are used; the estimate stays unbiased
   * (the weights match the p actually drawn from), only less efficient.
   */
  refreshEvery?: number;
  /** Columns per forward pass when scoring. Default 1000. */
  chunk?: number;
  /** The name shown in tables. Default "importance (<score name>)". */
  name?: string;
}

/** What an {@link ImportanceSampler} holds: the scores and distribution of its last refresh. */
export interface ImportanceSamplerState {
  /** s_i of all N samples at the last refresh (null before the first). Do not modify. */
  readonly scores: Float64Array | null;
  /** The p drawn from until the next refresh. Do not modify. */
  readonly probabilities: Float64Array | null;
  /** The step count t (`context.step`) of the last refresh, or null. */
  readonly refreshedAt: number | null;
  /** Refreshes since the last reset. */
  readonly refreshes: number;
}

/** An importance sampler over the whole training set, with its state exposed. */
export interface ImportanceSampler extends Sampler {
  /** The score used. */
  readonly score: Score;
  /** The state after the last `sample`. */
  readonly state: ImportanceSamplerState;
}

/**
 * Importance sampling with replacement over all N training samples, p_i ∝ s_i (see the module
 * doc), weights 1/(N p_i). A step that rescores reports N · score.cost forward-equivalents in its
 * {@link Minibatch} (N for the upper bound or the loss, 3N for the gradient norm); the others
 * report 0.
 *
 * `distribution(context)` is the p that `sample(context)` would draw from now (rescoring when a
 * refresh is due, without keeping the result).
 *
 * @throws {RangeError} for bad options (when created) or a bad batch size (when sampling)
 * @example The upper bound draws the badly fitted sample most, with weights 1/(N p_i)
 * ```ts
 * import { importanceSampler } from "@lib/sampling/importance_sampler.ts";
 * import { Matrix, Mlp, Random, identity, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[1, 0]])], [identity]); // x_L = x
 * const data = { name: "toy", x: Matrix.row([0, 0, 0, 0]), y: Matrix.row([1, 1, 1, 5]), labels: null };
 * const sampler = importanceSampler({ score: "upperBound" });
 * const context = { model, data, loss: squaredError, batchSize: 2, random: new Random(1), step: 0 };
 * assert.deepEqual(Array.from(sampler.distribution!(context)), [0.125, 0.125, 0.125, 0.625]);
 * const batch = sampler.sample(context);
 * assert.equal(batch.forwardEquivalents, 4); // one forward pass over N = 4
 * batch.indices.forEach((i, j) => assert.equal(batch.weights[j], 1 / (4 * sampler.state.probabilities![i])));
 * ```
 */
export function importanceSampler(options: ImportanceSamplerOptions = {}): ImportanceSampler {
  const score = resolveScore(options.score ?? "upperBound");
  const epsilon = checkEpsilon(options.epsilon, "make an importance sampler");
  const every = options.refreshEvery ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(
      `cannot make an importance sampler: refreshEvery must be an integer >= 1, got ${every}`,
    );
  }
  const chunk = options.chunk ?? 1000;
  const name = options.name ?? `importance (${score.name})`;
  const scorers = new Map<Loss, Scorer>();
  let scores: Float64Array | null = null, probabilities: Float64Array | null = null;
  let refreshedAt: number | null = null, refreshes = 0;
  let lastModel: Mlp | null = null, lastData: Dataset<Inputs> | null = null;

  const due = ({ model, data, step }: SampleContext) =>
    scores === null || refreshedAt === null || model !== lastModel || data !== lastData ||
    step < refreshedAt || step - refreshedAt >= every;

  const rescore = (context: SampleContext) => {
    let scorer = scorers.get(context.loss);
    if (scorer === undefined) {
      scorer = new Scorer(score, { loss: context.loss, chunk });
      scorers.set(context.loss, scorer);
    }
    const s = scorer.scoreColumns(context.model, context.data);
    return { s, p: importanceDistribution(s, { epsilon }), cost: scorer.cost(s.length) };
  };

  return {
    name,
    score,
    get state(): ImportanceSamplerState {
      return { scores, probabilities, refreshedAt, refreshes };
    },
    sample(context) {
      checkBatch(context.data, context.batchSize, `the sampler '${name}'`);
      let cost = 0;
      if (due(context)) {
        const fresh = rescore(context);
        scores = fresh.s;
        probabilities = fresh.p;
        cost = fresh.cost;
        refreshedAt = context.step;
        refreshes++;
        lastModel = context.model;
        lastData = context.data;
      }
      const { positions, weights } = drawWithWeights(probabilities!, context);
      return { indices: positions, weights, forwardEquivalents: cost };
    },
    reset() {
      scores = probabilities = null;
      refreshedAt = null;
      refreshes = 0;
      lastModel = null;
      lastData = null;
    },
    distribution(context) {
      return due(context) ? rescore(context).p : Float64Array.from(probabilities!);
    },
  };
}
