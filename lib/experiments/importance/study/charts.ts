/**
 * The fair study's charts, drawn from its typed tables: the phase diagram (the log of the loss
 * ratio at equal wall-clock time against tuned uniform, per data set, schedule and sampler, over
 * b and k) and the verdict's time ratios to the early and late targets with their intervals.
 * Labels and colours come from the study's registry.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { prose } from "../../../format.ts";
import type { VegaLiteSpec } from "../../../plot.ts";
import { FONT, SCHEMA } from "../chart_common.ts";
import { SCHEDULE_LABELS, STUDY_SAMPLER_SPECS, STUDY_SAMPLERS } from "./registry.ts";
import type { StudyCell } from "./rows.ts";
import { regimeName } from "./runs.ts";
import type { EqualTimeSummaryRow, VerdictFactorRow, VerdictRow } from "./tables.ts";
import { TARGET_LEVELS } from "./ladder.ts";

const DATASET_LABELS = { "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST" } as const;

/** The k column of a cell: its k, or "—" for samplers that take none. */
const kLabel = (k: number | null) => k === null ? "—" : String(k);

/** A ratio in a label: "×0.43". */
const times = (r: number) => `×${prose(r, { digits: 2 })}`;

/** The samplers present, in the registry's order, with their labels and colours. */
function samplerScale(cells: readonly StudyCell[]) {
  const present = STUDY_SAMPLERS.filter((s) => cells.some((c) => c.sampler === s));
  return {
    domain: present.map((s) => STUDY_SAMPLER_SPECS[s].label),
    range: present.map((s) => STUDY_SAMPLER_SPECS[s].colour),
  };
}

/**
 * The phase diagram: one heat map per (data set, schedule) row and sampler column, y = b,
 * x = k ("—" for samplers without k), colour = log10 of the geometric-mean training-loss ratio
 * to tuned uniform at equal wall-clock time (late budget), on a diverging scale centred at 0
 * (blue: the sampler ends lower, importance wins; red: uniform does), with the ratio written in
 * each cell ("diverged" for +∞, which has no colour).
 *
 * @example
 * ```ts
 * import { phaseDiagramChart } from "@lib/experiments/importance/study/charts.ts";
 * import assert from "node:assert/strict";
 * const row = { dataset: "mnist", batch_size: 8, presample: 3, sampler: "loss", schedule: "constant",
 *   regime: "mnist b=8 k=3 constant", seeds: 5, loss_ratio_time: 0.1, loss_ratio_time_low: 0.05,
 *   loss_ratio_time_high: 0.2, loss_ratio_fe: 0.1, loss_ratio_fe_low: 0.05, loss_ratio_fe_high: 0.2 } as const;
 * const spec = phaseDiagramChart([row]);
 * assert.ok("data" in spec && spec.data && "values" in spec.data);
 * assert.deepEqual(spec.data.values, [{ panel: "MNIST · constant η", sampler: "loss (presampled)", b: 8, k: "3", log10_ratio: -1, label: "×0.10" }]);
 * ```
 */
export function phaseDiagramChart(summary: readonly EqualTimeSummaryRow[]): VegaLiteSpec {
  const shown = summary.filter((r) => r.loss_ratio_time !== null);
  const values = shown.map((r) => {
    const ratio = r.loss_ratio_time!, log = Math.log10(ratio);
    return {
      panel: `${DATASET_LABELS[r.dataset]} · ${SCHEDULE_LABELS[r.schedule]}`,
      sampler: STUDY_SAMPLER_SPECS[r.sampler].label,
      b: r.batch_size,
      k: kLabel(r.presample),
      log10_ratio: Number.isFinite(log) ? log : null,
      label: ratio === Infinity ? "diverged" : times(ratio),
    };
  });
  const reach = Math.max(0.1, ...values.map((v) => Math.abs(v.log10_ratio ?? 0)));
  const panels = [...new Set(values.map((v) => v.panel))]; // the canonical order of the rows
  const ks = [...new Set(shown.map((r) => r.presample))]
    .sort((a, b) => (a ?? Infinity) - (b ?? Infinity)).map(kLabel);
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title: {
      text: "Training loss at equal wall-clock time, relative to tuned uniform",
      subtitle: "geometric mean over evaluation seeds at tuned uniform's time to the budget; " +
        "blue: the sampler ends lower (importance wins), red: uniform does",
    },
    data: { values },
    config: FONT,
    facet: {
      row: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: panels,
        header: { labelAngle: 0, labelAlign: "left", labelLimit: 220 },
      },
      column: {
        field: "sampler",
        type: "nominal",
        title: null,
        sort: samplerScale(shown).domain,
        header: { labelLimit: 160 },
      },
    },
    spec: {
      width: { step: 34 },
      height: { step: 28 },
      layer: [
        {
          mark: { type: "rect" },
          encoding: {
            color: {
              field: "log10_ratio",
              type: "quantitative",
              title: "log10 loss ratio",
              scale: { scheme: "redblue", reverse: true, domain: [-reach, reach], domainMid: 0 },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 9 },
          encoding: {
            text: { field: "label" },
            color: {
              condition: { test: `abs(datum.log10_ratio) > ${reach / 2}`, value: "white" },
              value: "black",
            },
          },
        },
      ],
      encoding: {
        x: { field: "k", type: "ordinal", sort: ks, title: "k = B/b", axis: { labelAngle: 0 } },
        y: { field: "b", type: "ordinal", sort: "descending", title: "b" },
      },
    },
  };
  return spec;
}

