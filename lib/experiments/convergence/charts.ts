/**
 * The charts of the `convergence` reproduction, one function per chart, from its typed tables.
 * Every title says whether θ* is exact or approximated; the inline data keeps 4 significant
 * digits (enough to draw, a third the size).
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { significant } from "../../format.ts";
import {
  barChart,
  type ChartRow,
  type ChartSpec,
  lineChart,
  VEGA_LITE_V6_SCHEMA,
  type VegaLiteSpec,
} from "../../plot.ts";
import {
  batchLabel,
  type ConvergenceProfile,
  LEARNING_RATE_SERIES,
  OUTLIER_RUN_MEASURES,
  S_LABEL,
  S_TERMS,
} from "./profile.ts";
import type { ConvergenceTables, LearningRateRow } from "./rows.ts";

/** Rows with every finite number rounded to 4 significant digits. */
function compact(rows: readonly ChartRow[]): Record<string, unknown>[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map((
        [k, v],
      ) => [k, typeof v === "number" && Number.isFinite(v) ? significant(v, 4) : v]),
    )
  );
}

/** Columns facet: the spec's single view repeated per value of `field`, in the given order. */
function facetColumns(spec: ChartSpec, field: string, order: readonly string[]): ChartSpec {
  spec.encoding.column = { field, type: "nominal", title: null, sort: [...order] };
  return spec;
}

/** Fixes the order of a channel's categories (axis, legend and colours) and widens its labels. */
function ordered(spec: ChartSpec, channel: string, order: readonly string[]): ChartSpec {
  spec.encoding[channel].sort = [...order];
  if (channel === "color") spec.encoding.color.legend = { labelLimit: 400 };
  return spec;
}

/** Plain lines (no point marks), for dense series. */
function plainLines(spec: ChartSpec): ChartSpec {
  spec.mark = { type: "line" };
  return spec;
}

const batchLabels = (sizes: readonly number[]) => sizes.map(batchLabel);
const termLabels = S_TERMS.map((t) => t.label);

function linearTitle(profile: ConvergenceProfile): string {
  const L = profile.linear;
  return `linear regression, N = ${L.n}, d = ${L.d}, exact θ*, η = ${L.learningRate}`;
}

function approximation(profile: ConvergenceProfile): string {
  return `θ* approximated by the end of a ${profile.mnist.fullBatchSteps}-step full-batch run`;
}

/** linear_terms: the three terms of S on a log axis, one panel per b (non-positive left out). */
function linearTermsChart(tables: ConvergenceTables, profile: ConvergenceProfile): ChartSpec {
  const rows = tables.linear_speed.flatMap((r) =>
    S_TERMS.filter((t) => r[t.column] > 0).map((t) => ({
      b: batchLabel(r.batch_size),
      step: r.step,
      term: t.label,
      value: r[t.column],
    }))
  );
  const spec = lineChart(compact(rows), {
    x: "step",
    y: "value",
    color: "term",
    logY: true,
    title: `The terms of S along SGD (${linearTitle(profile)})`,
    yTitle: "term of S",
    width: 260,
    height: 240,
  });
  return facetColumns(
    ordered(plainLines(spec), "color", termLabels),
    "b",
    batchLabels(profile.linear.batchSizes),
  );
}

/** linear_speed: S along SGD per b on a symmetric log axis, so that its sign changes show. */
function linearSpeedChart(tables: ConvergenceTables, profile: ConvergenceProfile): ChartSpec {
  const rows = tables.linear_speed.map((r) => ({
    b: batchLabel(r.batch_size),
    step: r.step,
    S: r.speed,
  }));
  const speed = plainLines(lineChart(compact(rows), {
    x: "step",
    y: "S",
    color: "b",
    title: `S along SGD (${linearTitle(profile)}); symmetric log axis`,
    yTitle: "S (symlog: linear within ±1e-5)",
    width: 560,
  }));
  speed.encoding.y.scale = { type: "symlog", constant: 1e-5, nice: false };
  speed.encoding.y.axis = {
    values: [-1e-3, -1e-4, -1e-5, 0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1],
    labelExpr: "datum.value === 0 ? '0' : format(datum.value, '.0e')",
  };
  return ordered(speed, "color", batchLabels(profile.linear.batchSizes));
}

