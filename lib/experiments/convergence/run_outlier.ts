/**
 * Part 2 of the `convergence` reproduction, the course's outlier scenario made precise: noise-free
 * targets from θ_fit, once as they are and once with one target moved by E. At θ_fit: S, its
 * terms and the moments of ‖g‖ per b, under uniform sampling and p_i ∝ ‖G_i‖; and SGD runs on both
 * data sets from the same θ_0 with the same minibatch draws.
 *
 * @module
 */
import {
  convergenceSpeed,
  optimalDistribution,
  perSampleGradients,
  setParameterVector,
} from "../../convergence.ts";
import { gradientNormMoments } from "../../convergence_monte_carlo.ts";
import { type LinearRegression, linearRegression } from "../../datasets.ts";
import type { Matrix } from "../../matrix.ts";
import { Mlp } from "../../mlp.ts";
import { Random } from "../../random.ts";
import { type ConvergenceSeedOptions, OUTLIER_DATA, resolveProfile, SAMPLINGS } from "./profile.ts";
import type { OutlierStateRow, OutlierTables, SpeedRow } from "./rows.ts";
import { partRandom, speedAlongRun } from "./measure.ts";

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
 * import { outlierScenario } from "@lib/experiments/convergence/run_outlier.ts";
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
  clean.dataset.name = OUTLIER_DATA.clean;
  outlier.dataset.name = OUTLIER_DATA.outlier;
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
 * otherwise; lib/convergence_monte_carlo.ts's `gradientNormMoments`), S and its
 * terms, the full-batch S (progress − mean_gradient_term), and the outlier's share of Σ‖G_i‖².
 *
 * @example The outlier raises Tr V and lowers S at b = 1
 * ```ts
 * import { outlierScenario, outlierState } from "@lib/experiments/convergence/run_outlier.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const scenario = outlierScenario({ random: new Random(1), n: 64, d: 3, outlierError: 10 });
 * const rows = outlierState(scenario, { learningRate: 0.05, batchSizes: [1], draws: 100, random: new Random(2) });
 * const [clean, outlier] = rows;
 * assert.ok(clean.trace_variance_g < 1e-20); // 0 up to rounding: θ_fit is the clean θ*
 * assert.ok(outlier.trace_variance_g > 0 && outlier.speed < 0);
 * ```
 */
export function outlierState(
  scenario: OutlierScenario,
  options: OutlierStateOptions,
): OutlierStateRow[] {
  const d = scenario.thetaFit.cols - 1;
  const model = Mlp.create([d, 1], { random: new Random(0), output: "identity" });
  setParameterVector(model, scenario.thetaFit.data);
  const rows: OutlierStateRow[] = [];
  const cases = [
    { data: scenario.clean, sampling: SAMPLINGS.uniform },
    { data: scenario.outlier, sampling: SAMPLINGS.uniform },
    { data: scenario.outlier, sampling: SAMPLINGS.optimal },
  ];
  for (const { data, sampling } of cases) {
    const G = perSampleGradients(model, data.dataset, { loss: "squaredError" });
    const p = sampling === SAMPLINGS.uniform ? undefined : optimalDistribution(G);
    const share = outlierShare(G, scenario.outlierIndex);
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
        outlier_share: share,
      });
    }
  }
  return rows;
}

/** The outlier's share of Σ_i ‖G_i‖² (null when every G_i is 0). */
function outlierShare(G: Matrix, outlierIndex: number): number | null {
  const n = G.rows, P = G.cols;
  let total = 0, outlierSq = 0;
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let k = 0; k < P; k++) sq += G.data[i * P + k] ** 2;
    total += sq;
    if (i === outlierIndex) outlierSq = sq;
  }
  return total > 0 ? outlierSq / total : null;
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
 * import { outlierSetup } from "@lib/experiments/convergence/run_outlier.ts";
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

/**
 * The tables of the "outlier" part for a seed and a profile: outlier_state (the state θ_fit) and
 * outlier_runs (SGD on both data sets with the same θ_0 and the same minibatch draws).
 *
 * @example
 * ```ts
 * import { outlierTables } from "@lib/experiments/convergence/run_outlier.ts";
 * import { smokeProfile } from "@lib/experiments/convergence/profile.ts";
 * import assert from "node:assert/strict";
 * const t = await outlierTables({ seed: 1, profile: smokeProfile });
 * assert.deepEqual([...new Set(t.outlier_runs.map((r) => r.data))], ["clean", "one outlier"]);
 * ```
 */
export async function outlierTables(options: ConvergenceSeedOptions): Promise<OutlierTables> {
  const O = resolveProfile(options.profile).outlier;
  const { scenario, random } = outlierSetup(options);
  const state = outlierState(scenario, {
    learningRate: O.learningRate,
    batchSizes: O.batchSizes,
    draws: O.draws,
    random: random.fork(),
  });
  const model = Mlp.create([O.d, 1], { random: random.fork(), output: "identity" });
  const runSeed = random.uint32();
  const runs: SpeedRow[] = [];
  for (const data of [scenario.clean, scenario.outlier]) {
    const r = await speedAlongRun(model, data.dataset, {
      loss: "squaredError",
      thetaStar: data.thetaStar.data,
      learningRate: O.learningRate,
      batchSizes: O.batchSizes,
      steps: O.steps,
      evaluateEvery: O.evaluateEvery,
      random: new Random(runSeed), // the same minibatch draws on both data sets
      data: data.dataset.name,
    });
    runs.push(...r.rows);
  }
  return { outlier_state: state, outlier_runs: runs };
}
