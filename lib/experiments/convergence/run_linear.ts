/**
 * Part 1 of the `convergence` reproduction: a linear regression with exact θ* (least squares).
 * S and its terms along SGD for each b, a Monte Carlo check at snapshots, and S against η at θ_0.
 *
 * @module
 */
import { type LinearRegression, linearRegression } from "../../datasets.ts";
import { Mlp } from "../../mlp.ts";
import type { Random } from "../../random.ts";
import { type ConvergenceSeedOptions, resolveProfile } from "./profile.ts";
import type { LinearTables } from "./rows.ts";
import { learningRateSweep, monteCarloCheck, partRandom, speedAlongRun } from "./measure.ts";

/** What the "linear" part starts from. */
export interface LinearSetup {
  /** The linear regression with its exact θ*. */
  regression: LinearRegression;
  /** The network at θ_0, where every run starts (not trained). */
  model: Mlp;
  /** The part's random stream after these draws (runs, Monte Carlo, sweep). */
  random: Random;
}

/**
 * The data and the initial network of the "linear" part, exactly as the reproduction draws them
 * for this seed and profile, so that a notebook can look at the same θ_0.
 *
 * @example
 * ```ts
 * import { linearSetup } from "@lib/experiments/convergence/run_linear.ts";
 * import assert from "node:assert/strict";
 * const { regression, model } = linearSetup({ seed: 1, profile: "quick" });
 * assert.equal(regression.dataset.x.shape, "10x256");
 * assert.equal(model.parameterCount, regression.thetaStar.size);
 * ```
 */
export function linearSetup(options: ConvergenceSeedOptions): LinearSetup {
  const L = resolveProfile(options.profile).linear;
  const random = partRandom(options.seed, "linear");
  const regression = linearRegression({ random: random.fork(), n: L.n, d: L.d, noise: L.noise });
  const model = Mlp.create([L.d, 1], { random: random.fork(), output: "identity" });
  return { regression, model, random };
}

/**
 * The tables of the "linear" part for a seed and a profile: linear_speed (S along SGD per b),
 * linear_monte_carlo (real SGD steps at snapshots) and linear_learning_rate (S against η at θ_0).
 *
 * @example
 * ```ts
 * import { linearTables } from "@lib/experiments/convergence/run_linear.ts";
 * import { smokeProfile } from "@lib/experiments/convergence/profile.ts";
 * import assert from "node:assert/strict";
 * const t = await linearTables({ seed: 1, profile: smokeProfile });
 * assert.equal(t.linear_learning_rate.length, smokeProfile.linear.sweepLearningRates.length);
 * assert.ok(t.linear_monte_carlo.every((r) => r.within_4_se));
 * ```
 */
export async function linearTables(options: ConvergenceSeedOptions): Promise<LinearTables> {
  const L = resolveProfile(options.profile).linear;
  const { regression, model, random } = linearSetup(options);
  const common = {
    loss: "squaredError",
    thetaStar: regression.thetaStar.data,
    learningRate: L.learningRate,
  };
  const run = await speedAlongRun(model, regression.dataset, {
    ...common,
    batchSizes: L.batchSizes,
    steps: L.steps,
    evaluateEvery: L.evaluateEvery,
    random: random.fork(),
    snapshotSteps: L.snapshotSteps,
  });
  const check = monteCarloCheck(model, regression.dataset, {
    ...common,
    snapshots: run.snapshots,
    draws: L.draws,
    random: random.fork(),
  });
  const sweep = learningRateSweep(model, regression.dataset, {
    loss: "squaredError",
    thetaStar: regression.thetaStar.data,
    batchSize: L.sweepBatchSize,
    learningRates: L.sweepLearningRates,
    draws: L.draws,
    random: random.fork(),
  });
  return { linear_speed: run.rows, linear_monte_carlo: check, linear_learning_rate: sweep };
}
