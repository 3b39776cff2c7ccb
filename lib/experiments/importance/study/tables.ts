/**
 * The tables the fair study's combine step writes, typed: one row interface per table with its CSV
 * columns, and their conversion to and from the CSV rows of a {@link ReproductionOutput}.
 *
 * Tables whose name ends in `_timing` hold wall-clock numbers. `budget` and `verdict`, whose names
 * and columns the issue fixes, hold some too: `budget`'s rows of budget_kind "seconds", and
 * `verdict`'s time_ratio columns (its fe_ratio is deterministic). Never reached, or diverged, is
 * written +∞ (`Infinity` in the CSV, which reads back as +∞); no value at all is an empty cell.
 *
 * @module
 */
import type { CsvRow } from "../../../io.ts";
import type { TypedRow } from "../../csv_rows.ts";
import type { ReproductionOutput } from "../../reproduction.ts";
import {
  boolean,
  type Column,
  type Columns,
  decodeRows,
  encodeRows,
  number,
  numberOrNull,
  oneOf,
  text,
} from "../columns.ts";
import type { DatasetId } from "../unit_tables.ts";
import { type ScheduleId, SCHEDULES, STUDY_SAMPLERS } from "./registry.ts";
import { STUDY_DIAGNOSTIC, type StudyCell, type StudyDiagnosticRow } from "./rows.ts";

const textOrNull: Column<string | null> = {
  kind: "a string or null",
  accepts: (v): v is string | null => v === null || typeof v === "string",
};
const dataset = oneOf<DatasetId>(["mnist", "fashion-mnist"]);
const schedule = oneOf(SCHEDULES);
const CELL: Columns<StudyCell> = {
  dataset,
  batch_size: number,
  presample: numberOrNull,
  sampler: oneOf(STUDY_SAMPLERS),
  schedule,
};

/** `eta_grid`: one η of a cell, over its tuning seeds. */
export interface EtaGridRow extends StudyCell {
  eta: number;
  /** The widening round that added it (0: the profile's grid). */
  round: number;
  /** The tuning seeds, space-separated (never evaluation seeds). */
  tuning_seeds: string;
  /** Mean final training loss over the tuning seeds; +∞ when any diverged. */
  mean_train_loss: number;
  /** Mean final test error over the tuning seeds; empty when any diverged. */
  mean_test_error: number | null;
  /** How many tuning runs diverged. */
  diverged: number;
  /** Whether this is the cell's chosen η (selectEta on this table). */
  chosen: boolean;
  /** The cell's edge flag: where its chosen η sits, "lower", "upper", "only", or empty inside. */
  edge: string | null;
}

/** Columns of {@link EtaGridRow}. */
export const ETA_GRID: Columns<EtaGridRow> = {
  ...CELL,
  eta: number,
  round: number,
  tuning_seeds: text,
  mean_train_loss: number,
  mean_test_error: numberOrNull,
  diverged: number,
  chosen: boolean,
  edge: textOrNull,
};

/** `budget`: a run's state at a budget (its last evaluation within it). */
export interface BudgetRow {
  dataset: DatasetId;
  batch_size: number;
  presample: number | null;
  sampler: StudyCell["sampler"];
  seed: number;
  eta: number;
  schedule: ScheduleId;
  budget_kind: "forward_equivalents" | "seconds";
  budget: number;
  train_loss: number;
  test_error: number | null;
}

/** Columns of {@link BudgetRow}: the issue's, prefixed by dataset, batch_size and presample. */
export const BUDGET: Columns<BudgetRow> = {
  dataset,
  batch_size: number,
  presample: numberOrNull,
  sampler: oneOf(STUDY_SAMPLERS),
  seed: number,
  eta: number,
  schedule,
  budget_kind: oneOf(["forward_equivalents", "seconds"]),
  budget: number,
  train_loss: number,
  test_error: numberOrNull,
};

/** `study_targets`: one rung of the ladder of target losses of a (data set, b, schedule). */
export interface TargetRow {
  dataset: DatasetId;
  batch_size: number;
  schedule: ScheduleId;
  /** The fraction of the budget at which tuned uniform's loss sets the target. */
  fraction: number;
  /** "early" or "late" for the verdict's two levels, else empty. */
  level: string | null;
  /** Tuned uniform's mean training loss over the evaluation seeds at that fraction. */
  target_loss: number;
  /** The uniform seeds averaged (those whose loss there is finite). */
  uniform_seeds: number;
}

/** Columns of {@link TargetRow}. */
export const TARGET: Columns<TargetRow> = {
  dataset,
  batch_size: number,
  schedule,
  fraction: number,
  level: textOrNull,
  target_loss: number,
  uniform_seeds: number,
};

/** `study_steps_to_target`: a run's first evaluation at or below a target (+∞: never). */
export interface StepsToTargetRow extends StudyCell {
  eta: number;
  seed: number;
  fraction: number;
  level: string | null;
  target_loss: number;
  reached: boolean;
  steps: number;
  forward_equivalents: number;
}

