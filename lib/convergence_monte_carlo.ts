/**
 * Monte Carlo estimates around the convergence speed S (lib/convergence.ts has the closed form):
 * S from weighted minibatch gradients drawn from per-sample gradients, S from real SGD steps on a
 * network with any sampler (two-stage ones included), the two sides of E‖g‖² = Tr V[g] + ‖E g‖²,
 * and the moments of the norm ‖g‖. Each returns its draws' mean with a standard error (or the
 * exact value where the draws are not needed), so tests can hold it to the closed form.
 *
 * @module
 */
import {
  type ConvergenceOptions,
  meanGradient,
  type MonteCarloEstimate,
  type ParameterSource,
  type PerSampleGradients,
} from "./convergence.ts";
import {
  checkedProblem,
  checkStep,
  distributionOf,
  dot,
  gradientRows,
  parameterVectorOf,
  squaredDistance,
  weightedSecondMoment,
} from "./convergence_inputs.ts";
import type { Dataset, Inputs } from "./datasets.ts";
import type { Loss } from "./losses.ts";
import { MinibatchStep } from "./minibatch_step.ts";
import type { Mlp } from "./mlp.ts";
import { parameterVector, setParameterVector } from "./parameter_vector.ts";
import { cumulative, type Random } from "./random.ts";
import type { Sampler } from "./sampling/sampler.ts";
import { mean, sd, variance } from "./stats.ts";

/** Draws b indices from the cumulative table and writes g = (1/b) Σ w_{I_j} G_{I_j}. */
function drawGradient(
  g: Float64Array,
  { rows, p, cdf, b, random }: {
    rows: Float64Array[];
    p: Float64Array;
    cdf: Float64Array;
    b: number;
    random: Random;
  },
): void {
  const n = rows.length, P = g.length;
  g.fill(0);
  for (let j = 0; j < b; j++) {
    const i = random.fromCumulative(cdf), scale = 1 / (b * n * p[i]), row = rows[i];
    for (let k = 0; k < P; k++) g[k] += scale * row[k];
  }
}

/** The mean of at least two draws and its standard error sd (n − 1) / √draws. */
function estimate(values: Float64Array): MonteCarloEstimate {
  const m = values.length;
  return { mean: mean(values), standardError: sd(values) / Math.sqrt(m), draws: m };
}

function checkDraws(draws: number, action: string): void {
  if (!Number.isInteger(draws) || draws < 2) {
    throw new RangeError(`${action}: draws must be an integer >= 2, got ${draws}`);
  }
}

/**
 * A Monte Carlo estimate of S: `draws` times, draw a minibatch of b from p with replacement, take
 * the step θ' = θ − η g, and measure −(‖θ' − θ*‖² − ‖θ − θ*‖²).
 *
 * @throws {RangeError} naming the option for bad draws, and as convergenceSpeed (lib/convergence.ts)
 * @example Within 4 standard errors of the closed form
 * ```ts
 * import { convergenceSpeed } from "@lib/convergence.ts";
 * import { monteCarloConvergenceSpeed } from "@lib/convergence_monte_carlo.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, -1), Float64Array.of(3, 0), Float64Array.of(0, 2)];
 * const options = { theta: [1, 1], thetaStar: [0, 0.5], learningRate: 0.3, batchSize: 2 };
 * const mc = monteCarloConvergenceSpeed(G, { ...options, draws: 20000, random: new Random(1) });
 * assert.ok(Math.abs(mc.mean - convergenceSpeed(G, options).speed) < 4 * mc.standardError);
 * ```
 */
export function monteCarloConvergenceSpeed(
  gradients: PerSampleGradients,
  options: ConvergenceOptions & { draws: number; random: Random },
): MonteCarloEstimate {
  const action = "cannot estimate the convergence speed S";
  checkDraws(options.draws, action);
  const { p: P, rows, theta, thetaStar, dist: p } = checkedProblem(gradients, options, action);
  weightedSecondMoment(rows, p, action); // p = 0 only where G = 0
  const cdf = cumulative(p), eta = options.learningRate, b = options.batchSize;
  const before = squaredDistance(theta, thetaStar);
  const g = new Float64Array(P), next = new Float64Array(P);
  const values = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    drawGradient(g, { rows, p, cdf, b, random: options.random });
    for (let k = 0; k < P; k++) next[k] = theta[k] - eta * g[k];
    values[d] = before - squaredDistance(next, thetaStar);
  }
  return estimate(values);
}

/** What {@link squaredNormDecomposition} measured, next to the exact values. */
export interface SquaredNormDecomposition {
  /** Number of minibatch gradients drawn. */
  draws: number;
  /** The left side estimated: (1/n) Σ ‖g‖², with its standard error. */
  meanSquaredNorm: MonteCarloEstimate;
  /** The trace of the sample covariance of g (divided by n), computed from deviations. */
  traceVariance: number;
  /** ‖ḡ‖², the squared norm of the sample mean. */
  squaredNormOfMean: number;
  /** The right side: traceVariance + squaredNormOfMean. */
  sum: number;
  /** The exact values: E‖g‖², Tr V[g] = Tr V_p / b and ‖E g‖² = ‖Ḡ‖². */
  exact: { squaredNorm: number; traceVariance: number; squaredNormOfMean: number };
}

