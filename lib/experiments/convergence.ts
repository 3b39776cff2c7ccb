/**
 * Reproduction of course section 3: the convergence speed S of SGD,
 *
 *   S = 2η (θ − θ*)ᵀ Ḡ − η² ‖Ḡ‖² − η² Tr V_p / b,
 *
 * measured along real SGD runs. On a linear regression θ* is exact; the course's outlier scenario
 * compares noise-free data with the same data where one target carries a large error; on an MNIST
 * MLP θ* is approximated by the end of a long full-batch run. Closed forms come from
 * lib/convergence.ts, and a Monte Carlo estimate from real SGD steps checks them at checkpoints.
 *
 * @module
 */
import {
  convergenceSpeed,
  courseConvergenceSpeed,
  optimalDistribution,
  type ParameterSource,
  parameterVector,
  type PerSampleGradients,
  perSampleGradients,
  setParameterVector,
} from "../convergence.ts";
import { sampledConvergenceSpeed } from "../convergence_monte_carlo.ts";
import { type Dataset, type LinearRegression, linearRegression, loadMnist } from "../datasets.ts";
import type { CsvRow, CsvValue } from "../io.ts";
import type { Loss } from "../losses.ts";
import { Matrix } from "../matrix.ts";
import { Mlp } from "../mlp.ts";
import {
  barChart,
  type ChartSpec,
  lineChart,
  panelsChart,
  VEGA_LITE_V6_SCHEMA,
  type VegaLiteSpec,
} from "../plot.ts";
import { cumulative, Random } from "../random.ts";
import { Sgd } from "../sgd.ts";
import { fit } from "../train.ts";
import {
  concatTables,
  type Reproduction,
  type ReproductionOptions,
  unitReproduction,
} from "./reproduction.ts";

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
  /** Extra columns written in front of every row (e.g. `{ data: "clean" }`). */
  label?: Readonly<Record<string, CsvValue>>;
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
  /**
   * One row per run and evaluation: batch_size, step, train_loss, distance_squared ‖θ − θ*‖²,
   * progress 2η(θ − θ*)ᵀḠ, mean_gradient_term η²‖Ḡ‖², variance_term η² Tr V_p / b, speed S,
   * relative_speed S / ‖θ − θ*‖², mean_gradient_squared_norm ‖Ḡ‖², trace_variance Tr V_p (one
   * uniform draw) and full_batch_speed (progress − mean_gradient_term, the S of gradient descent).
   */
  rows: CsvRow[];
  /** θ at the requested steps of every run. */
  snapshots: Snapshot[];
}

/**
 * The closed-form S of uniform sampling, and its terms, at θ: one CSV row. The per-sample
 * gradients of `model` on `data` are computed here.
 */
