/**
 * The tables one unit of the importance reproduction writes (one training run: data set × seed
 * × sampler), as row interfaces with their CSV columns, and the conversion of a unit's tables to
 * and from the stored {@link UnitOutput}.
 *
 * @module
 */
import type { CsvRow } from "../../io.ts";
import type { UnitOutput } from "../reproduction.ts";
import {
  boolean,
  booleanOrNull,
  type Columns,
  decodeUnitTable,
  encodeRows,
  number,
  numberOrNull,
  oneOf,
  text,
} from "./columns.ts";
import type { TypedRow } from "../csv_rows.ts";
import {
  IMPORTANCE_SAMPLERS,
  type ImportanceSamplerId,
  STEP_KINDS,
  type StepKind,
} from "./registry.ts";

/** The data sets of the profiles. */
export type DatasetId = "mnist" | "fashion-mnist";
const dataset = oneOf<DatasetId>(["mnist", "fashion-mnist"]);
const sampler = oneOf(IMPORTANCE_SAMPLERS);

/** `history`: one row per evaluation of a run. */
export interface HistoryRow {
  dataset: DatasetId;
  seed: number;
  sampler: ImportanceSamplerId;
  step: number;
  forward_equivalents: number;
  /** Unweighted mean loss on the fixed training subset. */
  train_loss: number;
  test_loss: number | null;
  test_error: number | null;
  /** Steps so far that sampled by importance. */
  importance_steps: number;
  /** The switch runs' moving average τ (null for the others). */
  tau: number | null;
  /** Whether the switch run's last step sampled by importance (null for the others). */
  importance_on: boolean | null;
}

/** Columns of {@link HistoryRow}. */
export const HISTORY: Columns<HistoryRow> = {
  dataset,
  seed: number,
  sampler,
  step: number,
  forward_equivalents: number,
  train_loss: number,
  test_loss: numberOrNull,
  test_error: numberOrNull,
  importance_steps: number,
  tau: numberOrNull,
  importance_on: booleanOrNull,
};

/** `history_timing`: training seconds at each evaluation. */
export interface HistoryTimingRow {
  dataset: DatasetId;
  seed: number;
  sampler: ImportanceSamplerId;
  step: number;
  seconds: number;
}

/** Columns of {@link HistoryTimingRow}. */
export const HISTORY_TIMING: Columns<HistoryTimingRow> = {
  dataset,
  seed: number,
  sampler,
  step: number,
  seconds: number,
};

/** `variance`: Tr V[g] of one scheme at one checkpoint of one run. */
export interface VarianceRow {
  dataset: DatasetId;
  seed: number;
  /** The run's sampler. */
  run: ImportanceSamplerId;
  step: number;
  scheme: string;
  /** Whether `scheme` is the one the run's importance steps use. */
  own: boolean;
  trace_variance: number;
  standard_error: number;
  ratio_to_uniform: number;
  reduction: number;
  tau_variance_ratio: number;
  tau_sqrt_variance_ratio: number;
  run_tau: number | null;
  run_importance_on: boolean | null;
}

/** Columns of {@link VarianceRow}. */
export const VARIANCE: Columns<VarianceRow> = {
  dataset,
  seed: number,
  run: sampler,
  step: number,
  scheme: text,
  own: boolean,
  trace_variance: number,
  standard_error: number,
  ratio_to_uniform: number,
  reduction: number,
  tau_variance_ratio: number,
  tau_sqrt_variance_ratio: number,
  run_tau: numberOrNull,
  run_importance_on: booleanOrNull,
};

/** `correlation`: a score's correlation with the exact gradient norm over the analysis set. */
export interface CorrelationRow {
  dataset: DatasetId;
  seed: number;
  run: ImportanceSamplerId;
  step: number;
  /** The score's key (registry SCORES). */
  score: string;
  samples: number;
  pearson: number | null;
  spearman: number | null;
}

