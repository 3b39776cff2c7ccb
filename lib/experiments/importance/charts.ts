/**
 * The importance reproduction's charts, one function each, drawn from the typed tables: the
 * training curves, the variance reduction along the uniform runs and along each sampler's own
 * run, K&F's Figure 2 (the scores' sampling probabilities against the optimal ones) and the
 * cost to a target loss relative to uniform. Labels and colours come from the registry.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { VegaLiteSpec } from "../../plot.ts";
import {
  scoreCorrelationChart,
  varianceAlongRunsChart,
  varianceReductionChart,
} from "./analysis_charts.ts";
import { colours, FONT, SCHEMA, setupLine } from "./chart_common.ts";
import type { ImportanceProfile } from "./profile.ts";
import { type ImportanceSamplerId, SAMPLERS } from "./registry.ts";
import type { ImportanceTables } from "./tables.ts";

/** The horizontal axes of the training curves. */
export type CurveAxis = "step" | "forward_equivalents" | "seconds";

const AXIS_TITLES: Readonly<Record<CurveAxis, string>> = {
  step: "SGD iterations",
  forward_equivalents: "forward-equivalents (backward = 2)",
  seconds: "training seconds (wall clock)",
};

/**
 * Axis label formats: SI prefixes for the large counts ("120k", not "120,000"), so that
 * neighbouring labels of a 250 px panel do not run together in a browser.
 */
const AXIS_FORMATS: Readonly<Record<CurveAxis, string | undefined>> = {
  step: undefined,
  forward_equivalents: "~s",
  seconds: undefined,
};

/** Panels side by side, one per axis, of `y` with a ±1 sd band (`lo`, `hi`), a line per sampler. */
function bandPanels(
  rows: Record<string, unknown>[],
  options: {
    title: { text: string; subtitle: string };
    y: string;
    yTitle: string;
    logY: boolean;
    axes: readonly CurveAxis[];
    samplers: readonly ImportanceSamplerId[];
  },
): TopLevelSpec {
  const scale = colours(options.samplers);
  const color = {
    field: "sampler",
    type: "nominal",
    title: "sampler",
    sort: scale.domain,
    scale,
    legend: { labelLimit: 400, orient: "bottom", columns: 3, symbolOpacity: 1 },
  } as const;
  const yScale = options.logY ? { type: "log" } as const : { zero: false };
  // a log axis with a label at every 1-2-5 step crowds 220 px; CHART_CONFIG keeps labels apart
  const yAxis = options.logY ? { axis: { tickCount: 5 } } : {};
  return {
    $schema: SCHEMA,
    title: options.title,
    data: { values: rows },
    config: FONT,
    hconcat: options.axes.map((x) => {
      const format = AXIS_FORMATS[x];
      const xEnc = {
        field: x,
        type: "quantitative",
        title: AXIS_TITLES[x],
        ...(format ? { axis: { format } } : {}),
      } as const;
      return {
        width: 250,
        height: 220,
        layer: [
          {
            mark: { type: "area", opacity: 0.15 },
            encoding: {
              x: xEnc,
              y: {
                field: "lo",
                type: "quantitative",
                scale: yScale,
                title: options.yTitle,
                ...yAxis,
              },
              y2: { field: "hi" },
              color,
            },
          },
          {
            mark: { type: "line" },
            encoding: {
              x: xEnc,
              y: {
                field: options.y,
                type: "quantitative",
                scale: yScale,
                title: options.yTitle,
                ...yAxis,
              },
              color,
            },
          },
        ],
      };
    }),
  };
}

/** What {@link trainingCurvesChart} reads. */
export type CurveTables =
  & Pick<ImportanceTables, "curves">
  & Partial<Pick<ImportanceTables, "curves_timing" | "data_source">>;

/**
 * The training curves of the combined tables (`curves`, and `curves_timing` when the seconds
 * axis is asked for): the mean over seeds of `y` ("train_loss" or "test_error") with a ±1 sd
 * band, one panel per axis. Without the seconds axis the chart holds no wall-clock number, so it
 * is deterministic.
 *
 * @example
 * ```ts
 * import { trainingCurvesChart } from "@lib/experiments/importance/charts.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const curves = [1, 2].map((step) => ({
 *   sampler: "uniform" as const, step, seeds: 1, forward_equivalents: 384 * step,
 *   forward_equivalents_sd: 0, train_loss: 1 / step, train_loss_sd: 0.1, train_loss_min: 1 / step,
 *   train_loss_max: 1 / step, test_error: 0.1, test_error_sd: 0,
 * }));
 * const spec = trainingCurvesChart({ curves }, importanceProfiles.quick, {
 *   y: "train_loss", axes: ["step", "forward_equivalents"],
 * });
 * assert.ok("hconcat" in spec && spec.hconcat.length === 2);
 * assert.ok("data" in spec && spec.data && "values" in spec.data);
 * assert.ok(!JSON.stringify(spec.data).includes("seconds"));
 * ```
 */
