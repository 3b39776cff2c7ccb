/**
 * The tables of the `convergence` reproduction: one interface per row kind, the column order of
 * every table (its CSV header), and the two conversions at the unit boundary.
 *
 * @module
 */
import type { CsvRow } from "../../io.ts";
import { fromCsvRows, toCsvRows, type TypedRow } from "../csv_rows.ts";

/**
 * S and its terms at one checkpoint of an SGD run, under uniform sampling: `linear_speed`,
 * `outlier_runs` (with `data`) and `mnist_speed`.
 */
export interface SpeedRow {
  /** The data set's name (outlier_runs only). */
  data?: string;
  /** The run's batch size b. */
  batch_size: number;
  /** The step at which θ was measured. */
  step: number;
  /** The training loss at that step. */
  train_loss: number;
  /** ‖θ − θ*‖². */
  distance_squared: number;
  /** 2η(θ − θ*)ᵀḠ. */
  progress: number;
  /** η²‖Ḡ‖². */
  mean_gradient_term: number;
  /** η² Tr V_p / b. */
  variance_term: number;
  /** S = progress − mean_gradient_term − variance_term. */
  speed: number;
  /** S / ‖θ − θ*‖² (null at θ = θ*). */
  relative_speed: number | null;
  /** progress − mean_gradient_term: the S of full-batch gradient descent. */
  full_batch_speed: number;
  /** ‖Ḡ‖². */
  mean_gradient_squared_norm: number;
  /** Tr V_p of one uniform draw. */
  trace_variance: number;
}

/** The closed form against real SGD steps at one snapshot θ: `*_monte_carlo`. */
export interface MonteCarloRow {
  /** The snapshot's batch size b. */
  batch_size: number;
  /** The step of the run at which θ was kept. */
  step: number;
  /** S in closed form. */
  closed_form: number;
  /** The mean decrease of ‖θ − θ*‖² over the real steps. */
  monte_carlo: number;
  /** Its standard error. */
  standard_error: number;
  /** Number of real steps. */
  draws: number;
  /** (monte_carlo − closed_form) / standard_error. */
  z_score: number;
  /** |z| < 4. */
  within_4_se: boolean;
  /** The course's η-free last line 2(θ − θ*)ᵀE[g] − E‖g‖². */
  course_value: number;
}

/** S at θ_0 for one η: `linear_learning_rate`. */
export interface LearningRateRow {
  /** η. */
  learning_rate: number;
  /** b. */
  batch_size: number;
  /** S in closed form. */
  closed_form: number;
  /** S from real SGD steps. */
  monte_carlo: number;
  /** Its standard error. */
  standard_error: number;
  /** (monte_carlo − closed_form) / standard_error. */
  z_score: number;
  /** The course's η-free value (the same in every row). */
  course_value: number;
  /** The η at which S vanishes, 2(θ − θ*)ᵀḠ / E‖g‖². */
  zero_crossing: number;
  /** S(η) = η · progress_per_eta − η² · expected_squared_norm: the first coefficient. */
  progress_per_eta: number;
  /** The second coefficient, E‖g‖². */
  expected_squared_norm: number;
}

/** The state θ_fit on one data set under one sampling, for one b: `outlier_state`. */
export interface OutlierStateRow {
  /** The data set's name. */
  data: string;
  /** The sampling distribution's name. */
  sampling: string;
  /** b. */
  batch_size: number;
  /** Tr V[g] = Tr V_p / b. */
  trace_variance_g: number;
  /** Var ‖g‖ (exact at b = 1, else from draws). */
  gradient_norm_variance: number;
  /** E‖g‖. */
  mean_gradient_norm: number;
  /** Draws behind the two moments (0 when exact). */
  norm_moment_draws: number;
  /** ‖Ḡ‖². */
  mean_gradient_squared_norm: number;
  /** 2η(θ − θ*)ᵀḠ. */
  progress: number;
  /** η²‖Ḡ‖². */
  mean_gradient_term: number;
  /** η² Tr V_p / b. */
  variance_term: number;
  /** S. */
  speed: number;
  /** progress − mean_gradient_term. */
  full_batch_speed: number;
  /** The outlier's share of Σ‖G_i‖² (null when every G_i is 0). */
  outlier_share: number | null;
}

/** How the approximate θ* of the MNIST part was obtained: `mnist_theta_star`. */
export interface ThetaStarRow {
  /** Steps of the full-batch run. */
  full_batch_steps: number;
  /** Its η. */
  full_batch_learning_rate: number;
  /** Training digits. */
  train_size: number;
  /** Hidden units. */
  hidden: number;
  /** Parameters of the network. */
  parameters: number;
  /** The training loss at θ̂*. */
  train_loss: number;
  /** The training accuracy at θ̂*. */
  train_accuracy: number;
  /** ‖∇R(θ̂*)‖. */
  gradient_norm: number;
  /** ‖θ̂* − θ_0‖. */
  distance_from_start: number;
}

/** Every table of the reproduction, typed, in the order they are written. */
export interface ConvergenceTables {
  linear_speed: SpeedRow[];
  linear_monte_carlo: MonteCarloRow[];
  linear_learning_rate: LearningRateRow[];
  outlier_state: OutlierStateRow[];
  outlier_runs: SpeedRow[];
  mnist_speed: SpeedRow[];
  mnist_theta_star: ThetaStarRow[];
  mnist_monte_carlo: MonteCarloRow[];
}

/** The tables of the "linear" part. */
export type LinearTables = Pick<
  ConvergenceTables,
  "linear_speed" | "linear_monte_carlo" | "linear_learning_rate"
