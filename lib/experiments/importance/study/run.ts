/**
 * One unit of the fair study: one cell (data set, b, k, sampler, schedule). It tunes η on the
 * profile's tuning seeds (the grid, widened while the best η sits at an edge), then runs the
 * chosen η on the evaluation seeds, recording the training loss over the whole training set and
 * the test error at every evaluation, and the sampler's diagnostics at a few checkpoints of the
 * first evaluation seed's run. Everything but the `_timing` table is a deterministic function of
 * the cell, the seed and the profile.
 *
 * The budget is 3·N·epochs forward-equivalents for every cell. `fit` takes a number of steps, so
 * each sampler has a price per step in forward-equivalents (fit's own count): a nominal price,
 * which sets the evaluation period (budget steps / evaluations) and the step-decay milestones,
 * and a floor, the least a step can cost, which caps the steps so that the run always covers
 * overrun × budget; the run stops at its first evaluation at or past its limit (the budget for a
 * tuning run, overrun × budget for an evaluation run). Fixed-price samplers (uniform, ISGD, stale
 * scores, upper bound, loss, gradient norm) have nominal = floor. The switch costs 3b while off
 * and (k + 2)b while on: nominal (k + 2)b, floor 3b. Selective backprop (β = k − 1) forwards
 * about k·b candidates at a stationary loss history, and its step reuses their forward pass
 * (candidates + 2b): nominal (k + 2)b, floor 3b (measured early in an MNIST run at k = 3: about
 * 6.4b per step, as the history is not yet stationary). For those two, the step-decay milestones
 * (in steps at the nominal price) fall only roughly at 50 % and 80 % of the budget, and the
 * evaluations only roughly `evaluations` times per budget. Step decay continues at its last rate
 * during the overrun.
 *
 * @module
 */
import type { FashionMnistSource } from "../../../fashion_mnist.ts";
import { NonFiniteGradientError } from "../../../gradient_fault.ts";
import type { Mlp } from "../../../mlp.ts";
import { Random } from "../../../random.ts";
import type { Sampler } from "../../../sampling/sampler.ts";
import { SelectiveBackpropSampler } from "../../../sampling/selective_backprop.ts";
import { StaleScoreSampler } from "../../../sampling/stale_scores.ts";
import { DivergenceError } from "../../../sgd.ts";
import { fit, type HistoryRow } from "../../../train.ts";
import type { ReproductionUnit, UnitOutput } from "../../reproduction.ts";
import { selectEta, stepDecay, widenedGrid } from "../eta_selection.ts";
import { importanceProfiles } from "../profile.ts";
import { type ImportanceSetup, importanceSetup, LOSS } from "../setup.ts";
import {
  type Diagnostic,
  selectiveBackpropDiagnostics,
  staleScoreDiagnostics,
} from "./diagnostics.ts";
import { checkStudyProfile, type StudyProfile } from "./profile.ts";
import { STUDY_SAMPLER_SPECS } from "./registry.ts";
import {
  encodeStudyUnit,
  type EtaTrialRow,
  type StudyCell,
  type StudyCurveRow,
  type StudyCurveTimingRow,
  type StudyDiagnosticRow,
  type StudyUnitTables,
} from "./rows.ts";
import { decodeStudyUnit } from "./units.ts";

/** Options of {@link studyRun}. */
export interface StudyRunOptions {
  /** The study's seed: evaluation seeds seed, seed + 1, …; tuning seeds seed + the profile's offsets. */
  seed: number;
  /** The sizes. */
  profile: StudyProfile;
  /** Fashion-MNIST's source, chosen when the units are made (absent for MNIST). */
  source?: FashionMnistSource;
}

/** How a cell's runs are laid out in steps (see the module doc). */
export interface StudyRunPlan {
  /** The budget, 3·N·epochs forward-equivalents. */
  budget: number;
  /** The nominal price of a step, in forward-equivalents. */
  nominal: number;
  /** The least a step can cost. */
  floor: number;
  /** A one-off cost (the stale scores' first scoring of all N). */
  fixed: number;
  /** Steps to the budget at the nominal price (the step-decay schedule's length). */
  budgetSteps: number;
  /** Evaluate every this many steps. */
  every: number;
  /** The steps given to `fit`: enough to reach overrun × budget at the floor price. */
  steps: number;
  /**
   * For a fixed-price sampler, the step of the last evaluation within the budget (the judged
   * one): a tuning run takes exactly these steps and evaluates only at its start and end, the
   * same point as on an evaluation run's grid. Null for a variable price (its tuning runs keep the
   * evaluation grid and stop at the first evaluation at or past the budget).
   */
  judgedStep: number | null;
}

