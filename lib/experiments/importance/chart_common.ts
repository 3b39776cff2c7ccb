/**
 * What the importance reproduction's charts share: the font, the samplers' labels and colours
 * (from the registry), and the setup line of their subtitles.
 *
 * @module
 */
import { VEGA_LITE_V6_SCHEMA } from "../../plot.ts";
import type { ImportanceProfile } from "./profile.ts";
import { type ImportanceSamplerId, SAMPLERS } from "./registry.ts";
import type { ImportanceTables } from "./tables.ts";

/** The schema every chart declares. */
export const SCHEMA = VEGA_LITE_V6_SCHEMA;

/** The chart font. */
export const FONT = { font: "DejaVu Sans" };

/** Legend labels and colours of the given samplers, in their order. */
export function colours(samplers: readonly ImportanceSamplerId[]) {
  return {
    domain: samplers.map((s) => SAMPLERS[s].label),
    range: samplers.map((s) => SAMPLERS[s].colour),
  };
}

/** Distinct values, sorted ascending. */
export function sortedSteps(rows: readonly { step: number }[]): number[] {
  return [...new Set(rows.map((r) => r.step))].sort((a, b) => a - b);
}

/**
 * The setup line of the charts' subtitles (with Fashion-MNIST's source, from `data_source`).
 *
 * @example
 * ```ts
 * import { setupLine } from "@lib/experiments/importance/chart_common.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   setupLine(importanceProfiles.quick, {}),
 *   "MNIST (N = 8000), 784-32-32-10 relu, b = 128, B = 384, η = 0.1, 3 seeds",
 * );
 * ```
 */
export function setupLine(
  profile: ImportanceProfile,
  tables: Pick<Partial<ImportanceTables>, "data_source">,
): string {
  const net = `784-${profile.hidden.join("-")}-10`;
  const source = tables.data_source?.[0]?.source;
  return `${
    profile.dataset === "mnist" ? "MNIST" : `Fashion-MNIST${source ? ` from ${source}` : ""}`
  } (N = ${profile.trainSize}), ${net} relu, b = ${profile.batchSize}, B = ${
    Math.round(profile.presample * profile.batchSize)
  }, η = ${profile.learningRate}, ${profile.seeds} seeds`;
}
