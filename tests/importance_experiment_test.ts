/**
 * The `importance` reproduction on a tiny profile: determinism of its deterministic tables, the
 * columns of time_to_target.csv, combine of the units equal to the whole run, the accounting and
 * variance properties its tables must have whatever the numbers, and numbers recomputed from
 * scratch (the correlations at θ_0, the variance check's z) so that a wrong formula fails.
 */
import assert from "node:assert/strict";
import { formatCsv } from "@lib/io.ts";
import type { CsvRow } from "@lib/io.ts";
import { lossScore, perSampleGradients, upperBoundScore } from "@lib/mod.ts";
import { renderSvg } from "@lib/plot.ts";
import { pearson, spearman } from "@lib/stats.ts";
import {
  combineImportance,
  decodeTables,
  type ImportanceProfile,
  importanceProfiles,
  importanceReproduction,
  type ImportanceSamplerId,
  importanceSetup,
  importanceUnits,
  SAMPLERS,
  SCHEMES,
  SCORES,
} from "@lib/experiments/importance/mod.ts";

const tiny: ImportanceProfile = {
  ...importanceProfiles.quick,
  trainSize: 400,
  testSize: 100,
  hidden: [8],
  batchSize: 8,
  steps: 40,
  evaluateEvery: 10,
  trainSubset: 200,
  seeds: 2,
  checkpoints: [0, 20, 40],
  analysisSize: 400,
  presamples: 3,
  thetaStarSteps: 10,
  varianceCheckDraws: 30,
  scatterPoints: 10,
  costRounds: 2,
};
const reproduction = importanceReproduction({ quick: tiny, full: tiny });
const options = { seed: 5, profile: "quick" as const };

/** The tables that must be identical for the same seed: all but wall-clock ones. */
function deterministic(tables: Record<string, CsvRow[]>): Record<string, CsvRow[]> {
  const out: Record<string, CsvRow[]> = {};
  for (const [name, rows] of Object.entries(tables)) {
    if (name.endsWith("_timing")) continue;
    out[name] = name === "time_to_target" ? rows.map(({ seconds: _, ...r }) => r) : rows;
  }
  return out;
}

const first = await reproduction.run(options);
const T = decodeTables(first.tables);

Deno.test("the same seed gives byte-identical deterministic tables", async () => {
  const again = await reproduction.run(options);
  const a = deterministic(first.tables), b = deterministic(again.tables);
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const name of Object.keys(a)) assert.equal(formatCsv(a[name]), formatCsv(b[name]), name);
  assert.deepEqual(Object.keys(a).sort(), [
    "correlation",
    "curves",
    "history",
    "score_points",
    "speed",
    "steps_to_target",
    "steps_to_target_summary",
    "theta_star",
    "time_to_target",
    "variance",
    "variance_check",
  ]);
  assert.ok(
    !Object.keys(a).some((n) =>
      /seconds|timing/.test(formatCsv(a[n]).split("\n")[0]) &&
      n !== "time_to_target"
    ),
  );
});

Deno.test("time_to_target.csv has exactly the issue's columns, one row per sampler and seed", () => {
  assert.equal(
    formatCsv(first.tables.time_to_target).split("\n")[0],
    "sampler,seed,target_loss,iterations,forward_equivalents,seconds",
  );
  assert.equal(T.time_to_target.length, tiny.samplers.length * tiny.seeds);
  for (const r of T.time_to_target) {
    assert.equal(r.iterations === null, r.seconds === null);
    assert.equal(r.iterations === null, r.forward_equivalents === null);
  }
  const header = formatCsv(first.tables.steps_to_target).split("\n")[0];
  assert.equal(header, "sampler,seed,target_loss,iterations,forward_equivalents");
});

