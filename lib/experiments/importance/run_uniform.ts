/**
 * What only the uniform run's unit computes: θ̂* (its run continued with a decaying η), S and
 * its terms for every scheme at its checkpoints, the Monte Carlo check of the variance table
 * with real minibatch draws, and the interleaved step costs.
 *
 * @module
 */
import { convergenceSpeedTerms, parameterVector } from "../../convergence.ts";
import { monteCarloVariance } from "../../sampling/monte_carlo_variance.ts";
import type { Mlp } from "../../mlp.ts";
import { Random } from "../../random.ts";
import { fit } from "../../train.ts";
import type { ImportanceProfile } from "./profile.ts";
import { SAMPLERS } from "./registry.ts";
import type { AnalysedCheckpoint } from "./run.ts";
import { type ImportanceSetup, LOSS } from "./setup.ts";
import { interleavedStepCosts } from "./step_costs.ts";
import type {
  SpeedRow,
  ThetaStarRow,
  UnitTables,
  VarianceCheckRow,
  VarianceRow,
} from "./unit_tables.ts";

/** The samplers whose variance the Monte Carlo check measures with real draws. */
const CHECKED_SAMPLERS = ["uniform", "upper-bound"] as const;

/** The uniform run: its setup, its final network and its analysed checkpoints. */
export interface UniformRun {
  /** The seed's data and streams. */
  setup: ImportanceSetup;
  /** θ at the end of the run. */
  model: Mlp;
  /** The checkpoints with their sampling variances, in step order. */
  analysed: AnalysedCheckpoint[];
}

/** Options of {@link uniformAnalyses}. */
export interface UniformOptions {
  /** The unit's seed. */
  seed: number;
  /** The sizes. */
  profile: ImportanceProfile;
  /** The run's variance table. */
  variance: readonly VarianceRow[];
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    s += d * d;
  }
  return s;
}

/** θ̂*: the end of the run continued for thetaStarSteps with η decaying linearly to 0. */
async function thetaStar(run: UniformRun, P: ImportanceProfile, seed: number) {
  const star = run.model.clone(), T = P.thetaStarSteps, eta = P.learningRate;
  const continued = await fit(star, run.setup.train, {
    loss: LOSS,
    random: new Random(run.setup.trainingSeed).fork(),
    batchSize: P.batchSize,
    learningRate: (t) => eta * (1 - t / T),
    steps: T,
    evaluateEvery: T,
    trainSubset: P.trainSubset,
    progress: "none",
  });
  const theta = parameterVector(star);
  const row: ThetaStarRow = {
    dataset: P.dataset,
    seed,
    continued_steps: T,
    train_loss: continued.at(-1)!.train_loss,
    distance_from_run_end: Math.sqrt(squaredDistance(theta, parameterVector(run.model))),
  };
  return { theta, row };
}

/** S = progress − η²‖Ḡ‖² − η² Tr V[g] of every scheme (lib/convergence.ts's terms). */
function speedRows(run: UniformRun, o: UniformOptions, star: Float64Array): SpeedRow[] {
  const rows: SpeedRow[] = [];
  for (const { c, v } of run.analysed) {
    const theta = parameterVector(c.model);
    const distance = squaredDistance(theta, star);
    for (const row of o.variance.filter((r) => r.step === c.step)) {
      // trace_variance is already Tr V of the minibatch gradient: a batch of 1 divides by 1
      const terms = convergenceSpeedTerms({
        theta,
        thetaStar: star,
        meanGradient: v.meanGradient,
        meanGradientSquaredNorm: v.meanGradientSquaredNorm,
        traceVariance: row.trace_variance,
        learningRate: o.profile.learningRate,
        batchSize: 1,
      });
      rows.push({
        dataset: o.profile.dataset,
        seed: o.seed,
        step: c.step,
        scheme: row.scheme,
        distance_squared: distance,
        progress: terms.progress,
        mean_gradient_term: terms.meanGradientTerm,
        variance_term: terms.varianceTerm,
        speed: terms.speed,
      });
    }
  }
  return rows;
}

/** At the last checkpoint: real minibatch draws against the variance table, as a z-score. */
function varianceCheck(run: UniformRun, o: UniformOptions): VarianceCheckRow[] {
  const P = o.profile, last = run.analysed.at(-1)!, rows: VarianceCheckRow[] = [];
  if (P.varianceCheckDraws < 2) return rows;
  for (const id of CHECKED_SAMPLERS) {
    const { scheme } = SAMPLERS[id], sampler = SAMPLERS[id].make(P.presample);
    const mc = monteCarloVariance(last.c.model, run.setup.analysis, {
      loss: LOSS,
      batchSize: P.batchSize,
      draws: P.varianceCheckDraws,
      random: run.setup.analysisRandom.fork(),
      sampler,
    }).traceVariance;
    sampler.reset?.(); // its kernel arrays back to the pool now, not when collected
    const row = o.variance.find((r) => r.step === last.c.step && r.scheme === scheme)!;
    const conditional = row.trace_variance;
    const se = Math.hypot(mc.standardError, row.standard_error);
    rows.push({
      dataset: P.dataset,
      seed: o.seed,
      step: last.c.step,
      scheme,
      draws: P.varianceCheckDraws,
      monte_carlo: mc.mean,
      monte_carlo_se: mc.standardError,
      conditional,
      conditional_se: row.standard_error,
      z: (mc.mean - conditional) / se,
    });
  }
  return rows;
}

/**
 * The uniform unit's extra tables: θ̂*, S per scheme, the variance check and the interleaved
 * step costs (timed at the end of the run).
 */
export async function uniformAnalyses(
  run: UniformRun,
  options: UniformOptions,
): Promise<
  Required<
    Pick<UnitTables, "theta_star" | "speed" | "variance_check" | "step_cost_interleaved_timing">
  >
> {
  const P = options.profile;
  const star = await thetaStar(run, P, options.seed);
  const speed = speedRows(run, options, star.theta);
  const check = varianceCheck(run, options);
  const costs = interleavedStepCosts(run.model, run.setup.train, {
    batchSize: P.batchSize,
    presample: P.presample,
    learningRate: P.learningRate,
    rounds: P.costRounds,
    random: run.setup.analysisRandom.fork(),
  });
  return {
    theta_star: [star.row],
    speed,
    variance_check: check,
    step_cost_interleaved_timing: costs.map((c) => ({
      dataset: P.dataset,
      seed: options.seed,
      ...c,
    })),
  };
}
