/**
 * What the three parts of the `convergence` reproduction measure along SGD: S and its terms at
 * checkpoints of runs that share θ_0 ({@link speedAlongRun}), a Monte Carlo check of the closed
 * form at snapshots of those runs ({@link monteCarloCheck}), and S against η
 * ({@link learningRateSweep}); and the random stream of each part ({@link partRandom}).
 *
 * @module
 */
import {
  convergenceSpeed,
  courseConvergenceSpeed,
  type ParameterSource,
  parameterVector,
  perSampleGradients,
  setParameterVector,
} from "../../convergence.ts";
import { sampledConvergenceSpeed } from "../../convergence_monte_carlo.ts";
import type { Dataset } from "../../datasets.ts";
import type { Loss } from "../../losses.ts";
import { Mlp } from "../../mlp.ts";
import { Matrix } from "../../matrix.ts";
import { Random } from "../../random.ts";
import { fit } from "../../train.ts";
import { CONVERGENCE_PARTS, type ConvergencePart } from "./profile.ts";
import type { LearningRateRow, MonteCarloRow, SpeedRow } from "./rows.ts";

/**
 * The random stream of one part: the k-th fork of the seed, so that parts run in any order.
 *
 * @example
 * ```ts
 * import { partRandom } from "@lib/experiments/convergence/measure.ts";
 * import assert from "node:assert/strict";
 * assert.equal(partRandom(1, "mnist").uint32(), partRandom(1, "mnist").uint32());
 * assert.notEqual(partRandom(1, "linear").uint32(), partRandom(1, "outlier").uint32());
 * ```
 */
export function partRandom(seed: number, part: ConvergencePart): Random {
  const root = new Random(seed);
  let r = root.fork();
  for (let k = 0; k < CONVERGENCE_PARTS.indexOf(part); k++) r = root.fork();
  return r;
}

// ---------------------------------------------------------------------------------------------
// S along an SGD run

/** Options of {@link speedAlongRun}. */
export interface SpeedAlongRunOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** θ* (exact, or an approximation: say which wherever it is shown). */
  thetaStar: ParameterSource;
  /** η, constant. */
  learningRate: number;
  /** One run per batch size b, each from the same initial θ. */
  batchSizes: readonly number[];
  /** SGD steps per run. */
  steps: number;
  /** Measure S every k steps (and at steps 0 and `steps`). */
  evaluateEvery: number;
  /** The runs' minibatches: one fork per batch size, in order. */
  random: Random;
  /** Steps at which to keep a copy of θ (for {@link monteCarloCheck}). Default none. */
  snapshotSteps?: readonly number[];
  /** The data set's name, written in a `data` field of every row. Default none. */
  data?: string;
}

/** θ at one step of one run, kept for a later check. */
export interface Snapshot {
  /** The run's batch size b. */
  batchSize: number;
  /** The step at which θ was copied. */
  step: number;
  /** θ, flattened as {@link parameterVector}. */
  theta: Float64Array;
}

/** What {@link speedAlongRun} measured. */
export interface SpeedRun {
  /** One row per run and evaluation ({@link SpeedRow}: S, its terms, ‖θ − θ*‖², Tr V_p). */
  rows: SpeedRow[];
  /** θ at the requested steps of every run. */
  snapshots: Snapshot[];
}

/** The columns of a {@link SpeedRow} that depend on θ only. */
type SpeedAtTheta = Omit<SpeedRow, "data" | "batch_size" | "step" | "train_loss">;

/**
 * The closed-form S of uniform sampling, and its terms, at θ. The per-sample gradients of
 * `model` on `data` are computed here.
 */
function speedAtTheta(
  model: Mlp,
  data: Dataset,
  options: {
    loss: string | Loss;
    thetaStar: Float64Array;
    learningRate: number;
    batchSize: number;
    /** Where to write the per-sample gradients (one buffer for every θ of a run). */
    into: Matrix;
  },
): SpeedAtTheta {
  const G = perSampleGradients(model, data, { loss: options.loss, into: options.into });
  const theta = parameterVector(model);
  const s = convergenceSpeed(G, { ...options, theta });
  let distance = 0;
  for (let k = 0; k < theta.length; k++) distance += (theta[k] - options.thetaStar[k]) ** 2;
  return {
    distance_squared: distance,
    progress: s.progress,
    mean_gradient_term: s.meanGradientTerm,
    variance_term: s.varianceTerm,
    speed: s.speed,
    relative_speed: distance > 0 ? s.speed / distance : null,
    full_batch_speed: s.progress - s.meanGradientTerm,
    mean_gradient_squared_norm: s.meanGradientSquaredNorm,
    trace_variance: s.traceVariance,
  };
}

