/**
 * The exact variance: Tr V[g] of the weighted minibatch gradient under every sampling scheme of
 * the importance experiments, at one θ, computed from the per-sample gradient norms rather than
 * by drawing minibatches (`monte_carlo_variance.ts` draws them; this is its low-noise, low-cost
 * companion).
 *
 * Notation: N samples, G_i = ∇ℓ_i(θ), Ḡ = (1/N) Σ_i G_i, g the weighted mean of b draws.
 *
 * - Uniform, b draws with replacement: Tr V[g] = V₁ / b with V₁ = (1/N) Σ_i ‖G_i‖² − ‖Ḡ‖²
 *   (exact: one batched backward pass over the N samples gives every ‖G_i‖ and Ḡ).
 * - Importance sampling over all N (K&F §3.1), p_i ∝ s_i, w_i = 1/(N p_i):
 *   Tr V[g] = ((1/N²) Σ_i ‖G_i‖² / p_i − ‖Ḡ‖²) / b (exact), smallest for s_i = ‖G_i‖, where it is
 *   ((1/N²)(Σ_i ‖G_i‖)² − ‖Ḡ‖²) / b.
 * - Presampling (K&F §3.3): a presample U of B uniform draws, then b draws from p_j ∝ s_j over
 *   its positions with w_j = 1/(B p_j). Given U this is the previous case with U as the data set,
 *   so by the law of total variance (Ḡ_U, the mean of B uniform draws, has Tr V = V₁/B):
 *
 *     Tr V[g] = E_U[ ((1/B²) Σ_{j∈U} ‖G_j‖² / p_j − ‖Ḡ_U‖²) / b ] + V₁ / B.
 *
 *   The bracket is exact for each U (one batched backward pass over U gives Ḡ_U); only its mean
 *   over U is estimated, from R presamples. With s = 1 (uniform inside U) its expectation is
 *   V₁ (1/b + 1/B − 1/(bB)), slightly more than V₁/b: two stages of draws with replacement.
 *
 * τ, the presampler's estimate of the variance reduction (lib/sampling/tau_estimate.ts), is computed from
 * the upper-bound scores of the same presamples, so that the two can be compared.
 *
 * @module
 */
import type { MonteCarloEstimate } from "../convergence.ts";
import type { Dataset, Inputs } from "../datasets.ts";
import { importanceDistribution } from "./importance_sampler.ts";
import { type Loss, resolveLoss } from "../losses.ts";
import { Matrix } from "../matrix.ts";
import { type Mlp, MlpPass } from "../mlp.ts";
import type { Random } from "../random.ts";
import { upperBoundFromPass } from "./scores.ts";
import { varianceRatio } from "./tau_estimate.ts";

/** The scores s_i the schemes sample by (uniform: s_i = 1). */
export const SCHEME_SCORES = ["uniform", "loss", "upperBound", "gradientNorm"] as const;

/** One of {@link SCHEME_SCORES}. */
export type SchemeScore = (typeof SCHEME_SCORES)[number];

/** Options of {@link exactVariance}. */
export interface ExactVarianceOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** b >= 1, draws per minibatch. */
  batchSize: number;
  /** B >= 1, the presample size. */
  presampleSize: number;
  /** R >= 2, presamples drawn to estimate the expectation over U. */
  presamples: number;
  /** Draws the presamples. */
  random: Random;
  /** ε in [0, 1], defensive mixing with uniform (as the samplers' option). Default 0. */
  epsilon?: number;
  /** Columns per pass over the data set. Default 1000. */
  chunk?: number;
}

/** What {@link exactVariance} computed at θ. */
export interface ExactVariance {
  /** N. */
  samples: number;
  /** Ḡ, flattened θ_1, θ_2, … row-major (the order of `parameterVector`). */
  meanGradient: Float64Array;
  /** ‖Ḡ‖². */
  meanGradientSquaredNorm: number;
  /** V₁ = (1/N) Σ ‖G_i‖² − ‖Ḡ‖², Tr V of one uniform draw. */
  singleDrawVariance: number;
  /** ‖G_i‖ of every sample. */
  gradientNorms: Float64Array;
  /** ℓ_i of every sample. */
  losses: Float64Array;
  /** ‖∂ℓ_i/∂z_L‖ of every sample (K&F's upper bound, up to a shared factor). */
  upperBounds: Float64Array;
  /** Tr V[g] of b uniform draws with replacement (exact). */
  uniform: number;
  /** Tr V[g] of b draws from p ∝ s over all N, weights 1/(N p_i) (exact). */
  full: Record<SchemeScore, number>;
  /** Tr V[g] of the two-stage scheme (presample of B, then b draws), estimated over R presamples. */
  presampled: Record<SchemeScore, MonteCarloEstimate>;
  /** τ_new of the presamples' upper-bound scores in both variants, averaged over the R presamples. */
  tau: { varianceRatio: MonteCarloEstimate; sqrtVarianceRatio: MonteCarloEstimate };
}