/**
 * The plan of a cell's runs for N training samples.
 *
 * @example uniform at b = 32 on 4,000 samples for 6 epochs: 750 steps to the budget
 * ```ts
 * import { studyRunPlan } from "@lib/experiments/importance/study/run.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 32, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const p = studyRunPlan(cell, studyProfiles.quick);
 * assert.deepEqual(p, { budget: 72000, nominal: 96, floor: 96, fixed: 0, budgetSteps: 750, every: 93, steps: 1125, judgedStep: 744 });
 * const ub = studyRunPlan({ ...cell, sampler: "upper-bound", presample: 3 }, studyProfiles.quick);
 * assert.equal(ub.nominal, 160); // B + 2b
 * ```
 */
export function studyRunPlan(cell: StudyCell, profile: StudyProfile): StudyRunPlan {
  const b = cell.batch_size, k = cell.presample ?? 1, N = profile.trainSize;
  const budget = 3 * N * profile.epochs;
  const price = {
    "uniform": [3 * b, 3 * b],
    "isgd": [3 * b, 3 * b],
    "stale-scores": [3 * b, 3 * b],
    "upper-bound": [(k + 2) * b, (k + 2) * b],
    "loss": [(k + 2) * b, (k + 2) * b],
    "gradient-norm": [(3 * k + 2) * b, (3 * k + 2) * b],
    "switch": [(k + 2) * b, 3 * b],
    "switch-sqrt": [(k + 2) * b, 3 * b],
    "selective-backprop": [(k + 2) * b, 3 * b],
  }[cell.sampler];
  const [nominal, floor] = price;
  const fixed = cell.sampler === "stale-scores" ? N : 0;
  const budgetSteps = Math.max(1, Math.floor((budget - fixed) / nominal));
  const every = Math.max(1, Math.floor(budgetSteps / profile.evaluations));
  const steps = Math.max(1, Math.ceil((profile.overrun * budget - fixed) / floor));
  const judgedStep = nominal === floor ? every * Math.floor(budgetSteps / every) : null;
  return { budget, nominal, floor, fixed, budgetSteps, every, steps, judgedStep };
}

/** Thrown by the evaluation callback to end a run at its limit (caught by {@link train}). */
class StopRun extends Error {}

/** Whether an error of `fit` is the run's divergence (a non-finite loss, gradient or score). */
function isDivergence(error: unknown, rows: number): boolean {
  if (error instanceof DivergenceError || error instanceof NonFiniteGradientError) return true;
  return error instanceof RangeError && rows > 0 && /NaN|Infinity|diverg/.test(error.message);
}

/** A checkpoint of a run: θ and what the sampler held. */
interface Snapshot {
  step: number;
  model: Mlp;
  scores: Float64Array | null;
  refreshedAt: Int32Array | null;
}

/** One run of a cell at η on one seed, up to `limit` forward-equivalents. */
async function train(
  cell: StudyCell,
  setup: ImportanceSetup,
  o: {
    eta: number;
    limit: number;
    plan: StudyRunPlan;
    checkpoints: readonly number[];
    steps?: number;
  },
): Promise<{ rows: HistoryRow[]; diverged: boolean; snapshots: Snapshot[] }> {
  const spec = STUDY_SAMPLER_SPECS[cell.sampler], plan = o.plan;
  const steps = o.steps ?? plan.steps;
  const sampler: Sampler = spec.make(cell.presample ?? 1);
  const model = setup.model.clone();
  const rows: HistoryRow[] = [], snapshots: Snapshot[] = [];
  const pending = [...o.checkpoints];
  const learningRate = cell.schedule === "step-decay"
    ? stepDecay(o.eta, { steps: plan.budgetSteps })
    : o.eta;
  let diverged = false;
  try {
    await fit(model, setup.train, {
      loss: LOSS,
      random: new Random(setup.trainingSeed),
      batchSize: cell.batch_size,
      learningRate,
      steps,
      sampler,
      evaluateEvery: o.steps === undefined ? plan.every : steps,
      test: setup.test,
      progress: "none",
      onEvaluate: (row) => {
        rows.push(row);
        if (pending.length > 0 && row.forward_equivalents >= pending[0]) {
          while (pending.length > 0 && row.forward_equivalents >= pending[0]) pending.shift();
          const stale = sampler instanceof StaleScoreSampler ? sampler : null;
          const scores = stale?.scores ?? null;
          snapshots.push({
            step: row.step,
            model: model.clone(),
            scores: scores === null ? null : scores.slice(0, setup.analysis.x.cols),
            refreshedAt: scores === null ? null : stale!.refreshedAt.slice(),
          });
        }
        if (row.forward_equivalents >= o.limit) throw new StopRun();
      },
    });
  } catch (error) {
    if (isDivergence(error, rows.length)) diverged = true;
    else if (!(error instanceof StopRun)) throw error;
  } finally {
    // a presampler gives its kernel arrays back to the pool
    sampler.reset?.();
  }
  return { rows, diverged, snapshots };
}

