/**
 * The options of `fit()` (lib/train.ts) and their checks: every option, and the training and
 * test sets against the network, are checked once before the first step, so that a bad value
 * fails at once with a message naming it and its allowed range.
 *
 * @module
 */
import type { Dataset, Inputs } from "./datasets.ts";
import type { Loss } from "./losses.ts";
import type { Mlp } from "./mlp.ts";
import type { Random } from "./random.ts";
import type { Sampler } from "./sampling/sampler.ts";
import { type LearningRate, learningRateAt } from "./sgd.ts";
import { isProgressOption, PROGRESS_CHOICES, type ProgressOption } from "./progress.ts";
import type { HistoryRow } from "./train.ts";
import { describeValue, validateDataset, validateOptionNames } from "./validate.ts";

/** Options of `fit` (lib/train.ts); {@link planFit} checks them. */
export interface FitOptions {
  /** The per-sample loss: a name from lib/losses.ts or a {@link Loss}. */
  loss: string | Loss;
  /**
   * The training seed: minibatches and the evaluation subset are drawn from two forks of it (so
   * fit advances it by two forks).
   */
  random: Random;
  /** b, samples per step: an integer in [1, N] for N training samples. */
  batchSize: number;
  /** η: a constant > 0 or a schedule of the step count t = 0, 1, … (values >= 0). */
  learningRate: LearningRate;
  /** Number of SGD steps. Give `steps` or `epochs`, not both. */
  steps?: number;
  /** Number of epochs of ⌈N / b⌉ steps each. */
  epochs?: number;
  /** Draws the minibatches. Default: uniform with replacement. `reset()` is called first. */
  sampler?: Sampler;
  /** Evaluate every k steps (and always before the first and after the last). Default ⌊steps/50⌋ or 1. */
  evaluateEvery?: number;
  /** A test set to evaluate on. */
  test?: Dataset<Inputs>;
  /** Evaluate the training loss on a fixed, seeded subset of this many samples instead of all N. */
  trainSubset?: number;
  /** Columns per forward pass during evaluation. Default 1000. */
  evaluationBatchSize?: number;
  /**
   * How to show progress (lib/progress.ts). "auto" (default): a live display in Jupyter (whose
   * final state has no wall time, so notebook outputs re-execute identically); otherwise a bar on
   * stderr when it is a terminal and CI is not set, else nothing. "none": nothing (what tests and
   * reproductions pass). "bar", "lines", "notebook": that display. Or a reporter of your own.
   */
  progress?: ProgressOption;
  /** Called with each history row as soon as it is written (e.g. to log or to measure S). */
  onEvaluate?: (row: HistoryRow) => void;
}

/** The names of {@link FitOptions}, in the order of its declaration. */
const FIT_OPTIONS: readonly string[] = [
  "loss",
  "random",
  "batchSize",
  "learningRate",
  "steps",
  "epochs",
  "sampler",
  "evaluateEvery",
  "test",
  "trainSubset",
  "evaluationBatchSize",
  "progress",
  "onEvaluate",
];

/** What {@link planFit} resolved from the options. */
export interface FitPlan {
  /** SGD steps to take. */
  steps: number;
  /** b, samples per step. */
  batchSize: number;
  /** Evaluate every this many steps. */
  every: number;
}

/** The largest count an option may hold: 2^53 − 1, the last integer a double counts exactly. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Checks the options of `fit` and the data sets against the model, and returns the number of
 * steps, the batch size and the evaluation period. Checks the training and test sets with
 * {@link validateDataset} (shapes, finite x and y, labels that agree with y), which reads them
 * once: O(N·d).
 *
 * @throws {RangeError} `cannot fit '<data set>': …`, naming the option or the sample at fault and
 *   the allowed range
 * @example
 * ```ts
 * import { planFit } from "@lib/fit_options.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * const data = { name: "line", x: Matrix.row([0, 1, 2]), y: Matrix.row([1, 3, 5]), labels: null };
 * const options = { loss: "squaredError", random: new Random(1), learningRate: 0.1, batchSize: 2 };
 * assert.deepEqual(planFit(model, data, { ...options, epochs: 4 }), { steps: 8, batchSize: 2, every: 1 });
 * assert.throws(() => planFit(model, data, { ...options, steps: 1e300 }), /steps must be an integer in \[1, 2\^53 − 1\], got 1e\+300/);
 * assert.throws(() => planFit(model, data, { ...options, batchSize: 4, steps: 1 }), /batchSize must be an integer in \[1, 3\]/);
 * ```
 */
