/**
 * The charts of the `cost` reproduction, one function each: the measured backward/forward ratio
 * against the FLOP ratio (one chart per activation, and `bench/report.ts`'s), and the FLOP model's
 * product ratio approaching (2L − 1)/L.
 *
 * @module
 */
import { type ChartSpec, lineChart, VEGA_LITE_V6_SCHEMA, type VegaLiteSpec } from "../../plot.ts";
import { COST_ACTIVATIONS, type CostActivation, RATIO_TOLERANCE } from "./profile.ts";
import type { CostFields, CostTables, RatioLimitRow } from "./rows.ts";

/** What {@link ratioChart} reads of a row. */
export type RatioPoint = Pick<CostFields, "config" | "n" | "B" | "ratio" | "flop_ratio">;

/** The title of an activation's ratio chart. */
const RATIO_TITLES: Readonly<Record<CostActivation, string>> = {
  tanh: "tanh: measured backward/forward time ratio vs FLOP ratio",
  relu: "relu: measured backward/forward time ratio vs FLOP ratio",
};

/** The reference lines measured = model and the ±20 % band, from x = lo to x = hi. */
function referenceLines(lo: number, hi: number) {
  return [
    ["measured = model", 1],
    ["model + 20 %", 1 + RATIO_TOLERANCE],
    ["model − 20 %", 1 - RATIO_TOLERANCE],
  ].flatMap(([line, k]) => [lo, hi].map((x) => ({ line, flop: x, measured: x * Number(k) })));
}

/** Legend order: by the number in the label (n=64 before n=256), other labels last. */
function byNumber(labels: readonly string[]): string[] {
  const number = (label: string) => Number(/=(\d+)$/.exec(label)?.[1] ?? Infinity);
  return [...new Set(labels)].sort((a, b) => number(a) - number(b) || a.localeCompare(b));
}

/**
 * A chart of the measured backward/forward ratio against the FLOP ratio, one point per row
 * (coloured by `series`, default the width n, or by the sizes for a classifier row such as
 * 784-256-256-10; shaped by the batch size B), over the line measured = model and the ±20 % band.
 *
 * @example
 * ```ts
 * import { ratioChart } from "@lib/experiments/cost/charts.ts";
 * import assert from "node:assert/strict";
 * const spec = ratioChart([{ config: "n=64 B=32 L=2", n: 64, B: 32, ratio: 1.1, flop_ratio: 1.49 }]);
 * assert.equal(spec.title, "Backward/forward time ratio vs FLOP ratio");
 * assert.equal(spec.layer.length, 2);
 * ```
 */
export function ratioChart(
  rows: readonly RatioPoint[],
  options: { title?: string; series?: "n" | "B" } = {},
): VegaLiteSpec & { title: string; data: { values: unknown[] }; layer: unknown[] } {
  const series = options.series ?? "n";
  const lo = 1, hi = 2;
  const points = rows.map((r) => ({
    config: r.config,
    series: /^\d+-/.test(r.config) ? r.config.split(" ")[0] : `${series}=${r[series]}`,
    batch: `B=${r.B}`,
    flop_ratio: r.flop_ratio,
    ratio: r.ratio,
  }));
  const seriesOrder = byNumber(points.map((p) => p.series));
  const batchOrder = byNumber(points.map((p) => p.batch));
  return {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: options.title ?? "Backward/forward time ratio vs FLOP ratio",
    width: 480,
    height: 340,
    config: { font: "DejaVu Sans" },
    data: { values: points },
    layer: [
      {
        data: { values: referenceLines(lo, hi) },
        mark: { type: "line", color: "#999", strokeWidth: 1 },
        encoding: {
          x: { field: "flop", type: "quantitative" },
          y: { field: "measured", type: "quantitative" },
          detail: { field: "line", type: "nominal" },
          strokeDash: {
            field: "line",
            type: "nominal",
            title: "reference",
            scale: {
              domain: ["measured = model", "model + 20 %", "model − 20 %"],
              range: [[1, 0], [4, 3], [4, 3]],
            },
          },
        },
      },
      {
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          x: {
            field: "flop_ratio",
            type: "quantitative",
            title: "FLOP ratio (backward / forward, model)",
            scale: { domain: [lo, hi] },
          },
          y: {
            field: "ratio",
            type: "quantitative",
            title: "measured time ratio (backward / forward)",
            scale: { zero: true },
          },
          color: { field: "series", type: "nominal", title: series, sort: seriesOrder },
          shape: { field: "batch", type: "nominal", title: "batch", sort: batchOrder },
          tooltip: [{ field: "config" }, { field: "ratio" }, { field: "flop_ratio" }],
        },
      },
    ],
  };
}

/**
 * The FLOP model alone: the product ratio of the course's network against the width n, one line
 * per depth L, approaching (2L − 1)/L.
 *
 * @example
 * ```ts
 * import { ratioLimitChart } from "@lib/experiments/cost/charts.ts";
 * import assert from "node:assert/strict";
 * const spec = ratioLimitChart([{ n: 4, L: "L=1", product_ratio: 1.16 }, { n: 8, L: "L=1", product_ratio: 1.1 }]);
 * assert.equal(spec.encoding.x.field, "n");
 * ```
 */
export function ratioLimitChart(rows: readonly RatioLimitRow[]): ChartSpec {
  return lineChart(rows.map((r) => ({ ...r })), {
    x: "n",
    y: "product_ratio",
    color: "L",
    logX: true,
    title: "FLOP model: backward/forward product ratio → (2L − 1)/L",
    xTitle: "width n (L hidden layers of n units, n inputs, scalar output)",
    yTitle: "backward / forward product FLOPs",
  });
}

/**
 * Every chart of the reproduction, in the order they are written: one ratio chart per
 * activation (`ratio_tanh`, `ratio_relu`), then `ratio_limit`.
 *
 * @example
 * ```ts
 * import { costCharts } from "@lib/experiments/cost/charts.ts";
 * import assert from "node:assert/strict";
 * const charts = costCharts({ flops: [], ratio_limit: [{ n: 4, L: "L=1", product_ratio: 1.16 }], passes_timing: [], unit_costs_timing: [] });
 * assert.deepEqual(Object.keys(charts), ["ratio_tanh", "ratio_relu", "ratio_limit"]);
 * ```
 */
export function costCharts(tables: CostTables): Record<string, VegaLiteSpec> {
  const charts: Record<string, VegaLiteSpec> = {};
  for (const activation of COST_ACTIVATIONS) {
    const rows = tables.passes_timing.filter((r) => r.activation === activation);
    charts[`ratio_${activation}`] = ratioChart(rows, { title: RATIO_TITLES[activation] });
  }
  charts.ratio_limit = ratioLimitChart(tables.ratio_limit);
  return charts;
}