/** The diagnostics of a snapshot, for the samplers that have them. */
function diagnose(cell: StudyCell, setup: ImportanceSetup, s: Snapshot): Diagnostic[] {
  if (cell.sampler === "stale-scores" && s.scores !== null && s.refreshedAt !== null) {
    const alpha = (STUDY_SAMPLER_SPECS["stale-scores"].make(1) as StaleScoreSampler).alpha;
    return staleScoreDiagnostics(s.model, setup.analysis, {
      scores: s.scores,
      refreshedAt: s.refreshedAt,
      step: s.step,
      alpha,
      batchSize: cell.batch_size,
    });
  }
  if (cell.sampler === "selective-backprop") {
    const sb = STUDY_SAMPLER_SPECS["selective-backprop"].make(cell.presample ?? 1);
    return selectiveBackpropDiagnostics(s.model, setup.analysis, {
      beta: (sb as SelectiveBackpropSampler).beta,
    });
  }
  return [];
}

/**
 * The tuning seeds (seed + each of the profile's offsets) and evaluation seeds (seed, seed + 1, …)
 * of a profile for a study seed: disjoint, as the profile's check demands.
 *
 * @example
 * ```ts
 * import { studySeeds } from "@lib/experiments/importance/study/run.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(studySeeds(1, studyProfiles.full), { tuning: [1001, 1002], evaluation: [1, 2, 3, 4, 5] });
 * ```
 */
export function studySeeds(
  seed: number,
  profile: StudyProfile,
): { tuning: number[]; evaluation: number[] } {
  return {
    tuning: profile.tuningSeedOffsets.map((o) => seed + o),
    evaluation: Array.from({ length: profile.evaluationSeeds }, (_, i) => seed + i),
  };
}

/** The setup (data, θ_0) of each seed, made once per unit. */
function setups(cell: StudyCell, o: StudyRunOptions) {
  const P = o.profile;
  const shape = {
    ...importanceProfiles.quick,
    dataset: cell.dataset,
    trainSize: P.trainSize,
    testSize: P.testSize,
    hidden: P.hidden,
    analysisSize: P.diagnosticSize,
  };
  const made = new Map<number, Promise<ImportanceSetup>>();
  return (seed: number) => {
    let s = made.get(seed);
    if (s === undefined) made.set(seed, s = importanceSetup(seed, shape, { source: o.source }));
    return s;
  };
}

/**
 * The η tuning of a cell: every η of the grid on every tuning seed, judged at the budget (the
 * last evaluation at or below it; a diverged run counts +∞), widened by one doubling at the edge
 * where the best η sits, at most `maxWiden` times. Returns the trials and the chosen η.
 */
async function tune(
  cell: StudyCell,
  o: StudyRunOptions,
  setupOf: (seed: number) => Promise<ImportanceSetup>,
): Promise<{ trials: EtaTrialRow[]; eta: number }> {
  const P = o.profile, plan = studyRunPlan(cell, P), seeds = studySeeds(o.seed, P).tuning;
  const trials: EtaTrialRow[] = [];
  let grid: readonly number[] = P.etaGrid;
  for (let round = 0;; round++) {
    const tried = new Set(trials.map((t) => t.eta));
    for (const eta of grid.filter((e) => !tried.has(e))) {
      for (const seed of seeds) {
        const setup = await setupOf(seed);
        // a fixed price: only the judged step's evaluation; else the grid, stopped at the budget
        const run = plan.judgedStep === null
          ? await train(cell, setup, { eta, limit: plan.budget, plan, checkpoints: [] })
          : await train(cell, setup, {
            eta,
            limit: Infinity,
            plan,
            checkpoints: [],
            steps: plan.judgedStep,
          });
        const judged = run.rows.filter((r) => r.forward_equivalents <= plan.budget).at(-1)!;
        trials.push({
          ...cell,
          eta,
          seed,
          train_loss: run.diverged ? Infinity : judged.train_loss,
          test_error: run.diverged ? null : 1 - judged.test_accuracy!,
          diverged: run.diverged,
          round,
        });
      }
    }
    const [choice] = selectEta(trials);
    if (choice.edge === null || round >= P.maxWiden) return { trials, eta: choice.eta };
    grid = widenedGrid(choice);
  }
}

