/**
 * The Monte Carlo variance: Tr V[g] of a sampler's minibatch gradient on a real network, measured
 * by drawing minibatches; how much noise each sampler's step carries, the quantity importance
 * sampling reduces (K&F §3.1). `exact_variance.ts` computes it without drawing, for the schemes
 * it knows.
 *
 * For any sampler, draw minibatches at a fixed θ and measure g = ∇ of (1/b) Σ_j w_j ℓ_{I_j},
 * the weighted minibatch gradient the SGD step uses. For an unbiased sampler E[g] = ∇F, so
 *
 *   E‖g − ∇F‖² = Tr V[g]  (= Tr V_p / b for b draws with replacement from p),
 *
 * estimated by the mean of ‖g − ∇F‖² over the draws, with ∇F computed exactly over the data set.
 * Unlike the closed form (lib/convergence.ts), this needs neither the N×P matrix of per-sample
 * gradients nor a single distribution p, so it also measures two-stage samplers (presampling).
 *
 * @module
 */
import type { MonteCarloEstimate } from "../convergence.ts";
import type { Dataset, Inputs } from "../datasets.ts";
import { type Loss, resolveLoss } from "../losses.ts";
import { Matrix } from "../matrix.ts";
import { MinibatchStep } from "../minibatch_step.ts";
import { type Mlp, MlpPass } from "../mlp.ts";
import type { Random } from "../random.ts";
import type { Sampler } from "./sampler.ts";

/** Options of {@link monteCarloVariance}. */
export interface MonteCarloVarianceOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** b >= 1. */
  batchSize: number;
  /** Minibatches to draw (>= 2). */
  draws: number;
  /** The random stream given to the sampler. */
  random: Random;
  /**
   * The sampler, as it is (not reset; `observe` is not called). A presampler with its switch
   * off draws uniformly: pass one with `alwaysOn` to measure importance sampling. Default uniform.
   */
  sampler?: Sampler;
  /** The step count t given to the sampler. Default 0. */
  step?: number;
  /** Columns per pass when computing the full gradient. Default 1000. */
  chunk?: number;
}

/** What {@link monteCarloVariance} measured. */
export interface MonteCarloVariance {
  /** The mean of ‖g − ∇F‖² over the draws: Tr V[g] for an unbiased sampler, with its error. */
  traceVariance: MonteCarloEstimate;
  /** ‖∇F‖², the full gradient's squared norm (E‖g‖² = ‖∇F‖² + Tr V[g]). */
  fullGradientSquaredNorm: number;
  /** ‖ḡ − ∇F‖ for the mean ḡ of the draws: about √(Tr V[g] / draws) when unbiased. */
  meanError: number;
  /** Mean forward-equivalents the sampler reported per draw (its scoring cost). */
  forwardEquivalents: number;
}

/** Σ_l ‖a_l − b_l‖² over matching lists of matrices. */
function squaredDistance(a: readonly Matrix[], b: readonly Float64Array[]): number {
  let s = 0;
  a.forEach((m, l) => {
    const x = m.data, y = b[l];
    for (let k = 0; k < x.length; k++) s += (x[k] - y[k]) ** 2;
  });
  return s;
}

/**
 * Draws `draws` minibatches with the sampler at the network's current θ (not changed) and
 * measures the weighted minibatch gradient's variance (see the module doc). Each draw costs one
 * forward and backward pass of b samples plus the sampler's scoring; the full gradient one pass
 * over the data set.
 *
 * @throws {RangeError} naming the option for bad options
 * @example Uniform and importance sampling against the closed form Tr V_p / b
 * ```ts
 * import { monteCarloVariance } from "@lib/sampling/monte_carlo_variance.ts";
 * import { importanceSampler } from "@lib/sampling/importance_sampler.ts";
 * import { perSampleGradients, traceVariance } from "@lib/convergence.ts";
 * import { Mlp, Random, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(1);
 * const data = { name: "toy", x: random.normalMatrix(2, 6), y: random.normalMatrix(1, 6), labels: null };
 * const model = Mlp.create([2, 3, 1], { random, activation: "tanh" });
 * const G = perSampleGradients(model, data, { loss: "squaredError" });
 * const sampler = importanceSampler({ score: "gradientNorm" });
 * const context = { model, data, loss: squaredError, batchSize: 2, random, step: 0 };
 * const p = sampler.distribution!(context);
 * const m = monteCarloVariance(model, data, { loss: "squaredError", batchSize: 2, draws: 4000, random, sampler });
 * const exact = traceVariance(G, { p }) / 2;
 * assert.ok(Math.abs(m.traceVariance.mean - exact) < 4 * m.traceVariance.standardError);
 * assert.equal(m.forwardEquivalents, 3 * 6 / 4000); // scored all N = 6 once, at 3 per sample
 * ```
 */
