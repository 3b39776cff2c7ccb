/**
 * The profiles of the `convergence` reproduction (the sizes of its three parts) and the
 * registries every table, chart and note reads: the parts, the terms of S, the data sets and
 * sampling distributions of the outlier scenario, the series of the learning-rate sweep and the
 * batch-size labels. The charts keep Vega-Lite's default colours, assigned in registry order.
 *
 * @module
 */
import type { ReproductionOptions } from "../reproduction.ts";

/** The three independent parts (units) of the reproduction, in the order they run. */
export const CONVERGENCE_PARTS = ["linear", "outlier", "mnist"] as const;

/** One part (unit) of the reproduction. */
export type ConvergencePart = (typeof CONVERGENCE_PARTS)[number];

/**
 * Whether `value` names a part of the reproduction.
 *
 * @example
 * ```ts
 * import { isConvergencePart } from "@lib/experiments/convergence/profile.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isConvergencePart("mnist"));
 * assert.ok(!isConvergencePart("toString"));
 * ```
 */
export function isConvergencePart(value: unknown): value is ConvergencePart {
  return (CONVERGENCE_PARTS as readonly unknown[]).includes(value);
}

/**
 * The terms of S = progress − mean_gradient_term − variance_term (lib/convergence.ts's
 * `ConvergenceSpeed`), each with its table column and its label in charts, in the
 * order of the charts' legends.
 */
export const S_TERMS = [
  { column: "progress", label: "progress 2η(θ−θ*)ᵀḠ" },
  { column: "mean_gradient_term", label: "penalty η²‖Ḡ‖²" },
  { column: "variance_term", label: "penalty η² Tr V / b" },
] as const;

/** The label of S itself beside its terms. */
export const S_LABEL = "S";

/**
 * The label of a batch size in tables' long forms, legends and facets: "b = 8".
 *
 * @example
 * ```ts
 * import { batchLabel } from "@lib/experiments/convergence/profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(batchLabel(8), "b = 8");
 * ```
 */
export function batchLabel(b: number): string {
  return `b = ${b}`;
}

/** The two data sets of the outlier scenario, by role: their names in tables and charts. */
export const OUTLIER_DATA = { clean: "clean", outlier: "one outlier" } as const;

/** The sampling distributions of the outlier state table: uniform, and p_i ∝ ‖G_i‖. */
export const SAMPLINGS = { uniform: "uniform", optimal: "p ∝ ‖G_i‖" } as const;

/** The series of the learning-rate chart, in legend order. */
export const LEARNING_RATE_SERIES = {
  closedForm: "closed form S",
  monteCarlo: "Monte Carlo (real SGD steps)",
  course: "course's last line (η dropped)",
} as const;

/** The measures of the outlier runs chart, one panel each: column, axis title, log axis. */
export const OUTLIER_RUN_MEASURES = [
  { column: "distance_squared", title: "‖θ − θ*‖²", log: true },
  { column: "trace_variance", title: "Tr V (one uniform draw)", log: true },
  { column: "relative_speed", title: "S / ‖θ − θ*‖²", log: false },
] as const;

/** The sizes of the MNIST part (see `mnistSpeed` in run_mnist.ts). */
export interface MnistSizes {
  /** Training samples taken from the 10,000 digits. */
  trainSize: number;
  /** Hidden units of the 784-h-10 relu network (softmax cross-entropy). */
  hidden: number;
  /** Steps of the full-batch gradient descent whose end point stands in for θ*. */
  fullBatchSteps: number;
  /** η of that full-batch run. */
  fullBatchLearningRate: number;
  /** η of the SGD runs. */
  learningRate: number;
  /** One SGD run per batch size, from the same initial θ as the full-batch run. */
  batchSizes: readonly number[];
  /** Steps per SGD run. */
  steps: number;
  /** Measure S every k steps. */
  evaluateEvery: number;
  /** Steps at which to keep θ for a Monte Carlo check. Default none. */
  snapshotSteps?: readonly number[];
}

/** The sizes of one profile of the `convergence` reproduction. */
export interface ConvergenceProfile {
  /** Linear regression with exact θ*: S and its terms along SGD, Monte Carlo at snapshots. */
  linear: {
    n: number;
    d: number;
    noise: number;
    learningRate: number;
    batchSizes: readonly number[];
    steps: number;
    evaluateEvery: number;
    snapshotSteps: readonly number[];
    draws: number;
    /** S against η at θ_0 for this batch size: closed form, Monte Carlo, the course's value. */
    sweepBatchSize: number;
    /** The values of η of that sweep. */
    sweepLearningRates: readonly number[];
  };
  /** The outlier scenario: the state θ_fit, and SGD runs on both data sets. */
  outlier: {
    n: number;
    d: number;
    outlierError: number;
    learningRate: number;
    batchSizes: readonly number[];
    steps: number;
    evaluateEvery: number;
    /** The batch size drawn in the chart of the runs. */
    chartBatchSize: number;
    draws: number;
  };
  /** The MNIST MLP with θ* approximated by a long full-batch run. */
  mnist: MnistSizes & { draws: number };
}

