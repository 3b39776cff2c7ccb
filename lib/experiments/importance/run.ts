/**
 * One unit of the importance reproduction: the training run of one sampler for one seed, and the
 * analyses at its checkpoints (Tr V of every scheme at its θ, τ, the scores' correlation with the
 * exact gradient norm). The uniform run's unit adds θ̂*, S and the checks (run_uniform.ts).
 * Everything but the `_timing` tables is a deterministic function of the seed and the profile.
 *
 * @module
 */
import type { FashionMnistSource } from "../../fashion_mnist.ts";
import type { Mlp } from "../../mlp.ts";
import type { PresamplerState } from "../../sampling/presampler.ts";
import { Random } from "../../random.ts";
import type { Sampler } from "../../sampling/sampler.ts";
import {
  type ExactVariance,
  exactVariance,
  type SchemeScore,
} from "../../sampling/exact_variance.ts";
import { pearson, spearman } from "../../stats.ts";
import { fit, type HistoryRow as FitRow } from "../../train.ts";
import type { UnitOutput } from "../reproduction.ts";
import { checkImportanceProfile, type ImportanceProfile } from "./profile.ts";
import {
  CORRELATED_SCORES,
  type ImportanceSamplerId,
  SAMPLERS,
  type SamplerSpec,
  SCHEMES,
  type SchemeSpec,
  SCORES,
} from "./registry.ts";
import { uniformAnalyses } from "./run_uniform.ts";
import { type ImportanceSetup, importanceSetup, LOSS } from "./setup.ts";
import {
  type CorrelationRow,
  type DatasetId,
  encodeUnit,
  type HistoryRow,
  type HistoryTimingRow,
  type ScorePointRow,
  type UnitTables,
  type VarianceRow,
} from "./unit_tables.ts";

/** The state of a run at a checkpoint. */
export interface Checkpoint {
  /** Steps taken. */
  step: number;
  /** A copy of the network at that step. */
  model: Mlp;
  /** The switch runs' τ (null for the others). */
  tau: number | null;
  /** Whether the switch run's last step sampled by importance (null for the others). */
  importance: boolean | null;
}

/** A checkpoint with the sampling variances at its θ. */
export interface AnalysedCheckpoint {
  /** The checkpoint. */
  c: Checkpoint;
  /** What lib/sampling/exact_variance.ts computed there. */
  v: ExactVariance;
}

/** Options of {@link importanceRun}. */
export interface RunOptions {
  /** The seed of the data, θ_0 and every stream. */
  seed: number;
  /** The sizes. */
  profile: ImportanceProfile;
  /** Keep the score scatter points (the first seed's uniform run). */
  scatter?: boolean;
  /** Fashion-MNIST's source, chosen when the units are made (absent for MNIST). */
  source?: FashionMnistSource;
}

/** The training run: its history, timing, checkpoints and final network. */
interface Training {
  history: HistoryRow[];
  timing: HistoryTimingRow[];
  checkpoints: Checkpoint[];
  model: Mlp;
}

async function train(spec: SamplerSpec, setup: ImportanceSetup, o: RunOptions): Promise<Training> {
  const P = o.profile, label = { dataset: P.dataset, seed: o.seed, sampler: spec.id };
  const sampler: Sampler & { readonly state?: PresamplerState } = spec.make(P.presample);
  const switching = spec.tau !== null;
  const model = setup.model.clone();
  const wanted = new Set(P.checkpoints.filter((c) => spec.id === "uniform" || c > 0));
  const t: Training = { history: [], timing: [], checkpoints: [], model };
  const record = (row: FitRow) => {
    const st = sampler.state;
    const tau = switching && st ? st.tau : null;
    const importance = switching && st ? row.step > 0 && st.importance : null;
    t.history.push({
      ...label,
      step: row.step,
      forward_equivalents: row.forward_equivalents,
      train_loss: row.train_loss,
      test_loss: row.test_loss ?? null,
      test_error: row.test_accuracy === undefined ? null : 1 - row.test_accuracy,
      importance_steps: st ? st.importanceSteps : 0,
      tau,
      importance_on: importance,
    });
    t.timing.push({ ...label, step: row.step, seconds: row.seconds });
    if (wanted.has(row.step)) {
      t.checkpoints.push({ step: row.step, model: model.clone(), tau, importance });
    }
  };
  await fit(model, setup.train, {
    loss: LOSS,
    random: new Random(setup.trainingSeed),
    batchSize: P.batchSize,
    learningRate: P.learningRate,
    steps: P.steps,
    sampler,
    evaluateEvery: P.evaluateEvery,
    trainSubset: P.trainSubset,
    test: setup.test,
    progress: "none",
    onEvaluate: record,
  });
  // a presampler gives its kernel arrays back to the pool (else only when collected, so that the
  // worker's next unit leased fresh ones and the products' memory kept growing)
  sampler.reset?.();
  return t;
}

