/**
 * The importance reproduction's analysis charts: the variance reduction of every scheme along
 * the uniform runs (K&F's Figure 1 analogue) and along each sampler's own run, and the scores'
 * sampling probabilities against the optimal ones (K&F's Figure 2).
 *
 * @module
 */
import { dashLegend, type VegaLiteSpec } from "../../plot.ts";
import { mean } from "../../stats.ts";
import { colours, FONT, SCHEMA, setupLine, sortedSteps } from "./chart_common.ts";
import type { ImportanceProfile } from "./profile.ts";
import { CORRELATED_SCORES, SAMPLERS, SCHEMES, SCORES, TAUS } from "./registry.ts";
import type { ImportanceTables } from "./tables.ts";

/**
 * Variance reduction Tr V(uniform) / Tr V(scheme) of every scheme at the uniform run's
 * checkpoints (mean over seeds), with τ from the upper-bound scores of the same presamples
 * dashed: the paper's Figure 1 analogue.
 */
export function varianceReductionChart(
  tables: Pick<ImportanceTables, "variance" | "data_source">,
  profile: ImportanceProfile,
): VegaLiteSpec {
  const schemes = SCHEMES.filter((s) => s.kind !== "uniform");
  const uniformRows = tables.variance.filter((r) => r.run === "uniform");
  const taus = [TAUS.varianceRatio.series, TAUS.sqrtVarianceRatio.series];
  const values: Record<string, unknown>[] = [];
  for (const step of sortedSteps(uniformRows)) {
    const here = uniformRows.filter((r) => r.step === step);
    for (const s of schemes) {
      const reduction = mean(here.filter((r) => r.scheme === s.id).map((r) => r.reduction));
      values.push({ step, series: s.label, value: reduction, kind: "measured" });
    }
    const first = here.filter((r) => r.scheme === SAMPLERS.uniform.scheme);
    const ratio = mean(first.map((r) => r.tau_variance_ratio));
    values.push({ step, series: taus[0], value: ratio, kind: "τ" });
    const root = mean(first.map((r) => r.tau_sqrt_variance_ratio));
    values.push({ step, series: taus[1], value: root, kind: "τ" });
  }
  return {
    $schema: SCHEMA,
    title: {
      text: [
        "Variance reduction Tr V(uniform) / Tr V(scheme) at the uniform run's θ (mean over seeds)",
        "and τ from the upper-bound scores of the same presamples",
      ],
      subtitle: setupLine(profile, tables),
    },
    width: 560,
    height: 300,
    data: { values },
    config: FONT,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "SGD iterations of the uniform run" },
      y: {
        field: "value",
        type: "quantitative",
        title: "Tr V(uniform) / Tr V(scheme), or τ (log)",
        scale: { type: "log" },
      },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        sort: [...schemes.map((s) => s.label), ...taus],
        legend: { labelLimit: 400 },
      },
      strokeDash: {
        field: "kind",
        type: "nominal",
        title: null,
        sort: ["measured", "τ"],
        scale: { domain: ["measured", "τ"], range: [[1, 0], [5, 3]] },
        legend: dashLegend(),
      },
    },
  };
}

/**
 * Each importance sampler's own variance reduction at the checkpoints of its own run (for the
 * switch runs, that of the presampled upper bound, on or off), with the switch runs' τ dashed.
 */
