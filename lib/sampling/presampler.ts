/**
 * Presampled importance sampling with a variance-reduction switch: Katharopoulos & Fleuret 2018,
 * §3.3 and Algorithm 1, as their reference implementation runs it.
 *
 * While importance sampling is on, each step
 * 1. draws a presample U of B = k·b indices uniformly with replacement (k = 3 by default);
 * 2. scores it with one forward pass of B samples (the upper bound ‖∂ℓ_i/∂z_L‖ by default);
 * 3. draws b positions of U with replacement from p_j ∝ s_j and weights them by w_j = 1/(B p_j).
 *
 * Given U, the weighted minibatch gradient is unbiased for the mean gradient over U (the §3.1
 * argument with B in place of N); U being uniform, that mean is unbiased for the full gradient, so
 * the two-stage estimate is unbiased for ∇F (tower property). A step costs B + 3b
 * forward-equivalents instead of 3b.
 *
 * While it is off, the step is uniform (b draws, weights 1, no extra cost) and the scores of that
 * batch are read from the step's own pass ({@link Score.fromStep}).
 *
 * Either way the scores update τ (lib/sampling/tau_estimate.ts), the moving average of the variance
 * reduction importance sampling would bring; importance sampling is on at a step exactly when
 * τ > τ_th, default (B + 3b)/(3b), the point where it pays for its cost. τ starts at 0, so every
 * run starts uniform; when the scores flatten and τ falls below τ_th, sampling goes back to
 * uniform.
 *
 * @module
 */
import { checkEpsilon, drawWithWeights, importanceDistribution } from "./importance_sampler.ts";
import type { Loss } from "../losses.ts";
import { checkBatch, type Sampler } from "./sampler.ts";
import { resolveScore, type Score, Scorer } from "./scores.ts";
import { TauEstimate, tauThreshold, type TauVariant } from "./tau_estimate.ts";

/** Options of {@link presampler}. */
export interface PresamplerOptions {
  /** The score s_i: a {@link Score} or its name. Default "upperBound". */
  score?: string | Score;
  /** k: the presample has B = round(k·b) samples, k >= 1. Default 3 (the reference code's). */
  presample?: number;
  /** Which τ_new the moving average uses. Default "sqrtVarianceRatio" (the reference code's). */
  tau?: TauVariant;
  /** τ_th: importance sampling is on when τ > τ_th. Default (B + 3b)/(3b), 2 for k = 3. */
  tauThreshold?: number;
  /** a_τ in [0, 1), the moving average's weight of the old τ. Default 0.9. */
  momentum?: number;
  /** ε in [0, 1], defensive mixing with uniform inside the presample (weights ≤ 1/ε). Default 0. */
  epsilon?: number;
  /** Sample by importance at every step whatever τ (τ is still tracked). Default false. */
  alwaysOn?: boolean;
  /** The name shown in tables. Default "presampled <score name>". */
  name?: string;
}

/** What a {@link Presampler} exposes for experiments. Arrays are overwritten by later steps. */
export interface PresamplerState {
  /** τ, the moving average (0 before any scores). */
  readonly tau: number;
  /** τ_new of the last scores, or null. */
  readonly tauNew: number | null;
  /** τ_th in use (null until the first `sample`, when b is known and no threshold was given). */
  readonly tauThreshold: number | null;
  /** Whether the last `sample` drew by importance (false before the first). */
  readonly importance: boolean;
  /** B, once b is known. */
  readonly presampleSize: number | null;
  /** Calls to `sample` since the last reset. */
  readonly steps: number;
  /** How many of them drew by importance. */
  readonly importanceSteps: number;
  /** The data indices of the last presample U (null before the first importance step). */
  readonly presample: Int32Array | null;
  /** The scores s_j of the last presample. */
  readonly scores: Float64Array | null;
  /** p_j over the last presample. */
  readonly probabilities: Float64Array | null;
}

/** A presampling importance sampler, with its state exposed. */
export interface Presampler extends Sampler {
  /** The score used. */
  readonly score: Score;
  /** The state after the last `sample` or `observe`. */
  readonly state: PresamplerState;
}