>;
/** The tables of the "outlier" part. */
export type OutlierTables = Pick<ConvergenceTables, "outlier_state" | "outlier_runs">;
/** The tables of the "mnist" part. */
export type MnistTables = Pick<
  ConvergenceTables,
  "mnist_speed" | "mnist_theta_star" | "mnist_monte_carlo"
>;

type Columns<T> = readonly (keyof T & string)[];

const SPEED_COLUMNS: Columns<SpeedRow> = [
  "batch_size",
  "step",
  "train_loss",
  "distance_squared",
  "progress",
  "mean_gradient_term",
  "variance_term",
  "speed",
  "relative_speed",
  "full_batch_speed",
  "mean_gradient_squared_norm",
  "trace_variance",
];

const MONTE_CARLO_COLUMNS: Columns<MonteCarloRow> = [
  "batch_size",
  "step",
  "closed_form",
  "monte_carlo",
  "standard_error",
  "draws",
  "z_score",
  "within_4_se",
  "course_value",
];

const LEARNING_RATE_COLUMNS: Columns<LearningRateRow> = [
  "learning_rate",
  "batch_size",
  "closed_form",
  "monte_carlo",
  "standard_error",
  "z_score",
  "course_value",
  "zero_crossing",
  "progress_per_eta",
  "expected_squared_norm",
];

const OUTLIER_STATE_COLUMNS: Columns<OutlierStateRow> = [
  "data",
  "sampling",
  "batch_size",
  "trace_variance_g",
  "gradient_norm_variance",
  "mean_gradient_norm",
  "norm_moment_draws",
  "mean_gradient_squared_norm",
  "progress",
  "mean_gradient_term",
  "variance_term",
  "speed",
  "full_batch_speed",
  "outlier_share",
];

const THETA_STAR_COLUMNS: Columns<ThetaStarRow> = [
  "full_batch_steps",
  "full_batch_learning_rate",
  "train_size",
  "hidden",
  "parameters",
  "train_loss",
  "train_accuracy",
  "gradient_norm",
  "distance_from_start",
];

/**
 * A part's typed tables as CSV rows, each with its columns in CSV order: what a unit hands over.
 *
 * @example
 * ```ts
 * import { encodeTables } from "@lib/experiments/convergence/rows.ts";
 * import assert from "node:assert/strict";
 * const row = { train_size: 2, hidden: 1, full_batch_steps: 1, full_batch_learning_rate: 0.5, parameters: 3, train_loss: 0.1, train_accuracy: 1, gradient_norm: 0, distance_from_start: 1 };
 * const csv = encodeTables({ mnist_theta_star: [row] });
 * assert.deepEqual(Object.keys(csv.mnist_theta_star[0]).slice(0, 3), ["full_batch_steps", "full_batch_learning_rate", "train_size"]);
 * ```
 */
export function encodeTables(tables: Partial<ConvergenceTables>): Record<string, CsvRow[]> {
  const out: Record<string, CsvRow[]> = {};
  const put = <T extends TypedRow<T>>(
    name: keyof ConvergenceTables,
    rows: readonly T[] | undefined,
    columns: Columns<T>,
  ) => {
    if (rows !== undefined) out[name] = toCsvRows(rows, columns, name);
  };
  put("linear_speed", tables.linear_speed, SPEED_COLUMNS);
  put("linear_monte_carlo", tables.linear_monte_carlo, MONTE_CARLO_COLUMNS);
  put("linear_learning_rate", tables.linear_learning_rate, LEARNING_RATE_COLUMNS);
  put("outlier_state", tables.outlier_state, OUTLIER_STATE_COLUMNS);
  put("outlier_runs", tables.outlier_runs, ["data", ...SPEED_COLUMNS]);
  put("mnist_speed", tables.mnist_speed, SPEED_COLUMNS);
  put("mnist_theta_star", tables.mnist_theta_star, THETA_STAR_COLUMNS);
  put("mnist_monte_carlo", tables.mnist_monte_carlo, MONTE_CARLO_COLUMNS);
  return out;
}

/**
 * Every table read back from CSV rows (all units' tables, concatenated), typed.
 *
 * @throws {RangeError} naming the table when one is missing or a row lacks a column
 * @example
 * ```ts
 * import { decodeTables, encodeTables } from "@lib/experiments/convergence/rows.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeTables({}), /cannot read the convergence tables: linear_speed is missing/);
 * const empty = Object.fromEntries(["linear_speed", "linear_monte_carlo", "linear_learning_rate", "outlier_state", "outlier_runs", "mnist_speed", "mnist_theta_star", "mnist_monte_carlo"].map((k) => [k, []]));
 * assert.deepEqual(encodeTables(decodeTables(empty)), empty);
 * ```
 */
export function decodeTables(csv: Readonly<Record<string, readonly CsvRow[]>>): ConvergenceTables {
  const get = <T extends TypedRow<T>>(name: keyof ConvergenceTables, columns: Columns<T>) => {
    const rows = csv[name];
    if (rows === undefined) {
      throw new RangeError(`cannot read the convergence tables: ${name} is missing`);
    }
    return fromCsvRows<T>(rows, columns, name);
  };
  return {
    linear_speed: get("linear_speed", SPEED_COLUMNS),
    linear_monte_carlo: get("linear_monte_carlo", MONTE_CARLO_COLUMNS),
    linear_learning_rate: get("linear_learning_rate", LEARNING_RATE_COLUMNS),
    outlier_state: get("outlier_state", OUTLIER_STATE_COLUMNS),
    outlier_runs: get("outlier_runs", ["data", ...SPEED_COLUMNS]),
    mnist_speed: get("mnist_speed", SPEED_COLUMNS),
    mnist_theta_star: get("mnist_theta_star", THETA_STAR_COLUMNS),
    mnist_monte_carlo: get("mnist_monte_carlo", MONTE_CARLO_COLUMNS),
  };
}