/**
 * The chart of a learning-rate sweep: the closed form S(η) = η · progress_per_eta − η² ·
 * expected_squared_norm as a curve over a dense grid, the Monte Carlo estimates as points, and the
 * course's η-free value as a dashed line; log η axis, symmetric log S axis.
 *
 * @example
 * ```ts
 * import { learningRateChart } from "@lib/experiments/convergence/charts.ts";
 * import assert from "node:assert/strict";
 * const rows = [0.1, 1].map((eta) => ({
 *   learning_rate: eta, batch_size: 1, closed_form: eta - eta * eta * 2, monte_carlo: eta - eta * eta * 2,
 *   standard_error: 0.01, z_score: 0, course_value: -1, zero_crossing: 0.5, progress_per_eta: 1,
 *   expected_squared_norm: 2,
 * }));
 * const spec = learningRateChart(rows, { title: "S(η)" });
 * assert.equal("layer" in spec && spec.layer.length, 3);
 * ```
 */
export function learningRateChart(
  rows: readonly LearningRateRow[],
  options: { title: string },
): TopLevelSpec {
  const series = Object.values(LEARNING_RATE_SERIES);
  const etas = rows.map((r) => r.learning_rate);
  const lo = Math.log10(Math.min(...etas)), hi = Math.log10(Math.max(...etas));
  const a = rows[0].progress_per_eta, c = rows[0].expected_squared_norm;
  const values: { eta: number; value: number; series: string }[] = [];
  for (let k = 0; k <= 60; k++) {
    const eta = 10 ** (lo + (k / 60) * (hi - lo));
    values.push({ eta, value: eta * a - eta * eta * c, series: LEARNING_RATE_SERIES.closedForm });
  }
  for (const r of rows) {
    values.push({ eta: r.learning_rate, value: r.monte_carlo, series: series[1] });
    values.push({ eta: r.learning_rate, value: r.course_value, series: series[2] });
  }
  const extent = Math.max(...values.map((v) => Math.abs(v.value)));
  const top = 10 ** Math.ceil(Math.log10(extent));
  const ticks = [0];
  for (let t = 1e-2; t <= top * 1.0001; t *= 10) ticks.push(t, -t);
  const only = (name: string) => [{ filter: { field: "series", equal: name } }];
  return {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: options.title,
    width: 560,
    height: 300,
    data: { values: compact(values) },
    config: { font: "DejaVu Sans" },
    encoding: {
      x: { field: "eta", type: "quantitative", title: "η", scale: { type: "log" } },
      y: {
        field: "value",
        type: "quantitative",
        title: "S (symlog: linear within ±1e-3)",
        scale: { type: "symlog", constant: 1e-3, domain: [-top, top] },
        axis: {
          values: ticks.sort((p, q) => p - q),
          labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~g')",
        },
      },
      color: { field: "series", type: "nominal", sort: series, legend: { labelLimit: 400 } },
    },
    layer: [
      { transform: only(series[0]), mark: { type: "line" } },
      { transform: only(series[1]), mark: { type: "point", filled: true, size: 60 } },
      { transform: only(series[2]), mark: { type: "line", strokeDash: [6, 4] } },
    ],
  };
}

/** linear_learning_rate: {@link learningRateChart} of the linear part's sweep. */
function linearLearningRateChart(
  tables: ConvergenceTables,
  profile: ConvergenceProfile,
): TopLevelSpec {
  return learningRateChart(tables.linear_learning_rate, {
    title: `S against η at θ_0, b = ${profile.linear.sweepBatchSize} (linear regression, ` +
      "exact θ*); symmetric log axis",
  });
}

/** outlier_state: S at θ_fit per b, one bar per data set and sampling. */
function outlierStateChart(tables: ConvergenceTables, profile: ConvergenceProfile): ChartSpec {
  const O = profile.outlier;
  const caseOf = (r: { data: string; sampling: string }) => `${r.data}, ${r.sampling}`;
  const cases = [...new Set(tables.outlier_state.map(caseOf))];
  const rows = tables.outlier_state.map((r) => ({
    b: batchLabel(r.batch_size),
    case: caseOf(r),
    S: r.speed,
  }));
  const bars = barChart(compact(rows), {
    x: "b",
    y: "S",
    color: "case",
    title: `S at θ_fit, which fits every sample but one (error E = ${O.outlierError}), ` +
      `η = ${O.learningRate}, exact θ*`,
    yTitle: "S (0 on the clean data: θ_fit is its θ*)",
    width: 420,
  });
  const spec = ordered(ordered(bars, "x", batchLabels(O.batchSizes)), "color", cases);
  spec.encoding.xOffset.sort = cases;
  return spec;
}

