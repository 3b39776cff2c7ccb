/**
 * Combining the units of the `convergence` reproduction: the three parts' CSV tables are
 * concatenated in unit order and written as they are; read back as typed tables, they give the
 * charts and the notes.
 *
 * @module
 */
import { concatTables, type ReproductionOutput, type UnitOutput } from "../reproduction.ts";
import { convergenceCharts } from "./charts.ts";
import { convergenceNotes } from "./notes.ts";
import type { ConvergenceProfile } from "./profile.ts";
import { decodeTables } from "./rows.ts";

/**
 * The reproduction's output from its units' outputs (in `units()` order): the tables as the
 * units wrote them, and the charts and notes made from the typed tables.
 *
 * @throws {RangeError} when a table is missing or a row lacks a column
 * @example
 * ```ts
 * import { combineConvergence } from "@lib/experiments/convergence/combine.ts";
 * import { CONVERGENCE_PARTS, smokeProfile } from "@lib/experiments/convergence/profile.ts";
 * import { convergenceTables } from "@lib/experiments/convergence/mod.ts";
 * import { encodeTables } from "@lib/experiments/convergence/rows.ts";
 * import assert from "node:assert/strict";
 * const outputs = [];
 * for (const part of CONVERGENCE_PARTS) {
 *   outputs.push({ tables: encodeTables(await convergenceTables(part, { seed: 1, profile: smokeProfile })) });
 * }
 * const out = combineConvergence(outputs, smokeProfile);
 * assert.deepEqual(Object.keys(out.charts).length, 7);
 * assert.equal(out.tables.mnist_theta_star[0].train_size, smokeProfile.mnist.trainSize);
 * ```
 */
export function combineConvergence(
  outputs: readonly UnitOutput[],
  profile: ConvergenceProfile,
): ReproductionOutput {
  const csv = concatTables([...outputs]);
  const tables = decodeTables(csv);
  return {
    tables: csv,
    charts: convergenceCharts(tables, profile),
    notes: convergenceNotes(tables, profile),
  };
}