function speedRow(
  model: Mlp,
  data: Dataset,
  options: {
    loss: string | Loss;
    thetaStar: Float64Array;
    learningRate: number;
    batchSize: number;
  },
): CsvRow {
  const G = perSampleGradients(model, data, { loss: options.loss });
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
 * import { speedAlongRun } from "@lib/experiments/convergence.ts";
 * import { linearRegression, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { dataset, thetaStar } = linearRegression({ random: new Random(1), n: 64, d: 3, noise: 0.1 });
 * const model = Mlp.create([3, 1], { random: new Random(2) });
 * const run = await speedAlongRun(model, dataset, {
 *   loss: "squaredError", thetaStar: thetaStar.data, learningRate: 0.05, batchSizes: [1, 8],
 *   steps: 20, evaluateEvery: 10, random: new Random(3), snapshotSteps: [10],
 * });
 * assert.deepEqual(run.rows.map((r) => `${r.batch_size}@${r.step}`), ["1@0", "1@10", "1@20", "8@0", "8@10", "8@20"]);
 * assert.ok((run.rows[0].speed as number) > 0);
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
  const rows: CsvRow[] = [], snapshots: Snapshot[] = [];
  const keep = new Set(options.snapshotSteps ?? []);
  for (const b of options.batchSizes) {
    const random = options.random.fork();
    const run = model.clone();
    const measure = (step: number, trainLoss: number) => {
      rows.push({
        ...options.label,
        batch_size: b,
        step,
        train_loss: trainLoss,
        ...speedRow(run, data, { ...options, thetaStar, batchSize: b }),
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
 * import { monteCarloCheck } from "@lib/experiments/convergence.ts";
 * import { linearRegression, Mlp, parameterVector, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { dataset, thetaStar } = linearRegression({ random: new Random(1), n: 32, d: 2, noise: 0.1 });
 * const model = Mlp.create([2, 1], { random: new Random(2) });
 * const [row] = monteCarloCheck(model, dataset, {
 *   loss: "squaredError", thetaStar: thetaStar.data, learningRate: 0.1, draws: 2000, random: new Random(3),
 *   snapshots: [{ batchSize: 4, step: 0, theta: parameterVector(model) }],
 * });
 * assert.ok(Math.abs(row.z_score as number) < 4);
 * ```
 */
export function monteCarloCheck(
  model: Mlp,
  data: Dataset,
  options: MonteCarloCheckOptions,
): CsvRow[] {
  const at = model.clone();
  return options.snapshots.map((snapshot) => {
    const random = options.random.fork();
    setParameterVector(at, snapshot.theta);
    const G = perSampleGradients(at, data, { loss: options.loss });
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
 * import { learningRateSweep } from "@lib/experiments/convergence.ts";
 * import { linearRegression, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { dataset, thetaStar } = linearRegression({ random: new Random(1), n: 32, d: 2, noise: 0.1 });
 * const model = Mlp.create([2, 1], { random: new Random(2) });
 * const rows = learningRateSweep(model, dataset, {
 *   loss: "squaredError", thetaStar: thetaStar.data, batchSize: 4, learningRates: [0.05, 1],
 *   draws: 100, random: new Random(3),
 * });
 * assert.ok(Math.abs((rows[1].closed_form as number) - (rows[1].course_value as number)) < 1e-12);
 * assert.notEqual(rows[0].closed_form, rows[0].course_value);
 * ```
 */
export function learningRateSweep(
  model: Mlp,
  data: Dataset,
  options: LearningRateSweepOptions,
): CsvRow[] {
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

// ---------------------------------------------------------------------------------------------
// The variance of the gradient norm

function gradientRows(gradients: PerSampleGradients): Float64Array[] {
  if (gradients instanceof Matrix) {
    const { rows, cols, data } = gradients;
    return Array.from({ length: rows }, (_, i) => data.subarray(i * cols, (i + 1) * cols));
  }
  return gradients as Float64Array[];
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
 * import { gradientNormMoments } from "@lib/experiments/convergence.ts";
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
  const rows = gradientRows(gradients), n = rows.length, b = options.batchSize;
  const action = "cannot estimate the moments of the gradient norm";
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`${action}: batchSize must be an integer >= 1, got ${b}`);
  }
  if (!Number.isInteger(options.draws) || options.draws < 2) {
    throw new RangeError(`${action}: draws must be an integer >= 2, got ${options.draws}`);
  }
  const p = options.p === undefined
    ? new Float64Array(n).fill(1 / n)
    : Float64Array.from(options.p);
  if (p.length !== n) throw new RangeError(`${action}: p has ${p.length} entries for ${n} samples`);
  if (b === 1) {
    let meanNorm = 0, meanSquaredNorm = 0;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (const v of rows[i]) sq += v * v;
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
  const cdf = cumulative(p), P = rows[0]?.length ?? 0, g = new Float64Array(P);
  let sum = 0, sumSq = 0;
  const norms = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    g.fill(0);
    for (let j = 0; j < b; j++) {
      const i = options.random.fromCumulative(cdf), scale = 1 / (b * n * p[i]), row = rows[i];
      for (let k = 0; k < P; k++) g[k] += scale * row[k];
    }
    let sq = 0;
    for (let k = 0; k < P; k++) sq += g[k] * g[k];
    norms[d] = Math.sqrt(sq);
    sum += norms[d];
    sumSq += sq;
  }
  const m = options.draws, meanNorm = sum / m;
  let ss = 0;
  for (let d = 0; d < m; d++) ss += (norms[d] - meanNorm) ** 2;
  return { meanNorm, normVariance: ss / (m - 1), meanSquaredNorm: sumSq / m, draws: m };
}

// ---------------------------------------------------------------------------------------------
// The course's outlier scenario

/** Options of {@link outlierScenario}. */
export interface OutlierScenarioOptions {
  /** Draws θ_fit and x (one number is taken from it; both data sets are built from that seed). */
  random: Random;
  /** Number of samples N. */
  n: number;
  /** Number of features d. */
  d: number;
  /** The error E added to the one outlier's target. */
  outlierError: number;
}

/** Two linear regressions that differ in one target. */
export interface OutlierScenario {
  /** Noise-free targets y_i = θ_fit·[x_i; 1]: θ_fit fits every sample, and θ* = θ_fit. */
  clean: LinearRegression;
  /** The same x and y, except y_0 = θ_fit·[x_0; 1] + E: θ_fit fits every sample but sample 0. */
  outlier: LinearRegression;
  /** θ_fit (1×(d+1), bias last), the state "fits all samples but one" of the outlier data. */
  thetaFit: Matrix;
  /** The outlier's column (0). */
  outlierIndex: number;
}

/**
 * The course's scenario, made precise: targets generated exactly (no noise) by a θ_fit, once as
 * they are and once with one sample's target moved by E. At θ = θ_fit every sample of the outlier
 * data is fitted but sample 0, whose residual is −E; the clean data is fitted exactly.
 *
 * @example
 * ```ts
 * import { outlierScenario } from "@lib/experiments/convergence.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const s = outlierScenario({ random: new Random(1), n: 20, d: 2, outlierError: 10 });
 * assert.deepEqual(s.clean.dataset.x.data, s.outlier.dataset.x.data);
 * const dy = s.outlier.dataset.y.data.map((v, i) => v - s.clean.dataset.y.data[i]);
 * assert.deepEqual(Array.from(dy), [10, ...new Array(19).fill(0)]);
 * ```
 */
export function outlierScenario(options: OutlierScenarioOptions): OutlierScenario {
  const seed = options.random.uint32();
  const base = { n: options.n, d: options.d, noise: 0 };
  const clean = linearRegression({ ...base, random: new Random(seed) });
  const outlier = linearRegression({
    ...base,
    random: new Random(seed),
    outliers: 1,
    outlierError: options.outlierError,
  });
  clean.dataset.name = "clean";
  outlier.dataset.name = "one outlier";
  return { clean, outlier, thetaFit: clean.thetaTrue, outlierIndex: 0 };
}

/** Options of {@link outlierState}. */
export interface OutlierStateOptions {
  /** η. */
  learningRate: number;
  /** The batch sizes b to evaluate S for. */
  batchSizes: readonly number[];
  /** Minibatch gradients drawn to estimate Var ‖g‖. */
  draws: number;
  /** The draws of the Var ‖g‖ estimates. */
  random: Random;
}

/**
 * The side-by-side table of the course's state θ = θ_fit: for the clean data and the outlier data
 * under uniform sampling, and for the outlier data under p_i ∝ ‖G_i‖ (the preview of importance
 * sampling), per batch size: Tr V[g] = Tr V_p / b, Var ‖g‖ and E‖g‖ (exact at b = 1, Monte Carlo
 * otherwise; {@link gradientNormMoments}), S and its
 * terms, the full-batch S (progress − mean_gradient_term), and the outlier's share of Σ‖G_i‖².
 *
 * @example The outlier raises Tr V and lowers S at b = 1
 * ```ts
 * import { outlierScenario, outlierState } from "@lib/experiments/convergence.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const scenario = outlierScenario({ random: new Random(1), n: 64, d: 3, outlierError: 10 });
 * const rows = outlierState(scenario, { learningRate: 0.05, batchSizes: [1], draws: 100, random: new Random(2) });
 * const [clean, outlier] = rows;
 * assert.ok((clean.trace_variance_g as number) < 1e-20); // 0 up to rounding: θ_fit is the clean θ*
 * assert.ok((outlier.trace_variance_g as number) > 0 && (outlier.speed as number) < 0);
 * ```
 */
export function outlierState(scenario: OutlierScenario, options: OutlierStateOptions): CsvRow[] {
  const d = scenario.thetaFit.cols - 1;
  const model = Mlp.create([d, 1], { random: new Random(0), output: "identity" });
  setParameterVector(model, scenario.thetaFit.data);
  const rows: CsvRow[] = [];
  const cases = [
    { data: scenario.clean, sampling: "uniform" },
    { data: scenario.outlier, sampling: "uniform" },
    { data: scenario.outlier, sampling: "p ∝ ‖G_i‖" },
  ];
  for (const { data, sampling } of cases) {
    const G = perSampleGradients(model, data.dataset, { loss: "squaredError" });
    const p = sampling === "uniform" ? undefined : optimalDistribution(G);
    const n = G.rows, P = G.cols;
    let total = 0, outlierSq = 0;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let k = 0; k < P; k++) sq += G.data[i * P + k] ** 2;
      total += sq;
      if (i === scenario.outlierIndex) outlierSq = sq;
    }
    for (const b of options.batchSizes) {
      const s = convergenceSpeed(G, {
        theta: scenario.thetaFit.data,
        thetaStar: data.thetaStar.data,
        learningRate: options.learningRate,
        batchSize: b,
        p,
      });
      const moments = gradientNormMoments(G, {
        batchSize: b,
        draws: options.draws,
        random: options.random.fork(),
        p,
      });
      rows.push({
        data: data.dataset.name,
        sampling,
        batch_size: b,
        trace_variance_g: s.traceVariance / b,
        gradient_norm_variance: moments.normVariance,
        mean_gradient_norm: moments.meanNorm,
        norm_moment_draws: moments.draws,
        mean_gradient_squared_norm: s.meanGradientSquaredNorm,
        progress: s.progress,
        mean_gradient_term: s.meanGradientTerm,
        variance_term: s.varianceTerm,
        speed: s.speed,
        full_batch_speed: s.progress - s.meanGradientTerm,
        outlier_share: total > 0 ? outlierSq / total : null,
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// MNIST: θ* approximated by a long full-batch run

/** Options of {@link mnistSpeed}. */
export interface MnistSpeedOptions {
  /** The split, the initial θ and the runs' minibatches (forked in that order). */
  random: Random;
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

/** What {@link mnistSpeed} measured. */
export interface MnistSpeed extends SpeedRun {
  /** The approximate θ*: how it was obtained and how close to stationary it is. */
  thetaStarRow: CsvRow;
  /** The network at θ_0 (the start of every run). */
  model: Mlp;
  /** The network at the approximate θ*. */
  thetaStar: Mlp;
  /** The training subset. */
  data: Dataset;
}

/**
 * S along SGD on an MNIST subset with a 784-h-10 relu network and softmax cross-entropy. θ* is
 * not known: it is approximated by θ̂*, the end point of `fullBatchSteps` steps of full-batch
 * gradient descent from the same initial θ_0 as the SGD runs. The network can fit a small subset,
 * so the cross-entropy has no finite minimiser there and θ̂* depends on the length of that run;
 * `thetaStarRow` reports its training loss and the norm of the full gradient at θ̂*.
 *
 * @example
 * ```ts
 * import { mnistSpeed } from "@lib/experiments/convergence.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const r = await mnistSpeed({
 *   random: new Random(1), trainSize: 64, hidden: 4, fullBatchSteps: 50, fullBatchLearningRate: 0.5,
 *   learningRate: 0.1, batchSizes: [8], steps: 10, evaluateEvery: 5,
 * });
 * assert.equal(r.rows.length, 3);
 * assert.ok((r.thetaStarRow.train_loss as number) < (r.rows[0].train_loss as number));
 * ```
 */
export async function mnistSpeed(options: MnistSpeedOptions): Promise<MnistSpeed> {
  const loss = "softmaxCrossEntropy";
  const { train } = await loadMnist({
    random: options.random.fork(),
    trainSize: options.trainSize,
    testSize: 1,
  });
  train.name = `mnist ${options.trainSize}`;
  const model = Mlp.create([784, options.hidden, 10], {
    random: options.random.fork(),
    activation: "relu",
  });
  const star = model.clone();
  const gd = new Sgd(star, { loss, learningRate: options.fullBatchLearningRate });
  for (let t = 0; t < options.fullBatchSteps; t++) gd.step(train.x, train.y);
  const { loss: starLoss, grads } = star.lossAndGradient(train.x, train.y, { loss });
  let gradSq = 0;
  for (const g of grads) for (const v of g.data) gradSq += v * v;
  const theta0 = parameterVector(model), thetaStar = parameterVector(star);
  let distance = 0;
  for (let k = 0; k < theta0.length; k++) distance += (theta0[k] - thetaStar[k]) ** 2;
  const predicted = star.predict(train.x);
  let correct = 0;
  for (let j = 0; j < train.x.cols; j++) {
    let best = 0;
    for (let r = 1; r < 10; r++) {
      if (predicted.get(r, j) > predicted.get(best, j)) best = r;
    }
    if (best === train.labels![j]) correct++;
  }
  const run = await speedAlongRun(model, train, {
    loss,
    thetaStar,
    learningRate: options.learningRate,
    batchSizes: options.batchSizes,
    steps: options.steps,
    evaluateEvery: options.evaluateEvery,
    random: options.random.fork(),
    snapshotSteps: options.snapshotSteps,
  });
  return {
    ...run,
    thetaStarRow: {
      full_batch_steps: options.fullBatchSteps,
      full_batch_learning_rate: options.fullBatchLearningRate,
      train_size: options.trainSize,
      hidden: options.hidden,
      parameters: model.parameterCount,
      train_loss: starLoss,
      train_accuracy: correct / train.x.cols,
      gradient_norm: Math.sqrt(gradSq),
      distance_from_start: Math.sqrt(distance),
    },
    model,
    thetaStar: star,
    data: train,
  };
}

// ---------------------------------------------------------------------------------------------
// The reproduction

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
  mnist: Omit<MnistSpeedOptions, "random"> & { draws: number };
}

/**
 * The two profiles: "quick" (the default, well under a minute) and "full".
 *
 * @example
 * ```ts
 * import { convergenceProfiles } from "@lib/experiments/convergence.ts";
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
 * import { convergenceTables, smokeProfile } from "@lib/experiments/convergence.ts";
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

const num = (v: CsvValue) => v as number;

function fmt(v: number, digits = 3): string {
  if (v === 0) return "0";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(digits) : v.toExponential(2);
}

/** Columns facet: the spec's single view repeated per value of `field`, in the given order. */
function facetColumns(spec: ChartSpec, field: string, order: readonly string[]): ChartSpec {
  spec.encoding.column = { field, type: "nominal", title: null, sort: [...order] };
  return spec;
}

/** Fixes the order of a channel's categories (axis, legend and colours) and widens its labels. */
function ordered(spec: ChartSpec, channel: string, order: readonly string[]): ChartSpec {
  spec.encoding[channel].sort = [...order];
  if (channel === "color") spec.encoding.color.legend = { labelLimit: 400 };
  return spec;
}

const bLabels = (sizes: readonly number[]) => sizes.map((b) => `b = ${b}`);

const TERMS = ["progress 2η(θ−θ*)ᵀḠ", "penalty η²‖Ḡ‖²", "penalty η² Tr V / b"];

/** Plain lines (no point marks), for dense series. */
function plainLines(spec: ChartSpec): ChartSpec {
  spec.mark = { type: "line" };
  return spec;
}

/** The terms of S along a run, in long form for a chart with log y (non-positive values left out). */
function termRows(rows: readonly CsvRow[]): CsvRow[] {
  const terms: [string, string][] = [
    ["progress", TERMS[0]],
    ["mean_gradient_term", TERMS[1]],
    ["variance_term", TERMS[2]],
  ];
  return rows.flatMap((r) =>
    terms.filter(([key]) => num(r[key]) > 0).map(([key, term]) => ({
      b: `b = ${r.batch_size}`,
      step: r.step,
      term,
      value: r[key],
    }))
  );
}

/** Side-by-side panels over one data set; each panel filters the rows to one measure. */
function panels(
  rows: readonly CsvRow[],
  options: {
    title: string;
    color: string;
    x: string;
    panels: { measure: string; title: string; log: boolean }[];
  },
): VegaLiteSpec {
  return panelsChart(rows, {
    title: options.title,
    panels: options.panels.map((p) => ({
      width: 260,
      height: 220,
      transform: [{ filter: { field: "measure", equal: p.measure } }],
      mark: { type: "line" },
      encoding: {
        x: { field: options.x, type: "quantitative", title: options.x },
        y: {
          field: "value",
          type: "quantitative",
          title: p.title,
          scale: p.log ? { type: "log" } : { zero: false },
        },
        color: { field: options.color, type: "nominal", title: options.color },
      },
    })),
  }) as unknown as VegaLiteSpec;
}

const PARTS = ["linear", "outlier", "mnist"] as const;

/** The three independent parts (units) of the reproduction. */
export type ConvergencePart = (typeof PARTS)[number];

/** The random stream of one part: the k-th fork of the seed, so parts run in any order. */
function partRandom(seed: number, part: ConvergencePart): Random {
  const root = new Random(seed);
  let r = root.fork();
  for (let k = 0; k < PARTS.indexOf(part); k++) r = root.fork();
  return r;
}

/** Part 1: linear regression with exact θ*: S along SGD per b, and Monte Carlo at snapshots. */
/** Options naming a seed and a profile ("quick", "full" or sizes of your own). */
export interface ConvergenceSeedOptions {
  /** The seed of the whole reproduction. */
  seed: number;
  /** The profile. */
  profile: ReproductionOptions["profile"] | ConvergenceProfile;
}

function resolveProfile(profile: ConvergenceSeedOptions["profile"]): ConvergenceProfile {
  return typeof profile === "string" ? convergenceProfiles[profile] : profile;
}

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
 * import { linearSetup } from "@lib/experiments/convergence.ts";
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

/** What the "outlier" part starts from. */
export interface OutlierSetup {
  /** The clean and the outlier data sets and θ_fit. */
  scenario: OutlierScenario;
  /** The part's random stream after this draw (state, θ_0 and runs). */
  random: Random;
}

/**
 * The outlier scenario of the "outlier" part, exactly as the reproduction draws it for this seed
 * and profile.
 *
 * @example
 * ```ts
 * import { outlierSetup } from "@lib/experiments/convergence.ts";
 * import assert from "node:assert/strict";
 * const { scenario } = outlierSetup({ seed: 1, profile: "quick" });
 * assert.equal(scenario.outlier.dataset.y.get(0, 0) - scenario.clean.dataset.y.get(0, 0), 50);
 * ```
 */
export function outlierSetup(options: ConvergenceSeedOptions): OutlierSetup {
  const O = resolveProfile(options.profile).outlier;
  const random = partRandom(options.seed, "outlier");
  const scenario = outlierScenario({
    random: random.fork(),
    n: O.n,
    d: O.d,
    outlierError: O.outlierError,
  });
  return { scenario, random };
}

async function linearPart(L: ConvergenceProfile["linear"], setup: LinearSetup) {
  const { regression, model, random } = setup;
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
  return {
    tables: { linear_speed: run.rows, linear_monte_carlo: check, linear_learning_rate: sweep },
  };
}

/** Part 2: the outlier scenario: the state θ_fit, and SGD on both data sets with the same draws. */
async function outlierPart(O: ConvergenceProfile["outlier"], setup: OutlierSetup) {
  const { scenario, random } = setup;
  const state = outlierState(scenario, {
    learningRate: O.learningRate,
    batchSizes: O.batchSizes,
    draws: O.draws,
    random: random.fork(),
  });
  const model = Mlp.create([O.d, 1], { random: random.fork(), output: "identity" });
  const runSeed = random.uint32();
  const runs: CsvRow[] = [];
  for (const data of [scenario.clean, scenario.outlier]) {
    const r = await speedAlongRun(model, data.dataset, {
      loss: "squaredError",
      thetaStar: data.thetaStar.data,
      learningRate: O.learningRate,
      batchSizes: O.batchSizes,
      steps: O.steps,
      evaluateEvery: O.evaluateEvery,
      random: new Random(runSeed), // the same minibatch draws on both data sets
      label: { data: data.dataset.name },
    });
    runs.push(...r.rows);
  }
  return { tables: { outlier_state: state, outlier_runs: runs } };
}

/** Part 3: the MNIST MLP, θ* approximated by a long full-batch run. */
async function mnistPart(M: ConvergenceProfile["mnist"], random: Random) {
  const mnist = await mnistSpeed({ ...M, random: random.fork() });
  const check = monteCarloCheck(mnist.model, mnist.data, {
    loss: "softmaxCrossEntropy",
    thetaStar: mnist.thetaStar,
    learningRate: M.learningRate,
    snapshots: mnist.snapshots,
    draws: M.draws,
    random: random.fork(),
  });
  return {
    tables: {
      mnist_speed: mnist.rows,
      mnist_theta_star: [mnist.thetaStarRow],
      mnist_monte_carlo: check,
    },
  };
}

/**
 * The tables of one part of the reproduction ("linear", "outlier" or "mnist") for a seed and a
 * profile ("quick", "full" or sizes of your own), from that part's own random stream.
 *
 * @example The same seed gives the same rows
 * ```ts
 * import { convergenceTables } from "@lib/experiments/convergence.ts";
 * import assert from "node:assert/strict";
 * const a = await convergenceTables("outlier", { seed: 1, profile: "quick" });
 * const b = await convergenceTables("outlier", { seed: 1, profile: "quick" });
 * assert.deepEqual(a, b);
 * assert.deepEqual(Object.keys(a), ["outlier_state", "outlier_runs"]);
 * ```
 */
export async function convergenceTables(
  part: ConvergencePart,
  options: ConvergenceSeedOptions,
): Promise<Record<string, CsvRow[]>> {
  const profile = resolveProfile(options.profile);
  if (part === "linear") return (await linearPart(profile.linear, linearSetup(options))).tables;
  if (part === "outlier") return (await outlierPart(profile.outlier, outlierSetup(options))).tables;
  if (part === "mnist") {
    return (await mnistPart(profile.mnist, partRandom(options.seed, part))).tables;
  }
  throw new RangeError(
    `cannot run part '${part}' of the convergence reproduction: expected one of ${
      PARTS.join(", ")
    }`,
  );
}

/** Rounds the inline data of a chart to 4 significant digits: enough to draw, a third the size. */
function compactData(spec: VegaLiteSpec): void {
  const values = (spec as { data?: { values?: Record<string, unknown>[] } }).data?.values ?? [];
  for (const row of values) {
    for (const [key, v] of Object.entries(row)) {
      if (typeof v === "number" && Number.isFinite(v)) row[key] = Number(v.toPrecision(4));
    }
  }
}

/**
 * The chart of a {@link learningRateSweep}: the closed form S(η) = η · progress_per_eta − η² ·
 * expected_squared_norm as a curve over a dense grid, the Monte Carlo estimates as points, and the
 * course's η-free value as a dashed line; log η axis, symmetric log S axis.
 *
 * @example
 * ```ts
 * import { learningRateChart } from "@lib/experiments/convergence.ts";
 * import assert from "node:assert/strict";
 * const rows = [0.1, 1].map((eta) => ({
 *   learning_rate: eta, closed_form: eta - eta * eta * 2, monte_carlo: eta - eta * eta * 2,
 *   course_value: -1, progress_per_eta: 1, expected_squared_norm: 2,
 * }));
 * const spec = learningRateChart(rows, { title: "S(η)" }) as { layer: unknown[] };
 * assert.equal(spec.layer.length, 3);
 * ```
 */
export function learningRateChart(
  rows: readonly CsvRow[],
  options: { title: string },
): VegaLiteSpec {
  const series = [
    "closed form S",
    "Monte Carlo (real SGD steps)",
    "course's last line (η dropped)",
  ];
  const etas = rows.map((r) => num(r.learning_rate));
  const lo = Math.log10(Math.min(...etas)), hi = Math.log10(Math.max(...etas));
  const a = num(rows[0].progress_per_eta), c = num(rows[0].expected_squared_norm);
  const values: CsvRow[] = [];
  for (let k = 0; k <= 60; k++) {
    const eta = 10 ** (lo + (k / 60) * (hi - lo));
    values.push({ eta, value: eta * a - eta * eta * c, series: series[0] });
  }
  for (const r of rows) {
    values.push({ eta: r.learning_rate, value: r.monte_carlo, series: series[1] });
    values.push({ eta: r.learning_rate, value: r.course_value, series: series[2] });
  }
  const extent = Math.max(...values.map((v) => Math.abs(num(v.value))));
  const top = 10 ** Math.ceil(Math.log10(extent));
  const ticks = [0];
  for (let t = 1e-2; t <= top * 1.0001; t *= 10) ticks.push(t, -t);
  const only = (name: string) => [{ filter: { field: "series", equal: name } }];
  return {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: options.title,
    width: 560,
    height: 300,
    data: { values },
    config: { font: "DejaVu Sans" },
    encoding: {
      x: { field: "eta", type: "quantitative", title: "η", scale: { type: "log" } },
      y: {
        field: "value",
        type: "quantitative",
        title: "S (symlog: linear within ±1e-3)",
        scale: { type: "symlog", constant: 1e-3, domain: [-top, top] },
        axis: {
          values: ticks.sort((p, q) => p - q),
          labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~g')",
        },
      },
      color: { field: "series", type: "nominal", sort: series, legend: { labelLimit: 400 } },
    },
    layer: [
      { transform: only(series[0]), mark: { type: "line" } },
      { transform: only(series[1]), mark: { type: "point", filled: true, size: 60 } },
      { transform: only(series[2]), mark: { type: "line", strokeDash: [6, 4] } },
    ],
  } as unknown as VegaLiteSpec;
}

/**
 * The charts of the reproduction, from its tables: linear_terms, linear_speed,
 * linear_learning_rate, outlier_state, outlier_runs, mnist_speed, mnist_distance. Every title
 * says whether θ* is exact or approximated.
 *
 * @example
 * ```ts
 * import { convergenceCharts, convergenceTables, smokeProfile } from "@lib/experiments/convergence.ts";
 * import assert from "node:assert/strict";
 * const tables = {};
 * for (const part of ["linear", "outlier", "mnist"] as const) {
 *   Object.assign(tables, await convergenceTables(part, { seed: 1, profile: smokeProfile }));
 * }
 * const charts = convergenceCharts(tables, smokeProfile);
 * assert.match(String(charts.mnist_speed.title), /θ\* approximated/);
 * ```
 */
export function convergenceCharts(
  tables: Record<string, CsvRow[]>,
  profile: ConvergenceProfile,
): Record<string, VegaLiteSpec> {
  const { linear: L, outlier: O, mnist: M } = profile;
  const charts: Record<string, VegaLiteSpec> = {};
  const linearTitle = `linear regression, N = ${L.n}, d = ${L.d}, exact θ*, η = ${L.learningRate}`;
  charts.linear_terms = facetColumns(
    ordered(
      plainLines(lineChart(termRows(tables.linear_speed), {
        x: "step",
        y: "value",
        color: "term",
        logY: true,
        title: `The terms of S along SGD (${linearTitle})`,
        yTitle: "term of S",
        width: 260,
        height: 240,
      })),
      "color",
      TERMS,
    ),
    "b",
    bLabels(L.batchSizes),
  );
  const speed = plainLines(lineChart(
    tables.linear_speed.map((r) => ({ b: `b = ${r.batch_size}`, step: r.step, S: r.speed })),
    {
      x: "step",
      y: "S",
      color: "b",
      title: `S along SGD (${linearTitle}); symmetric log axis`,
      yTitle: "S (symlog: linear within ±1e-5)",
      width: 560,
    },
  ));
  speed.encoding.y.scale = { type: "symlog", constant: 1e-5, nice: false };
  speed.encoding.y.axis = {
    values: [-1e-3, -1e-4, -1e-5, 0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1],
    labelExpr: "datum.value === 0 ? '0' : format(datum.value, '.0e')",
  };
  charts.linear_speed = ordered(speed, "color", bLabels(L.batchSizes));
  charts.linear_learning_rate = learningRateChart(tables.linear_learning_rate, {
    title: `S against η at θ_0, b = ${L.sweepBatchSize} (linear regression, exact θ*); ` +
      "symmetric log axis",
  });
  const cases = [...new Set(tables.outlier_state.map((r) => `${r.data}, ${r.sampling}`))];
  charts.outlier_state = ordered(
    ordered(
      barChart(
        tables.outlier_state.map((r) => ({
          b: `b = ${r.batch_size}`,
          case: `${r.data}, ${r.sampling}`,
          S: r.speed,
        })),
        {
          x: "b",
          y: "S",
          color: "case",
          title: `S at θ_fit, which fits every sample but one (error E = ${O.outlierError}), ` +
            `η = ${O.learningRate}, exact θ*`,
          yTitle: "S (0 on the clean data: θ_fit is its θ*)",
          width: 420,
        },
      ),
      "x",
      bLabels(O.batchSizes),
    ),
    "color",
    cases,
  );
  charts.outlier_state.encoding.xOffset.sort = cases;
  const measures = ["distance_squared", "trace_variance", "relative_speed"];
  charts.outlier_runs = panels(
    tables.outlier_runs.filter((r) => r.batch_size === O.chartBatchSize).flatMap((r) =>
      measures
        .filter((m) => r[m] !== null && (m === "relative_speed" || num(r[m]) > 0))
        .map((m) => ({ data: r.data, step: r.step, measure: m, value: r[m] }))
    ),
    {
      title: `SGD, b = ${O.chartBatchSize}, η = ${O.learningRate}, same θ_0 and draws: clean ` +
        `data vs one outlier (E = ${O.outlierError}), exact θ* of each`,
      color: "data",
      x: "step",
      panels: [
        { measure: "distance_squared", title: "‖θ − θ*‖²", log: true },
        { measure: "trace_variance", title: "Tr V (one uniform draw)", log: true },
        { measure: "relative_speed", title: "S / ‖θ − θ*‖²", log: false },
      ],
    },
  );
  const approx = `θ* approximated by the end of a ${M.fullBatchSteps}-step full-batch run`;
  charts.mnist_speed = facetColumns(
    ordered(
      plainLines(lineChart(
        tables.mnist_speed.flatMap((r) =>
          ([
            ["S", r.speed],
            [TERMS[0], r.progress],
            [TERMS[1], r.mean_gradient_term],
            [TERMS[2], r.variance_term],
          ] as const).map(([term, value]) => ({
            b: `b = ${r.batch_size}`,
            step: r.step,
            term,
            value,
          }))
        ),
        {
          x: "step",
          y: "value",
          color: "term",
          title: `MNIST MLP 784-${M.hidden}-10, ${M.trainSize} digits, η = ${M.learningRate}: S ` +
            `and its terms (${approx})`,
          yTitle: "S and its terms",
          width: 260,
          height: 240,
        },
      )),
      "color",
      ["S", ...TERMS],
    ),
    "b",
    bLabels(M.batchSizes),
  );
  charts.mnist_distance = ordered(
    plainLines(lineChart(
      tables.mnist_speed.map((r) => ({
        b: `b = ${r.batch_size}`,
        step: r.step,
        distance: r.distance_squared,
      })),
      {
        x: "step",
        y: "distance",
        color: "b",
        title: `MNIST MLP: ‖θ − θ*‖² along SGD (${approx})`,
        yTitle: "‖θ − θ*‖²",
        width: 560,
      },
    )),
    "color",
    bLabels(M.batchSizes),
  );
  for (const spec of Object.values(charts)) compactData(spec);
  return charts;
}

/**
 * The notes of the reproduction: how to read each table and chart, with its figures.
 *
 * @example
 * ```ts
 * import { convergenceNotes, convergenceTables, smokeProfile } from "@lib/experiments/convergence.ts";
 * import assert from "node:assert/strict";
 * const tables = {};
 * for (const part of ["linear", "outlier", "mnist"] as const) {
 *   Object.assign(tables, await convergenceTables(part, { seed: 1, profile: smokeProfile }));
 * }
 * const notes = convergenceNotes(tables, smokeProfile);
 * assert.match(notes.mnist_speed, /approximated by θ̂/);
 * ```
 */
export function convergenceNotes(
  tables: Record<string, CsvRow[]>,
  profile: ConvergenceProfile,
): Record<string, string> {
  const { linear: L, outlier: O, mnist: M } = profile;
  const notes: Record<string, string> = {};
  const linear = tables.linear_speed, mc = tables.linear_monte_carlo;
  const last = (rows: CsvRow[], b: number) => rows.filter((r) => r.batch_size === b).at(-1)!;
  notes.linear_speed = `One SGD run per batch size b from the same θ_0 on a linear regression ` +
    `(N = ${L.n}, d = ${L.d}, noise ${L.noise}) whose θ* is exact (least squares), η = ` +
    `${L.learningRate}. Every ${L.evaluateEvery} steps the per-sample gradients give S = progress ` +
    `− mean_gradient_term − variance_term in closed form for that b (uniform sampling with ` +
    `replacement). At step 0 the first two terms are the same for every b (same θ, and E[g] = Ḡ ` +
    `whatever b); only the variance term η² Tr V / b differs. Far from θ* the progress term ` +
    `dominates and S > 0; near θ* it falls like ‖θ − θ*‖² while Tr V stays near its value at θ*, ` +
    `so S reaches 0 and then changes sign around a floor: ‖θ − θ*‖² at the last step is ` +
    L.batchSizes.map((b) => `${fmt(num(last(linear, b).distance_squared))} (b = ${b})`).join(", ") +
    `, lower for larger b as the variance term is. relative_speed = S / ‖θ − θ*‖². The chart ` +
    `linear_speed.png draws S on a symmetric log axis (linear within ±1e-5) so that its sign ` +
    `changes show.`;
  notes.linear_terms = "The three terms of S on a log axis, one panel per batch size. The " +
    "variance penalty is almost flat; the run stops approaching θ* where the progress term meets " +
    "it (S = 0), later and lower for larger b.";
  notes.linear_monte_carlo = `At steps ${L.snapshotSteps.join(", ")} of each run, ${L.draws} ` +
    `real SGD steps on the network from the same θ (sampledConvergenceSpeed) estimate S; ` +
    `z_score = (monte_carlo − closed_form) / standard_error. ${
      mc.filter((r) => r.within_4_se).length
    } of ${mc.length} estimates are within 4 standard errors of the closed form (largest |z| ` +
    `${fmt(Math.max(...mc.map((r) => Math.abs(num(r.z_score)))))}). course_value is the course's ` +
    `last line 2(θ − θ*)ᵀE[g] − E‖g‖², which drops η: it is S at η = 1, not at η = ` +
    `${L.learningRate}; it is negative at ${
      mc.filter((r) => num(r.course_value) < 0).length
    } of the ${mc.length} snapshots, positive S included.`;

  const sw = tables.linear_learning_rate;
  const at = (eta: number) => sw.find((r) => r.learning_rate === eta);
  const realistic = at(L.learningRate) ?? sw[0];
  notes.linear_learning_rate = `S at θ_0 (the start of the runs) against η for b = ` +
    `${L.sweepBatchSize}: the closed form, a Monte Carlo estimate from ${L.draws} real SGD steps ` +
    `per η (largest |z| ${fmt(Math.max(...sw.map((r) => Math.abs(num(r.z_score)))))}), and the ` +
    `course's last line, which has no η and so is one number (${
      fmt(num(sw[0].course_value))
    }). At η = ${realistic.learning_rate}, S = ${fmt(num(realistic.closed_form))} (Monte Carlo ` +
    `${fmt(num(realistic.monte_carlo))} ± ${fmt(num(realistic.standard_error))}) while the ` +
    `course's value is ${fmt(num(realistic.course_value))}. S is positive for η below ` +
    `2(θ − θ*)ᵀḠ / E‖g‖² = ${fmt(num(sw[0].zero_crossing))} and negative above; the course's ` +
    `value is S at η = 1.`;
  const state = tables.outlier_state;
  const pick = (data: string, sampling: string, b: number) =>
    state.find((r) => r.data === data && r.sampling === sampling && r.batch_size === b)!;
  const b0 = O.batchSizes[0];
  const out = pick("one outlier", "uniform", b0), clean = pick("clean", "uniform", b0);
  const optimal = pick("one outlier", "p ∝ ‖G_i‖", b0);
  notes.outlier_state = `The course's state, made precise: targets generated without noise by ` +
    `θ_fit (N = ${O.n}, d = ${O.d}); the outlier data is the same data with E = ${O.outlierError} ` +
    `added to sample 0's target. Every row is at θ = θ_fit. On the clean data θ_fit is θ*: every ` +
    `gradient is 0 up to rounding, so Tr V[g] and S are 0 (here ` +
    `${fmt(num(clean.trace_variance_g))} and ${fmt(num(clean.speed))}). On the outlier data only ` +
    `G_0 is nonzero, and g = 0 unless sample 0 is drawn: Tr V[g] = ` +
    `${fmt(num(out.trace_variance_g))} at b = ${b0}, ${
      fmt(num(out.trace_variance_g) / num(out.mean_gradient_squared_norm))
    } times ‖Ḡ‖² (exactly (N − 1)/b), and Var ‖g‖, the variance of the norm the course speaks ` +
    `of (${fmt(num(out.gradient_norm_variance))}, exact at b = 1), is the same number, since ` +
    `every g points along G_0. S = ${
      fmt(num(out.speed))
    } at b = ${b0} although full-batch gradient descent ` +
    `would make progress (full_batch_speed ${fmt(num(out.full_batch_speed))}): the variance term ` +
    `is ${fmt(num(out.variance_term) / num(out.progress))} times the progress term; a batch of b ` +
    `divides it by b. Sampling p_i ∝ ‖G_i‖ (rows "p ∝ ‖G_i‖", the importance sampling of the next ` +
    `notebook) always draws sample 0, with weight 1/N: g = Ḡ exactly, Tr V = ` +
    `${
      fmt(num(optimal.trace_variance_g))
    } (0 up to rounding), and S is the full-batch value for every b.`;
  const secondHalf = (data: string) => {
    const values = tables.outlier_runs
      .filter((r) =>
        (r.data === "clean") === (data === "clean") && r.batch_size === O.chartBatchSize &&
        num(r.step) > O.steps / 2
      )
      .map((r) => num(r.distance_squared))
      .sort((a, c) => a - c);
    return fmt(values[Math.floor(values.length / 2)]);
  };
  notes.outlier_runs = `SGD runs from the same θ_0 with the same minibatch indices on both data ` +
    `sets, for b in {${O.batchSizes.join(", ")}}, each measured against its own exact θ*. On the ` +
    `clean data every G_i vanishes at θ* (the targets are interpolated), so Tr V falls with ` +
    `‖θ − θ*‖², S / ‖θ − θ*‖² stays positive and SGD converges linearly at a constant η. With ` +
    `the outlier, Tr V stays near its value at θ* and SGD stalls: over the second half of the ` +
    `runs at b = ${O.chartBatchSize} the median ‖θ − θ*‖² is ${secondHalf("clean")} on the ` +
    `clean data and ${secondHalf("one outlier")} with the outlier. Between two draws of the ` +
    `outlier the other samples pull θ back to θ_fit, the course's state, where S < 0 for small ` +
    `b; each draw of the outlier kicks θ away by η‖G_0‖. The chart shows b = ` +
    `${O.chartBatchSize}; the CSV has every batch size.`;

  const star = tables.mnist_theta_star[0], mnist = tables.mnist_speed;
  const mmc = tables.mnist_monte_carlo;
  const negative = (b: number) =>
    mnist.filter((r) => r.batch_size === b && num(r.speed) < 0).length;
  notes.mnist_speed = `MNIST, ${M.trainSize} training digits, a 784-${M.hidden}-10 relu network ` +
    `(${star.parameters} parameters), softmax cross-entropy, SGD at η = ${M.learningRate}. θ* is ` +
    `not known here: it is approximated by θ̂*, the end of ${M.fullBatchSteps} steps of ` +
    `full-batch gradient descent (η = ${M.fullBatchLearningRate}) from the same θ_0 as the SGD ` +
    `runs (mnist_theta_star.csv: training loss ${fmt(num(star.train_loss))}, accuracy ` +
    `${star.train_accuracy}, ‖∇R(θ̂*)‖ = ${fmt(num(star.gradient_norm))}). The network fits this ` +
    `subset, so the cross-entropy has no finite minimiser and θ̂* depends on the length of that ` +
    `run; S here is the expected decrease of the squared distance to θ̂*, one near-minimiser ` +
    `among many. S is negative at ` +
    M.batchSizes.map((b) => `${negative(b)} (b = ${b})`).join(", ") +
    ` of the ${mnist.length / M.batchSizes.length} checkpoints of each run. Where the variance ` +
    `term exceeds the progress term SGD moves away from θ̂* on average while its training loss ` +
    `can still fall: it heads for another near-minimiser. ${
      mmc.filter((r) => r.within_4_se).length
    } of ${mmc.length} Monte Carlo checks (mnist_monte_carlo.csv, ${M.draws} real SGD steps each) ` +
    `are within 4 standard errors of the closed form.`;
  notes.mnist_distance = `‖θ − θ̂*‖² along the SGD runs, θ̂* being the end of the long full-batch ` +
    `run (an approximation of θ*): from ${fmt(num(mnist[0].distance_squared))} to ` +
    M.batchSizes.map((b) => `${fmt(num(last(mnist, b).distance_squared))} (b = ${b})`).join(", ") +
    ".";
  return notes;
}

/**
 * The reproduction registered as `convergence`: three units (linear, outlier, mnist), each with
 * its own random stream, combined into tables, charts and notes.
 *
 * @example
 * ```ts
 * import { convergence } from "@lib/experiments/convergence.ts";
 * import assert from "node:assert/strict";
 * const units = convergence.units!({ seed: 1, profile: "quick" });
 * assert.deepEqual(units.map((u) => u.id), ["linear", "outlier", "mnist"]);
 * ```
 */
export const convergence: Reproduction = unitReproduction({
  name: "convergence",
  description: "the convergence speed S of SGD and its terms along training: linear regression " +
    "with exact θ*, the course's outlier scenario, an MNIST MLP with θ* approximated by a long " +
    "full-batch run (course section 3)",
  units: () => PARTS.map((part) => ({ id: part, params: { part } })),
  runUnit: async (unit, options) => ({
    tables: await convergenceTables(unit.params.part as ConvergencePart, options),
  }),
  combine: (outputs, options) => {
    const tables = concatTables(outputs);
    const profile = convergenceProfiles[options.profile];
    return Promise.resolve({
      tables,
      charts: convergenceCharts(tables, profile),
      notes: convergenceNotes(tables, profile),
    });
  },
});
