/**
 * The typed rows of the fair study ("When does importance sampling pay?", issue 12): what one of
 * its units writes (the η tuning of one cell on the tuning seeds, and the evaluation runs of the
 * chosen η on the evaluation seeds), with their CSV columns, and the conversion of a unit's tables
 * to and from the stored {@link UnitOutput}.
 *
 * A cell is one (data set, b, k, sampler, schedule); one unit runs one cell. The baseline of a
 * cell is the uniform cell of the same data set, b and schedule (k does not apply to uniform, nor
 * to the samplers that draw over all N: their `presample` is null).
 *
 * @module
 */
import type { CsvRow } from "../../../io.ts";
import type { UnitOutput } from "../../reproduction.ts";
import type { TypedRow } from "../../csv_rows.ts";
import {
  boolean,
  type Columns,
  decodeUnitTable,
  encodeRows,
  number,
  numberOrNull,
  oneOf,
  text,
} from "../columns.ts";
import type { DatasetId } from "../unit_tables.ts";
import { type ScheduleId, SCHEDULES, STUDY_SAMPLERS, type StudySamplerId } from "./registry.ts";

const dataset = oneOf<DatasetId>(["mnist", "fashion-mnist"]);
const sampler = oneOf(STUDY_SAMPLERS);
const schedule = oneOf(SCHEDULES);

/** What identifies a cell of the study. */
export interface StudyCell {
  /** The data set. */
  dataset: DatasetId;
  /** b, samples per step. */
  batch_size: number;
  /** k = B/b for samplers that presample (or select among k·b candidates); null for the others. */
  presample: number | null;
  /** The sampler. */
  sampler: StudySamplerId;
  /** The learning-rate schedule. */
  schedule: ScheduleId;
}

const CELL: Columns<StudyCell> = {
  dataset,
  batch_size: number,
  presample: numberOrNull,
  sampler,
  schedule,
};

/**
 * `study_eta_grid`: one tuning run, a cell at one η on one tuning seed, judged at the end of the
 * budget (forward-equivalents). Tuning seeds are never evaluation seeds.
 */
export interface EtaTrialRow extends StudyCell {
  /** η, the base learning rate. */
  eta: number;
  /** The tuning seed. */
  seed: number;
  /** Mean training loss over the whole training set at the budget; Infinity when it diverged. */
  train_loss: number;
  /** Test error at the budget; null when it diverged. */
  test_error: number | null;
  /** Whether the run diverged (a non-finite loss or gradient) before the budget. */
  diverged: boolean;
  /** The doubling round that added this η: 0 for the profile's grid, 1, 2, … for each widening. */
  round: number;
}

/** Columns of {@link EtaTrialRow}. */
export const ETA_TRIAL: Columns<EtaTrialRow> = {
  ...CELL,
  eta: number,
  seed: number,
  train_loss: number,
  test_error: numberOrNull,
  diverged: boolean,
  round: number,
};

/**
 * `study_curves`: one evaluation of an evaluation run (a cell at its chosen η on one evaluation
 * seed). Deterministic. Runs continue past the budget (the profile's overrun), so that a sampler
 * slower than uniform still reaches uniform's late target.
 */
export interface StudyCurveRow extends StudyCell {
  /** The η the unit chose on the tuning seeds. */
  eta: number;
  /** The evaluation seed. */
  seed: number;
  /** SGD steps taken. */
  step: number;
  /** Training cost so far, in forward-equivalents (a forward of one sample 1, a backward 2). */
  forward_equivalents: number;
  /** The budget these runs are judged at, in forward-equivalents (the same for every cell). */
  budget_forward_equivalents: number;
  /** Mean training loss over the whole training set; Infinity once the run diverged. */
  train_loss: number;
  /** Test error; null once the run diverged. */
  test_error: number | null;
}

/** Columns of {@link StudyCurveRow}. */
export const STUDY_CURVE: Columns<StudyCurveRow> = {
  ...CELL,
  eta: number,
  seed: number,
  step: number,
  forward_equivalents: number,
  budget_forward_equivalents: number,
  train_loss: number,
  test_error: numberOrNull,
};

