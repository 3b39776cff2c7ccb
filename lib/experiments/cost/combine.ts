/**
 * Combining the unit of the `cost` reproduction: its CSV tables are written as they are; read
 * back as typed tables, they give the charts and the notes.
 *
 * @module
 */
import { describeMachine, machineInfo } from "../../machine.ts";
import {
  concatTables,
  type ReproductionOptions,
  type ReproductionOutput,
  type UnitOutput,
} from "../reproduction.ts";
import { costCharts } from "./charts.ts";
import { costNotes } from "./notes.ts";
import { decodeTables } from "./rows.ts";

/**
 * The reproduction's output from its unit's output: the tables as the unit wrote them, and the
 * charts and notes made from the typed tables (the notes name the machine this runs on).
 *
 * @throws {RangeError} when a table is missing or a row lacks a column
 * @example
 * ```ts
 * import { combineCost } from "@lib/experiments/cost/combine.ts";
 * import { runUnit } from "@lib/experiments/cost/run.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const configs = [courseConfig(8, { batch: 4, hidden: 2 })];
 * const options = { seed: 1, profile: "quick" as const };
 * const unit = await runUnit({ id: "all", params: {} }, { ...options, configs, rounds: 1, minMs: 1 });
 * const out = combineCost([unit], options);
 * assert.deepEqual(out.tables, unit.tables); // the unit's rows, as they are
 * assert.deepEqual(Object.keys(out.charts), ["ratio_tanh", "ratio_relu", "ratio_limit"]);
 * assert.match(out.notes.passes_timing, /^Wall-clock medians of a short sweep on /);
 * ```
 */
export function combineCost(
  outputs: readonly UnitOutput[],
  options: ReproductionOptions,
): ReproductionOutput {
  const csv = concatTables([...outputs]);
  const tables = decodeTables(csv);
  return {
    tables: csv,
    charts: costCharts(tables),
    notes: costNotes(tables, {
      profile: options.profile,
      machine: describeMachine(machineInfo()),
    }),
  };
}