/**
 * The two profiles: "quick" (the default, well under a minute) and "full".
 *
 * @example
 * ```ts
 * import { convergenceProfiles } from "@lib/experiments/convergence/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(convergenceProfiles.quick.linear.batchSizes, [1, 8, 64]);
 * assert.ok(convergenceProfiles.full.mnist.fullBatchSteps > convergenceProfiles.quick.mnist.fullBatchSteps);
 * ```
 */
export const convergenceProfiles: Readonly<Record<"quick" | "full", ConvergenceProfile>> = {
  quick: {
    linear: {
      n: 256,
      d: 10,
      noise: 0.5,
      learningRate: 0.02,
      batchSizes: [1, 8, 64],
      steps: 600,
      evaluateEvery: 10,
      snapshotSteps: [0, 100, 600],
      draws: 4000,
      sweepBatchSize: 8,
      sweepLearningRates: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    },
    outlier: {
      n: 256,
      d: 10,
      outlierError: 50,
      learningRate: 0.02,
      batchSizes: [1, 8, 64],
      steps: 1000,
      evaluateEvery: 10,
      chartBatchSize: 1,
      draws: 4000,
    },
    mnist: {
      trainSize: 256,
      hidden: 16,
      fullBatchSteps: 1500,
      fullBatchLearningRate: 0.5,
      learningRate: 0.1,
      batchSizes: [1, 8, 64],
      steps: 400,
      evaluateEvery: 20,
      snapshotSteps: [0, 400],
      draws: 1000,
    },
  },
  full: {
    linear: {
      n: 1024,
      d: 20,
      noise: 0.5,
      learningRate: 0.02,
      batchSizes: [1, 8, 64],
      steps: 2000,
      evaluateEvery: 10,
      snapshotSteps: [0, 100, 500, 2000],
      draws: 20000,
      sweepBatchSize: 8,
      sweepLearningRates: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    },
    outlier: {
      n: 1024,
      d: 20,
      outlierError: 100,
      learningRate: 0.02,
      batchSizes: [1, 8, 64],
      steps: 4000,
      evaluateEvery: 20,
      chartBatchSize: 1,
      draws: 20000,
    },
    mnist: {
      trainSize: 1000,
      hidden: 32,
      fullBatchSteps: 10000,
      fullBatchLearningRate: 0.5,
      learningRate: 0.1,
      batchSizes: [1, 8, 64],
      steps: 2000,
      evaluateEvery: 50,
      snapshotSteps: [0, 1000, 2000],
      draws: 2000,
    },
  },
};

/**
 * Sizes small enough for tests and examples (a second or so for all three parts): the same
 * computations as the other profiles on toy problems.
 *
 * @example
 * ```ts
 * import { convergenceTables, smokeProfile } from "@lib/experiments/convergence/mod.ts";
 * import assert from "node:assert/strict";
 * const t = await convergenceTables("mnist", { seed: 1, profile: smokeProfile });
 * assert.equal(t.mnist_theta_star[0].train_size, smokeProfile.mnist.trainSize);
 * ```
 */
export const smokeProfile: ConvergenceProfile = {
  linear: {
    n: 64,
    d: 3,
    noise: 0.5,
    learningRate: 0.05,
    batchSizes: [1, 8],
    steps: 60,
    evaluateEvery: 20,
    snapshotSteps: [0, 60],
    draws: 500,
    sweepBatchSize: 8,
    sweepLearningRates: [0.01, 0.1, 1],
  },
  outlier: {
    n: 64,
    d: 3,
    outlierError: 30,
    learningRate: 0.05,
    batchSizes: [1, 8],
    steps: 200,
    evaluateEvery: 20,
    chartBatchSize: 1,
    draws: 500,
  },
  mnist: {
    trainSize: 48,
    hidden: 8,
    fullBatchSteps: 100,
    fullBatchLearningRate: 0.5,
    learningRate: 0.1,
    batchSizes: [1, 8],
    steps: 20,
    evaluateEvery: 10,
    snapshotSteps: [0],
    draws: 200,
  },
};

/** Options naming a seed and a profile ("quick", "full" or sizes of your own). */
export interface ConvergenceSeedOptions {
  /** The seed of the whole reproduction. */
  seed: number;
  /** The profile. */
  profile: ReproductionOptions["profile"] | ConvergenceProfile;
}

/**
 * The sizes of a profile given by name or by value.
 *
 * @example
 * ```ts
 * import { convergenceProfiles, resolveProfile, smokeProfile } from "@lib/experiments/convergence/profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveProfile("full"), convergenceProfiles.full);
 * assert.equal(resolveProfile(smokeProfile), smokeProfile);
 * ```
 */
export function resolveProfile(profile: ConvergenceSeedOptions["profile"]): ConvergenceProfile {
  return typeof profile === "string" ? convergenceProfiles[profile] : profile;
}
