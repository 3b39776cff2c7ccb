/**
 * A unit of the `convergence` reproduction: one part's tables, computed from the part's own
 * random stream ({@link convergenceTables}) and handed over as CSV rows ({@link runUnit}). This is
 * the reproduction's run module: its imports are the code a unit runs, and only they key the
 * stored units (charts and notes are not among them).
 *
 * @module
 */
import type { ReproductionOptions, ReproductionUnit, UnitOutput } from "../reproduction.ts";
import {
  CONVERGENCE_PARTS,
  type ConvergencePart,
  type ConvergenceSeedOptions,
  isConvergencePart,
} from "./profile.ts";
import { encodeTables, type LinearTables, type MnistTables, type OutlierTables } from "./rows.ts";
import { linearTables } from "./run_linear.ts";
import { mnistTables } from "./run_mnist.ts";
import { outlierTables } from "./run_outlier.ts";

/** The tables of each part. */
export interface PartTables {
  /** linear_speed, linear_monte_carlo, linear_learning_rate. */
  linear: LinearTables;
  /** outlier_state, outlier_runs. */
  outlier: OutlierTables;
  /** mnist_speed, mnist_theta_star, mnist_monte_carlo. */
  mnist: MnistTables;
}

const PART_TABLES: {
  [P in ConvergencePart]: (options: ConvergenceSeedOptions) => Promise<PartTables[P]>;
} = { linear: linearTables, outlier: outlierTables, mnist: mnistTables };

/**
 * The typed tables of one part of the reproduction ("linear", "outlier" or "mnist") for a seed
 * and a profile ("quick", "full" or sizes of your own), from that part's own random stream.
 *
 * @throws {RangeError} naming the parts, for an unknown part
 * @example The same seed gives the same rows
 * ```ts
 * import { convergenceTables } from "@lib/experiments/convergence/run.ts";
 * import assert from "node:assert/strict";
 * const a = await convergenceTables("outlier", { seed: 1, profile: "quick" });
 * const b = await convergenceTables("outlier", { seed: 1, profile: "quick" });
 * assert.deepEqual(a, b);
 * assert.deepEqual(Object.keys(a), ["outlier_state", "outlier_runs"]);
 * ```
 */
export function convergenceTables<P extends ConvergencePart>(
  part: P,
  options: ConvergenceSeedOptions,
): Promise<PartTables[P]> {
  if (!isConvergencePart(part)) {
    throw new RangeError(
      `cannot run part '${part}' of the convergence reproduction: expected one of ${
        CONVERGENCE_PARTS.join(", ")
      }`,
    );
  }
  const tables: (options: ConvergenceSeedOptions) => Promise<PartTables[P]> = PART_TABLES[part];
  return tables(options);
}

/**
 * Computes one unit (`params.part` names the part) and hands its tables over as CSV rows.
 *
 * @throws {RangeError} when `params.part` is not a part
 * @example
 * ```ts
 * import { runUnit } from "@lib/experiments/convergence/run.ts";
 * import assert from "node:assert/strict";
 * await assert.rejects(
 *   () => runUnit({ id: "x", params: { part: "toString" } }, { seed: 1, profile: "quick" }),
 *   /cannot run the convergence unit: part "toString" is not one of linear, outlier, mnist/,
 * );
 * ```
 */
export async function runUnit(
  unit: ReproductionUnit,
  options: ReproductionOptions,
): Promise<UnitOutput> {
  const part = unit.params.part;
  if (!isConvergencePart(part)) {
    throw new RangeError(
      `cannot run the convergence unit: part ${JSON.stringify(part)} is not one of ${
        CONVERGENCE_PARTS.join(", ")
      }`,
    );
  }
  return { tables: encodeTables(await convergenceTables(part, options)) };
}