/** The variance table's row of one scheme at a checkpoint. */
function varianceRow(
  scheme: SchemeSpec,
  { c, v }: AnalysedCheckpoint,
  at: { dataset: DatasetId; seed: number; run: ImportanceSamplerId },
): VarianceRow {
  const estimate = scheme.kind === "uniform"
    ? { mean: v.uniform, standardError: 0 }
    : scheme.kind === "full"
    ? { mean: v.full[scheme.score], standardError: 0 }
    : v.presampled[scheme.score];
  const uniform = scheme.kind === "uniform";
  return {
    ...at,
    step: c.step,
    scheme: scheme.id,
    own: SAMPLERS[at.run].scheme === scheme.id,
    trace_variance: estimate.mean,
    standard_error: estimate.standardError,
    ratio_to_uniform: uniform ? 1 : estimate.mean / v.uniform,
    reduction: uniform ? 1 : v.uniform / estimate.mean,
    tau_variance_ratio: v.tau.varianceRatio.mean,
    tau_sqrt_variance_ratio: v.tau.sqrtVarianceRatio.mean,
    run_tau: c.tau,
    run_importance_on: c.importance,
  };
}

/** The per-sample values of a score over the analysis set. */
function scoreValues(v: ExactVariance, score: Exclude<SchemeScore, "uniform">): Float64Array {
  return score === "loss" ? v.losses : score === "upperBound" ? v.upperBounds : v.gradientNorms;
}

/** p_i · n for p ∝ s over n samples: 1 is the uniform probability. */
function relativeProbabilities(s: Float64Array): Float64Array {
  let total = 0;
  for (const v of s) total += v;
  return s.map((v) => (v / total) * s.length);
}

/** K&F's Figure 2: N · p_i of each score at randomly picked samples of the analysis set. */
function scorePoints(
  { c, v }: AnalysedCheckpoint,
  at: { dataset: DatasetId; seed: number; run: ImportanceSamplerId },
  options: { points: number; random: Random },
): ScorePointRow[] {
  const optimal = relativeProbabilities(v.gradientNorms);
  const bound = relativeProbabilities(v.upperBounds), loss = relativeProbabilities(v.losses);
  const rows: ScorePointRow[] = [];
  for (let k = 0; k < Math.min(options.points, v.samples); k++) {
    const i = options.random.int(v.samples);
    rows.push({
      ...at,
      step: c.step,
      sample: i,
      gradient_norm: optimal[i],
      upper_bound: bound[i],
      loss: loss[i],
    });
  }
  return rows;
}