/** Columns of {@link CorrelationRow}. */
export const CORRELATION: Columns<CorrelationRow> = {
  dataset,
  seed: number,
  run: sampler,
  step: number,
  score: text,
  samples: number,
  pearson: numberOrNull,
  spearman: numberOrNull,
};

/** `data_source` of a unit: where Fashion-MNIST came from. */
export interface UnitSourceRow {
  dataset: DatasetId;
  source: string;
  seed: number;
  sampler: ImportanceSamplerId;
}

/** Columns of {@link UnitSourceRow}. */
export const UNIT_SOURCE: Columns<UnitSourceRow> = { dataset, source: text, seed: number, sampler };

/** `score_points`: N · p_i of each score for one sample of the analysis set. */
export interface ScorePointRow {
  dataset: DatasetId;
  seed: number;
  run: ImportanceSamplerId;
  step: number;
  sample: number;
  gradient_norm: number;
  upper_bound: number;
  loss: number;
}

/** Columns of {@link ScorePointRow}. */
export const SCORE_POINTS: Columns<ScorePointRow> = {
  dataset,
  seed: number,
  run: sampler,
  step: number,
  sample: number,
  gradient_norm: number,
  upper_bound: number,
  loss: number,
};

/** `theta_star`: θ̂* of one seed. */
export interface ThetaStarRow {
  dataset: DatasetId;
  seed: number;
  continued_steps: number;
  train_loss: number;
  distance_from_run_end: number;
}

/** Columns of {@link ThetaStarRow}. */
export const THETA_STAR: Columns<ThetaStarRow> = {
  dataset,
  seed: number,
  continued_steps: number,
  train_loss: number,
  distance_from_run_end: number,
};

/** `speed`: S and its terms for one scheme at a checkpoint of the uniform run. */
export interface SpeedRow {
  dataset: DatasetId;
  seed: number;
  step: number;
  scheme: string;
  distance_squared: number;
  progress: number;
  mean_gradient_term: number;
  variance_term: number;
  speed: number;
}

/** Columns of {@link SpeedRow}. */
export const SPEED: Columns<SpeedRow> = {
  dataset,
  seed: number,
  step: number,
  scheme: text,
  distance_squared: number,
  progress: number,
  mean_gradient_term: number,
  variance_term: number,
  speed: number,
};

/** `variance_check`: real minibatch draws against the variance table. */
export interface VarianceCheckRow {
  dataset: DatasetId;
  seed: number;
  step: number;
  scheme: string;
  draws: number;
  monte_carlo: number;
  monte_carlo_se: number;
  /** The variance table's `trace_variance` of the same seed, step and scheme. */
  conditional: number;
  conditional_se: number;
  /** (monte_carlo − conditional) / hypot(monte_carlo_se, conditional_se). */
  z: number;
}

/** Columns of {@link VarianceCheckRow}. */
export const VARIANCE_CHECK: Columns<VarianceCheckRow> = {
  dataset,
  seed: number,
  step: number,
  scheme: text,
  draws: number,
  monte_carlo: number,
  monte_carlo_se: number,
  conditional: number,
  conditional_se: number,
  z: number,
};

/** One step kind's wall time, as {@link interleavedStepCosts} measures it. */
export interface StepCost {
  kind: StepKind;
  median_ms: number;
  min_ms: number;
  rounds: number;
}

/** `step_cost_interleaved_timing`: a seed's step costs. */
export interface InterleavedCostRow extends StepCost {
  dataset: DatasetId;
  seed: number;
}

/** Columns of {@link InterleavedCostRow}. */
export const INTERLEAVED_COST: Columns<InterleavedCostRow> = {
  dataset,
  seed: number,
  kind: oneOf(STEP_KINDS),
  median_ms: number,
  min_ms: number,
  rounds: number,
};