/**
 * E‖g‖² = Tr V[g] + ‖E g‖², shown numerically: draws minibatch gradients g (b draws from p with
 * replacement, weighted) and estimates each side separately — the mean of ‖g‖², and the trace of
 * the sample covariance (from deviations to the running mean) plus the squared norm of the sample
 * mean — next to their exact values.
 *
 * @example
 * ```ts
 * import { squaredNormDecomposition } from "@lib/convergence_monte_carlo.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(1, -1), Float64Array.of(3, 0), Float64Array.of(0, 2)];
 * const r = squaredNormDecomposition(G, { batchSize: 2, draws: 5000, random: new Random(3) });
 * assert.ok(Math.abs(r.meanSquaredNorm.mean - r.sum) < 1e-12 * r.sum); // the identity, sample by sample
 * assert.ok(Math.abs(r.meanSquaredNorm.mean - r.exact.squaredNorm) < 4 * r.meanSquaredNorm.standardError);
 * ```
 */
export function squaredNormDecomposition(
  gradients: PerSampleGradients,
  options: { batchSize: number; p?: ArrayLike<number>; draws: number; random: Random },
): SquaredNormDecomposition {
  const action = "cannot decompose E‖g‖²";
  const { n, p: P, rows } = gradientRows(gradients, action);
  checkStep({ batchSize: options.batchSize }, action);
  checkDraws(options.draws, action);
  const p = distributionOf(options.p, n, action);
  const secondMoment = weightedSecondMoment(rows, p, action); // p = 0 only where G = 0
  const cdf = cumulative(p), b = options.batchSize, m = options.draws;
  const g = new Float64Array(P), running = new Float64Array(P), m2 = new Float64Array(P);
  const squares = new Float64Array(m);
  for (let d = 0; d < m; d++) {
    drawGradient(g, { rows, p, cdf, b, random: options.random });
    squares[d] = dot(g, g);
    for (let k = 0; k < P; k++) { // Welford: running mean and sum of squared deviations
      const delta = g[k] - running[k];
      running[k] += delta / (d + 1);
      m2[k] += delta * (g[k] - running[k]);
    }
  }
  const traceV = m2.reduce((s, v) => s + v, 0) / m;
  const squaredNormOfMean = dot(running, running);
  const exactMean = meanGradient(gradients);
  const exactMeanSq = dot(exactMean, exactMean);
  const exactTrace = (secondMoment - exactMeanSq) / b;
  return {
    draws: m,
    meanSquaredNorm: estimate(squares),
    traceVariance: traceV,
    squaredNormOfMean,
    sum: traceV + squaredNormOfMean,
    exact: {
      squaredNorm: exactMeanSq + exactTrace,
      traceVariance: exactTrace,
      squaredNormOfMean: exactMeanSq,
    },
  };
}

/** Options of {@link sampledConvergenceSpeed}. */
export interface SampledConvergenceOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** θ*, as a vector or a network. */
  thetaStar: ParameterSource;
  /** η > 0 (a constant). */
  learningRate: number;
  /** b >= 1. */
  batchSize: number;
  /** Draws the minibatches. Default uniform with replacement. Its `reset()` is called first. */
  sampler?: Sampler;
  /** Number of steps to take from θ. */
  draws: number;
  /** The random stream given to the sampler. */
  random: Random;
}

/**
 * A Monte Carlo estimate of S for any {@link Sampler} on a real network: `draws` times, from the
 * network's current θ, draw a minibatch with the sampler, take one weighted SGD step on a copy,
 * and measure ‖θ − θ*‖² − ‖θ' − θ*‖². It needs no closed form, so it also measures two-stage
 * samplers (presampling). The network itself is not changed; `observe` is not called.
 *
 * @throws {RangeError} naming the option for bad options or shapes
 * @example Uniform sampling agrees with the closed form
 * ```ts
 * import { convergenceSpeed, perSampleGradients } from "@lib/convergence.ts";
 * import { sampledConvergenceSpeed } from "@lib/convergence_monte_carlo.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([1, 3, 1], { random: new Random(2) });
 * const data = { name: "toy", x: Matrix.row([-1, 0, 0.5, 1]), y: Matrix.row([1, 0, 0.2, 1]), labels: null };
 * const thetaStar = new Float64Array(model.parameterCount); // any point: S is defined for every θ*
 * const options = { thetaStar, learningRate: 0.1, batchSize: 2 };
 * const mc = sampledConvergenceSpeed(model, data, { ...options, loss: "squaredError", draws: 4000, random: new Random(1) });
 * const G = perSampleGradients(model, data, { loss: "squaredError" });
 * const exact = convergenceSpeed(G, { ...options, theta: model }).speed;
 * assert.ok(Math.abs(mc.mean - exact) < 4 * mc.standardError);
 * ```
 */
