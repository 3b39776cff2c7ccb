/**
 * The fair study's combine step on synthetic units whose answers are known by construction:
 * uniform's training loss is c_s·e^(−t/40) on evaluation seed s (c_s = 1 + s/10), evaluated every
 * 10 steps at 1/64 s per step; a "half-steps" sampler follows uniform's curve at twice the speed in
 * steps, c_s·e^(−2t/40), evaluated every 5 steps at the same 1/64 s per step and 40
 * forward-equivalents per step (uniform: 3b = 24). So it reaches every target at exactly half
 * uniform's steps and seconds (the evaluation grids are aligned: its grid is uniform's halved),
 * and the time ratio is 0.5 exactly (every number here is a binary fraction).
 */
import assert from "node:assert/strict";
import { formatCsv, parseCsv } from "@lib/io.ts";
import { renderSvg } from "@lib/plot.ts";
import {
  combineStudy,
  combineStudyTables,
  decodeStudyTables,
  encodeStudyTables,
  studyHeadline,
} from "@lib/experiments/importance/study/combine.ts";
import type {
  EtaTrialRow,
  StudyCell,
  StudyCurveRow,
  StudyCurveTimingRow,
  StudyUnitTables,
} from "@lib/experiments/importance/study/rows.ts";

const SEEDS = [1, 2, 3, 4, 5], TUNING = [101, 102], BUDGET = 2400, b = 8;
const uniformCell: StudyCell = {
  dataset: "mnist",
  batch_size: b,
  presample: null,
  sampler: "uniform",
  schedule: "constant",
};
const fastCell: StudyCell = { ...uniformCell, sampler: "upper-bound", presample: 3 };

interface RunSpec {
  cell: StudyCell;
  eta: number;
  every: number;
  steps: number;
  fePerStep: number;
  /** Seconds per step on a seed. */
  secondsPerStep: (seed: number) => number;
  loss: (step: number, seed: number) => number;
}

const c = (seed: number) => 1 + seed / 10;
const uniformSpec: RunSpec = {
  cell: uniformCell,
  eta: 0.2,
  every: 10,
  steps: 150,
  fePerStep: 3 * b,
  secondsPerStep: () => 1 / 64,
  loss: (t, s) => c(s) * Math.exp(-t / 40),
};
const halfSteps: RunSpec = {
  cell: fastCell,
  eta: 0.4,
  every: 5,
  steps: 150,
  fePerStep: 40,
  secondsPerStep: () => 1 / 64,
  loss: (t, s) => c(s) * Math.exp(-2 * t / 40),
};

/** The tuning table of a cell: η 0.1, 0.2, 0.4, 0.8, its own η best. */
function tuning(spec: RunSpec): EtaTrialRow[] {
  return [0.1, 0.2, 0.4, 0.8].flatMap((eta) =>
    TUNING.map((seed) => ({
      ...spec.cell,
      eta,
      seed,
      train_loss: eta === spec.eta ? 0.1 : 0.3,
      test_error: 0.05,
      diverged: false,
      round: 0,
    }))
  );
}

function curves(spec: RunSpec): { curves: StudyCurveRow[]; timing: StudyCurveTimingRow[] } {
  const out: StudyCurveRow[] = [], timing: StudyCurveTimingRow[] = [];
  for (const seed of SEEDS) {
    for (let step = 0; step <= spec.steps; step += spec.every) {
      out.push({
        ...spec.cell,
        eta: spec.eta,
        seed,
        step,
        forward_equivalents: spec.fePerStep * step,
        budget_forward_equivalents: BUDGET,
        train_loss: spec.loss(step, seed),
        test_error: Number.isFinite(spec.loss(step, seed)) ? 0.1 : null,
      });
      timing.push({ ...spec.cell, seed, step, seconds: step * spec.secondsPerStep(seed) });
    }
  }
  return { curves: out, timing };
}

function units(...specs: RunSpec[]): StudyUnitTables {
  const runs = specs.map(curves);
  return {
    study_eta_grid: specs.flatMap(tuning),
    study_curves: runs.flatMap((r) => r.curves),
    study_curves_timing: runs.flatMap((r) => r.timing),
    study_diagnostics: [{ ...fastCell, seed: 1, step: 50, quantity: "mean age", value: 3 }],
  };
}

const options = { seed: 7, resamples: 500 };