/** outlier_runs: ‖θ − θ*‖², Tr V and S / ‖θ − θ*‖² along SGD at one b, clean vs outlier. */
function outlierRunsChart(tables: ConvergenceTables, profile: ConvergenceProfile): TopLevelSpec {
  const O = profile.outlier;
  const rows = tables.outlier_runs.filter((r) => r.batch_size === O.chartBatchSize).flatMap((r) =>
    OUTLIER_RUN_MEASURES.flatMap(({ column, log }) => {
      const value = r[column];
      return value !== null && (!log || value > 0)
        ? [{ data: r.data, step: r.step, measure: column, value }]
        : [];
    })
  );
  return {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: `SGD, b = ${O.chartBatchSize}, η = ${O.learningRate}, same θ_0 and draws: clean ` +
      `data vs one outlier (E = ${O.outlierError}), exact θ* of each`,
    data: { values: compact(rows) },
    config: { font: "DejaVu Sans" },
    hconcat: OUTLIER_RUN_MEASURES.map((m) => ({
      width: 260,
      height: 220,
      transform: [{ filter: { field: "measure", equal: m.column } }],
      mark: { type: "line" },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: {
          field: "value",
          type: "quantitative",
          title: m.title,
          scale: m.log ? { type: "log" } : { zero: false },
        },
        color: { field: "data", type: "nominal", title: "data" },
      },
    })),
  };
}

/** mnist_speed: S and its terms along SGD on the MNIST MLP, one panel per b. */
function mnistSpeedChart(tables: ConvergenceTables, profile: ConvergenceProfile): ChartSpec {
  const M = profile.mnist;
  const rows = tables.mnist_speed.flatMap((r) =>
    [
      { term: S_LABEL, value: r.speed },
      ...S_TERMS.map((t) => ({ term: t.label, value: r[t.column] })),
    ].map(({ term, value }) => ({ b: batchLabel(r.batch_size), step: r.step, term, value }))
  );
  const spec = plainLines(lineChart(compact(rows), {
    x: "step",
    y: "value",
    color: "term",
    title: `MNIST MLP 784-${M.hidden}-10, ${M.trainSize} digits, η = ${M.learningRate}: S ` +
      `and its terms (${approximation(profile)})`,
    yTitle: "S and its terms",
    width: 260,
    height: 240,
  }));
  return facetColumns(
    ordered(spec, "color", [S_LABEL, ...termLabels]),
    "b",
    batchLabels(M.batchSizes),
  );
}

/** mnist_distance: ‖θ − θ̂*‖² along SGD on the MNIST MLP per b. */
function mnistDistanceChart(tables: ConvergenceTables, profile: ConvergenceProfile): ChartSpec {
  const rows = tables.mnist_speed.map((r) => ({
    b: batchLabel(r.batch_size),
    step: r.step,
    distance: r.distance_squared,
  }));
  const spec = plainLines(lineChart(compact(rows), {
    x: "step",
    y: "distance",
    color: "b",
    title: `MNIST MLP: ‖θ − θ*‖² along SGD (${approximation(profile)})`,
    yTitle: "‖θ − θ*‖²",
    width: 560,
  }));
  return ordered(spec, "color", batchLabels(profile.mnist.batchSizes));
}

/** Every chart of the reproduction, by name, in the order they are written. */
const CHARTS = {
  linear_terms: linearTermsChart,
  linear_speed: linearSpeedChart,
  linear_learning_rate: linearLearningRateChart,
  outlier_state: outlierStateChart,
  outlier_runs: outlierRunsChart,
  mnist_speed: mnistSpeedChart,
  mnist_distance: mnistDistanceChart,
} satisfies Record<string, (t: ConvergenceTables, p: ConvergenceProfile) => VegaLiteSpec>;

/** The name of a chart of the reproduction. */
export type ConvergenceChart = keyof typeof CHARTS;

/**
 * The charts of the reproduction, from its tables: linear_terms, linear_speed,
 * linear_learning_rate, outlier_state, outlier_runs, mnist_speed, mnist_distance. Every title
 * says whether θ* is exact or approximated.
 *
 * @example
 * ```ts
 * import { convergenceCharts, convergenceTables, smokeProfile } from "@lib/experiments/convergence/mod.ts";
 * import assert from "node:assert/strict";
 * const options = { seed: 1, profile: smokeProfile };
 * const tables = {
 *   ...(await convergenceTables("linear", options)),
 *   ...(await convergenceTables("outlier", options)),
 *   ...(await convergenceTables("mnist", options)),
 * };
 * const charts = convergenceCharts(tables, smokeProfile);
 * assert.match(String(charts.mnist_speed.title), /θ\* approximated/);
 * ```
 */
export function convergenceCharts(
  tables: ConvergenceTables,
  profile: ConvergenceProfile,
): Record<ConvergenceChart, VegaLiteSpec> {
  const charts = {} as Record<ConvergenceChart, VegaLiteSpec>;
  for (const [name, chart] of Object.entries(CHARTS)) {
    charts[name as ConvergenceChart] = chart(tables, profile);
  }
  return charts;
}