export function sampledConvergenceSpeed(
  model: Mlp,
  data: Dataset<Inputs>,
  options: SampledConvergenceOptions,
): MonteCarloEstimate {
  const action = "cannot estimate the convergence speed S by sampling";
  checkStep(options, action);
  checkDraws(options.draws, action);
  const P = model.parameterCount, b = options.batchSize;
  const theta = parameterVector(model);
  const thetaStar = parameterVectorOf(options.thetaStar, P, { name: "thetaStar", action });
  const work = model.clone();
  const stepper = new MinibatchStep(work, data, {
    loss: options.loss,
    batchSize: b,
    random: options.random,
    sampler: options.sampler,
    learningRate: options.learningRate,
    action,
  });
  stepper.sampler.reset?.();
  const before = squaredDistance(theta, thetaStar);
  const next = new Float64Array(P), values = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    setParameterVector(work, theta);
    stepper.draw(0);
    stepper.update();
    values[d] = before - squaredDistance(parameterVector(work, next), thetaStar);
  }
  return estimate(values);
}

/** What {@link gradientNormMoments} estimated. */
export interface GradientNormMoments {
  /** The estimate of E‖g‖. */
  meanNorm: number;
  /** The estimate of Var ‖g‖ (sample variance, n − 1). */
  normVariance: number;
  /** The estimate of E‖g‖². */
  meanSquaredNorm: number;
  /** Number of minibatch gradients drawn (0 when the moments are exact, at b = 1). */
  draws: number;
}

/**
 * Monte Carlo moments of the norm ‖g‖ of the weighted minibatch gradient g = (1/b) Σ_j w_{I_j}
 * G_{I_j} (b draws with replacement from p, default uniform, w_i = 1/(N p_i)). The course calls
 * E‖g‖² − ‖E g‖² = Tr V[g] "a notion of variance of the gradient norm"; the actual variance of
 * the norm is smaller: Tr V[g] − Var‖g‖ = (E‖g‖)² − ‖E g‖² ≥ 0, with equality when every g has
 * the same direction (as when a single G_i is nonzero).
 *
 * For b = 1 the moments are exact, with no draw: E‖g‖ = (1/N) Σ_i ‖G_i‖ (for every p) and
 * E‖g‖² = (1/N²) Σ_i ‖G_i‖² / p_i; `draws` is then 0.
 *
 * @throws {RangeError} when batchSize or draws is not a positive integer, or p does not fit
 * @example One nonzero gradient: Var ‖g‖ = Tr V[g] = ‖G_0‖² (1/N)(1 − 1/N) / b
 * ```ts
 * import { gradientNormMoments } from "@lib/convergence_monte_carlo.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const G = [Float64Array.of(3, 4), Float64Array.of(0, 0), Float64Array.of(0, 0), Float64Array.of(0, 0)];
 * const m = gradientNormMoments(G, { batchSize: 2, draws: 40000, random: new Random(1) });
 * const exact = 25 * (1 / 4) * (3 / 4) / 2;
 * assert.ok(Math.abs(m.normVariance - exact) < 0.05 * exact);
 * ```
 */
export function gradientNormMoments(
  gradients: PerSampleGradients,
  options: { batchSize: number; draws: number; random: Random; p?: ArrayLike<number> },
): GradientNormMoments {
  const action = "cannot estimate the moments of the gradient norm";
  const { n, p: P, rows } = gradientRows(gradients, action);
  checkStep({ batchSize: options.batchSize }, action);
  checkDraws(options.draws, action);
  const p = distributionOf(options.p, n, action);
  if (options.batchSize === 1) return exactNormMoments(rows, p);
  const cdf = cumulative(p), g = new Float64Array(P);
  const norms = new Float64Array(options.draws), squares = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    drawGradient(g, { rows, p, cdf, b: options.batchSize, random: options.random });
    squares[d] = dot(g, g);
    norms[d] = Math.sqrt(squares[d]);
  }
  return {
    meanNorm: mean(norms),
    normVariance: variance(norms),
    meanSquaredNorm: mean(squares),
    draws: options.draws,
  };
}

/** The moments of ‖g‖ at b = 1, where g = w_I G_I takes N values: exact, no draw. */
function exactNormMoments(rows: readonly Float64Array[], p: Float64Array): GradientNormMoments {
  const n = rows.length;
  let meanNorm = 0, meanSquaredNorm = 0;
  for (let i = 0; i < n; i++) {
    const sq = dot(rows[i], rows[i]);
    if (sq === 0) continue;
    meanNorm += Math.sqrt(sq) / n;
    meanSquaredNorm += sq / (n * n * p[i]);
  }
  return {
    meanNorm,
    normVariance: meanSquaredNorm - meanNorm * meanNorm,
    meanSquaredNorm,
    draws: 0,
  };
}