/**
 * The verdict's time ratios: per cell and level (early, late), the ratio of mean seconds to the
 * target over tuned uniform's, a point with its 95 % bootstrap interval on a log axis, coloured by
 * sampler, with rules at 0.75 (the goal) and 1 (uniform's time). +∞ is drawn at the right
 * edge as a triangle.
 *
 * @example
 * ```ts
 * import { timeRatioChart } from "@lib/experiments/importance/study/charts.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: 3, sampler: "loss", schedule: "constant" } as const;
 * const factor = { ...cell, level: "late", regime: "mnist b=8 k=3 constant late", target_loss: 0.1, seeds: 5, reached: 5,
 *   iteration_ratio: 0.5, step_cost_ratio: 1.4, time_ratio: 0.7, fe_step_ratio: 1.5, fe_ratio: 0.75 };
 * const verdict = { sampler: "loss", regime: factor.regime, time_ratio: 0.7, time_ratio_low: 0.6, time_ratio_high: Infinity, fe_ratio: 0.75, seeds: 5 } as const;
 * const spec = timeRatioChart([verdict], [factor]);
 * assert.ok("data" in spec && spec.data && "values" in spec.data);
 * const [point] = spec.data.values as { high: number; unbounded: boolean }[];
 * assert.ok(point.unbounded && point.high > 0.7);
 * ```
 */
export function timeRatioChart(
  verdict: readonly VerdictRow[],
  factors: readonly VerdictFactorRow[],
): VegaLiteSpec {
  const byRegime = new Map(factors.map((f) => [`${f.sampler}|${f.regime}`, f]));
  const rows = verdict.flatMap((v) => {
    const f = byRegime.get(`${v.sampler}|${v.regime}`);
    return f && v.time_ratio !== null ? [{ v, f }] : [];
  });
  const finite = rows.flatMap(({ v }) => [v.time_ratio!, v.time_ratio_low!, v.time_ratio_high!])
    .filter((x) => x > 0 && x < Infinity);
  const top = 2 * Math.max(1, ...finite), bottom = Math.min(0.5, ...finite) / 2;
  const clip = (x: number) => Math.min(top, Math.max(bottom, x));
  const values = rows.map(({ v, f }) => ({
    level: f.level,
    sampler: STUDY_SAMPLER_SPECS[v.sampler].label,
    cell: `${v.sampler} · ${regimeName(f)}`,
    ratio: clip(v.time_ratio!),
    low: clip(v.time_ratio_low!),
    high: clip(v.time_ratio_high!),
    unbounded: v.time_ratio_high === Infinity,
    shape: v.time_ratio === Infinity ? "triangle-right" : "circle",
  }));
  const scale = samplerScale(rows.map(({ f }) => f));
  const color = {
    field: "sampler",
    type: "nominal",
    title: "sampler",
    sort: scale.domain,
    scale,
    legend: { labelLimit: 400, orient: "bottom", columns: 3 },
  } as const;
  const x = { scale: { type: "log" as const, domain: [bottom, top] } };
  const order = [...new Set(values.map((v) => v.cell))];
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title: {
      text: "Time to the target relative to tuned uniform (ratio of mean seconds)",
      subtitle: "paired by evaluation seed, 95 % bootstrap interval; goal: at most 0.75 with " +
        "the interval below 1; a triangle or a bar to the edge is +∞ (a seed never got there)",
    },
    data: { values },
    config: FONT,
    facet: {
      column: {
        field: "level",
        type: "nominal",
        sort: Object.keys(TARGET_LEVELS),
        title: "target",
      },
    },
    spec: {
      width: 260,
      height: { step: 14 },
      layer: [
        {
          mark: { type: "rule" },
          encoding: {
            x: { field: "low", type: "quantitative", title: "time ratio (log)", ...x },
            x2: { field: "high" },
            y: {
              field: "cell",
              type: "nominal",
              sort: order,
              title: null,
              axis: { labelLimit: 320 },
            },
            color,
          },
        },
        {
          mark: { type: "point", filled: true, size: 40 },
          encoding: {
            x: { field: "ratio", type: "quantitative", ...x },
            y: { field: "cell", type: "nominal", sort: order },
            shape: { field: "shape", type: "nominal", scale: null },
            color,
          },
        },
        {
          data: { values: [{ at: 0.75 }, { at: 1 }] },
          mark: { type: "rule", strokeDash: [4, 3], color: "#555" },
          encoding: { x: { field: "at", type: "quantitative", ...x } },
        },
      ],
    },
  };
  return spec;
}

/**
 * Every chart of the study, by name.
 *
 * @example
 * ```ts
 * import { studyCharts } from "@lib/experiments/importance/study/charts.ts";
 * import assert from "node:assert/strict";
 * const charts = studyCharts({ verdict: [], verdict_factors_timing: [], equal_time_loss_summary_timing: [] });
 * assert.deepEqual(Object.keys(charts), ["phase_diagram", "time_ratio"]);
 * ```
 */
export function studyCharts(
  tables: {
    verdict: readonly VerdictRow[];
    verdict_factors_timing: readonly VerdictFactorRow[];
    equal_time_loss_summary_timing: readonly EqualTimeSummaryRow[];
  },
): Record<string, VegaLiteSpec> {
  return {
    phase_diagram: phaseDiagramChart(tables.equal_time_loss_summary_timing),
    time_ratio: timeRatioChart(tables.verdict, tables.verdict_factors_timing),
  };
}
