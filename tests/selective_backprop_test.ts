/**
 * Selective Backprop (lib/sampling/selective_backprop.ts and its exact bias,
 * lib/sampling/selective_backprop_bias.ts): biased towards high losses when β > 0, uniform when
 * β = 0; its loss history agrees with a naive list of the last R losses.
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import { identity, Matrix, Mlp, Random, softmaxCrossEntropy, squaredError } from "@lib/mod.ts";
import { perSampleGradients } from "@lib/convergence.ts";
import { lossScore } from "@lib/sampling/scores.ts";
import { uniformSampler } from "@lib/sampling/sampler.ts";
import { LossHistory, selectiveBackpropSampler } from "@lib/sampling/selective_backprop.ts";
import {
  selectionProbabilities,
  selectiveBackpropBias,
} from "@lib/sampling/selective_backprop_bias.ts";
import { chiSquare, toyClassification } from "./fixtures.ts";
import { classify } from "./fit_fixtures.ts";

Deno.test("Selective Backprop's expected step is measurably off the full gradient when losses differ, and exactly on it when β = 0", () => {
  const { data, model } = toyClassification(12, { seed: 21, inputs: 2, hidden: 3 });
  const G = perSampleGradients(model, data, { loss: softmaxCrossEntropy });
  const losses = lossScore.compute(model, data.x, data.y, { loss: softmaxCrossEntropy });
  assert.ok(Math.max(...losses) > 1.5 * Math.min(...losses), "the losses differ");
  const biases = [0, 1, 2, 3].map((beta) => selectiveBackpropBias(G, losses, { beta }).bias);
  assert.equal(biases[0], 0);
  for (const b of biases.slice(1)) assert.ok(b > 0.05, `bias ${b}`);
  const r = selectiveBackpropBias(G, losses, { beta: 2 });
  assert.ok(Math.abs(r.probabilities.reduce((s, v) => s + v, 0) - 1) < 1e-15);
  // q orders the samples as their losses do
  const order = [...losses.keys()].sort((a, b) => losses[a] - losses[b]);
  for (let k = 1; k < order.length; k++) {
    assert.ok(r.probabilities[order[k]] >= r.probabilities[order[k - 1]]);
  }
});

Deno.test("the selection law takes percentiles in the given history: a loss above all of it is kept with probability 1", () => {
  const q = selectionProbabilities([10, 0.5, 1.5], { beta: 1, history: [1, 2] });
  // P = 1, 0, ½: the loss below the whole history is never kept
  assert.deepEqual(Array.from(q), [2 / 3, 0, 1 / 3]);
  assert.throws(() => selectionProbabilities([0], { beta: 1, history: [1] }), /none can be kept/);
  assert.throws(() => selectionProbabilities([1], { beta: -1 }), /beta must be finite and >= 0/);
  assert.throws(
    () => selectiveBackpropBias([Float64Array.of(1)], [1, 2], { beta: 1 }),
    /1 gradients and 2 losses/,
  );
});

Deno.test("the loss history holds exactly the last R losses, sorted, and its percentile is the naive fraction at or below", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 60 }),
      (capacity, pushes) => {
        const history = new LossHistory(capacity), naive: number[] = [];
        for (const loss of pushes) {
          history.push(loss);
          naive.push(loss);
          if (naive.length > capacity) naive.shift();
          const sorted = [...naive].sort((a, b) => a - b);
          assert.deepEqual(Array.from(history.sorted.subarray(0, history.count)), sorted);
          for (let v = -1; v <= 7; v++) {
            assert.equal(history.percentile(v), naive.filter((h) => h <= v).length / naive.length);
          }
        }
      },
    ),
  );
});

Deno.test("with β = 0 the sampler keeps every candidate: the uniform sampler's draws, b candidates and 0 forward-equivalents beyond the step", () => {
  const model = Mlp.create([1, 1], { random: new Random(0) });
  const data = {
    name: "toy",
    x: Matrix.row([0, 1, 2, 3, 4]),
    y: Matrix.row([4, 0, 3, 1, 2]),
    labels: null,
  };
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 7 }), (seed, b) => {
      const context = { model, data, loss: squaredError, batchSize: b, step: 0 };
      const sampler = selectiveBackpropSampler({ beta: 0 });
      const r1 = new Random(seed), r2 = new Random(seed), uniform = uniformSampler();
      for (let t = 0; t < 3; t++) {
        const batch = sampler.sample({ ...context, random: r1, step: t });
        assert.deepEqual(
          Array.from(batch.indices),
          Array.from(uniform.sample({ ...context, random: r2, step: t }).indices),
        );
        // b candidates forwarded, less the b forwards the step skips with their pass
        assert.equal(batch.forwardEquivalents, 0);
        assert.equal(sampler.candidates, b * (t + 1));
      }
    }),
  );
});

Deno.test("with β = 1 the sampler keeps samples with the frequencies of the selection law q ∝ P(ℓ) (χ² test)", () => {
  // losses ½y² of y = 0..5 at a network that outputs 0: at a stationary history q ∝ rank, 1..6
  const model = new Mlp([Matrix.from([[0, 0]])], [identity]);
  const y = [3, 0, 5, 1, 4, 2];
  const data = { name: "toy", x: Matrix.zeros(1, 6), y: Matrix.row(y), labels: null };
  const sampler = selectiveBackpropSampler({ beta: 1, history: 256 });
  const random = new Random(3), counts = new Array(6).fill(0);
  let paid = 0;
  for (let t = 0; t < 300; t++) {
    const batch = sampler.sample({
      model,
      data,
      loss: squaredError,
      batchSize: 10,
      random,
      step: t,
    });
    batch.indices.forEach((i) => counts[i]++);
    paid += batch.forwardEquivalents;
  }
  const q = selectionProbabilities(y.map((v) => v * v / 2), { beta: 1 });
  // 20.5 is the 0.999 quantile of χ² with 5 degrees of freedom; the history's own noise (a
  // percentile among 256 recent losses, not among the 6) only adds O(1/R) to q
  const statistic = chiSquare(counts, Array.from(q, (v) => v * 3000));
  assert.ok(statistic < 20.5, `χ² = ${statistic}, counts ${counts}`);
  assert.ok(counts[2] > 2 * counts[1], "the highest loss is kept far more often than the lowest");
  // each batch reports its candidates forwarded (whole chunks of 10) less the b = 10 it reuses
  assert.equal(paid % 10, 0);
  assert.ok(paid + 3000 >= sampler.candidates && sampler.candidates >= 3000);
});

Deno.test("fit trains with Selective Backprop, paying 2b per step plus the candidates forwarded", async () => {
  const sampler = selectiveBackpropSampler({ beta: 1 });
  const history = await classify({ steps: 200, sampler });
  assert.ok(history.at(-1)!.train_loss < 0.5 * history[0].train_loss);
  assert.equal(sampler.reusedSteps, 200);
  const extra = history.at(-1)!.forward_equivalents - 2 * 8 * 200;
  assert.ok(extra >= sampler.candidates && extra % 8 === 0 && sampler.candidates >= 8 * 200);
});
