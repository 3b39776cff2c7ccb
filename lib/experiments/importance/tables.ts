/**
 * The tables the importance reproduction writes, typed: the units' tables (unit_tables.ts) and
 * the ones `combine` derives from them, each a row interface with its CSV columns, and the
 * conversion of all of them to and from the CSV rows of a {@link ReproductionOutput}.
 *
 * @module
 */
import type { CsvRow } from "../../io.ts";
import type { ReproductionOutput } from "../reproduction.ts";
import {
  type Columns,
  decodeRows,
  encodeRows,
  number,
  numberOrNull as nullable,
  oneOf,
  text,
} from "./columns.ts";
import type { TypedRow } from "../csv_rows.ts";
import { IMPORTANCE_SAMPLERS, type ImportanceSamplerId } from "./registry.ts";
import {
  CORRELATION,
  type CorrelationRow,
  type DatasetId,
  HISTORY,
  HISTORY_TIMING,
  type HistoryRow,
  type HistoryTimingRow,
  INTERLEAVED_COST,
  type InterleavedCostRow,
  SCORE_POINTS,
  type ScorePointRow,
  SPEED,
  type SpeedRow,
  THETA_STAR,
  type ThetaStarRow,
  VARIANCE,
  VARIANCE_CHECK,
  type VarianceCheckRow,
  type VarianceRow,
} from "./unit_tables.ts";

const sampler = oneOf(IMPORTANCE_SAMPLERS);

/** `curves`: mean, sd, min and max over seeds per sampler and evaluation step. */
export interface CurveRow {
  sampler: ImportanceSamplerId;
  step: number;
  seeds: number;
  forward_equivalents: number;
  forward_equivalents_sd: number;
  train_loss: number;
  train_loss_sd: number;
  train_loss_min: number;
  train_loss_max: number;
  test_error: number;
  test_error_sd: number;
}

/** Columns of {@link CurveRow}. */
export const CURVES: Columns<CurveRow> = {
  sampler,
  step: number,
  seeds: number,
  forward_equivalents: number,
  forward_equivalents_sd: number,
  train_loss: number,
  train_loss_sd: number,
  train_loss_min: number,
  train_loss_max: number,
  test_error: number,
  test_error_sd: number,
};

/** `curves_timing`: mean and sd over seeds of the training seconds. */
export interface CurveTimingRow {
  sampler: ImportanceSamplerId;
  step: number;
  seconds: number;
  seconds_sd: number;
}

/** Columns of {@link CurveTimingRow}. */
export const CURVES_TIMING: Columns<CurveTimingRow> = {
  sampler,
  step: number,
  seconds: number,
  seconds_sd: number,
};

/** `steps_to_target`: the first evaluation at or below the target loss (null: never). */
export interface StepsToTargetRow {
  sampler: ImportanceSamplerId;
  seed: number;
  target_loss: number;
  iterations: number | null;
  forward_equivalents: number | null;
}

/** Columns of {@link StepsToTargetRow}. */
export const STEPS_TO_TARGET: Columns<StepsToTargetRow> = {
  sampler,
  seed: number,
  target_loss: number,
  iterations: nullable,
  forward_equivalents: nullable,
};

/** `time_to_target`: {@link StepsToTargetRow} with that evaluation's training seconds. */
export interface TimeToTargetRow extends StepsToTargetRow {
  seconds: number | null;
}

/** Columns of {@link TimeToTargetRow}: the issue's `sampler,seed,target_loss,iterations,forward_equivalents,seconds`. */
export const TIME_TO_TARGET: Columns<TimeToTargetRow> = { ...STEPS_TO_TARGET, seconds: nullable };

/** Mean, sd and ratio of the means to uniform's, over the seeds that reach the target. */
export interface Summary {
  mean: number | null;
  sd: number | null;
  vs_uniform: number | null;
}

/** The part of a summary row every summary shares. */
export interface SummaryHead {
  sampler: ImportanceSamplerId;
  target_loss: number | null;
  /** "reached/seeds". */
  reached: string;
}

const HEAD: Columns<SummaryHead> = { sampler, target_loss: nullable, reached: text };

/** `steps_to_target_summary`: iterations and forward-equivalents to the target. */
export interface StepsSummaryRow extends SummaryHead {
  iterations_mean: number | null;
  iterations_sd: number | null;
  iterations_vs_uniform: number | null;
  forward_equivalents_mean: number | null;
  forward_equivalents_sd: number | null;
  forward_equivalents_vs_uniform: number | null;
}

