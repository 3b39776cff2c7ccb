/**
 * Combining the fair study ("When does importance sampling pay?", issue 12): from the typed
 * tables of its units (rows.ts) to the tables, charts and notes under results/importance/.
 * Pure and deterministic given its input: the bootstrap intervals draw from a generator seeded
 * with the reproduction's seed, one stream per row in table order.
 *
 * The steps, one module each: the runs (runs.ts: evaluations joined with their seconds), the η
 * table and its check (eta_grid.ts), the budgets and the ladder of targets (ladder.ts), the
 * verdict, its factors and the loss at equal time (verdict.ts), the typed output rows
 * (tables.ts), the charts (charts.ts) and the notes (notes.ts).
 *
 * @module
 */
import { encodeRows } from "../columns.ts";
import { pricedTiming } from "./priced.ts";
import { STUDY_STEP_COST, type StudyStepCostRow } from "./step_costs.ts";
import { Random } from "../../../random.ts";
import type { ReproductionOutput } from "../../reproduction.ts";
import { studyCharts } from "./charts.ts";
import { etaGridRows } from "./eta_grid.ts";
import { baselines, budgetRows, secondsBudgets, targetRows, timeToTargetRows } from "./ladder.ts";
import { studyNotes } from "./notes.ts";
import type { StudyUnitTables } from "./rows.ts";
import { studyRuns } from "./runs.ts";
import { encodeStudyTables, type StudyTables, VERDICT } from "./tables.ts";
import { equalTimeLossRows, verdictRows } from "./verdict.ts";

export { BUDGET_FRACTIONS, LADDER_FRACTIONS, TARGET_LEVELS, type TargetLevel } from "./ladder.ts";
export { GOAL_HIGH, GOAL_RATIO, GOAL_SEEDS, studyHeadline, studyNotes } from "./notes.ts";
export { phaseDiagramChart, studyCharts, timeRatioChart } from "./charts.ts";
export { decodeStudyTables, encodeStudyTables, STUDY_TABLES, type StudyTables } from "./tables.ts";
export type * from "./tables.ts";

/** Options of {@link combineStudy}. */
export interface CombineStudyOptions {
  /** The reproduction's seed: it seeds the bootstrap. */
  seed: number;
  /** Bootstrap resamples per interval. Default 10,000. */
  resamples?: number;
  /**
   * The step prices measured side by side (study/step_costs.ts). Given, the seconds of every
   * table are priced (study/priced.ts) and the verdict from the seconds measured during the runs
   * is `verdict_measured_timing`; absent, the measured seconds are used.
   */
  costs?: readonly StudyStepCostRow[];
}

/**
 * The study's typed output tables from its units' typed tables.
 *
 * @throws {RangeError} when an evaluation run's η is not the one its tuning table chooses, a cell
 * has no tuned uniform cell or other evaluation seeds than it, or an evaluation lacks its timing
 * @example Empty input, empty tables
 * ```ts
 * import { combineStudyTables } from "@lib/experiments/importance/study/combine.ts";
 * import assert from "node:assert/strict";
 * const none = { study_eta_grid: [], study_curves: [], study_curves_timing: [], study_diagnostics: [] };
 * const t = combineStudyTables(none, { seed: 1 });
 * assert.deepEqual(t.verdict, []);
 * assert.deepEqual(t.eta_grid, []);
 * ```
 */
export function combineStudyTables(
  units: StudyUnitTables,
  options: CombineStudyOptions,
): StudyTables {
  const runs = studyRuns(units.study_curves, units.study_curves_timing);
  const eta_grid = etaGridRows(units.study_eta_grid, runs);
  const base = baselines(runs), seconds = secondsBudgets(base);
  const targets = targetRows(base);
  const times = timeToTargetRows(runs, targets);
  const random = new Random(options.seed);
  const bootstrap = { resamples: options.resamples };
  const { verdict, factors } = verdictRows(runs, times, { random: random.fork(), ...bootstrap });
  const equal = equalTimeLossRows(runs, seconds, { random: random.fork(), ...bootstrap });
  return {
    eta_grid,
    budget: budgetRows(runs, base, seconds),
    study_targets: targets,
    study_steps_to_target: times.map(({ seconds: _, ...rest }) => rest),
    study_time_to_target_timing: times,
    verdict,
    verdict_factors_timing: factors,
    equal_time_loss_timing: equal.rows,
    equal_time_loss_summary_timing: equal.summary,
    study_diagnostics: [...units.study_diagnostics],
  };
}

/**
 * The study's tables (as CSV rows), charts and notes from its units' typed tables
 * (`decodeStudyUnits` of the stored outputs): {@link combineStudyTables}, drawn and described.
 * No study runs give no tables, charts or notes (a profile without the study).
 *
 * @throws {RangeError} as {@link combineStudyTables}
 * @example
 * ```ts
 * import { combineStudy } from "@lib/experiments/importance/study/combine.ts";
 * import assert from "node:assert/strict";
 * const none = { study_eta_grid: [], study_curves: [], study_curves_timing: [], study_diagnostics: [] };
 * assert.deepEqual(combineStudy(none, { seed: 1 }), { tables: {}, charts: {}, notes: {} });
 * ```
 */
export function combineStudy(
  units: StudyUnitTables,
  options: CombineStudyOptions,
): ReproductionOutput {
  if (units.study_curves.length === 0 && units.study_eta_grid.length === 0) {
    return { tables: {}, charts: {}, notes: {} };
  }
  const costs = options.costs ?? [];
  if (costs.length === 0) {
    const tables = combineStudyTables(units, options);
    return {
      tables: encodeStudyTables(tables),
      charts: studyCharts(tables),
      notes: studyNotes(tables, { resamples: options.resamples }),
    };
  }
  const priced = { ...units, study_curves_timing: pricedTiming(units.study_curves, costs) };
  const tables = combineStudyTables(priced, options);
  // the measured seconds' verdict alone: the same runs, targets and bootstrap stream as
  // combineStudyTables's verdict (its first fork of the seed), without the other tables
  const runs = studyRuns(units.study_curves, units.study_curves_timing);
  const times = timeToTargetRows(runs, targetRows(baselines(runs)));
  const measured = verdictRows(runs, times, {
    random: new Random(options.seed).fork(),
    resamples: options.resamples,
  }).verdict;
  const notes = studyNotes(tables, { resamples: options.resamples, priced: true });
  return {
    tables: {
      ...encodeStudyTables(tables),
      verdict_measured_timing: encodeRows(measured, VERDICT, "verdict_measured_timing"),
      study_step_costs_timing: encodeRows(costs, STUDY_STEP_COST, "study_step_costs_timing"),
    },
    charts: studyCharts(tables),
    notes: {
      ...notes,
      verdict_measured_timing: "The verdict with the seconds measured during the runs instead " +
        "of priced ones (same columns as verdict.csv). The units ran at different hours on a " +
        "shared machine, so these ratios mix each sampler's cost with the load at its hour; " +
        "verdict.csv prices every run's steps at the step costs measured side by side " +
        "(study_step_costs_timing.csv).",
      study_step_costs_timing: "Milliseconds per training step of every sampler the study runs " +
        "at each data set and b, timed in interleaved rounds from the same θ (one epoch of " +
        "uniform training from θ_0), after untimed warm-up steps: the prices of the verdict's " +
        "seconds. A run's priced seconds at step t are t × its sampler's median, plus, for the " +
        "stale scores, their first scoring of all N at uniform's price per forward-equivalent.",
    },
  };
}
