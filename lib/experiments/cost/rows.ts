/**
 * The tables of the `cost` reproduction: one interface per row kind, the column order of every
 * table (its CSV header), and the two conversions at the unit boundary.
 *
 * @module
 */
import type { CsvRow } from "../../io.ts";
import { fromCsvRows, toCsvRows, type TypedRow } from "../csv_rows.ts";

/** The measured and modelled ratio of one configuration, in the column order of `ratios.csv`. */
export interface CostFields {
  /** Configuration name (see `passConfigFromName`). */
  config: string;
  /** Hidden width n. */
  n: number;
  /** Batch size B. */
  B: number;
  /** Number L of hidden layers. */
  L: number;
  /** Forward pass, milliseconds per call. */
  fwd_ms: number;
  /** Backward pass alone, milliseconds per call. */
  bwd_ms: number;
  /** bwd_ms / fwd_ms. */
  ratio: number;
  /** The FLOP model's backward.total / forward.total (elementwise entries counted one each). */
  flop_ratio: number;
  /** forward.total / fwd_ms, in GFLOP/s. */
  gflops_fwd: number;
  /** backward.total / bwd_ms, in GFLOP/s. */
  gflops_bwd: number;
}

/** A row of `results/bench/ratios.csv` (`bench/report.ts` writes it as it is). */
export interface CostRow extends CostFields, CsvRow {}

/** The columns of `ratios.csv`, in order. */
export const COST_COLUMNS = [
  "config",
  "n",
  "B",
  "L",
  "fwd_ms",
  "bwd_ms",
  "ratio",
  "flop_ratio",
  "gflops_fwd",
  "gflops_bwd",
] as const satisfies readonly (keyof CostFields)[];

/** One timed configuration: `passes_timing` (wall clock). */
export interface PassTimingRow extends CostFields {
  /** The training step (forward, loss, backward), milliseconds per call. */
  step_ms: number;
  /** step.total / step_ms, in GFLOP/s. */
  gflops_step: number;
  /** The hidden activation σ. */
  activation: string;
  /** The ±20 % target met (null below n = 256). */
  within_target: boolean | null;
  /** The model's ratio with elementwise entries priced at their measured cost (null: unmeasured). */
  weighted_ratio: number | null;
}

/** The FLOP model of one configuration: `flops` (deterministic). */
export interface FlopRow {
  /** Configuration name. */
  config: string;
  /** The layer sizes, joined by "-". */
  sizes: string;
  /** Hidden width n. */
  n: number;
  /** Batch size B. */
  B: number;
  /** Number L of hidden layers. */
  L: number;
  /** The hidden activation σ. */
  activation: string;
  /** Product FLOPs of the forward pass. */
  fwd_products: number;
  /** Elementwise entries of the forward pass. */
  fwd_elementwise: number;
  /** Product FLOPs of the backward pass. */
  bwd_products: number;
  /** Elementwise entries of the backward pass. */
  bwd_elementwise: number;
  /** bwd_products / fwd_products. */
  product_ratio: number;
  /** Backward over forward, elementwise entries counted one FLOP each. */
  flop_ratio: number;
  /** (2L − 1)/L for the course's network, else null. */
  limit: number | null;
}

/** The product ratio of the course's network at one width: `ratio_limit` (deterministic). */
export interface RatioLimitRow {
  /** Width n. */
  n: number;
  /** The depth, as its line's label "L=…". */
  L: string;
  /** Backward over forward product FLOPs. */
  product_ratio: number;
}

/** One measured unit cost: `unit_costs_timing` (wall clock). */
export interface UnitCostRow {
  /** What was timed (a label of `UNIT_COST_WORK`). */
  work: string;
  /** Nanoseconds per FLOP or per entry. */
  ns: number;
  /** The same in FLOPs of matrix product. */
  product_flops: number;
}

/** Every table of the reproduction, typed, in the order they are written. */
export interface CostTables {
  flops: FlopRow[];
  ratio_limit: RatioLimitRow[];
  passes_timing: PassTimingRow[];
  unit_costs_timing: UnitCostRow[];
}

type Columns<T> = readonly (keyof T & string)[];