/** Columns of {@link StepsSummaryRow}. */
export const STEPS_SUMMARY: Columns<StepsSummaryRow> = {
  ...HEAD,
  iterations_mean: nullable,
  iterations_sd: nullable,
  iterations_vs_uniform: nullable,
  forward_equivalents_mean: nullable,
  forward_equivalents_sd: nullable,
  forward_equivalents_vs_uniform: nullable,
};

/** The seconds part of a summary. */
export interface SecondsSummary {
  seconds_mean: number | null;
  seconds_sd: number | null;
  seconds_vs_uniform: number | null;
}

const SECONDS: Columns<SecondsSummary> = {
  seconds_mean: nullable,
  seconds_sd: nullable,
  seconds_vs_uniform: nullable,
};

/** `time_to_target_summary_timing`: {@link StepsSummaryRow} with the wall-clock seconds. */
export interface TimeSummaryRow extends StepsSummaryRow, SecondsSummary {}

/** Columns of {@link TimeSummaryRow}. */
export const TIME_SUMMARY: Columns<TimeSummaryRow> = { ...STEPS_SUMMARY, ...SECONDS };

/** `modelled_time_to_target_summary_timing`: the priced seconds to the target. */
export interface ModelledSummaryRow extends SummaryHead, SecondsSummary {}

/** Columns of {@link ModelledSummaryRow}. */
export const MODELLED_SUMMARY: Columns<ModelledSummaryRow> = { ...HEAD, ...SECONDS };

/** `step_cost_timing`: a run's cost per step, and relative to the same seed's uniform run. */
export interface StepCostRow {
  sampler: ImportanceSamplerId;
  seed: number;
  milliseconds_per_step: number;
  forward_equivalents_per_step: number;
  wall_vs_uniform: number;
  forward_equivalents_vs_uniform: number;
}

/** Columns of {@link StepCostRow}. */
export const STEP_COST: Columns<StepCostRow> = {
  sampler,
  seed: number,
  milliseconds_per_step: number,
  forward_equivalents_per_step: number,
  wall_vs_uniform: number,
  forward_equivalents_vs_uniform: number,
};

/** `modelled_time_to_target_timing`: seconds to the target priced at the step costs. */
export interface ModelledRow {
  sampler: ImportanceSamplerId;
  seed: number;
  target_loss: number;
  iterations: number | null;
  importance_steps: number | null;
  off_step_ms: number;
  on_step_ms: number;
  seconds: number | null;
}

/** Columns of {@link ModelledRow}. */
export const MODELLED: Columns<ModelledRow> = {
  sampler,
  seed: number,
  target_loss: number,
  iterations: nullable,
  importance_steps: nullable,
  off_step_ms: number,
  on_step_ms: number,
  seconds: nullable,
};

/** `data_source`: where every unit read Fashion-MNIST from (absent for MNIST). */
export interface SourceRow {
  dataset: DatasetId;
  source: string;
  train_size: number;
  test_size: number;
  units: number;
}

/** Columns of {@link SourceRow}. */
export const SOURCE: Columns<SourceRow> = {
  dataset: oneOf<DatasetId>(["mnist", "fashion-mnist"]),
  source: text,
  train_size: number,
  test_size: number,
  units: number,
};

/** Every table of the reproduction, typed. */
export interface ImportanceTables {
  history: HistoryRow[];
  history_timing: HistoryTimingRow[];
  curves: CurveRow[];
  curves_timing: CurveTimingRow[];
  time_to_target: TimeToTargetRow[];
  steps_to_target: StepsToTargetRow[];
  steps_to_target_summary: StepsSummaryRow[];
  time_to_target_summary_timing: TimeSummaryRow[];
  step_cost_timing: StepCostRow[];
  step_cost_interleaved_timing: InterleavedCostRow[];
  modelled_time_to_target_timing: ModelledRow[];
  modelled_time_to_target_summary_timing: ModelledSummaryRow[];
  variance: VarianceRow[];
  variance_check: VarianceCheckRow[];
  correlation: CorrelationRow[];
  score_points: ScorePointRow[];
  speed: SpeedRow[];
  theta_star: ThetaStarRow[];
  /** Fashion-MNIST only. */
  data_source?: SourceRow[];
}

/**
 * The CSV rows of every table, each in its interface's column order (the writing boundary).
 *
 * @example
 * ```ts
 * import { encodeTables } from "@lib/experiments/importance/tables.ts";
 * import assert from "node:assert/strict";
 * const empty = {
 *   history: [], history_timing: [], curves: [], curves_timing: [], time_to_target: [],
 *   steps_to_target: [], steps_to_target_summary: [], time_to_target_summary_timing: [],
 *   step_cost_timing: [], step_cost_interleaved_timing: [], modelled_time_to_target_timing: [],
 *   modelled_time_to_target_summary_timing: [], variance: [], variance_check: [], correlation: [],
 *   score_points: [], speed: [], theta_star: [],
 * };
 * assert.equal(Object.keys(encodeTables(empty)).length, 18);
 * ```
 */