/** The checkpoint analyses: variances of every scheme, correlations and scatter points. */
function analyse(
  training: Training,
  setup: ImportanceSetup,
  o: RunOptions & { sampler: ImportanceSamplerId },
) {
  const P = o.profile, b = P.batchSize;
  const at = { dataset: P.dataset, seed: o.seed, run: o.sampler };
  const variance: VarianceRow[] = [], correlation: CorrelationRow[] = [];
  const points: ScorePointRow[] = [], analysed: AnalysedCheckpoint[] = [];
  for (const c of training.checkpoints) {
    const v = exactVariance(c.model, setup.analysis, {
      loss: LOSS,
      batchSize: b,
      presampleSize: Math.round(P.presample * b),
      presamples: P.presamples,
      random: setup.analysisRandom.fork(),
    });
    const a = { c, v };
    analysed.push(a);
    for (const scheme of SCHEMES) variance.push(varianceRow(scheme, a, at));
    for (const score of CORRELATED_SCORES) {
      const values = scoreValues(v, score), optimal = v.gradientNorms;
      correlation.push({
        ...at,
        step: c.step,
        score: SCORES[score].key,
        samples: v.samples,
        pearson: pearson(values, optimal),
        spearman: spearman(values, optimal),
      });
    }
    if (o.sampler === "uniform" && o.scatter && P.scatterPoints > 0) {
      const random = setup.analysisRandom.fork();
      points.push(...scorePoints(a, at, { points: P.scatterPoints, random }));
    }
  }
  return { variance, correlation, points, analysed };
}

/**
 * The typed tables of one unit (see the module doc); {@link importanceRun} stores them.
 *
 * @example A tiny run: 3b forward-equivalents per uniform step, B + 2b per presampled step (the
 * step reuses the scoring pass's forward pass, lib/sampling/presampler.ts)
 * ```ts
 * import { importanceRunTables } from "@lib/experiments/importance/run.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const profile = {
 *   ...importanceProfiles.quick, trainSize: 200, testSize: 50, hidden: [8], batchSize: 8,
 *   steps: 20, evaluateEvery: 10, trainSubset: 100, checkpoints: [0, 20], analysisSize: 200,
 *   presamples: 2, thetaStarSteps: 10, varianceCheckDraws: 0, scatterPoints: 5,
 * };
 * const u = await importanceRunTables("uniform", { seed: 1, profile });
 * assert.deepEqual(u.history.map((r) => r.forward_equivalents), [0, 240, 480]);
 * const ub = await importanceRunTables("upper-bound", { seed: 1, profile });
 * assert.deepEqual(ub.history.map((r) => r.forward_equivalents), [0, 400, 800]); // b = 8, B = 24
 * assert.equal(ub.theta_star, undefined); // the uniform run's unit only
 * ```
 */
export async function importanceRunTables(
  sampler: ImportanceSamplerId,
  options: RunOptions,
): Promise<UnitTables> {
  const P = options.profile;
  checkImportanceProfile(P);
  const setup = await importanceSetup(options.seed, P, { source: options.source });
  const training = await train(SAMPLERS[sampler], setup, options);
  const a = analyse(training, setup, { ...options, sampler });
  const tables: UnitTables = {
    history: training.history,
    history_timing: training.timing,
    variance: a.variance,
    correlation: a.correlation,
  };
  if (setup.source) {
    tables.data_source = [{
      dataset: P.dataset,
      source: setup.source,
      seed: options.seed,
      sampler,
    }];
  }
  if (sampler !== "uniform") return tables;
  tables.score_points = a.points;
  const extra = await uniformAnalyses({ setup, model: training.model, analysed: a.analysed }, {
    seed: options.seed,
    profile: P,
    variance: a.variance,
  });
  return { ...tables, ...extra };
}

/**
 * One unit's output, as the pipeline stores it: {@link importanceRunTables} as CSV rows.
 *
 * @example
 * ```ts
 * import { importanceRun } from "@lib/experiments/importance/run.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const profile = {
 *   ...importanceProfiles.quick, trainSize: 200, testSize: 50, hidden: [8], batchSize: 8,
 *   steps: 20, evaluateEvery: 10, trainSubset: 100, checkpoints: [20], analysisSize: 200,
 *   presamples: 2, varianceCheckDraws: 0,
 * };
 * const out = await importanceRun("loss", { seed: 1, profile });
 * assert.deepEqual(Object.keys(out.tables), ["history", "history_timing", "variance", "correlation"]);
 * assert.equal(out.tables.variance.length, 8); // every scheme at the one checkpoint
 * ```
 */
export async function importanceRun(
  sampler: ImportanceSamplerId,
  options: RunOptions,
): Promise<UnitOutput> {
  return encodeUnit(await importanceRunTables(sampler, options));
}
