/**
 * The `importance` reproduction on a tiny profile: determinism of its deterministic tables, the
 * columns of time_to_target.csv, combine of the units equal to the whole run, and the accounting
 * and variance properties its tables must have whatever the numbers.
 */
import assert from "node:assert/strict";
import { formatCsv } from "@lib/io.ts";
import type { CsvRow } from "@lib/io.ts";
import { renderSvg } from "@lib/plot.ts";
import {
  combineImportance,
  type ImportanceProfile,
  importanceProfiles,
  importanceReproduction,
  importanceRun,
  type ImportanceSamplerId,
  importanceUnits,
} from "@lib/experiments/importance.ts";

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
  varianceCheckDraws: 3,
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
  const rows = first.tables.time_to_target;
  assert.equal(
    formatCsv(rows).split("\n")[0],
    "sampler,seed,target_loss,iterations,forward_equivalents,seconds",
  );
  assert.equal(rows.length, tiny.samplers.length * tiny.seeds);
  for (const r of rows) {
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
    const out = await importanceRun(u.params.sampler as ImportanceSamplerId, {
      seed: Number(u.params.seed),
      profile: tiny,
      scatter: u.params.scatter === true,
    });
    outputs.unshift(JSON.parse(JSON.stringify(out)));
  }
  const combined = combineImportance(outputs, { seed: options.seed, profile: tiny });
  const a = deterministic(combined.tables), b = deterministic(first.tables);
  for (const name of Object.keys(b)) assert.equal(formatCsv(a[name]), formatCsv(b[name]), name);
  assert.deepEqual(Object.keys(combined.charts), Object.keys(first.charts));
});

Deno.test("forward-equivalents are 3b per step plus B per presampled step (3B for the exact gradient norm)", () => {
  const b = tiny.batchSize, B = Math.round(tiny.presample * b);
  const scoring: Record<ImportanceSamplerId, number> = {
    "uniform": 0,
    "loss": B,
    "upper-bound": B,
    "gradient-norm": 3 * B,
    "switch": B,
    "switch-sqrt": B,
  };
  for (const r of first.tables.history) {
    const sampler = r.sampler as ImportanceSamplerId, step = r.step as number;
    const on = r.importance_steps as number;
    if (sampler === "uniform") assert.equal(on, 0);
    else if (!sampler.startsWith("switch")) assert.equal(on, step);
    else assert.ok(on >= 0 && on <= step);
    assert.equal(r.forward_equivalents, 3 * b * step + scoring[sampler] * on);
  }
});

Deno.test("the target is uniform's mean loss at T/2 and each run's iterations are its first evaluation at or below it", () => {
  const { history, time_to_target: reach } = first.tables;
  const half = history.filter((r) => r.sampler === "uniform" && r.step === tiny.steps / 2);
  const mean = half.reduce((s, r) => s + (r.train_loss as number), 0) / half.length;
  const target = reach[0].target_loss as number;
  assert.equal(target, Number(mean.toPrecision(3)));
  for (const r of reach) {
    const rows = history.filter((h) => h.sampler === r.sampler && h.seed === r.seed);
    const hit = rows.findIndex((h) => (h.train_loss as number) <= target);
    assert.equal(r.iterations, hit < 0 ? null : rows[hit].step);
    if (hit >= 0) assert.equal(r.forward_equivalents, rows[hit].forward_equivalents);
  }
});

Deno.test("at every checkpoint, sampling by the exact gradient norm over all N has the least variance, and each run marks one own scheme", () => {
  const variance = first.tables.variance;
  const groups = new Map<string, CsvRow[]>();
  for (const r of variance) {
    const key = `${r.seed}|${r.run}|${r.step}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  assert.ok(groups.size > 0);
  for (const [key, rows] of groups) {
    const best = rows.find((r) => r.scheme === "full-gradient-norm")!.trace_variance as number;
    for (const r of rows.filter((r) => !String(r.scheme).startsWith("presampled"))) {
      assert.ok(best <= (r.trace_variance as number) * (1 + 1e-12), `${key}: ${r.scheme}`);
    }
    assert.equal(rows.filter((r) => r.own).length, 1, key);
  }
  // the variance check compares like with like: |z| is a standard score
  assert.ok(first.tables.variance_check.every((r) => Number.isFinite(r.z as number)));
});

Deno.test("priced seconds to target are the off and on steps at their interleaved step costs", () => {
  const { modelled_time_to_target_timing: rows, step_cost_interleaved_timing: costs } =
    first.tables;
  assert.equal(costs.length, tiny.seeds * 5);
  for (const r of rows) {
    if (r.iterations === null) continue;
    const it = r.iterations as number, on = r.importance_steps as number;
    const expected = ((it - on) * (r.off_step_ms as number) + on * (r.on_step_ms as number)) /
      1000;
    assert.ok(Math.abs((r.seconds as number) - expected) <= 1e-12 * expected);
  }
});

Deno.test("the headline chart renders with one panel per axis: iterations, forward-equivalents, seconds", async () => {
  const svg = await renderSvg(first.charts.training);
  for (const title of ["SGD iterations", "forward-equivalents", "training seconds"]) {
    assert.match(svg, new RegExp(title));
  }
  assert.ok(Object.keys(first.notes).includes("performance"));
});
