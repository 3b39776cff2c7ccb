/**
 * The sizes of the `cost` reproduction and its registries: the ±20 % target, the configurations
 * of each profile, the activations (one timing table, one chart and one note each) and the unit
 * costs it measures, each with the one label every table and note uses.
 *
 * @module
 */
import { classifierConfig, courseGrid, type PassConfig } from "../../pass_workload.ts";
import type { MeasuredCosts } from "./ratios.ts";

/** The target: measured ratio within ±20 % of the FLOP ratio, for every n ≥ 256. */
export const RATIO_TOLERANCE = 0.2;
/** The smallest width n the ratio target applies to. */
export const RATIO_TARGET_MIN_N = 256;

/** The activations the sweep times, in the order of their charts and notes. */
export const COST_ACTIVATIONS = ["tanh", "relu"] as const;
/** An activation of the sweep. */
export type CostActivation = typeof COST_ACTIVATIONS[number];

/** The depths L of the `ratio_limit` table, one line each. */
export const LIMIT_DEPTHS: readonly number[] = [1, 2, 4, 8];
/** The widths n of the `ratio_limit` table. */
export const LIMIT_WIDTHS: readonly number[] = [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

/**
 * The unit costs `measureUnitCosts` times, in the order of the `unit_costs_timing` table, each
 * with its `work` label there.
 *
 * @example
 * ```ts
 * import { UNIT_COST_WORK } from "@lib/experiments/cost/profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(UNIT_COST_WORK[0].cost, "nsPerFlop");
 * assert.equal(UNIT_COST_WORK.find((w) => w.cost === "tanh")?.work, "tanh (per entry)");
 * ```
 */
export const UNIT_COST_WORK: readonly { cost: keyof MeasuredCosts; work: string }[] = [
  { cost: "nsPerFlop", work: "product 256×257×256 (per FLOP)" },
  { cost: "tanh", work: "tanh (per entry)" },
  { cost: "tanhBackward", work: "tanh′ ∘ g (per entry)" },
  { cost: "relu", work: "relu (per entry)" },
  { cost: "reluBackward", work: "relu′ ∘ g (per entry)" },
];

/**
 * The configurations of the `cost` reproduction. Quick: n ∈ {64, 256, 512}, B ∈ {32, 256},
 * L ∈ {2, 4}, tanh and relu, and the 784-256-256-10 classifier (about 20 s). Full: the bench's
 * course grid n ∈ {64, 256, 1024}, B ∈ {32, 256}, L ∈ {2, 4, 8}, tanh and relu, and the classifier.
 *
 * @example
 * ```ts
 * import { costConfigs } from "@lib/experiments/cost/profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(costConfigs("quick").length, 25);
 * assert.equal(costConfigs("full").length, 37);
 * ```
 */
export function costConfigs(profile: "quick" | "full"): PassConfig[] {
  const grid = profile === "quick"
    ? { n: [64, 256, 512], batch: [32, 256], hidden: [2, 4] }
    : { n: [64, 256, 1024], batch: [32, 256], hidden: [2, 4, 8] };
  return [
    ...COST_ACTIVATIONS.flatMap((activation) => courseGrid({ ...grid, activation })),
    classifierConfig(),
  ];
}
