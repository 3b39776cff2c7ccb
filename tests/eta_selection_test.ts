/**
 * The fair protocol's η selection (lib/experiments/importance/eta_selection.ts) as a pure function
 * of the tuning table: lowest mean final loss, ties to the smaller η, diverged runs lose, edges
 * flagged; the doubling grid and the step-decay schedule.
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import {
  etaGrid,
  selectEta,
  stepDecay,
  type TuningRow,
  widenedGrid,
} from "@lib/experiments/importance/eta_selection.ts";
import { learningRateAt } from "@lib/sgd.ts";

const row = (eta: number, seed: number, train_loss: number, sampler = "uniform"): TuningRow => ({
  sampler,
  schedule: "constant",
  eta,
  seed,
  train_loss,
});

Deno.test("η selection picks the lowest mean final loss over the tuning seeds, per sampler and schedule, in order of appearance", () => {
  const choices = selectEta([
    row(0.1, 1, 0.4),
    row(0.1, 2, 0.2), // mean 0.3
    row(0.2, 1, 0.1),
    row(0.2, 2, 0.3), // mean 0.2: best
    row(0.4, 1, 0.25),
    row(0.4, 2, 0.25),
    row(0.4, 1, 0.5, "stale"),
    { ...row(0.4, 1, 0.05, "stale"), schedule: "step decay" },
  ]);
  assert.deepEqual(choices.map((c) => [c.sampler, c.schedule, c.eta, c.edge]), [
    ["uniform", "constant", 0.2, null],
    ["stale", "constant", 0.4, "only"],
    ["stale", "step decay", 0.4, "only"],
  ]);
  assert.deepEqual(choices[0].seeds, [1, 2]);
  assert.ok(Math.abs(choices[0].meanLoss - 0.2) < 1e-16);
});

Deno.test("η selection breaks ties towards the smaller η and flags a best η at either edge of the grid", () => {
  const tie = selectEta([row(0.1, 1, 0.5), row(0.2, 1, 0.3), row(0.4, 1, 0.3), row(0.8, 1, 0.6)]);
  assert.equal(tie[0].eta, 0.2);
  assert.equal(tie[0].edge, null);
  const upper = selectEta([row(0.1, 1, 0.5), row(0.2, 1, 0.3), row(0.4, 1, 0.1)]);
  assert.deepEqual([upper[0].eta, upper[0].edge], [0.4, "upper"]);
  assert.deepEqual(widenedGrid(upper[0]), [0.1, 0.2, 0.4, 0.8]);
  const lower = selectEta([row(0.1, 1, 0.05), row(0.2, 1, 0.3)]);
  assert.deepEqual([lower[0].eta, lower[0].edge], [0.1, "lower"]);
  const allTied = selectEta([row(0.1, 1, 0.3), row(0.2, 1, 0.3)]);
  assert.deepEqual([allTied[0].eta, allTied[0].edge], [0.1, "lower"]);
});

Deno.test("η selection counts a diverged run (NaN or ±∞) as +∞: an η with one diverged seed loses, and all diverged flags the lower edge", () => {
  const choice = selectEta([
    row(0.2, 1, 0.3),
    row(0.2, 2, 0.3),
    row(0.4, 1, 1e-3),
    row(0.4, 2, NaN),
    row(0.8, 1, -Infinity),
    row(0.8, 2, 1e-4),
  ])[0];
  assert.equal(choice.eta, 0.2);
  assert.deepEqual(choice.means.map((m) => [m.meanLoss, m.diverged]), [[0.3, 0], [Infinity, 1], [
    Infinity,
    1,
  ]]);
  const none = selectEta([row(0.2, 1, Infinity), row(0.4, 1, NaN)])[0];
  assert.deepEqual([none.eta, none.meanLoss, none.edge], [0.2, Infinity, "lower"]);
});

Deno.test("η selection is a pure function of the table: any order of its rows gives the same choices, bit for bit", () => {
  const table: TuningRow[] = [];
  for (const sampler of ["uniform", "stale"]) {
    for (const eta of etaGrid({ from: 0.05, to: 0.8 })) {
      for (const seed of [3, 1, 2]) {
        table.push(
          row(eta, seed, Math.abs(Math.log(eta / 0.3)) + 0.1 * seed + sampler.length, sampler),
        );
      }
    }
  }
  const expected = selectEta(table);
  fc.assert(
    fc.property(fc.shuffledSubarray(table, { minLength: table.length }), (shuffled) => {
      const got = selectEta(shuffled);
      // groups come in order of first appearance; compare them by name
      const byName = (cs: typeof got) => Object.fromEntries(cs.map((c) => [c.sampler, c]));
      assert.deepEqual(byName(got), byName(expected));
    }),
  );
});

Deno.test("η selection refuses bad η, repeated seeds and η tuned on different seeds", () => {
  assert.throws(
    () => selectEta([row(0, 1, 1)]),
    /cannot select η: 'uniform' \(constant\) has η = 0/,
  );
  assert.throws(() => selectEta([row(0.1, 1, 1), row(0.1, 1, 2)]), /has seed 1 twice/);
  assert.throws(
    () => selectEta([row(0.1, 1, 1), row(0.2, 2, 1)]),
    /ran seeds 2 at η = 0.2 but 1 at η = 0.1; tune every η on the same seeds/,
  );
});

Deno.test("the doubling grid runs 0.0125 to 1.6 by exact doublings", () => {
  const grid = etaGrid();
  assert.equal(grid.length, 8);
  grid.forEach((eta, k) => assert.equal(eta, 0.0125 * 2 ** k));
  assert.equal(grid.at(-1), 1.6);
  assert.throws(() => etaGrid({ from: 1, to: 0.5 }), /need finite 0 < from <= to/);
});

Deno.test("the step decay multiplies η by 0.2 at 50 % and 80 % of the budget and is a valid learning rate", () => {
  const steps = 2000, rate = stepDecay(0.4, { steps });
  assert.equal(rate(0), 0.4);
  assert.equal(rate(999), 0.4);
  assert.equal(rate(1000), 0.4 * 0.2);
  assert.equal(rate(1599), 0.4 * 0.2);
  assert.equal(rate(1600), 0.4 * 0.2 * 0.2);
  assert.equal(learningRateAt(rate, 1999), 0.4 * 0.2 * 0.2);
  const custom = stepDecay(1, { steps: 10, factor: 0.5, at: [0.3] });
  assert.deepEqual([2, 3, 9].map(custom), [1, 0.5, 0.5]);
  assert.throws(() => stepDecay(1, { steps: 10, at: [0.8, 0.5] }), /milestones must be ascending/);
  assert.throws(() => stepDecay(1, { steps: 0 }), /steps must be an integer >= 1/);
});
