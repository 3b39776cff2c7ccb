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
 * the two-stage estimate is unbiased for ∇F (tower property).
 *
 * The scoring pass already holds the forward pass of the b chosen samples at the current θ, so
 * the batch carries those columns of it ({@link Minibatch.pass}, gathered by lib/pass_columns.ts;
 * z_l only where the backward pass reads it) and the step runs only its backward pass: a step costs B + 2b forward-equivalents instead of the
 * B + 3b of recomputing (K&F's reference code recomputes), and the batch reports B − b (3B − b for
 * the exact gradient norm) beyond the step's own 3b. The reuse is exact: it is done only where the
 * gathered pass has the bits the step's own forward pass would compute (`passColumnsExact`: the
 * b-column products take the same engine as the B-column ones), so training is bit-identical to
 * recomputing; option `reusePass` changes this.
 *
 * While it is off, the step is uniform (b draws, weights 1, no extra cost) and the scores of that
 * batch are read from the step's own pass ({@link Score.fromStep}).
 *
 * Either way the scores update τ (lib/sampling/tau_estimate.ts), the moving average of the variance
 * reduction importance sampling would bring; importance sampling is on at a step exactly when
 * τ > τ_th, default (B + 3b)/(3b), K&F's point where it pays for its cost (with the forward pass
 * reused it pays from (B + 2b)/(3b) on; the default stays K&F's). τ starts at 0, so every run
 * starts uniform; when the scores flatten and τ falls below τ_th, sampling goes back to uniform.
 *
 * @module
 */
import {
  checkEpsilon,
  type DrawOptions,
  drawWithWeightsInto,
  importanceDistribution,
} from "./importance_sampler.ts";
import { InputGatherer } from "../column_gatherer.ts";
import type { Dataset, Inputs } from "../datasets.ts";
import { KernelLease } from "../kernel_lease.ts";
import type { Matrix } from "../matrix.ts";
import type { Loss } from "../losses.ts";
import { type Mlp, MlpPass } from "../mlp.ts";
import type { Activation } from "../activations.ts";
import { Random } from "../random.ts";
import {
  passColumns,
  passColumnsExact,
  type PassColumnsOptions,
  passInputs,
} from "../pass_columns.ts";
import { checkBatch, type Minibatch, type Sampler } from "./sampler.ts";
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
  /**
   * Whether an importance step hands the step the scoring pass's columns of the chosen samples
   * ({@link Minibatch.pass}) instead of letting it run their forward pass again: `"auto"` (the
   * default) where that gives the same bits as recomputing (`passColumnsExact` in
   * lib/pass_columns.ts; always for the course's networks), `"always"` wherever the score leaves a
   * forward pass (the last bits may then differ from recomputing, see lib/pass_columns.ts),
   * `"never"` (K&F's reference code: B + 3b per step). Scores without a forward pass
   * ({@link Score.forwardPass}) never reuse.
   */
  reusePass?: "auto" | "always" | "never";
  /**
   * Keep the scoring pass and the chosen columns' pass in the products' kernel memory (leased,
   * lib/kernel_lease.ts: given back by `reset` and when the sampler is garbage-collected), so that
   * the scoring forward and the step's backward read them in place, as the training step's own
   * workspaces are. Default true. The same bits either way.
   */
  kernelMemory?: boolean;
}