Deno.test("combining the units, each computed on its own and stored as JSON, gives the run's tables", async () => {
  const units = importanceUnits({ seed: options.seed, profile: tiny });
  assert.equal(units.length, tiny.samplers.length * tiny.seeds);
  const outputs = [];
  for (const u of [...units].reverse()) {
    const out = await reproduction.runUnit!(u, options);
    outputs.unshift(JSON.parse(JSON.stringify(out)));
  }
  const combined = combineImportance(outputs, { seed: options.seed, profile: tiny });
  const a = deterministic(combined.tables), b = deterministic(first.tables);
  for (const name of Object.keys(b)) assert.equal(formatCsv(a[name]), formatCsv(b[name]), name);
  assert.deepEqual(Object.keys(combined.charts), Object.keys(first.charts));
});

Deno.test("forward-equivalents are 3b per step plus B − b per presampled step (3B − b for the exact gradient norm): the step reuses the scoring pass", () => {
  const b = tiny.batchSize, B = Math.round(tiny.presample * b);
  const scoring: Record<ImportanceSamplerId, number> = {
    "uniform": 0,
    "loss": B - b,
    "upper-bound": B - b,
    "gradient-norm": 3 * B - b,
    "switch": B - b,
    "switch-sqrt": B - b,
  };
  for (const r of T.history) {
    const on = r.importance_steps;
    if (r.sampler === "uniform") assert.equal(on, 0);
    else if (SAMPLERS[r.sampler].tau === null) assert.equal(on, r.step);
    else assert.ok(on >= 0 && on <= r.step);
    assert.equal(r.forward_equivalents, 3 * b * r.step + scoring[r.sampler] * on);
  }
});

Deno.test("the target is uniform's mean loss at T/2 and each run's iterations are its first evaluation at or below it", () => {
  const half = T.history.filter((r) => r.sampler === "uniform" && r.step === tiny.steps / 2);
  const mean = half.reduce((s, r) => s + r.train_loss, 0) / half.length;
  const target = T.time_to_target[0].target_loss;
  assert.equal(target, Number(mean.toPrecision(3)));
  for (const r of T.time_to_target) {
    const rows = T.history.filter((h) => h.sampler === r.sampler && h.seed === r.seed);
    const hit = rows.findIndex((h) => h.train_loss <= target);
    assert.equal(r.iterations, hit < 0 ? null : rows[hit].step);
    if (hit >= 0) assert.equal(r.forward_equivalents, rows[hit].forward_equivalents);
  }
});

Deno.test("at every checkpoint, sampling by the exact gradient norm over all N has the least variance, and each run marks one own scheme", () => {
  const groups = Map.groupBy(T.variance, (r) => `${r.seed}|${r.run}|${r.step}`);
  assert.ok(groups.size > 0);
  for (const [key, rows] of groups) {
    assert.deepEqual(rows.map((r) => r.scheme), SCHEMES.map((s) => s.id), key);
    const best = rows.find((r) => r.scheme === "full-gradient-norm")!.trace_variance;
    for (const r of rows.filter((r) => !r.scheme.startsWith("presampled"))) {
      assert.ok(best <= r.trace_variance * (1 + 1e-12), `${key}: ${r.scheme}`);
    }
    const own = rows.filter((r) => r.own);
    assert.deepEqual(own.map((r) => r.scheme), [SAMPLERS[rows[0].run].scheme], key);
  }
});

Deno.test("the variance check's z is the standard score of the Monte Carlo value against the variance table's own row", () => {
  assert.equal(T.variance_check.length, 2 * tiny.seeds);
  for (const c of T.variance_check) {
    const row = T.variance.find((r) =>
      r.run === "uniform" && r.seed === c.seed && r.step === c.step && r.scheme === c.scheme
    )!;
    assert.equal(c.step, tiny.steps);
    assert.equal(c.conditional, row.trace_variance);
    assert.equal(c.conditional_se, row.standard_error);
    const se = Math.hypot(c.monte_carlo_se, c.conditional_se);
    assert.ok(Math.abs(c.z - (c.monte_carlo - c.conditional) / se) <= 1e-12 * Math.abs(c.z));
    // the two estimate the same Tr V: 30 draws agree within 4 combined standard errors
    assert.ok(Math.abs(c.z) < 4, `seed ${c.seed}, ${c.scheme}: z = ${c.z}`);
  }
});