Deno.test("a sampler on uniform's curve at half the steps and the same cost per step takes exactly half uniform's time to every target", () => {
  const t = combineStudyTables(units(uniformSpec, halfSteps), options);
  assert.deepEqual(t.verdict.map((v) => v.regime), [
    "mnist b=8 k=3 constant early",
    "mnist b=8 k=3 constant late",
  ]);
  for (const v of t.verdict) {
    assert.deepEqual([v.time_ratio, v.time_ratio_low, v.time_ratio_high, v.seeds], [
      0.5,
      0.5,
      0.5,
      5,
    ]);
    assert.ok(Math.abs(v.fe_ratio! - 0.5 * 40 / 24) < 1e-15); // half the steps at 40/24 the price
  }
  for (const f of t.verdict_factors_timing) {
    assert.deepEqual([f.iteration_ratio, f.step_cost_ratio, f.time_ratio], [0.5, 1, 0.5]);
    assert.ok(Math.abs(f.fe_step_ratio! - 40 / 24) < 1e-15);
  }
  const notes = combineStudy(units(uniformSpec, halfSteps), options).notes;
  assert.match(notes.study_verdict, /The goal is met: 1 regime reaches/);
  assert.match(notes.study_verdict, /×0\.500 tuned uniform's time \[0\.500, 0\.500\] over 5 seeds/);
});

Deno.test("the late target is tuned uniform's mean loss at the budget, and uniform's own seeds reach it at the budget or after it", () => {
  const t = combineStudyTables(units(uniformSpec, halfSteps), options);
  const late = t.study_targets.find((r) => r.level === "late")!;
  const expected = SEEDS.reduce((s, seed) => s + uniformSpec.loss(100, seed), 0) / SEEDS.length;
  assert.ok(Math.abs(late.target_loss - expected) < 1e-15);
  assert.deepEqual(t.study_targets.map((r) => r.fraction), [0.125, 0.25, 0.5, 1]);
  const uniformSteps = t.study_steps_to_target
    .filter((r) => r.sampler === "uniform" && r.level === "late").map((r) => r.steps);
  assert.ok(uniformSteps.includes(100) && uniformSteps.some((s) => s > 100));
});

Deno.test("at equal wall-clock time the half-steps sampler's loss is uniform's at twice the steps", () => {
  const t = combineStudyTables(units(uniformSpec, halfSteps), options);
  for (const r of t.equal_time_loss_timing) {
    assert.equal(r.seconds_budget, 100 / 64); // uniform's mean seconds to 100 steps
    assert.ok(Math.abs(r.log10_ratio_time - -100 / 40 / Math.LN10) < 1e-12); // e^(−200/40)/e^(−100/40)
    assert.ok(Math.abs(r.log10_ratio_fe - -20 / 40 / Math.LN10) < 1e-12); // step 60 against 100
  }
  const [summary] = t.equal_time_loss_summary_timing;
  assert.ok(Math.abs(summary.loss_ratio_time! - Math.exp(-2.5)) < 1e-12);
  const late = t.budget.filter((r) => r.sampler === "upper-bound" && r.seed === 1).at(-1)!;
  assert.deepEqual([late.budget_kind, late.budget], ["seconds", 100 / 64]);
  assert.equal(late.train_loss, halfSteps.loss(100, 1));
});

Deno.test("a seed that diverges makes the time ratio +∞ with an interval unbounded above, so the goal is not met", () => {
  const diverging: RunSpec = {
    ...halfSteps,
    loss: (t, s) => s === 3 && t > 20 ? Infinity : halfSteps.loss(t, s),
  };
  const out = combineStudy(units(uniformSpec, diverging), options);
  const t = combineStudyTables(units(uniformSpec, diverging), options);
  const late = t.verdict.find((v) => v.regime.endsWith("late"))!;
  assert.equal(late.time_ratio, Infinity);
  assert.equal(late.time_ratio_high, Infinity);
  assert.equal(late.time_ratio_low, 0.5); // the resamples without seed 3
  assert.equal(late.seeds, 5);
  const factors = t.verdict_factors_timing.find((f) => f.level === "late")!;
  assert.deepEqual([factors.reached, factors.iteration_ratio, factors.step_cost_ratio], [
    4,
    Infinity,
    1,
  ]);
  assert.equal(
    t.equal_time_loss_timing.find((r) => r.seed === 3)!.log10_ratio_time,
    Infinity,
  );
  assert.match(out.notes.study_verdict, /No sampler reaches the late target/);
  const [csv] = parseCsv(formatCsv(out.tables.verdict.filter((r) => r.regime === late.regime)));
  assert.equal(csv.time_ratio, Infinity); // written "Infinity", read back as +∞
});

Deno.test("an evaluation at another η than the tuning table chooses is an error naming the cell", () => {
  const u = units(uniformSpec, halfSteps);
  const retuned = u.study_eta_grid.map((r) =>
    r.sampler === "upper-bound" ? { ...r, train_loss: r.eta === 0.8 ? 0.01 : 0.3 } : r
  );
  assert.throws(
    () => combineStudyTables({ ...u, study_eta_grid: retuned }, options),
    /mnist b=8 k=3 constant upper-bound ran η = 0.4 but its tuning table chooses η = 0.8/,
  );
});

Deno.test("eta_grid marks the chosen η and flags a choice at the grid's edge", () => {
  const edge: RunSpec = { ...halfSteps, eta: 0.8 };
  const t = combineStudyTables(units(uniformSpec, edge), options);
  const rows = t.eta_grid.filter((r) => r.sampler === "upper-bound");
  assert.deepEqual(rows.map((r) => [r.eta, r.chosen, r.edge]), [
    [0.1, false, "upper"],
    [0.2, false, "upper"],
    [0.4, false, "upper"],
    [0.8, true, "upper"],
  ]);
  assert.equal(rows[0].tuning_seeds, "101 102");
  assert.equal(t.eta_grid.filter((r) => r.sampler === "uniform" && r.chosen)[0].edge, null);
});

Deno.test("the bootstrap intervals are the same bits for the same seed and depend on it", () => {
  const noisy: RunSpec = { ...halfSteps, secondsPerStep: (s) => (1 + (s % 3) / 4) / 64 };
  const u = units(uniformSpec, noisy);
  const intervals = (seed: number) =>
    combineStudyTables(u, { seed, resamples: 200 }).verdict.map((v) => [
      v.time_ratio_low,
      v.time_ratio_high,
    ]);
  assert.deepEqual(intervals(7), intervals(7));
  const seen = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => JSON.stringify(intervals(s))));
  assert.ok(seen.size > 1, "eight seeds gave one interval: the seed is not used");
  const late = combineStudyTables(u, options).verdict.find((v) => v.regime.endsWith("late"))!;
  assert.ok(late.time_ratio_low! <= late.time_ratio! && late.time_ratio! <= late.time_ratio_high!);
});