/**
 * Trains a copy of `model` by uniform SGD (with replacement) for each batch size b, from the same
 * initial θ, and measures the closed-form S for that b and its terms every `evaluateEvery` steps,
 * at the θ the run has reached. `model` itself is not changed.
 *
 * @throws {RangeError} as {@link fit} and {@link convergenceSpeed} for bad options or shapes
 * @example On a linear regression with exact θ*, S is positive far from θ*
 * ```ts
 * import { speedAlongRun } from "@lib/experiments/convergence/measure.ts";
 * import { linearRegression, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { dataset, thetaStar } = linearRegression({ random: new Random(1), n: 64, d: 3, noise: 0.1 });
 * const model = Mlp.create([3, 1], { random: new Random(2) });
 * const run = await speedAlongRun(model, dataset, {
 *   loss: "squaredError", thetaStar: thetaStar.data, learningRate: 0.05, batchSizes: [1, 8],
 *   steps: 20, evaluateEvery: 10, random: new Random(3), snapshotSteps: [10],
 * });
 * assert.deepEqual(run.rows.map((r) => `${r.batch_size}@${r.step}`), ["1@0", "1@10", "1@20", "8@0", "8@10", "8@20"]);
 * assert.ok(run.rows[0].speed > 0);
 * assert.equal(run.rows[0].progress, run.rows[3].progress); // same θ_0, same first term
 * assert.deepEqual(run.snapshots.map((s) => s.step), [10, 10]);
 * ```
 */
export async function speedAlongRun(
  model: Mlp,
  data: Dataset,
  options: SpeedAlongRunOptions,
): Promise<SpeedRun> {
  const thetaStar = options.thetaStar instanceof Mlp
    ? parameterVector(options.thetaStar)
    : Float64Array.from(options.thetaStar);
  const rows: SpeedRow[] = [], snapshots: Snapshot[] = [];
  const keep = new Set(options.snapshotSteps ?? []);
  const into = new Matrix(data.x.cols, model.parameterCount);
  for (const b of options.batchSizes) {
    const random = options.random.fork();
    const run = model.clone();
    const measure = (step: number, trainLoss: number) => {
      rows.push({
        ...(options.data === undefined ? {} : { data: options.data }),
        batch_size: b,
        step,
        train_loss: trainLoss,
        ...speedAtTheta(run, data, { ...options, thetaStar, batchSize: b, into }),
      });
      if (keep.has(step)) snapshots.push({ batchSize: b, step, theta: parameterVector(run) });
    };
    await fit(run, data, {
      loss: options.loss,
      random,
      batchSize: b,
      learningRate: options.learningRate,
      steps: options.steps,
      evaluateEvery: options.evaluateEvery,
      progress: "none",
      onEvaluate: (row) => measure(row.step, row.train_loss),
    });
  }
  return { rows, snapshots };
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo check at snapshots

/** Options of {@link monteCarloCheck}. */
export interface MonteCarloCheckOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** θ*, as in the run. */
  thetaStar: ParameterSource;
  /** η, as in the run. */
  learningRate: number;
  /** The θ to check, each with the batch size of its run. */
  snapshots: readonly Snapshot[];
  /** Real SGD steps per snapshot. */
  draws: number;
  /** The minibatches: one fork per snapshot, in order. */
  random: Random;
}

/**
 * At each snapshot θ: the closed-form S (uniform sampling, the snapshot's b), the course's η-free
 * value 2(θ − θ*)ᵀḠ − E‖g‖², and a Monte Carlo estimate of S from `draws` real SGD steps on the
 * network ({@link sampledConvergenceSpeed}) with its standard error and the z-score
 * (monte_carlo − closed_form) / standard_error.
 *
 * @example The estimate agrees with the closed form
 * ```ts
 * import { monteCarloCheck } from "@lib/experiments/convergence/measure.ts";
 * import { linearRegression, Mlp, parameterVector, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { dataset, thetaStar } = linearRegression({ random: new Random(1), n: 32, d: 2, noise: 0.1 });
 * const model = Mlp.create([2, 1], { random: new Random(2) });
 * const [row] = monteCarloCheck(model, dataset, {
 *   loss: "squaredError", thetaStar: thetaStar.data, learningRate: 0.1, draws: 2000, random: new Random(3),
 *   snapshots: [{ batchSize: 4, step: 0, theta: parameterVector(model) }],
 * });
 * assert.ok(Math.abs(row.z_score) < 4);
 * ```
 */