Deno.test("the correlations at θ_0 are those of the upper bound and the loss with the exact gradient norms, recomputed", async () => {
  for (const seed of [options.seed, options.seed + 1]) {
    const { model, analysis } = await importanceSetup(seed, tiny);
    const loss = "softmaxCrossEntropy";
    const G = perSampleGradients(model, analysis, { loss });
    const norms = Float64Array.from({ length: G.rows }, (_, i) => {
      let s = 0;
      for (let k = 0; k < G.cols; k++) s += G.data[i * G.cols + k] ** 2;
      return Math.sqrt(s);
    });
    const values = {
      [SCORES.upperBound.key]: upperBoundScore.compute(model, analysis.x.toMatrix(), analysis.y, {
        loss,
      }),
      [SCORES.loss.key]: lossScore.compute(model, analysis.x.toMatrix(), analysis.y, { loss }),
    };
    const rows = T.correlation.filter((r) => r.seed === seed && r.step === 0);
    assert.deepEqual(rows.map((r) => r.score), [SCORES.upperBound.key, SCORES.loss.key]);
    for (const r of rows) {
      assert.equal(r.samples, tiny.analysisSize);
      const p = pearson(values[r.score], norms)!, s = spearman(values[r.score], norms)!;
      assert.ok(Math.abs(r.pearson! - p) < 1e-9, `seed ${seed} ${r.score}: ${r.pearson} vs ${p}`);
      assert.ok(Math.abs(r.spearman! - s) < 1e-9, `seed ${seed} ${r.score}: ${r.spearman} vs ${s}`);
      assert.ok(p < 1 - 1e-6, "a score is not proportional to the gradient norm");
    }
  }
});

Deno.test("priced seconds to target are the off and on steps at their interleaved step costs", () => {
  assert.equal(T.step_cost_interleaved_timing.length, tiny.seeds * 5);
  for (const r of T.modelled_time_to_target_timing) {
    if (r.iterations === null || r.importance_steps === null || r.seconds === null) continue;
    const it = r.iterations, on = r.importance_steps;
    const expected = ((it - on) * r.off_step_ms + on * r.on_step_ms) / 1000;
    assert.ok(Math.abs(r.seconds - expected) <= 1e-12 * expected);
  }
});

Deno.test("the headline chart renders with one panel per axis: iterations, forward-equivalents, seconds", async () => {
  const svg = await renderSvg(first.charts.training);
  for (const title of ["SGD iterations", "forward-equivalents", "training seconds"]) {
    assert.match(svg, new RegExp(title));
  }
  assert.ok(Object.keys(first.notes).includes("performance"));
  const headline = reproduction.headline!(first);
  assert.equal(headline.length, 3);
  assert.match(
    headline[0],
    /^iterations to loss [0-9.]+ ÷ uniform's: loss ×[0-9.]+, upper bound ×/,
  );
  assert.match(headline[1], /^variance reduction at step 40: presampled upper bound ×[0-9.]+/);
});

Deno.test("the dashed series of the variance charts have a legend with line samples", async () => {
  for (const name of ["variance_reduction", "variance_along_runs"]) {
    const spec = first.charts[name];
    assert.ok("encoding" in spec && spec.encoding, name);
    const legend = JSON.stringify(spec.encoding.strokeDash);
    assert.match(legend, /"symbolType":"stroke"/, name);
    assert.match(legend, /"stroke":\{"value":"#[0-9a-f]{3,6}"\}/, name);
    const svg = await renderSvg(spec);
    assert.match(svg, /measured/, name);
  }
});