/** `study_curves_timing`: the training seconds (sampling, scoring, steps) at each evaluation. */
export interface StudyCurveTimingRow extends StudyCell {
  /** The evaluation seed. */
  seed: number;
  /** SGD steps taken. */
  step: number;
  /** Wall-clock training seconds so far (not evaluation), from `fit`. */
  seconds: number;
}

/** Columns of {@link StudyCurveTimingRow}. */
export const STUDY_CURVE_TIMING: Columns<StudyCurveTimingRow> = {
  ...CELL,
  seed: number,
  step: number,
  seconds: number,
};

/**
 * `study_diagnostics`: a sampler's own measurement at a checkpoint of an evaluation run, one row
 * per quantity (the stale scores' mean age and the variance they give against fresh scores;
 * selective backprop's bias, the distance of its expected step from the full gradient; …).
 */
export interface StudyDiagnosticRow extends StudyCell {
  /** The evaluation seed. */
  seed: number;
  /** SGD steps taken. */
  step: number;
  /** What is measured, e.g. "mean age", "Tr V stale / Tr V fresh", "relative bias". */
  quantity: string;
  /** Its value. */
  value: number;
}

/** Columns of {@link StudyDiagnosticRow}. */
export const STUDY_DIAGNOSTIC: Columns<StudyDiagnosticRow> = {
  ...CELL,
  seed: number,
  step: number,
  quantity: text,
  value: number,
};

/** The tables of one study unit. */
export interface StudyUnitTables {
  study_eta_grid: EtaTrialRow[];
  study_curves: StudyCurveRow[];
  study_curves_timing: StudyCurveTimingRow[];
  study_diagnostics: StudyDiagnosticRow[];
}

/**
 * A study unit's typed tables as the stored {@link UnitOutput}.
 *
 * @example
 * ```ts
 * import { encodeStudyUnit } from "@lib/experiments/importance/study/rows.ts";
 * import assert from "node:assert/strict";
 * const out = encodeStudyUnit({ study_eta_grid: [], study_curves: [], study_curves_timing: [], study_diagnostics: [] });
 * assert.deepEqual(Object.keys(out.tables), ["study_eta_grid", "study_curves", "study_curves_timing", "study_diagnostics"]);
 * ```
 */
export function encodeStudyUnit(t: StudyUnitTables): UnitOutput {
  const tables: Record<string, CsvRow[]> = {
    study_eta_grid: encodeRows(t.study_eta_grid, ETA_TRIAL, "study_eta_grid"),
    study_curves: encodeRows(t.study_curves, STUDY_CURVE, "study_curves"),
    study_curves_timing: encodeRows(
      t.study_curves_timing,
      STUDY_CURVE_TIMING,
      "study_curves_timing",
    ),
    study_diagnostics: encodeRows(t.study_diagnostics, STUDY_DIAGNOSTIC, "study_diagnostics"),
  };
  return { tables };
}

/**
 * The study tables of several stored unit outputs, concatenated in order and checked against
 * their columns (units of the K&F part, which hold none of these tables, add nothing).
 *
 * @throws {TypeError} naming the table, row and column of a value of the wrong type
 * @example
 * ```ts
 * import { decodeStudyUnits } from "@lib/experiments/importance/study/rows.ts";
 * import assert from "node:assert/strict";
 * const row = { dataset: "mnist", batch_size: 32, presample: null, sampler: "uniform", schedule: "constant", seed: 1, step: 0, seconds: 0 };
 * const t = decodeStudyUnits([{ tables: { study_curves_timing: [row] } }, { tables: { history: [] } }]);
 * assert.equal(t.study_curves_timing[0].sampler, "uniform");
 * assert.deepEqual(t.study_curves, []);
 * assert.throws(() => decodeStudyUnits([{ tables: { study_curves_timing: [{ ...row, seed: "1" }] } }]), /seed must be a number/);
 * ```
 */
export function decodeStudyUnits(outputs: readonly UnitOutput[]): StudyUnitTables {
  const read = <T extends TypedRow<T>>(name: string, columns: Columns<T>) =>
    decodeUnitTable(outputs, name, columns);
  return {
    study_eta_grid: read("study_eta_grid", ETA_TRIAL),
    study_curves: read("study_curves", STUDY_CURVE),
    study_curves_timing: read("study_curves_timing", STUDY_CURVE_TIMING),
    study_diagnostics: read("study_diagnostics", STUDY_DIAGNOSTIC),
  };
}