/** Columns of {@link StepsToTargetRow}. */
export const STEPS_TO_TARGET: Columns<StepsToTargetRow> = {
  ...CELL,
  eta: number,
  seed: number,
  fraction: number,
  level: textOrNull,
  target_loss: number,
  reached: boolean,
  steps: number,
  forward_equivalents: number,
};

/** `study_time_to_target_timing`: {@link StepsToTargetRow} with the training seconds. */
export interface TimeToTargetRow extends StepsToTargetRow {
  seconds: number;
}

/** Columns of {@link TimeToTargetRow}. */
export const TIME_TO_TARGET: Columns<TimeToTargetRow> = { ...STEPS_TO_TARGET, seconds: number };

/** `verdict`: the columns; ratios to tuned uniform of the time to a target. */
export interface VerdictRow {
  sampler: StudyCell["sampler"];
  regime: string;
  time_ratio: number | null;
  time_ratio_low: number | null;
  time_ratio_high: number | null;
  fe_ratio: number | null;
  seeds: number;
}

/** Columns of {@link VerdictRow}: exactly the issue's. */
export const VERDICT: Columns<VerdictRow> = {
  sampler: oneOf(STUDY_SAMPLERS),
  regime: text,
  time_ratio: numberOrNull,
  time_ratio_low: numberOrNull,
  time_ratio_high: numberOrNull,
  fe_ratio: numberOrNull,
  seeds: number,
};

/** `verdict_factors_timing`: a verdict row as iteration gain × step-cost ratio. */
export interface VerdictFactorRow extends StudyCell {
  level: string;
  regime: string;
  target_loss: number;
  /** Seed pairs kept (tuned uniform reaches the target on them). */
  seeds: number;
  /** Of those, the seeds on which the sampler reaches it too. */
  reached: number;
  /** Σ steps to target, sampler over uniform (+∞ when a seed never reaches it). */
  iteration_ratio: number | null;
  /** Seconds per step up to the target, sampler over uniform, on the seeds both reach. */
  step_cost_ratio: number | null;
  /** iteration_ratio × step_cost_ratio (the verdict's time_ratio). */
  time_ratio: number | null;
  /** Forward-equivalents per step up to the target, sampler over uniform. */
  fe_step_ratio: number | null;
  /** iteration_ratio × fe_step_ratio (the verdict's fe_ratio). */
  fe_ratio: number | null;
}

/** Columns of {@link VerdictFactorRow}. */
export const VERDICT_FACTOR: Columns<VerdictFactorRow> = {
  ...CELL,
  level: text,
  regime: text,
  target_loss: number,
  seeds: number,
  reached: number,
  iteration_ratio: numberOrNull,
  step_cost_ratio: numberOrNull,
  time_ratio: numberOrNull,
  fe_step_ratio: numberOrNull,
  fe_ratio: numberOrNull,
};

/** `equal_time_loss_timing`: per cell and seed, log10 of the loss ratio to tuned uniform. */
export interface EqualTimeLossRow extends StudyCell {
  seed: number;
  eta: number;
  /** The late equal-wall-clock budget (tuned uniform's mean seconds to the budget). */
  seconds_budget: number;
  /** log10(sampler's loss / uniform's) at that many seconds (+∞: the sampler diverged). */
  log10_ratio_time: number;
  /** The budget in forward-equivalents. */
  fe_budget: number;
  /** log10(sampler's loss / uniform's) at that many forward-equivalents. */
  log10_ratio_fe: number;
}

/** Columns of {@link EqualTimeLossRow}. */
export const EQUAL_TIME_LOSS: Columns<EqualTimeLossRow> = {
  ...CELL,
  seed: number,
  eta: number,
  seconds_budget: number,
  log10_ratio_time: number,
  fe_budget: number,
  log10_ratio_fe: number,
};

/** `equal_time_loss_summary_timing`: geometric means over seeds with bootstrap intervals. */
export interface EqualTimeSummaryRow extends StudyCell {
  regime: string;
  seeds: number;
  loss_ratio_time: number | null;
  loss_ratio_time_low: number | null;
  loss_ratio_time_high: number | null;
  loss_ratio_fe: number | null;
  loss_ratio_fe_low: number | null;
  loss_ratio_fe_high: number | null;
}

/** Columns of {@link EqualTimeSummaryRow}. */
export const EQUAL_TIME_SUMMARY: Columns<EqualTimeSummaryRow> = {
  ...CELL,
  regime: text,
  seeds: number,
  loss_ratio_time: numberOrNull,
  loss_ratio_time_low: numberOrNull,
  loss_ratio_time_high: numberOrNull,
  loss_ratio_fe: numberOrNull,
  loss_ratio_fe_low: numberOrNull,
  loss_ratio_fe_high: numberOrNull,
};

/** Every table of the study's combine step, typed. */
export interface StudyTables {
  eta_grid: EtaGridRow[];
  budget: BudgetRow[];
  study_targets: TargetRow[];
  study_steps_to_target: StepsToTargetRow[];
  study_time_to_target_timing: TimeToTargetRow[];
  verdict: VerdictRow[];
  verdict_factors_timing: VerdictFactorRow[];
  equal_time_loss_timing: EqualTimeLossRow[];
  equal_time_loss_summary_timing: EqualTimeSummaryRow[];
  study_diagnostics: StudyDiagnosticRow[];
}