export function planFit(model: Mlp, data: Dataset<Inputs>, options: FitOptions): FitPlan {
  const fail = (message: string) => new RangeError(`cannot fit '${data?.name}': ${message}`);
  const isCount = (v: unknown, max = MAX_COUNT): v is number =>
    typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= max;
  const range = (max: number | string = "2^53 − 1") => `an integer in [1, ${max}]`;
  if (options === undefined || options === null || typeof options !== "object") {
    throw fail("options are missing: give at least loss, random, batchSize, learningRate, steps");
  }
  validateOptionNames(options, FIT_OPTIONS, `cannot fit '${data?.name}'`);
  if (typeof options.random?.fork !== "function") {
    throw fail(
      `random is required: pass the training seed as random: new Random(seed) (Random from lib/random.ts), got ${
        describeValue(options.random)
      }`,
    );
  }
  const inputs = model.sizes[0], outputs = model.sizes[model.layers];
  validateDataset(data, { role: `cannot fit '${data?.name}': the training set`, inputs, outputs });
  if (options.test !== undefined) {
    validateDataset(options.test, {
      role: `cannot fit '${data?.name}': the test set '${options.test?.name}'`,
      inputs,
      outputs,
    });
  }
  const n = data.x.cols, b = options.batchSize;
  if (!isCount(b, n)) {
    throw fail(`batchSize must be ${range(n)} (the training set has ${n} samples), got ${b}`);
  }
  if (typeof options.learningRate !== "function") {
    try {
      learningRateAt(options.learningRate, 0);
    } catch {
      throw fail(
        `learningRate must be a finite number > 0 or a schedule, got ${options.learningRate}`,
      );
    }
  }
  let steps: number;
  if (options.steps !== undefined && options.epochs !== undefined) {
    throw fail(
      `give steps or epochs, not both (got steps ${options.steps}, epochs ${options.epochs})`,
    );
  } else if (options.steps !== undefined) {
    if (!isCount(options.steps)) throw fail(`steps must be ${range()}, got ${options.steps}`);
    steps = options.steps;
  } else if (options.epochs !== undefined) {
    const perEpoch = Math.ceil(n / b), max = Math.floor(MAX_COUNT / perEpoch);
    if (!isCount(options.epochs, max)) {
      throw fail(
        `epochs must be ${range(max)} (${perEpoch} steps each), got ${options.epochs}`,
      );
    }
    steps = options.epochs * perEpoch;
  } else {
    throw fail("give steps or epochs");
  }
  const every = options.evaluateEvery ?? Math.max(1, Math.floor(steps / 50));
  if (!isCount(every)) throw fail(`evaluateEvery must be ${range()}, got ${every}`);
  const subset = options.trainSubset;
  if (subset !== undefined && !isCount(subset, n)) {
    throw fail(`trainSubset must be ${range(n)}, got ${subset}`);
  }
  const evaluationBatch = options.evaluationBatchSize;
  if (evaluationBatch !== undefined && !isCount(evaluationBatch)) {
    throw fail(`evaluationBatchSize must be ${range()}, got ${evaluationBatch}`);
  }
  const sampler = options.sampler;
  if (sampler !== undefined && typeof sampler?.sample !== "function") {
    throw fail("sampler must have a sample(context) method");
  }
  if (options.progress !== undefined && !isProgressOption(options.progress)) {
    throw fail(`progress must be ${PROGRESS_CHOICES}, got ${options.progress}`);
  }
  if (options.onEvaluate !== undefined && typeof options.onEvaluate !== "function") {
    throw fail(`onEvaluate must be a function of a history row, got ${options.onEvaluate}`);
  }
  return { steps, batchSize: b, every };
}