export function monteCarloCheck(
  model: Mlp,
  data: Dataset,
  options: MonteCarloCheckOptions,
): MonteCarloRow[] {
  const at = model.clone();
  const into = new Matrix(data.x.cols, model.parameterCount);
  return options.snapshots.map((snapshot) => {
    const random = options.random.fork();
    setParameterVector(at, snapshot.theta);
    const G = perSampleGradients(at, data, { loss: options.loss, into });
    const step = {
      theta: snapshot.theta,
      thetaStar: options.thetaStar,
      batchSize: snapshot.batchSize,
    };
    const closed = convergenceSpeed(G, { ...step, learningRate: options.learningRate }).speed;
    const mc = sampledConvergenceSpeed(at, data, {
      loss: options.loss,
      thetaStar: options.thetaStar,
      learningRate: options.learningRate,
      batchSize: snapshot.batchSize,
      draws: options.draws,
      random,
    });
    const z = (mc.mean - closed) / mc.standardError;
    return {
      batch_size: snapshot.batchSize,
      step: snapshot.step,
      closed_form: closed,
      monte_carlo: mc.mean,
      standard_error: mc.standardError,
      draws: mc.draws,
      z_score: z,
      within_4_se: Math.abs(z) < 4,
      course_value: courseConvergenceSpeed(G, step),
    };
  });
}

/** Options of {@link learningRateSweep}. */
export interface LearningRateSweepOptions {
  /** The per-sample loss. */
  loss: string | Loss;
  /** θ*. */
  thetaStar: ParameterSource;
  /** b. */
  batchSize: number;
  /** The values of η to evaluate S at. */
  learningRates: readonly number[];
  /** Real SGD steps per η. */
  draws: number;
  /** The minibatches: one fork per η, in order. */
  random: Random;
}

/**
 * S at the network's current θ as a function of η: per η, the closed form, a Monte Carlo estimate
 * from `draws` real SGD steps with its standard error and z-score, and the course's η-free value
 * 2(θ − θ*)ᵀE[g] − E‖g‖² (the same for every η, equal to S at η = 1 only). Also the η at which
 * the closed form vanishes, 2(θ − θ*)ᵀḠ / E‖g‖², in every row (`zero_crossing`), with the two
 * coefficients of S(η) = η · progress_per_eta − η² · expected_squared_norm.
 *
 * @example The course's value is S at η = 1
 * ```ts
 * import { learningRateSweep } from "@lib/experiments/convergence/measure.ts";
 * import { linearRegression, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { dataset, thetaStar } = linearRegression({ random: new Random(1), n: 32, d: 2, noise: 0.1 });
 * const model = Mlp.create([2, 1], { random: new Random(2) });
 * const rows = learningRateSweep(model, dataset, {
 *   loss: "squaredError", thetaStar: thetaStar.data, batchSize: 4, learningRates: [0.05, 1],
 *   draws: 100, random: new Random(3),
 * });
 * assert.ok(Math.abs(rows[1].closed_form - rows[1].course_value) < 1e-12);
 * assert.notEqual(rows[0].closed_form, rows[0].course_value);
 * ```
 */
export function learningRateSweep(
  model: Mlp,
  data: Dataset,
  options: LearningRateSweepOptions,
): LearningRateRow[] {
  const G = perSampleGradients(model, data, { loss: options.loss });
  const step = { theta: model, thetaStar: options.thetaStar, batchSize: options.batchSize };
  const course = courseConvergenceSpeed(G, step);
  const atOne = convergenceSpeed(G, { ...step, learningRate: 1 });
  const zeroCrossing = atOne.progress / atOne.expectedSquaredNorm;
  return options.learningRates.map((eta) => {
    const random = options.random.fork();
    const closed = convergenceSpeed(G, { ...step, learningRate: eta }).speed;
    const mc = sampledConvergenceSpeed(model, data, {
      loss: options.loss,
      thetaStar: options.thetaStar,
      learningRate: eta,
      batchSize: options.batchSize,
      draws: options.draws,
      random,
    });
    return {
      learning_rate: eta,
      batch_size: options.batchSize,
      closed_form: closed,
      monte_carlo: mc.mean,
      standard_error: mc.standardError,
      z_score: (mc.mean - closed) / mc.standardError,
      course_value: course,
      zero_crossing: zeroCrossing,
      progress_per_eta: atOne.progress,
      expected_squared_norm: atOne.expectedSquaredNorm,
    };
  });
}