function estimate(values: Float64Array): MonteCarloEstimate {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, standardError: Math.sqrt(ss / (n - 1) / n), draws: n };
}

function checkCount(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `cannot compute the sampling variances: ${name} must be an integer >= ${min}, got ${value}`,
    );
  }
}

/**
 * (1/n²) Σ_i ‖G_i‖² / p_i over n samples with p ∝ s (see {@link importanceDistribution}): the
 * second moment of one weighted draw. Infinity when some p_i = 0 has ‖G_i‖ > 0 (biased).
 */
function weightedSecondMoment(
  norms: ArrayLike<number>,
  scores: ArrayLike<number>,
  epsilon: number,
): number {
  const n = norms.length, p = importanceDistribution(scores, { epsilon });
  let s = 0;
  for (let i = 0; i < n; i++) {
    const sq = norms[i] * norms[i];
    if (sq === 0) continue;
    s += p[i] === 0 ? Infinity : sq / p[i];
  }
  return s / (n * n);
}

/**
 * Tr V[g] of every scheme at the network's current θ (not changed), exactly for uniform and
 * full-data importance sampling and over R presamples for presampling (see the module doc). Cost:
 * one forward and backward pass over the N samples, and one over each presample of B.
 *
 * @throws {RangeError} naming the option for bad options
 * @example The exact gradient norm gives the least variance; uniform inside a presample a little more than uniform
 * ```ts
 * import { exactVariance } from "@lib/sampling/exact_variance.ts";
 * import { Mlp, Random, oneHot } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(1);
 * const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
 * const data = { name: "toy", x: random.normalMatrix(5, 40), y: oneHot(labels, 3), labels };
 * const model = Mlp.create([5, 8, 3], { random, activation: "relu" });
 * const v = exactVariance(model, data, {
 *   loss: "softmaxCrossEntropy", batchSize: 4, presampleSize: 12, presamples: 200, random,
 * });
 * assert.ok(Math.abs(v.uniform - v.singleDrawVariance / 4) < 1e-15);
 * for (const s of ["loss", "upperBound"] as const) assert.ok(v.full.gradientNorm <= v.full[s]);
 * const twoStage = v.singleDrawVariance * (1 / 4 + 1 / 12 - 1 / 48);
 * const { mean, standardError } = v.presampled.uniform;
 * assert.ok(Math.abs(mean - twoStage) < 4 * standardError);
 * ```
 */
export function exactVariance(
  model: Mlp,
  data: Dataset<Inputs>,
  options: ExactVarianceOptions,
): ExactVariance {
  const { batchSize: b, presampleSize: B, presamples: R } = options;
  checkCount(b, "batchSize", 1);
  checkCount(B, "presampleSize", 1);
  checkCount(R, "presamples", 2);
  const chunk = options.chunk ?? 1000;
  checkCount(chunk, "chunk", 1);
  const epsilon = options.epsilon ?? 0;
  if (!(epsilon >= 0 && epsilon <= 1)) {
    throw new RangeError(
      `cannot compute the sampling variances: epsilon must be in [0, 1], got ${epsilon}`,
    );
  }
  const passes = new Passes(model, resolveLoss(options.loss));
  const n = data.x.cols;
  const { meanGradient, gradientNorms, losses, upperBounds } = dataSetPass(data, passes, chunk);
  let meanSq = 0, normSq = 0;
  for (let k = 0; k < meanGradient.length; k++) meanSq += meanGradient[k] * meanGradient[k];
  for (let i = 0; i < n; i++) normSq += gradientNorms[i] * gradientNorms[i];
  const single = normSq / n - meanSq;
  const scoresOf: Record<SchemeScore, Float64Array> = {
    uniform: new Float64Array(n).fill(1),
    loss: losses,
    upperBound: upperBounds,
    gradientNorm: gradientNorms,
  };
  const full = {} as Record<SchemeScore, number>;
  for (const s of SCHEME_SCORES) {
    full[s] = (weightedSecondMoment(gradientNorms, scoresOf[s], epsilon) - meanSq) / b;
  }
  const { conditional, tauRatio } = presampleVariances(data, passes, {
    gradientNorms,
    scoresOf,
    epsilon,
    batchSize: b,
    presampleSize: B,
    presamples: R,
    random: options.random,
  });
  const presampled = {} as Record<SchemeScore, MonteCarloEstimate>;
  for (const s of SCHEME_SCORES) {
    const e = estimate(conditional[s]);
    presampled[s] = { ...e, mean: e.mean + single / B };
  }
  return {
    samples: n,
    meanGradient,
    meanGradientSquaredNorm: meanSq,
    singleDrawVariance: single,
    gradientNorms,
    losses,
    upperBounds,
    uniform: single / b,
    full,
    presampled,
    tau: {
      varianceRatio: estimate(tauRatio),
      sqrtVarianceRatio: estimate(tauRatio.map(Math.sqrt)),
    },
  };
}

/**
 * The model, its loss, and per column count one reused {@link MlpPass} and one pair of gathered
 * input and target matrices: a pass over the data set allocates no large array per chunk (garbage
 * of many megabytes per chunk fragmented a worker's memory).
 */