export function monteCarloVariance(
  model: Mlp,
  data: Dataset<Inputs>,
  options: MonteCarloVarianceOptions,
): MonteCarloVariance {
  const action = "cannot measure the minibatch gradient variance";
  const { batchSize: b, draws } = options;
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`${action}: batchSize must be an integer >= 1, got ${b}`);
  }
  if (!Number.isInteger(draws) || draws < 2) {
    throw new RangeError(`${action}: draws must be an integer >= 2, got ${draws}`);
  }
  const chunk = options.chunk ?? 1000;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`${action}: chunk must be an integer >= 1, got ${chunk}`);
  }
  const loss = resolveLoss(options.loss), n = data.x.cols, L = model.layers;
  // ∇F = (1/N) Σ_i ∇ℓ_i, by chunks: each chunk's mean gradient weighted by its share c/N
  // the chunks' inputs, targets and passes are reused (one per column count: the last chunk may
  // be shorter), so that the pass allocates no large array per chunk
  const full = model.thetas.map((t) => new Float64Array(t.size));
  const indices = new Int32Array(Math.min(chunk, n));
  const reused = new Map<number, { x: Matrix; y: Matrix; pass: MlpPass }>();
  for (let start = 0; start < n; start += chunk) {
    const c = Math.min(chunk, n - start);
    const at = indices.subarray(0, c);
    for (let j = 0; j < c; j++) at[j] = start + j;
    let r = reused.get(c);
    if (r === undefined) {
      r = {
        x: new Matrix(data.x.rows, c),
        y: new Matrix(data.y.rows, c),
        pass: new MlpPass(model.sizes, c),
      };
      reused.set(c, r);
    }
    data.x.gatherColumns(at, r.x);
    data.y.gatherColumns(at, r.y);
    const { grads } = model.lossAndGradient(r.x, r.y, { loss, pass: r.pass });
    for (let l = 0; l < L; l++) {
      const g = grads[l].data, f = full[l];
      for (let k = 0; k < f.length; k++) f[k] += (c / n) * g[k];
    }
  }
  const stepper = new MinibatchStep(model, data, {
    loss,
    batchSize: b,
    random: options.random,
    sampler: options.sampler,
    action,
  });
  const values = new Float64Array(draws), sum = full.map((f) => new Float64Array(f.length));
  let cost = 0;
  for (let d = 0; d < draws; d++) {
    const batch = stepper.draw(options.step ?? 0);
    cost += batch.forwardEquivalents;
    const { grads } = stepper.gradient();
    values[d] = squaredDistance(grads, full);
    grads.forEach((g, l) => {
      for (let k = 0; k < g.size; k++) sum[l][k] += g.data[k];
    });
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= draws;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  let meanError = 0, fullSq = 0;
  full.forEach((f, l) => {
    for (let k = 0; k < f.length; k++) {
      meanError += (sum[l][k] / draws - f[k]) ** 2;
      fullSq += f[k] * f[k];
    }
  });
  return {
    traceVariance: { mean, standardError: Math.sqrt(ss / (draws - 1) / draws), draws },
    fullGradientSquaredNorm: fullSq,
    meanError: Math.sqrt(meanError),
    forwardEquivalents: cost / draws,
  };
}