export function trainingCurvesChart(
  tables: CurveTables,
  profile: ImportanceProfile,
  options: { y: "train_loss" | "test_error"; axes: readonly CurveAxis[] },
): VegaLiteSpec {
  const { y, axes } = options;
  const timed = axes.includes("seconds");
  const seconds = new Map(
    (timed ? tables.curves_timing ?? [] : []).map((r) => [`${r.sampler}|${r.step}`, r.seconds]),
  );
  const rows = tables.curves.filter((r) => r.step > 0).map((r) => {
    const mean = r[y], sd = y === "train_loss" ? r.train_loss_sd : r.test_error_sd;
    const row: Record<string, unknown> = {
      sampler: SAMPLERS[r.sampler].label,
      step: r.step,
      forward_equivalents: r.forward_equivalents,
      [y]: mean,
      lo: Math.max(mean - sd, y === "train_loss" ? mean / 4 : 0),
      hi: mean + sd,
    };
    if (timed) row.seconds = seconds.get(`${r.sampler}|${r.step}`) ?? null;
    return row;
  });
  const what = y === "train_loss" ? "Training loss" : "Test error";
  return bandPanels(rows, {
    title: { text: `${what}, mean ± sd over seeds`, subtitle: setupLine(profile, tables) },
    y,
    yTitle: y === "train_loss" ? "training loss (log)" : "test error",
    logY: y === "train_loss",
    axes,
    samplers: profile.samplers,
  });
}

/** The measures of {@link timeToTargetChart}, in panel order. */
const MEASURES = [
  "iterations",
  "forward-equivalents",
  "wall-clock seconds",
  "seconds, priced by step",
] as const;

/**
 * The cost to reach the target training loss relative to uniform (mean over the seeds that
 * reach it), one panel per measure: iterations, forward-equivalents, wall-clock seconds and
 * seconds priced at the interleaved step costs.
 */
export function timeToTargetChart(
  tables: Pick<
    ImportanceTables,
    "time_to_target_summary_timing" | "modelled_time_to_target_summary_timing" | "data_source"
  >,
  profile: ImportanceProfile,
): VegaLiteSpec {
  const summary = tables.time_to_target_summary_timing;
  const priced = (s: ImportanceSamplerId) =>
    tables.modelled_time_to_target_summary_timing.find((m) => m.sampler === s)
      ?.seconds_vs_uniform ?? null;
  const bars = summary.flatMap((r) => {
    const values = [
      r.iterations_vs_uniform,
      r.forward_equivalents_vs_uniform,
      r.seconds_vs_uniform,
      priced(r.sampler),
    ];
    return MEASURES.map((measure, k) => ({
      sampler: SAMPLERS[r.sampler].label,
      measure,
      value: values[k],
    })).filter((b) => b.value !== null);
  });
  const scale = colours(profile.samplers);
  return {
    $schema: SCHEMA,
    title: {
      text: [
        `Cost to reach training loss ${summary[0]?.target_loss} relative to uniform`,
        "(mean over the seeds that reach it; below 1 = faster than uniform)",
      ],
      subtitle: setupLine(profile, tables),
    },
    data: { values: bars },
    config: FONT,
    width: 150,
    height: 240,
    mark: "bar",
    encoding: {
      column: { field: "measure", type: "nominal", title: null, sort: [...MEASURES] },
      x: { field: "sampler", type: "nominal", sort: scale.domain, axis: null },
      y: { field: "value", type: "quantitative", title: "relative to uniform" },
      color: {
        field: "sampler",
        type: "nominal",
        sort: scale.domain,
        scale,
        legend: { labelLimit: 400, orient: "bottom", columns: 3 },
      },
    },
  };
}

/**
 * Every chart of the reproduction, by name (no table is required to hold rows).
 *
 * @example
 * ```ts
 * import { importanceCharts } from "@lib/experiments/importance/charts.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const empty = {
 *   history: [], history_timing: [], curves: [], curves_timing: [], time_to_target: [],
 *   steps_to_target: [], steps_to_target_summary: [], time_to_target_summary_timing: [],
 *   step_cost_timing: [], step_cost_interleaved_timing: [], modelled_time_to_target_timing: [],
 *   modelled_time_to_target_summary_timing: [], variance: [], variance_check: [], correlation: [],
 *   score_points: [], speed: [], theta_star: [],
 * };
 * const charts = importanceCharts(empty, importanceProfiles.quick);
 * assert.deepEqual(Object.keys(charts), [
 *   "training", "test_error", "variance_reduction", "variance_along_runs", "score_correlation",
 *   "time_to_target",
 * ]);
 * ```
 */
export function importanceCharts(
  tables: ImportanceTables,
  profile: ImportanceProfile,
): Record<string, VegaLiteSpec> {
  const all = ["step", "forward_equivalents", "seconds"] as const;
  return {
    training: trainingCurvesChart(tables, profile, { y: "train_loss", axes: all }),
    test_error: trainingCurvesChart(tables, profile, { y: "test_error", axes: all }),
    variance_reduction: varianceReductionChart(tables, profile),
    variance_along_runs: varianceAlongRunsChart(tables, profile),
    score_correlation: scoreCorrelationChart(tables, profile),
    time_to_target: timeToTargetChart(tables, profile),
  };
}