/** The tables of one unit; the uniform run's unit also has the optional ones. */
export interface UnitTables {
  history: HistoryRow[];
  history_timing: HistoryTimingRow[];
  variance: VarianceRow[];
  correlation: CorrelationRow[];
  /** Fashion-MNIST's units only. */
  data_source?: UnitSourceRow[];
  score_points?: ScorePointRow[];
  theta_star?: ThetaStarRow[];
  speed?: SpeedRow[];
  variance_check?: VarianceCheckRow[];
  step_cost_interleaved_timing?: InterleavedCostRow[];
}

/**
 * A unit's typed tables as the stored {@link UnitOutput} (CSV rows, in {@link UNIT_COLUMNS}'s
 * column order); absent optional tables stay absent.
 *
 * @example
 * ```ts
 * import { encodeUnit } from "@lib/experiments/importance/unit_tables.ts";
 * import assert from "node:assert/strict";
 * const out = encodeUnit({ history: [], history_timing: [], variance: [], correlation: [] });
 * assert.deepEqual(Object.keys(out.tables), ["history", "history_timing", "variance", "correlation"]);
 * ```
 */
export function encodeUnit(t: UnitTables): UnitOutput {
  const tables: Record<string, CsvRow[]> = {
    history: encodeRows(t.history, HISTORY, "history"),
    history_timing: encodeRows(t.history_timing, HISTORY_TIMING, "history_timing"),
    variance: encodeRows(t.variance, VARIANCE, "variance"),
    correlation: encodeRows(t.correlation, CORRELATION, "correlation"),
  };
  if (t.data_source) tables.data_source = encodeRows(t.data_source, UNIT_SOURCE, "data_source");
  if (t.score_points) {
    tables.score_points = encodeRows(t.score_points, SCORE_POINTS, "score_points");
  }
  if (t.theta_star) tables.theta_star = encodeRows(t.theta_star, THETA_STAR, "theta_star");
  if (t.speed) tables.speed = encodeRows(t.speed, SPEED, "speed");
  if (t.variance_check) {
    tables.variance_check = encodeRows(t.variance_check, VARIANCE_CHECK, "variance_check");
  }
  if (t.step_cost_interleaved_timing) {
    tables.step_cost_interleaved_timing = encodeRows(
      t.step_cost_interleaved_timing,
      INTERLEAVED_COST,
      "step_cost_interleaved_timing",
    );
  }
  return { tables };
}

/** Every unit's tables concatenated, typed; a table no unit wrote is empty. */
export type AllUnitTables = { [K in keyof UnitTables]-?: NonNullable<UnitTables[K]> };

/**
 * The same-named tables of several stored unit outputs, concatenated in order and checked
 * against their columns.
 *
 * @throws {TypeError} naming the table, row and column of a value of the wrong type
 * @example
 * ```ts
 * import { decodeUnits } from "@lib/experiments/importance/unit_tables.ts";
 * import assert from "node:assert/strict";
 * const t = decodeUnits([{ tables: { history_timing: [{ dataset: "mnist", seed: 1, sampler: "uniform", step: 0, seconds: 0 }] } }]);
 * assert.equal(t.history_timing[0].sampler, "uniform");
 * assert.deepEqual(t.history, []);
 * assert.throws(() => decodeUnits([{ tables: { history: [{ dataset: "mnist" }] } }]), /history, row 0: seed must be a number/);
 * ```
 */
export function decodeUnits(outputs: readonly UnitOutput[]): AllUnitTables {
  const read = <T extends TypedRow<T>>(name: string, columns: Columns<T>) =>
    decodeUnitTable(outputs, name, columns);
  return {
    history: read("history", HISTORY),
    history_timing: read("history_timing", HISTORY_TIMING),
    variance: read("variance", VARIANCE),
    correlation: read("correlation", CORRELATION),
    data_source: read("data_source", UNIT_SOURCE),
    score_points: read("score_points", SCORE_POINTS),
    theta_star: read("theta_star", THETA_STAR),
    speed: read("speed", SPEED),
    variance_check: read("variance_check", VARIANCE_CHECK),
    step_cost_interleaved_timing: read("step_cost_interleaved_timing", INTERLEAVED_COST),
  };
}