export function encodeTables(t: ImportanceTables): ReproductionOutput["tables"] {
  const out: Record<string, CsvRow[]> = {
    history: encodeRows(t.history, HISTORY, "history"),
    history_timing: encodeRows(t.history_timing, HISTORY_TIMING, "history_timing"),
    curves: encodeRows(t.curves, CURVES, "curves"),
    curves_timing: encodeRows(t.curves_timing, CURVES_TIMING, "curves_timing"),
    time_to_target: encodeRows(t.time_to_target, TIME_TO_TARGET, "time_to_target"),
    steps_to_target: encodeRows(t.steps_to_target, STEPS_TO_TARGET, "steps_to_target"),
    steps_to_target_summary: encodeRows(
      t.steps_to_target_summary,
      STEPS_SUMMARY,
      "steps_to_target_summary",
    ),
    time_to_target_summary_timing: encodeRows(
      t.time_to_target_summary_timing,
      TIME_SUMMARY,
      "time_to_target_summary_timing",
    ),
    step_cost_timing: encodeRows(t.step_cost_timing, STEP_COST, "step_cost_timing"),
    step_cost_interleaved_timing: encodeRows(
      t.step_cost_interleaved_timing,
      INTERLEAVED_COST,
      "step_cost_interleaved_timing",
    ),
    modelled_time_to_target_timing: encodeRows(
      t.modelled_time_to_target_timing,
      MODELLED,
      "modelled_time_to_target_timing",
    ),
    modelled_time_to_target_summary_timing: encodeRows(
      t.modelled_time_to_target_summary_timing,
      MODELLED_SUMMARY,
      "modelled_time_to_target_summary_timing",
    ),
    variance: encodeRows(t.variance, VARIANCE, "variance"),
    variance_check: encodeRows(t.variance_check, VARIANCE_CHECK, "variance_check"),
    correlation: encodeRows(t.correlation, CORRELATION, "correlation"),
    score_points: encodeRows(t.score_points, SCORE_POINTS, "score_points"),
    speed: encodeRows(t.speed, SPEED, "speed"),
    theta_star: encodeRows(t.theta_star, THETA_STAR, "theta_star"),
  };
  if (t.data_source) out.data_source = encodeRows(t.data_source, SOURCE, "data_source");
  return out;
}

/**
 * The typed tables of a {@link ReproductionOutput} of the importance reproduction (for readers:
 * tests, notebooks), every value checked.
 *
 * @throws {TypeError} naming a missing table, or the table, row and column of a bad value
 * @example
 * ```ts
 * import { decodeTables } from "@lib/experiments/importance/tables.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeTables({}), /table history is missing/);
 * ```
 */
export function decodeTables(tables: ReproductionOutput["tables"]): ImportanceTables {
  const read = <T extends TypedRow<T>>(name: string, columns: Columns<T>): T[] => {
    const rows = tables[name];
    if (rows === undefined) {
      throw new TypeError(
        `cannot read the importance reproduction's tables: table ${name} is missing`,
      );
    }
    return decodeRows(rows, columns, name);
  };
  const t: ImportanceTables = {
    history: read("history", HISTORY),
    history_timing: read("history_timing", HISTORY_TIMING),
    curves: read("curves", CURVES),
    curves_timing: read("curves_timing", CURVES_TIMING),
    time_to_target: read("time_to_target", TIME_TO_TARGET),
    steps_to_target: read("steps_to_target", STEPS_TO_TARGET),
    steps_to_target_summary: read("steps_to_target_summary", STEPS_SUMMARY),
    time_to_target_summary_timing: read("time_to_target_summary_timing", TIME_SUMMARY),
    step_cost_timing: read("step_cost_timing", STEP_COST),
    step_cost_interleaved_timing: read("step_cost_interleaved_timing", INTERLEAVED_COST),
    modelled_time_to_target_timing: read("modelled_time_to_target_timing", MODELLED),
    modelled_time_to_target_summary_timing: read(
      "modelled_time_to_target_summary_timing",
      MODELLED_SUMMARY,
    ),
    variance: read("variance", VARIANCE),
    variance_check: read("variance_check", VARIANCE_CHECK),
    correlation: read("correlation", CORRELATION),
    score_points: read("score_points", SCORE_POINTS),
    speed: read("speed", SPEED),
    theta_star: read("theta_star", THETA_STAR),
  };
  if (tables.data_source) t.data_source = read("data_source", SOURCE);
  return t;
}
