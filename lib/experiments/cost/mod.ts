/**
 * Reproduction of course section 2: the backward pass costs about twice the forward pass. It
 * tabulates the FLOP model (deterministic) and times both passes over a sweep of the course's
 * network (wall clock, in a separate `_timing` table), and charts the measured backward/forward ratio
 * against the FLOP ratio. The same rows and chart serve `bench/report.ts` and notebook 02.
 *
 * The folder, by phase: `profile.ts` (the target, the configurations and the registries of
 * activations and unit costs), `rows.ts` (one interface per table), `ratios.ts` (a ratio row, the
 * target, the weighted model), `measure.ts` (what is timed), `run.ts` (the unit's computation),
 * `combine.ts`, `charts.ts` and `notes.ts`. This module holds the reproduction and re-exports what
 * the bench report and the notebook use.
 *
 * @module
 */
import { type Reproduction, unitReproduction } from "../reproduction.ts";
import { combineCost } from "./combine.ts";
import { costHeadline } from "./notes.ts";
import { runUnit } from "./run.ts";

export { ratioChart, ratioLimitChart, type RatioPoint } from "./charts.ts";
export { combineCost } from "./combine.ts";
export { costTimings, measureUnitCosts } from "./measure.ts";
export { costHeadline, costNotes, medianDeviation } from "./notes.ts";
export {
  COST_ACTIVATIONS,
  type CostActivation,
  costConfigs,
  RATIO_TARGET_MIN_N,
  RATIO_TOLERANCE,
  UNIT_COST_WORK,
} from "./profile.ts";
export {
  costRow,
  type MeasuredCosts,
  type UnitCosts,
  unitCostsFor,
  weightedRatio,
  withinTarget,
} from "./ratios.ts";
export {
  COST_COLUMNS,
  type CostFields,
  type CostRow,
  type CostTables,
  type FlopRow,
  PASS_TIMING_COLUMNS,
  type PassTimingRow,
  type RatioLimitRow,
  type UnitCostRow,
} from "./rows.ts";
export { costTables, flopTable, ratioLimitRows, unitCostRows } from "./run.ts";

/**
 * The reproduction registered as `cost`: one unit ("all": the sweep is timed on one thread),
 * whose tables give the charts and notes when combined.
 *
 * @example
 * ```ts
 * import { cost } from "@lib/experiments/cost/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(cost.units!({ seed: 1, profile: "quick" }), [{ id: "all", params: {} }]);
 * assert.match(cost.runModule!, /\/cost\/run\.ts$/); // charts and notes are not in the unit key
 * ```
 */
export const cost: Reproduction = unitReproduction({
  name: "cost",
  description: "forward vs backward pass: FLOP model and measured time ratios (course section 2)",
  runModule: new URL("./run.ts", import.meta.url).href,
  units: () => [{ id: "all", params: {} }],
  runUnit,
  combine: (outputs, options) => Promise.resolve(combineCost(outputs, options)),
  headline: costHeadline,
});