/** The columns of `passes_timing`, in order. */
export const PASS_TIMING_COLUMNS: Columns<PassTimingRow> = [
  ...COST_COLUMNS,
  "step_ms",
  "gflops_step",
  "activation",
  "within_target",
  "weighted_ratio",
];

const FLOP_COLUMNS: Columns<FlopRow> = [
  "config",
  "sizes",
  "n",
  "B",
  "L",
  "activation",
  "fwd_products",
  "fwd_elementwise",
  "bwd_products",
  "bwd_elementwise",
  "product_ratio",
  "flop_ratio",
  "limit",
];

const RATIO_LIMIT_COLUMNS: Columns<RatioLimitRow> = ["n", "L", "product_ratio"];

const UNIT_COST_COLUMNS: Columns<UnitCostRow> = ["work", "ns", "product_flops"];

/**
 * The typed tables as CSV rows, each with its columns in CSV order: what the unit hands over.
 *
 * @example
 * ```ts
 * import { encodeTables } from "@lib/experiments/cost/rows.ts";
 * import assert from "node:assert/strict";
 * const csv = encodeTables({ flops: [], ratio_limit: [{ product_ratio: 1.5, L: "L=2", n: 4 }], passes_timing: [], unit_costs_timing: [] });
 * assert.deepEqual(Object.keys(csv), ["flops", "ratio_limit", "passes_timing", "unit_costs_timing"]);
 * assert.deepEqual(Object.keys(csv.ratio_limit[0]), ["n", "L", "product_ratio"]);
 * ```
 */
export function encodeTables(tables: CostTables): Record<string, CsvRow[]> {
  return {
    flops: toCsvRows(tables.flops, FLOP_COLUMNS, "flops"),
    ratio_limit: toCsvRows(tables.ratio_limit, RATIO_LIMIT_COLUMNS, "ratio_limit"),
    passes_timing: toCsvRows(tables.passes_timing, PASS_TIMING_COLUMNS, "passes_timing"),
    unit_costs_timing: toCsvRows(tables.unit_costs_timing, UNIT_COST_COLUMNS, "unit_costs_timing"),
  };
}

/**
 * Every table read back from CSV rows, typed.
 *
 * @throws {RangeError} naming the table when one is missing or a row lacks a column
 * @example
 * ```ts
 * import { decodeTables, encodeTables } from "@lib/experiments/cost/rows.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeTables({}), /cannot read the cost tables: flops is missing/);
 * const empty = { flops: [], ratio_limit: [], passes_timing: [], unit_costs_timing: [] };
 * assert.deepEqual(encodeTables(decodeTables(empty)), empty);
 * ```
 */
export function decodeTables(csv: Readonly<Record<string, readonly CsvRow[]>>): CostTables {
  return {
    flops: decodeTable(csv, "flops", FLOP_COLUMNS),
    ratio_limit: decodeTable(csv, "ratio_limit", RATIO_LIMIT_COLUMNS),
    passes_timing: decodeTable(csv, "passes_timing", PASS_TIMING_COLUMNS),
    unit_costs_timing: decodeTable(csv, "unit_costs_timing", UNIT_COST_COLUMNS),
  };
}

/**
 * One table read back from CSV rows, with only the given columns checked and kept.
 *
 * @throws {RangeError} naming the table when it is missing or a row lacks a column
 * @example
 * ```ts
 * import { decodeTable } from "@lib/experiments/cost/rows.ts";
 * import assert from "node:assert/strict";
 * const rows = decodeTable<{ n: number }>({ ratio_limit: [{ n: 4, L: "L=1" }] }, "ratio_limit", ["n"]);
 * assert.deepEqual(rows, [{ n: 4 }]);
 * ```
 */
export function decodeTable<T extends TypedRow<T>>(
  csv: Readonly<Record<string, readonly CsvRow[]>>,
  name: keyof CostTables,
  columns: Columns<T>,
): T[] {
  const rows = csv[name];
  if (rows === undefined) throw new RangeError(`cannot read the cost tables: ${name} is missing`);
  return fromCsvRows<T>(rows, columns, name);
}