/** The study's table names, in the order they are written. */
export const STUDY_TABLES: readonly (keyof StudyTables)[] = [
  "eta_grid",
  "budget",
  "study_targets",
  "study_steps_to_target",
  "study_time_to_target_timing",
  "verdict",
  "verdict_factors_timing",
  "equal_time_loss_timing",
  "equal_time_loss_summary_timing",
  "study_diagnostics",
];

/**
 * The typed tables as CSV rows, each with its columns in order (the one place they become
 * untyped).
 *
 * @example
 * ```ts
 * import { encodeStudyTables, STUDY_TABLES, type StudyTables } from "@lib/experiments/importance/study/tables.ts";
 * import assert from "node:assert/strict";
 * const empty = Object.fromEntries(STUDY_TABLES.map((n) => [n, []])) as unknown as StudyTables;
 * const verdict = { sampler: "loss", regime: "mnist b=8 k=3 constant late", time_ratio: 0.5, time_ratio_low: 0.4, time_ratio_high: Infinity, fe_ratio: 0.6, seeds: 5 } as const;
 * const csv = encodeStudyTables({ ...empty, verdict: [verdict] });
 * assert.deepEqual(Object.keys(csv), STUDY_TABLES);
 * assert.deepEqual(Object.keys(csv.verdict[0]), ["sampler", "regime", "time_ratio", "time_ratio_low", "time_ratio_high", "fe_ratio", "seeds"]);
 * ```
 */
export function encodeStudyTables(t: StudyTables): Record<string, CsvRow[]> {
  return {
    eta_grid: encodeRows(t.eta_grid, ETA_GRID, "eta_grid"),
    budget: encodeRows(t.budget, BUDGET, "budget"),
    study_targets: encodeRows(t.study_targets, TARGET, "study_targets"),
    study_steps_to_target: encodeRows(
      t.study_steps_to_target,
      STEPS_TO_TARGET,
      "study_steps_to_target",
    ),
    study_time_to_target_timing: encodeRows(
      t.study_time_to_target_timing,
      TIME_TO_TARGET,
      "study_time_to_target_timing",
    ),
    verdict: encodeRows(t.verdict, VERDICT, "verdict"),
    verdict_factors_timing: encodeRows(
      t.verdict_factors_timing,
      VERDICT_FACTOR,
      "verdict_factors_timing",
    ),
    equal_time_loss_timing: encodeRows(
      t.equal_time_loss_timing,
      EQUAL_TIME_LOSS,
      "equal_time_loss_timing",
    ),
    equal_time_loss_summary_timing: encodeRows(
      t.equal_time_loss_summary_timing,
      EQUAL_TIME_SUMMARY,
      "equal_time_loss_summary_timing",
    ),
    study_diagnostics: encodeRows(t.study_diagnostics, STUDY_DIAGNOSTIC, "study_diagnostics"),
  };
}

/**
 * The study's typed tables of a combined output's CSV rows, every value checked.
 *
 * @throws {RangeError} naming a missing table; {TypeError} naming the table, row and column of a
 * value of the wrong type
 * @example
 * ```ts
 * import { decodeStudyTables, encodeStudyTables, STUDY_TABLES, type StudyTables } from "@lib/experiments/importance/study/tables.ts";
 * import assert from "node:assert/strict";
 * const empty = Object.fromEntries(STUDY_TABLES.map((n) => [n, []])) as unknown as StudyTables;
 * const verdict = { sampler: "loss", regime: "r", time_ratio: 0.5, time_ratio_low: 0.4, time_ratio_high: Infinity, fe_ratio: 0.6, seeds: 5 } as const;
 * assert.deepEqual(decodeStudyTables(encodeStudyTables({ ...empty, verdict: [verdict] })).verdict, [verdict]);
 * assert.throws(() => decodeStudyTables({}), /table eta_grid is missing/);
 * ```
 */
export function decodeStudyTables(tables: ReproductionOutput["tables"]): StudyTables {
  const read = <T extends TypedRow<T>>(name: string, columns: Columns<T>): T[] => {
    const rows = tables[name];
    if (rows === undefined) {
      throw new RangeError(`cannot read the study's output: table ${name} is missing`);
    }
    return decodeRows(rows, columns, name);
  };
  return {
    eta_grid: read("eta_grid", ETA_GRID),
    budget: read("budget", BUDGET),
    study_targets: read("study_targets", TARGET),
    study_steps_to_target: read("study_steps_to_target", STEPS_TO_TARGET),
    study_time_to_target_timing: read("study_time_to_target_timing", TIME_TO_TARGET),
    verdict: read("verdict", VERDICT),
    verdict_factors_timing: read("verdict_factors_timing", VERDICT_FACTOR),
    equal_time_loss_timing: read("equal_time_loss_timing", EQUAL_TIME_LOSS),
    equal_time_loss_summary_timing: read("equal_time_loss_summary_timing", EQUAL_TIME_SUMMARY),
    study_diagnostics: read("study_diagnostics", STUDY_DIAGNOSTIC),
  };
}