/** Gives a collected presampler's kernel arrays back to the pool (see `kernelMemory`). */
const leases = new FinalizationRegistry<{ lease: KernelLease | null }>((held) =>
  held.lease?.release()
);

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
  /** How many importance steps handed the step their forward pass ({@link Minibatch.pass}). */
  readonly reusedSteps: number;
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
 * exact gradient norm), less b when its batch carries the chosen samples' forward pass (then the
 * step costs 2b, not 3b: a loop that ignores `pass` spends b more than counted); a uniform step 0.
 * It has no `distribution` (the two-stage draw has no single p over the N samples). The batch's
 * `pass` is a workspace of the sampler, overwritten by its next importance step.
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
 * // one forward pass of B = 6 samples, less the b = 2 that the step need not run again
 * assert.equal(batch.forwardEquivalents, 6 - 2);
 * assert.deepEqual(batch.pass!.output.data, model.forward(data.x.gatherColumns(batch.indices)).output.data);
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
 * @example Without reuse (K&F's reference code), the step runs its own forward pass: B beyond 3b
 * ```ts
 * import { presampler } from "@lib/sampling/presampler.ts";
 * import { Matrix, Mlp, Random, identity, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[1, 0]])], [identity]);
 * const data = { name: "toy", x: Matrix.zeros(1, 8), y: Matrix.row([1, 1, 1, 1, 1, 1, 1, 9]), labels: null };
 * const sampler = presampler({ alwaysOn: true, reusePass: "never" });
 * const batch = sampler.sample({ model, data, loss: squaredError, batchSize: 2, random: new Random(4), step: 0 });
 * assert.equal(batch.forwardEquivalents, 6);
 * assert.equal(batch.pass, undefined);
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
  const reuse = options.reusePass ?? "auto";
  if (reuse !== "auto" && reuse !== "always" && reuse !== "never") {
    throw new RangeError(
      `cannot ${action}: reusePass must be "auto", "always" or "never", got ${reuse}`,
    );
  }
  const scorers = new Map<Loss, Scorer>();
  const held: { lease: KernelLease | null } = { lease: null };
  const allocate = options.kernelMemory === false
    ? undefined
    : (length: number) => (held.lease ??= new KernelLease()).array(length);
  let threshold: number | null = fixedThreshold ?? null;
  let importance = false, steps = 0, importanceSteps = 0, reusedSteps = 0;
  let B: number | null = null, lastBatch: number | null = null;
  let presample: Int32Array | null = null;
  let presampleScores: Float64Array | null = null, probabilities: Float64Array | null = null;
  // workspaces: the running sums of p, the drawn positions, the chosen columns' forward pass
  let cdf = new Float64Array(0), positions = new Int32Array(0), chosen: MlpPass | null = null;
  let stepScores = new Float64Array(0);
  const callArgs: {
    score: { indices: Int32Array; out: Float64Array; finiteInput: boolean };
    distribution: { epsilon: number; out: Float64Array };
    draw: DrawOptions & { positions: Int32Array; weights: Float64Array; cdf: Float64Array };
  } = {
    score: { indices: new Int32Array(0), out: new Float64Array(0), finiteInput: false },
    distribution: { epsilon, out: new Float64Array(0) },
    draw: { batchSize: 0, random: NO_RANDOM, positions, weights: new Float64Array(0), cdf },
  };
  // with `SampleContext.reuse`: the batch records and arrays refilled at every draw
  let kept: KeptBatches | null = null;

  /**
   * The chosen columns of the scoring pass, when the step may reuse them (module doc). Their
   * inputs x_0 are gathered from the data set again (the same values): b columns from bytes or a
   * sample-major copy cost less than picking them out of the pass's whole d_0 × B block.
   */
  const reusedPass = (
    scorer: Scorer,
    data: Dataset<Inputs>,
    model: Mlp,
    indices: Int32Array,
  ): MlpPass | null => {
    const source = scorer.lastPass, b = indices.length, sizes = model.sizes;
    if (reuse === "never" || source === null) return null;
    if (reuse === "auto" && !exactFor(sizes, source.batch, b)) return null;
    if (chosen === null || chosen.batch !== b || !sameSizes(chosen, sizes)) {
      chosen = new MlpPass(sizes, b, { allocate });
      chosenInputs = passInputs(chosen);
    }
    // one options record, refilled (passColumns reads it during the call only)
    columnsArgs.positions = positions;
    columnsArgs.out = chosen;
    // only the z_l that the step's backward pass reads (see `Minibatch.pass`)
    if (zsFor !== model.activations) {
      zsFor = model.activations;
      columnsArgs.zs = zsFor.map((a) => a.backwardReadsZ !== false);
    }
    passColumns(source, columnsArgs);
    if (inputs?.source !== data.x) inputs = new InputGatherer(data.x);
    inputs.gather(indices, chosenInputs!);
    return chosen;
  };
  const columnsArgs: PassColumnsOptions = {
    positions: new Int32Array(0),
    out: null!,
    inputs: false,
    zs: [],
  };
  /** The activations whose `backwardReadsZ` made `columnsArgs.zs`. */
  let zsFor: readonly Activation[] | null = null;
  let chosenInputs: Matrix | null = null, inputs: InputGatherer | null = null;
  /** `passColumnsExact` for the last sizes, B and b asked (they change only with b). */
  let exact: { sizes: readonly number[]; source: number; batch: number; value: boolean } | null =
    null;
  const exactFor = (sizes: readonly number[], source: number, batch: number): boolean => {
    if (
      exact === null || exact.sizes !== sizes || exact.source !== source || exact.batch !== batch
    ) {
      exact = { sizes, source, batch, value: passColumnsExact(sizes, { source, batch }) };
    }
    return exact.value;
  };

  const sampler: Presampler = {
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
        reusedSteps,
        presample,
        scores: presampleScores,
        probabilities,
      };
    },
    sample(context): Minibatch {
      const { model, data, loss, batchSize: b, random, reuse: reuseBatch } = context;
      if (reuseBatch && (kept === null || kept.indices.length !== b)) kept = keptBatches(b);
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
        const indices = reuseBatch ? kept!.uniform.indices : new Int32Array(b);
        drawUniform(random, n, indices);
        if (reuseBatch) return kept!.uniform; // its weights stay 1
        return { indices, weights: new Float64Array(b).fill(1), forwardEquivalents: 0 };
      }
      importanceSteps++;
      if (presample === null || presample.length !== size) {
        presample = new Int32Array(size);
        presampleScores = new Float64Array(size);
        probabilities = new Float64Array(size);
        cdf = new Float64Array(size);
      }
      if (positions.length !== b) positions = new Int32Array(b);
      drawUniform(random, n, presample);
      let scorer = scorers.get(loss);
      if (scorer === undefined || scorer.chunk !== size) {
        scorer = new Scorer(score, { loss, chunk: size, allocate });
        scorers.set(loss, scorer);
      }
      // the options records of these calls are refilled, not built per step (each callee reads
      // them during the call only)
      const args = callArgs;
      args.score.indices = presample;
      args.score.out = presampleScores!;
      args.score.finiteInput = context.finiteData === true;
      scorer.scoreColumns(model, data, args.score);
      estimate.update(presampleScores!);
      args.distribution.out = probabilities!;
      importanceDistribution(presampleScores!, args.distribution);
      const weights = reuseBatch ? kept!.weights : new Float64Array(b);
      const draw = args.draw;
      draw.batchSize = b;
      draw.random = random;
      draw.positions = positions;
      draw.weights = weights;
      draw.cdf = cdf;
      drawWithWeightsInto(probabilities!, draw);
      draw.random = NO_RANDOM;
      const indices = reuseBatch ? kept!.indices : new Int32Array(b);
      for (let j = 0; j < b; j++) indices[j] = presample[positions[j]];
      const cost = scorer.cost(size);
      const pass = reusedPass(scorer, data, model, indices);
      if (pass === null) {
        if (!reuseBatch) return { indices, weights, forwardEquivalents: cost };
        kept!.scored.forwardEquivalents = cost;
        return kept!.scored;
      }
      reusedSteps++;
      if (!reuseBatch) return { indices, weights, forwardEquivalents: cost - b, pass };
      kept!.carrying.forwardEquivalents = cost - b;
      kept!.carrying.pass = pass;
      return kept!.carrying;
    },
    observe(feedback) {
      // Algorithm 1, line 15: a uniform step updates τ with the scores of its own batch
      if (importance) return;
      const b = feedback.batch.indices.length;
      if (stepScores.length !== b) stepScores = new Float64Array(b);
      estimate.update(score.fromStep(feedback, stepScores));
    },
    reset() {
      estimate.reset();
      threshold = fixedThreshold ?? null;
      importance = false;
      steps = importanceSteps = reusedSteps = 0;
      B = lastBatch = null;
      presample = presampleScores = probabilities = null;
      // the workspaces go back to the pool; the next importance step leases them again
      scorers.clear();
      chosen = chosenInputs = inputs = null;
      kept = null;
      held.lease?.release();
      held.lease = null;
    },
  };
  leases.register(sampler, held);
  return sampler;
}

/**
 * out[j] = random.int(n) for every j, in order. A small function of its own: the optimising
 * compiler inlines the generator into its loop early, where called from the large `sample` the
 * generator ran on its own and boxed its 32-bit draws (about 2 KB a step at B = 384).
 */
function drawUniform(random: Random, n: number, out: Int32Array): void {
  for (let j = 0; j < out.length; j++) out[j] = random.int(n);
}

/** A placeholder generator for the refilled draw record between calls (never drawn from). */
const NO_RANDOM = new Random(1);

/** The batch records a presampler refills when its caller allows (`SampleContext.reuse`). */
interface KeptBatches {
  indices: Int32Array;
  weights: Float64Array;
  /** A uniform step's batch: its own indices, weights 1. */
  uniform: { indices: Int32Array; weights: Float64Array; forwardEquivalents: number };
  /** An importance step's batch without a pass. */
  scored: { indices: Int32Array; weights: Float64Array; forwardEquivalents: number };
  /** An importance step's batch that carries the chosen columns' pass. */
  carrying: {
    indices: Int32Array;
    weights: Float64Array;
    forwardEquivalents: number;
    pass: MlpPass;
  };
}

function keptBatches(b: number): KeptBatches {
  const indices = new Int32Array(b), weights = new Float64Array(b);
  return {
    indices,
    weights,
    uniform: {
      indices: new Int32Array(b),
      weights: new Float64Array(b).fill(1),
      forwardEquivalents: 0,
    },
    scored: { indices, weights, forwardEquivalents: 0 },
    carrying: { indices, weights, forwardEquivalents: 0, pass: null as unknown as MlpPass },
  };
}

function sameSizes(pass: MlpPass, sizes: readonly number[]): boolean {
  if (pass.xs.length !== sizes.length) return false;
  for (let l = 0; l < sizes.length; l++) {
    if (pass.xs[l].rows !== sizes[l] + (l < sizes.length - 1 ? 1 : 0)) return false;
  }
  return true;
}
