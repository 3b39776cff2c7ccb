/**
 * Reproduction of course section 3: the convergence speed S of SGD,
 *
 *   S = 2η (θ − θ*)ᵀ Ḡ − η² ‖Ḡ‖² − η² Tr V_p / b,
 *
 * measured along real SGD runs. On a linear regression θ* is exact; the course's outlier scenario
 * compares noise-free data with the same data where one target carries a large error; on an MNIST
 * MLP θ* is approximated by the end of a long full-batch run. Closed forms come from
 * lib/convergence.ts, and a Monte Carlo estimate from real SGD steps checks them at checkpoints.
 *
 * The folder, by phase: `profile.ts` (sizes and the registries every table, chart and note
 * reads), `rows.ts` (one interface per table), `run.ts` (a unit's computation: the parts in
 * `run_linear.ts`, `run_outlier.ts` and `run_mnist.ts`, what they measure in `measure.ts`),
 * `combine.ts`, `charts.ts` and `notes.ts`. This module holds the reproduction and its units, and
 * re-exports what a notebook uses.
 *
 * @module
 */
import { type Reproduction, unitReproduction } from "../reproduction.ts";
import { combineConvergence } from "./combine.ts";
import { convergenceHeadline } from "./notes.ts";
import { CONVERGENCE_PARTS, convergenceProfiles } from "./profile.ts";
import { runUnit } from "./run.ts";

export { convergenceCharts, learningRateChart } from "./charts.ts";
export { convergenceHeadline, convergenceNotes } from "./notes.ts";
export {
  CONVERGENCE_PARTS,
  type ConvergencePart,
  type ConvergenceProfile,
  convergenceProfiles,
  type ConvergenceSeedOptions,
  smokeProfile,
} from "./profile.ts";
export type {
  ConvergenceTables,
  LearningRateRow,
  MonteCarloRow,
  OutlierStateRow,
  SpeedRow,
  ThetaStarRow,
} from "./rows.ts";
export { learningRateSweep, monteCarloCheck, speedAlongRun } from "./measure.ts";
export { convergenceTables, type PartTables } from "./run.ts";
export { type LinearSetup, linearSetup } from "./run_linear.ts";
export { mnistSpeed } from "./run_mnist.ts";
export {
  type OutlierScenario,
  outlierScenario,
  outlierSetup,
  outlierState,
} from "./run_outlier.ts";

/**
 * The reproduction registered as `convergence`: three units (linear, outlier, mnist), each with
 * its own random stream, combined into tables, charts and notes.
 *
 * @example
 * ```ts
 * import { convergence } from "@lib/experiments/convergence/mod.ts";
 * import assert from "node:assert/strict";
 * const units = convergence.units!({ seed: 1, profile: "quick" });
 * assert.deepEqual(units.map((u) => u.id), ["linear", "outlier", "mnist"]);
 * assert.match(convergence.runModule!, /\/convergence\/run\.ts$/);
 * ```
 */
export const convergence: Reproduction = unitReproduction({
  name: "convergence",
  description: "the convergence speed S of SGD and its terms along training: linear regression " +
    "with exact θ*, the course's outlier scenario, an MNIST MLP with θ* approximated by a long " +
    "full-batch run (course section 3)",
  runModule: new URL("./run.ts", import.meta.url).href,
  units: () => CONVERGENCE_PARTS.map((part) => ({ id: part, params: { part } })),
  runUnit,
  combine: (outputs, options) =>
    Promise.resolve(combineConvergence(outputs, convergenceProfiles[options.profile])),
  headline: convergenceHeadline,
});
