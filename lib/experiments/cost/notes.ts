/**
 * The notes of the `cost` reproduction, one function per group (the FLOP model, the timed sweep
 * and unit costs, the ratio chart of each activation), and its headline.
 *
 * @module
 */
import { signedPercent, significant } from "../../format.ts";
import { median } from "../../stats.ts";
import type { ReproductionOutput } from "../reproduction.ts";
import {
  COST_ACTIVATIONS,
  type CostActivation,
  RATIO_TARGET_MIN_N,
  UNIT_COST_WORK,
} from "./profile.ts";
import { type CostTables, decodeTable, type PassTimingRow } from "./rows.ts";

/** What the notes need besides the tables. */
export interface CostNoteOptions {
  /** The profile the sweep ran with. */
  profile: "quick" | "full";
  /** The machine it ran on, in words (`describeMachine`). */
  machine: string;
}

/**
 * The median of measured ratio / FLOP ratio over rows, as a signed percentage ("−38 %").
 *
 * @example
 * ```ts
 * import { medianDeviation } from "@lib/experiments/cost/notes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(medianDeviation([{ ratio: 1, flop_ratio: 2 }, { ratio: 1.5, flop_ratio: 1.5 }, { ratio: 0.9, flop_ratio: 1.5 }]), "−40 %");
 * ```
 */
export function medianDeviation(
  rows: readonly Pick<PassTimingRow, "ratio" | "flop_ratio">[],
): string {
  return signedPercent(100 * (median(rows.map((r) => r.ratio / r.flop_ratio)) - 1));
}

/** The notes of the FLOP model's tables (`flops`, `ratio_limit`; the same for every seed). */
function modelNotes(): Record<string, string> {
  return {
    flops: "The FLOP model of each configuration (deterministic: the same for every seed). " +
      "Products count 2·m·n·k; elementwise entries (σ forward, σ′ ∘ backward) are counted " +
      "apart. The backward pass does the forward's products again as weight gradients, plus " +
      "the input gradients θ̄_lᵀ·δ_l of every layer but the first, so product_ratio tends to " +
      "`limit` = (2L − 1)/L for the course's network (L hidden layers of n units).",
    ratio_limit: "The FLOP model alone: the product ratio of the course's network " +
      "approaches (2L − 1)/L from below, within 1/n.",
  };
}

/** Which configurations with n ≥ 256 miss the ±20 % target, in one sentence. */
function targetSentence(timing: readonly PassTimingRow[]): string {
  const judged = timing.filter((r) => r.within_target !== null);
  const misses = judged.filter((r) => r.within_target === false);
  if (misses.length === 0) {
    return `All ${judged.length} configurations with n ≥ 256 are within the target.`;
  }
  return `${misses.length} of ${judged.length} configurations with n ≥ 256 miss the target: ${
    misses.map((r) => `${r.config} (${r.ratio} vs ${r.flop_ratio})`).join(", ")
  }.`;
}

/** The notes of the wall-clock tables (`passes_timing`, `unit_costs_timing`). */
function timingNotes(tables: CostTables, options: CostNoteOptions): Record<string, string> {
  const flops = (cost: "tanh" | "relu") => {
    const work = UNIT_COST_WORK.find((w) => w.cost === cost)?.work;
    const row = tables.unit_costs_timing.find((r) => r.work === work);
    if (row === undefined) {
      throw new RangeError(`cannot write the cost notes: unit_costs_timing has no row '${work}'`);
    }
    return row.product_flops.toFixed(0);
  };
  return {
    passes_timing:
      `Wall-clock medians of ${
        options.profile === "quick" ? "a short" : "the full"
      } sweep on ${options.machine}. The machine may be shared and other reproductions may run on ` +
      "the other core, so compare ratios within this run, not absolute times. `ratio` = " +
      "bwd_ms / fwd_ms; `flop_ratio` from the model; `within_target`: ratio within ±20 % of " +
      "flop_ratio (n ≥ 256 only); `weighted_ratio`: the model with elementwise entries " +
      "priced at their measured cost (unit_costs_timing). " + targetSentence(tables.passes_timing),
    unit_costs_timing: `One tanh costs as much as ${flops("tanh")} FLOPs of matrix ` +
      `product here, a relu ${flops("relu")}; the FLOP model counts each as one.`,
  };
}

