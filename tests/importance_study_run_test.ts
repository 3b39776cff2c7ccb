/**
 * One unit of the fair study (lib/experiments/importance/study/run.ts): determinism, the seeds,
 * the η tuning (widening, divergence), the equal budget, and the diagnostics, on a tiny profile
 * (300 MNIST digits, 784-8-10, b = 16, 2 epochs).
 *
 * @module
 */
import assert from "node:assert/strict";
import { TINY_STUDY } from "./study_fixtures.ts";
import { perSampleGradients } from "@lib/convergence.ts";
import { Mlp, oneHot, Random } from "@lib/mod.ts";
import { selectiveBackpropBias } from "@lib/sampling/selective_backprop_bias.ts";
import { selectiveBackpropDiagnostics } from "@lib/experiments/importance/study/diagnostics.ts";
import {
  checkStudyProfile,
  type StudyProfile,
  studyProfiles,
} from "@lib/experiments/importance/study/profile.ts";
import type { StudyCell, StudyUnitTables } from "@lib/experiments/importance/study/rows.ts";
import { decodeStudyUnits } from "@lib/experiments/importance/study/rows.ts";
import {
  runStudyUnit,
  studyRunPlan,
  studyRunTables,
} from "@lib/experiments/importance/study/run.ts";
import { decodeStudyUnit, studyUnits } from "@lib/experiments/importance/study/units.ts";

const TINY: StudyProfile = TINY_STUDY;

const cellOf = (sampler: StudyCell["sampler"], presample: number | null = null): StudyCell => ({
  dataset: "mnist",
  batch_size: 16,
  presample,
  sampler,
  schedule: "constant",
});

/** The deterministic tables (all but the timing's seconds). */
const deterministic = (t: StudyUnitTables) => ({
  ...t,
  study_curves_timing: t.study_curves_timing.map((r) => ({ ...r, seconds: 0 })),
});

const runs = new Map<string, Promise<StudyUnitTables>>();
const run = (cell: StudyCell, profile = TINY) => {
  const key = JSON.stringify([cell, profile]);
  if (!runs.has(key)) runs.set(key, studyRunTables(cell, { seed: 1, profile }));
  return runs.get(key)!;
};

Deno.test("a study unit is deterministic: the same cell and seed give the same rows", async () => {
  for (const cell of [cellOf("upper-bound", 3), cellOf("stale-scores")]) {
    const a = await run(cell);
    const b = await studyRunTables(cell, { seed: 1, profile: TINY });
    assert.deepEqual(deterministic(b), deterministic(a));
    assert.ok(a.study_curves.length > 0 && a.study_eta_grid.length === 2);
  }
});

Deno.test("tuning seeds are never evaluation seeds: η is tuned on seed + 1000, evaluated on seeds 1 and 2", async () => {
  const t = await run(cellOf("uniform"));
  const tuning = new Set(t.study_eta_grid.map((r) => r.seed));
  const evaluation = new Set(t.study_curves.map((r) => r.seed));
  assert.deepEqual([...tuning], [1001]);
  assert.deepEqual([...evaluation], [1, 2]);
  assert.throws(() => checkStudyProfile({ ...TINY, tuningSeedOffsets: [1] }), /tuningSeedOffsets/);
});

Deno.test("the chosen η is the grid's η of lowest loss at the budget, and the curves run at it", async () => {
  const t = await run(cellOf("uniform"));
  const best = t.study_eta_grid.reduce((a, b) => (b.train_loss < a.train_loss ? b : a));
  assert.ok(t.study_curves.every((r) => r.eta === best.eta));
});

Deno.test("η widens at an edge of the grid: a grid of tiny η gains a doubling per round, up to maxWiden", async () => {
  // at η this small the loss at the budget falls with η, so the best sits at the upper edge
  const profile = { ...TINY, etaGrid: [0.001, 0.002], maxWiden: 2, evaluationSeeds: 1 };
  const t = await run(cellOf("uniform"), profile);
  const byRound = t.study_eta_grid.map((r) => [r.round, r.eta]);
  assert.deepEqual(byRound, [[0, 0.001], [0, 0.002], [1, 0.004], [2, 0.008]]);
  assert.ok(t.study_curves.every((r) => r.eta === 0.008));
});

Deno.test("a diverged tuning run counts as +∞ and loses", async () => {
  const profile = { ...TINY, etaGrid: [0.1, 1e300], evaluationSeeds: 1 };
  for (const cell of [cellOf("uniform"), cellOf("upper-bound", 3)]) {
    const t = await run(cell, profile);
    const wild = t.study_eta_grid.find((r) => r.eta === 1e300)!;
    assert.deepEqual([wild.diverged, wild.train_loss, wild.test_error], [true, Infinity, null]);
    assert.ok(t.study_curves.every((r) => r.eta === 0.1));
  }
});