class Passes {
  readonly #passes = new Map<number, MlpPass>();
  readonly #gathered = new Map<number, { x: Matrix; y: Matrix }>();
  constructor(readonly model: Mlp, readonly loss: Loss) {}

  /** The pass for `columns` columns, made on first use. */
  of(columns: number): MlpPass {
    let pass = this.#passes.get(columns);
    if (pass === undefined) {
      this.#passes.set(columns, pass = new MlpPass(this.model.sizes, columns));
    }
    return pass;
  }

  /** The columns `at` of the data set's inputs and targets, in matrices reused per column count. */
  gather(data: Dataset<Inputs>, at: Int32Array): { x: Matrix; y: Matrix } {
    let into = this.#gathered.get(at.length);
    if (into === undefined) {
      into = { x: new Matrix(data.x.rows, at.length), y: new Matrix(data.y.rows, at.length) };
      this.#gathered.set(at.length, into);
    }
    data.x.gatherColumns(at, into.x);
    data.y.gatherColumns(at, into.y);
    return into;
  }

  /** Adds `scale` × the flattened gradients to `into`. */
  accumulate(grads: readonly Matrix[], scale: number, into: Float64Array): void {
    let offset = 0;
    for (let l = 0; l < this.model.layers; l++) {
      const g = grads[l].data;
      for (let k = 0; k < g.length; k++) into[offset + k] += scale * g[k];
      offset += g.length;
    }
  }
}

/** One pass over the data set, by chunks: Ḡ and every ‖G_i‖, ℓ_i and upper bound. */
function dataSetPass(data: Dataset<Inputs>, passes: Passes, chunk: number): {
  meanGradient: Float64Array;
  gradientNorms: Float64Array;
  losses: Float64Array;
  upperBounds: Float64Array;
} {
  const { model, loss } = passes, n = data.x.cols;
  const meanGradient = new Float64Array(model.parameterCount);
  const gradientNorms = new Float64Array(n), losses = new Float64Array(n);
  const upperBounds = new Float64Array(n);
  const indices = new Int32Array(Math.min(chunk, n));
  for (let start = 0; start < n; start += chunk) {
    const c = Math.min(chunk, n - start);
    const at = indices.subarray(0, c);
    for (let j = 0; j < c; j++) at[j] = start + j;
    const { x, y } = passes.gather(data, at);
    const { grads, values, pass } = model.lossAndGradient(x, y, { loss, pass: passes.of(c) });
    passes.accumulate(grads, c / n, meanGradient);
    gradientNorms.set(model.perSampleGradientNorms(pass), start);
    losses.set(values, start);
    // after the norms: this rewrites δ_L of the pass
    upperBoundFromPass(model, pass, {
      target: y,
      loss,
      out: upperBounds.subarray(start, start + c),
    });
  }
  return { meanGradient, gradientNorms, losses, upperBounds };
}

/**
 * The presamples: for each of R uniform presamples U of B, the exact conditional variance given U
 * of every scheme, and τ_new of U's upper-bound scores (the variance ratio).
 */
function presampleVariances(data: Dataset<Inputs>, passes: Passes, options: {
  gradientNorms: Float64Array;
  scoresOf: Record<SchemeScore, Float64Array>;
  epsilon: number;
  batchSize: number;
  presampleSize: number;
  presamples: number;
  random: Random;
}): { conditional: Record<SchemeScore, Float64Array>; tauRatio: Float64Array } {
  const { gradientNorms, scoresOf, epsilon, batchSize: b, presampleSize: B, presamples: R } =
    options;
  const { model, loss } = passes, n = data.x.cols, P = model.parameterCount;
  const conditional = Object.fromEntries(
    SCHEME_SCORES.map((s) => [s, new Float64Array(R)]),
  ) as Record<SchemeScore, Float64Array>;
  const tauRatio = new Float64Array(R);
  const u = new Int32Array(B);
  const normsU = new Float64Array(B), meanU = new Float64Array(P);
  const scoresU = new Float64Array(B);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < B; j++) u[j] = options.random.int(n);
    const { x: xu, y: yu } = passes.gather(data, u);
    const { grads } = model.lossAndGradient(xu, yu, { loss, pass: passes.of(B) });
    meanU.fill(0);
    passes.accumulate(grads, 1, meanU);
    let meanUSq = 0;
    for (let k = 0; k < P; k++) meanUSq += meanU[k] * meanU[k];
    for (let j = 0; j < B; j++) normsU[j] = gradientNorms[u[j]];
    for (const s of SCHEME_SCORES) {
      const all = scoresOf[s];
      for (let j = 0; j < B; j++) scoresU[j] = all[u[j]];
      conditional[s][r] = (weightedSecondMoment(normsU, scoresU, epsilon) - meanUSq) / b;
      if (s === "upperBound") tauRatio[r] = varianceRatio(scoresU);
    }
  }
  return { conditional, tauRatio };
}