/** How to read each activation's ratio chart, after its median deviation. */
const RATIO_READING: Readonly<Record<CostActivation, string>> = {
  tanh: "; the forward pass pays for one tanh per entry of z, about 2(n + 1) product FLOPs' " +
    "worth of work, which the FLOP model counts as one.",
  relu: ". With cheap elementwise maps the ratio follows the products more closely; below " +
    "n = 256 per-call overheads weigh more.",
};

/** The notes of the ratio charts, one per activation (`ratio_tanh`, `ratio_relu`). */
function ratioNotes(tables: CostTables): Record<string, string> {
  return Object.fromEntries(COST_ACTIVATIONS.map((activation) => {
    const wide = tables.passes_timing.filter((r) =>
      r.activation === activation && r.n >= RATIO_TARGET_MIN_N
    );
    return [
      `ratio_${activation}`,
      `${activation} rows with n ≥ ${RATIO_TARGET_MIN_N}: measured ratio ${
        medianDeviation(wide)
      } from the FLOP ratio (median)${RATIO_READING[activation]}`,
    ];
  }));
}

/**
 * Every note of the reproduction, in the order of its tables and then its charts.
 *
 * @example
 * ```ts
 * import { costNotes } from "@lib/experiments/cost/notes.ts";
 * import assert from "node:assert/strict";
 * const timing = { config: "n=256 B=32 L=2", n: 256, B: 32, L: 2, fwd_ms: 1, bwd_ms: 1.4, ratio: 1.4, flop_ratio: 1.5, gflops_fwd: 1, gflops_bwd: 1, step_ms: 3, gflops_step: 1, activation: "tanh", within_target: true, weighted_ratio: null };
 * const unit_costs_timing = [{ work: "tanh (per entry)", ns: 7, product_flops: 70.1 }, { work: "relu (per entry)", ns: 6, product_flops: 59.4 }];
 * const notes = costNotes({ flops: [], ratio_limit: [], passes_timing: [timing], unit_costs_timing }, { profile: "quick", machine: "M" });
 * assert.deepEqual(Object.keys(notes), ["flops", "ratio_limit", "passes_timing", "unit_costs_timing", "ratio_tanh", "ratio_relu"]);
 * assert.match(notes.passes_timing, /a short sweep on M\. .* All 1 configurations with n ≥ 256 are within the target\.$/);
 * assert.match(notes.unit_costs_timing, /as much as 70 FLOPs of matrix product here, a relu 59;/);
 * assert.match(notes.ratio_tanh, /measured ratio −7 % from the FLOP ratio/);
 * ```
 */
export function costNotes(tables: CostTables, options: CostNoteOptions): Record<string, string> {
  return { ...modelNotes(), ...timingNotes(tables, options), ...ratioNotes(tables) };
}

/**
 * The headline of `cost`: per activation, over the timed rows with n ≥ 256, the median measured
 * backward/forward time ratio beside the median FLOP ratio.
 *
 * @throws {RangeError} when `passes_timing` is missing or a row lacks a column
 * @example
 * ```ts
 * import { costHeadline } from "@lib/experiments/cost/notes.ts";
 * import assert from "node:assert/strict";
 * const row = (n: number, ratio: number) => ({ activation: "relu", n, ratio, flop_ratio: 2 });
 * const tables = { passes_timing: [row(64, 9), row(256, 1.5), row(512, 1.7), row(1024, 1.9)] };
 * assert.deepEqual(costHeadline({ tables, charts: {}, notes: {} }), [
 *   "relu, n ≥ 256: backward/forward time 1.7 vs FLOP ratio 2 (medians of 3; −15 %)",
 * ]);
 * ```
 */
export function costHeadline(output: ReproductionOutput): string[] {
  const timed = decodeTable<Pick<PassTimingRow, "activation" | "n" | "ratio" | "flop_ratio">>(
    output.tables,
    "passes_timing",
    ["activation", "n", "ratio", "flop_ratio"],
  ).filter((r) => r.n >= RATIO_TARGET_MIN_N);
  return [...new Set(timed.map((r) => r.activation))].map((activation) => {
    const rows = timed.filter((r) => r.activation === activation);
    const measured = significant(median(rows.map((r) => r.ratio)), 3);
    const model = significant(median(rows.map((r) => r.flop_ratio)), 3);
    return `${activation}, n ≥ ${RATIO_TARGET_MIN_N}: backward/forward time ${measured} vs FLOP ` +
      `ratio ${model} (medians of ${rows.length}; ${medianDeviation(rows)})`;
  });
}