/**
 * The typed tables of one study unit (see the module doc); {@link studyRun} stores them.
 *
 * @example A tiny cell: the same rows twice, and every curve row carries the same budget
 * ```ts
 * import { studyRunTables } from "@lib/experiments/importance/study/run.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const profile = {
 *   ...studyProfiles.quick, trainSize: 200, testSize: 50, hidden: [8],
 *   epochs: 1, evaluations: 2, etaGrid: [0.1, 0.2], maxWiden: 0, tuningSeedOffsets: [1000],
 *   evaluationSeeds: 1,
 *   diagnosticSize: 50,
 * };
 * const cell = { dataset: "mnist", batch_size: 32, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const t = await studyRunTables(cell, { seed: 1, profile });
 * assert.deepEqual(t.study_eta_grid.map((r) => [r.eta, r.seed]), [[0.1, 1001], [0.2, 1001]]);
 * assert.ok(t.study_curves.every((r) => r.budget_forward_equivalents === 600 && r.seed === 1));
 * const again = await studyRunTables(cell, { seed: 1, profile });
 * assert.deepEqual(again.study_curves, t.study_curves);
 * ```
 */
export async function studyRunTables(
  cell: StudyCell,
  options: StudyRunOptions,
): Promise<StudyUnitTables> {
  const P = options.profile;
  checkStudyProfile(P);
  const setupOf = setups(cell, options);
  const { trials, eta } = await tune(cell, options, setupOf);
  const plan = studyRunPlan(cell, P);
  const curves: StudyCurveRow[] = [], timing: StudyCurveTimingRow[] = [];
  const diagnostics: StudyDiagnosticRow[] = [];
  const evaluation = studySeeds(options.seed, P).evaluation;
  for (const [i, seed] of evaluation.entries()) {
    const setup = await setupOf(seed);
    const diagnosed = i === 0 && (cell.sampler === "stale-scores" ||
      cell.sampler === "selective-backprop");
    const checkpoints = diagnosed ? P.diagnosticAt.map((f) => f * plan.budget) : [];
    const limit = P.overrun * plan.budget;
    const run = await train(cell, setup, { eta, limit, plan, checkpoints });
    for (const r of run.rows) {
      curves.push({
        ...cell,
        eta,
        seed,
        step: r.step,
        forward_equivalents: r.forward_equivalents,
        budget_forward_equivalents: plan.budget,
        train_loss: r.train_loss,
        test_error: 1 - r.test_accuracy!,
      });
      timing.push({ ...cell, seed, step: r.step, seconds: r.seconds });
    }
    for (const s of run.snapshots) {
      for (const d of diagnose(cell, setup, s)) {
        diagnostics.push({ ...cell, seed, step: s.step, ...d });
      }
    }
  }
  return {
    study_eta_grid: trials,
    study_curves: curves,
    study_curves_timing: timing,
    study_diagnostics: diagnostics,
  };
}

/**
 * One study unit's output, as the pipeline stores it: {@link studyRunTables} as CSV rows.
 *
 * @example
 * ```ts
 * import { studyRun } from "@lib/experiments/importance/study/run.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const profile = {
 *   ...studyProfiles.quick, trainSize: 200, testSize: 50, hidden: [8],
 *   epochs: 2, evaluations: 2, etaGrid: [0.1], maxWiden: 0,
 *   evaluationSeeds: 1, diagnosticSize: 50, diagnosticAt: [1],
 * };
 * const cell = { dataset: "mnist", batch_size: 32, presample: 2, sampler: "selective-backprop", schedule: "constant" } as const;
 * const out = await studyRun(cell, { seed: 1, profile });
 * assert.deepEqual(Object.keys(out.tables), ["study_eta_grid", "study_curves", "study_curves_timing", "study_diagnostics"]);
 * assert.ok(out.tables.study_diagnostics.some((r) => r.quantity === "relative bias"));
 * ```
 */
export async function studyRun(cell: StudyCell, options: StudyRunOptions): Promise<UnitOutput> {
  return encodeStudyUnit(await studyRunTables(cell, options));
}

/**
 * Runs a unit made by `studyUnits` (units.ts): its params decoded strictly, then {@link studyRun}.
 *
 * @throws {RangeError} naming the unit when its params are not a study cell
 * @example
 * ```ts
 * import { runStudyUnit } from "@lib/experiments/importance/study/run.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const unit = { id: "x", params: { study: true, dataset: "mnist", batch_size: 8, presample: 3, sampler: "uniform", schedule: "constant" } };
 * await assert.rejects(runStudyUnit(unit, { seed: 1, profile: studyProfiles.quick }), /unit x: expected presample null/);
 * ```
 */
export function runStudyUnit(
  unit: ReproductionUnit,
  options: { seed: number; profile: StudyProfile },
): Promise<UnitOutput> {
  try {
    const { cell, source } = decodeStudyUnit(unit);
    return studyRun(cell, { ...options, source });
  } catch (error) {
    return Promise.reject(error);
  }
}