Deno.test("every evaluation run is judged at the same forward-equivalent budget 3·N·epochs, and runs on to overrun × budget", async () => {
  const budget = 3 * TINY.trainSize * TINY.epochs, limit = TINY.overrun * budget;
  const cells: StudyCell[] = [
    cellOf("uniform"),
    cellOf("upper-bound", 3),
    cellOf("stale-scores"),
    cellOf("selective-backprop", 3),
    cellOf("isgd"),
    { ...cellOf("uniform"), schedule: "step-decay" } as const,
  ];
  for (const cell of cells) {
    const t = await run(cell);
    assert.ok(t.study_curves.every((r) => r.budget_forward_equivalents === budget));
    for (const seed of [1, 2]) {
      const rows = t.study_curves.filter((r) => r.seed === seed);
      assert.equal(rows[0].forward_equivalents, 0);
      // stops at its first evaluation at or past the limit
      assert.ok(rows.at(-1)!.forward_equivalents >= limit, `${cell.sampler} reaches the limit`);
      assert.ok(rows.at(-2)!.forward_equivalents < limit, `${cell.sampler} stops there`);
      // an evaluation lies at or below the budget within one evaluation period of it
      const plan = studyRunPlan(cell, TINY);
      const below = rows.filter((r) => r.forward_equivalents <= budget).at(-1)!;
      assert.ok(budget - below.forward_equivalents < 2 * plan.every * plan.nominal);
    }
  }
});

Deno.test("the stale-score sampler reports its scores' age and their variance against fresh scores and uniform", async () => {
  const t = await run(cellOf("stale-scores"));
  const d = t.study_diagnostics;
  assert.ok(d.every((r) => r.seed === 1)); // the first evaluation seed only
  const steps = [...new Set(d.map((r) => r.step))];
  assert.equal(steps.length, 2);
  const at = (q: string) => d.filter((r) => r.quantity === q).map((r) => r.value);
  assert.ok(at("mean age").every((a) => a > 0));
  // weights ≤ 1/α = 2 keep the stale variance finite: Tr V ≤ 2·Tr V uniform + ‖∇L‖²/b
  for (const q of ["Tr V stale / Tr V fresh", "Tr V stale / Tr V uniform"]) {
    assert.ok(at(q).every((v) => v > 0 && v < Infinity), q);
  }
});

Deno.test("selective backprop's bias from two weighted passes equals selectiveBackpropBias over the per-sample gradients", () => {
  const random = new Random(5);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
  const data = { name: "toy", x: random.normalMatrix(4, 40), y: oneHot(labels, 3), labels };
  const model = Mlp.create([4, 6, 3], { random, activation: "relu" });
  const G = perSampleGradients(model, data, { loss: "softmaxCrossEntropy" });
  const losses = Float64Array.from({ length: 40 }, (_, i) => {
    const x = data.x.gatherColumns([i]), y = data.y.gatherColumns([i]);
    return model.lossAndGradient(x, y, { loss: "softmaxCrossEntropy" }).loss;
  });
  const exact = selectiveBackpropBias(G, losses, { beta: 2 }).bias;
  const fast = selectiveBackpropDiagnostics(model, data, { beta: 2, chunk: 7 })[0].value;
  assert.ok(Math.abs(fast - exact) <= 1e-10 * exact, `${fast} vs ${exact}`);
});

Deno.test("selective backprop's unit reports its bias at its checkpoints, above 0", async () => {
  const t = await run(cellOf("selective-backprop", 3));
  const bias = t.study_diagnostics.filter((r) => r.quantity === "relative bias");
  assert.equal(bias.length, 2);
  assert.ok(bias.every((r) => r.value > 0 && r.value < Infinity));
});

Deno.test("the full profile's units decode back to their cells, and a wrong parameter names the unit", () => {
  const units = studyUnits({ seed: 1, profile: studyProfiles.full });
  assert.equal(new Set(units.map((u) => u.id)).size, units.length);
  for (const u of units) {
    const { cell } = decodeStudyUnit(u);
    assert.deepEqual({
      study: true,
      ...cell,
      ...(u.params.source ? { source: u.params.source } : {}),
    }, u.params);
    assert.match(u.id, /^[a-z0-9-]+$/);
  }
  const bad = { ...units[0], params: { ...units[0].params, sampler: "nope" } };
  assert.throws(() => decodeStudyUnit(bad), new RegExp(`${units[0].id}: expected sampler`));
});

Deno.test("a unit's stored output decodes to its typed rows", async () => {
  const [unit] = studyUnits({ seed: 1, profile: TINY });
  const out = await runStudyUnit(unit, { seed: 1, profile: TINY });
  const t = decodeStudyUnits([out]);
  assert.deepEqual(deterministic(t), deterministic(await run(cellOf("uniform"))));
});

Deno.test("a tuning run is judged where an evaluation run of the same seed and η reads the budget: its last evaluation within it", async () => {
  const profile = { ...TINY, etaGrid: [0.2], evaluationSeeds: 1 };
  for (const cell of [cellOf("uniform"), cellOf("stale-scores"), cellOf("selective-backprop", 3)]) {
    const tuned = (await run(cell, profile)).study_eta_grid[0]; // seed 1001
    const evaluated = await studyRunTables(cell, { seed: 1001, profile });
    const within = evaluated.study_curves.filter((r) =>
      r.forward_equivalents <= r.budget_forward_equivalents
    );
    assert.equal(tuned.seed, 1001);
    assert.equal(tuned.train_loss, within.at(-1)!.train_loss, cell.sampler);
    assert.equal(tuned.test_error, within.at(-1)!.test_error, cell.sampler);
  }
});