Deno.test("the output's tables round-trip through CSV text, and the issue's columns are exact", () => {
  const out = combineStudy(units(uniformSpec, halfSteps), options);
  const text = Object.fromEntries(
    Object.entries(out.tables).map(([name, rows]) => [name, parseCsv(formatCsv(rows))]),
  );
  assert.deepEqual(decodeStudyTables(text), decodeStudyTables(out.tables));
  assert.deepEqual(encodeStudyTables(decodeStudyTables(text)), out.tables);
  assert.deepEqual(Object.keys(out.tables.verdict[0]), [
    "sampler",
    "regime",
    "time_ratio",
    "time_ratio_low",
    "time_ratio_high",
    "fe_ratio",
    "seeds",
  ]);
  assert.deepEqual(Object.keys(out.tables.budget[0]), [
    "dataset",
    "batch_size",
    "presample",
    "sampler",
    "seed",
    "eta",
    "schedule",
    "budget_kind",
    "budget",
    "train_loss",
    "test_error",
  ]);
  assert.equal(out.tables.study_diagnostics.length, 1);
  for (const name of [...Object.keys(out.tables), ...Object.keys(out.charts)]) {
    assert.ok(out.notes[name], `no note for ${name}`);
  }
  assert.match(out.notes.verdict, /500 resamples/); // as combine ran the bootstrap
  const lines = studyHeadline(out);
  assert.ok(lines.length >= 2 && lines.length <= 3);
  assert.match(lines[0], /×0\.500 .*mnist b=8 k=3 constant late, 5 seeds/);
});

Deno.test("both charts render to SVG", async () => {
  const out = combineStudy(units(uniformSpec, halfSteps), options);
  for (const [name, spec] of Object.entries(out.charts)) {
    const svg = await renderSvg(spec);
    assert.match(svg, /<svg/, name);
  }
});

Deno.test("a seed on which tuned uniform never reaches the target is left out of the pairing", () => {
  const floor = (loss: RunSpec["loss"]): RunSpec["loss"] => (t, s) =>
    s === 5 ? Math.max(0.5, loss(t, s)) : loss(t, s);
  const u = units(
    { ...uniformSpec, loss: floor(uniformSpec.loss) },
    { ...halfSteps, loss: floor(halfSteps.loss) },
  );
  const t = combineStudyTables(u, options);
  const late = t.verdict.find((v) => v.regime.endsWith("late"))!;
  assert.deepEqual([late.time_ratio, late.seeds], [0.5, 4]);
  const unreached = t.study_steps_to_target.filter((r) => r.level === "late" && !r.reached);
  assert.deepEqual(unreached.map((r) => [r.sampler, r.seed, r.steps]), [
    ["uniform", 5, Infinity],
    ["upper-bound", 5, Infinity],
  ]);
});