export function varianceAlongRunsChart(
  tables: Pick<ImportanceTables, "variance" | "data_source">,
  profile: ImportanceProfile,
): VegaLiteSpec {
  const samplers = profile.samplers.filter((s) => s !== "uniform");
  const kinds = ["measured reduction", "the run's τ"];
  const values: Record<string, unknown>[] = [];
  for (const sampler of samplers) {
    const { label, tau } = SAMPLERS[sampler];
    const rows = tables.variance.filter((r) => r.run === sampler && r.own);
    for (const step of sortedSteps(rows)) {
      const here = rows.filter((r) => r.step === step);
      const reduction = mean(here.map((r) => r.reduction));
      values.push({ step, sampler: label, value: reduction, kind: kinds[0] });
      if (tau !== null) {
        const runTau = mean(here.map((r) => r.run_tau ?? NaN));
        values.push({ step, sampler: label, value: runTau, kind: kinds[1] });
      }
    }
  }
  const scale = colours(samplers);
  return {
    $schema: SCHEMA,
    title: {
      text: [
        "Each sampler's own variance reduction along its own run (importance on)",
        "and the switch runs' τ; mean over seeds",
      ],
      subtitle: setupLine(profile, tables),
    },
    width: 560,
    height: 300,
    data: { values },
    config: FONT,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "SGD iterations" },
      y: {
        field: "value",
        type: "quantitative",
        title: "Tr V(uniform) / Tr V(own scheme), or τ (log)",
        scale: { type: "log" },
      },
      color: {
        field: "sampler",
        type: "nominal",
        sort: scale.domain,
        scale,
        legend: { labelLimit: 400 },
      },
      strokeDash: {
        field: "kind",
        type: "nominal",
        title: null,
        sort: kinds,
        scale: { domain: kinds, range: [[1, 0], [5, 3]] },
        legend: dashLegend(),
      },
    },
  };
}

/** N · p of each correlated score against the optimal N · p, per sample and checkpoint. */
function scatterRows(tables: Pick<ImportanceTables, "score_points">) {
  const points = tables.score_points.filter((r) => r.step > 0);
  const field = { upperBound: "upper_bound", loss: "loss" } as const;
  const rows = points.flatMap((r) =>
    CORRELATED_SCORES.map((score) => ({
      step: `step ${r.step}`,
      score: SCORES[score].name,
      optimal: r.gradient_norm,
      value: r[field[score]],
    }))
  );
  return { rows, seed: points[0]?.seed };
}

/**
 * K&F's Figure 2: N · p_i of the upper bound and of the loss against the optimal N · p_i ∝
 * ‖∇ℓ_i‖, log axes, by checkpoint (the first seed's uniform run), with the diagonal dashed.
 */
export function scoreCorrelationChart(
  tables: Pick<ImportanceTables, "score_points" | "data_source">,
  profile: ImportanceProfile,
): VegaLiteSpec {
  const { rows, seed } = scatterRows(tables);
  const stepLabels = [...new Set(rows.map((r) => r.step))];
  const positive = rows.flatMap((r) => [r.optimal, r.value]).filter((v) => v > 0);
  const domain = [
    10 ** Math.floor(Math.log10(Math.min(...positive, 1))),
    10 ** Math.ceil(Math.log10(Math.max(...positive, 1))),
  ];
  const axis = (title: string, field: string) =>
    ({
      field,
      type: "quantitative",
      title,
      scale: { type: "log", domain },
    }) as const;
  const optimalTitle = `N · p of the exact ${SCORES.gradientNorm.name} (log)`;
  return {
    $schema: SCHEMA,
    title: {
      text: "Sampling probability × N of each score against the optimal one (p ∝ ‖∇ℓ_i‖)",
      subtitle: `uniform run, seed ${seed ?? ""}; on the dashed diagonal a score ` +
        `samples as the optimal distribution does. ${setupLine(profile, tables)}`,
    },
    data: { values: rows },
    config: FONT,
    hconcat: CORRELATED_SCORES.map((s) => SCORES[s].name).map((score) => ({
      width: 300,
      height: 300,
      title: score,
      transform: [{ filter: { field: "score", equal: score } }],
      layer: [
        {
          mark: { type: "point", filled: true, size: 14, opacity: 0.6 },
          encoding: {
            x: axis(optimalTitle, "optimal"),
            y: axis(`N · p of the ${score} (log)`, "value"),
            color: { field: "step", type: "nominal", title: null, sort: stepLabels },
          },
        },
        {
          data: { values: domain.map((a) => ({ a })) },
          mark: { type: "line", color: "#888", strokeDash: [4, 3] },
          encoding: {
            x: axis(optimalTitle, "a"),
            y: axis(`N · p of the ${score} (log)`, "a"),
          },
        },
      ],
    })),
  };
}