/**
 * Presampled importance sampling with the τ switch (see the module doc). An importance step
 * reports B · score.cost forward-equivalents (B for the upper bound and the loss, 3B for the
 * exact gradient norm); a uniform step 0. It has no `distribution` (the two-stage draw has no
 * single p over the N samples).
 *
 * @throws {RangeError} for bad options (when created) or a bad batch size (when sampling)
 * @example Always on: the b draws come from the presample, weighted 1/(B p_j)
 * ```ts
 * import { presampler } from "@lib/sampling/presampler.ts";
 * import { Matrix, Mlp, Random, identity, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[1, 0]])], [identity]); // x_L = x
 * const data = { name: "toy", x: Matrix.zeros(1, 8), y: Matrix.row([1, 1, 1, 1, 1, 1, 1, 9]), labels: null };
 * const sampler = presampler({ alwaysOn: true });
 * const batch = sampler.sample({ model, data, loss: squaredError, batchSize: 2, random: new Random(4), step: 0 });
 * const { presample, probabilities, presampleSize } = sampler.state;
 * assert.equal(presampleSize, 6);
 * assert.equal(batch.forwardEquivalents, 6); // one forward pass of B = 6 samples
 * batch.indices.forEach((i, j) => {
 *   const at = presample!.indexOf(i);
 *   assert.equal(batch.weights[j], 1 / (6 * probabilities![at]));
 * });
 * ```
 * @example With the switch, a run starts uniform: τ = 0 is below τ_th = 2
 * ```ts
 * import { presampler } from "@lib/sampling/presampler.ts";
 * import { Matrix, Mlp, Random, identity, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[1, 0]])], [identity]);
 * const data = { name: "toy", x: Matrix.zeros(1, 8), y: Matrix.row([1, 1, 1, 1, 1, 1, 1, 9]), labels: null };
 * const sampler = presampler();
 * const batch = sampler.sample({ model, data, loss: squaredError, batchSize: 2, random: new Random(4), step: 0 });
 * assert.deepEqual(Array.from(batch.weights), [1, 1]);
 * assert.equal(batch.forwardEquivalents, 0);
 * assert.equal(sampler.state.importance, false);
 * assert.equal(sampler.state.tauThreshold, 2);
 * ```
 */
export function presampler(options: PresamplerOptions = {}): Presampler {
  const action = "make a presampler";
  const score = resolveScore(options.score ?? "upperBound");
  const k = options.presample ?? 3;
  if (!(k >= 1) || k === Infinity) {
    throw new RangeError(`cannot ${action}: presample must be a finite number >= 1, got ${k}`);
  }
  const epsilon = checkEpsilon(options.epsilon, action);
  const fixedThreshold = options.tauThreshold;
  if (fixedThreshold !== undefined && Number.isNaN(fixedThreshold)) {
    throw new RangeError(`cannot ${action}: tauThreshold is NaN`);
  }
  const estimate = new TauEstimate({ variant: options.tau, momentum: options.momentum });
  const alwaysOn = options.alwaysOn ?? false;
  const name = options.name ?? `presampled ${score.name}`;
  const scorers = new Map<Loss, Scorer>();
  let threshold: number | null = fixedThreshold ?? null;
  let importance = false, steps = 0, importanceSteps = 0;
  let B: number | null = null, lastBatch: number | null = null;
  let presample: Int32Array | null = null;
  let presampleScores: Float64Array | null = null, probabilities: Float64Array | null = null;

  return {
    name,
    score,
    get state(): PresamplerState {
      return {
        tau: estimate.tau,
        tauNew: estimate.last,
        tauThreshold: threshold,
        importance,
        presampleSize: B,
        steps,
        importanceSteps,
        presample,
        scores: presampleScores,
        probabilities,
      };
    },
    sample(context) {
      const { model, data, loss, batchSize: b, random } = context;
      const n = checkBatch(data, b, `the sampler '${name}'`);
      if (b !== lastBatch) {
        lastBatch = b;
        B = Math.round(k * b);
        threshold = fixedThreshold ?? tauThreshold(B, b);
      }
      const size = B!;
      steps++;
      importance = alwaysOn || estimate.tau > threshold!;
      if (!importance) {
        const indices = new Int32Array(b);
        for (let j = 0; j < b; j++) indices[j] = random.int(n);
        return { indices, weights: new Float64Array(b).fill(1), forwardEquivalents: 0 };
      }
      importanceSteps++;
      if (presample === null || presample.length !== size) {
        presample = new Int32Array(size);
        presampleScores = new Float64Array(size);
        probabilities = new Float64Array(size);
      }
      for (let j = 0; j < size; j++) presample[j] = random.int(n);
      let scorer = scorers.get(loss);
      if (scorer === undefined || scorer.chunk !== size) {
        scorer = new Scorer(score, { loss, chunk: size });
        scorers.set(loss, scorer);
      }
      scorer.scoreColumns(model, data, { indices: presample, out: presampleScores! });
      estimate.update(presampleScores!);
      importanceDistribution(presampleScores!, { epsilon, out: probabilities! });
      const { positions, weights } = drawWithWeights(probabilities!, context);
      const indices = new Int32Array(b);
      for (let j = 0; j < b; j++) indices[j] = presample[positions[j]];
      return { indices, weights, forwardEquivalents: scorer.cost(size) };
    },
    observe(feedback) {
      // Algorithm 1, line 15: a uniform step updates τ with the scores of its own batch
      if (!importance) estimate.update(score.fromStep(feedback));
    },
    reset() {
      estimate.reset();
      threshold = fixedThreshold ?? null;
      importance = false;
      steps = importanceSteps = 0;
      B = lastBatch = null;
      presample = presampleScores = probabilities = null;
    },
  };
}
