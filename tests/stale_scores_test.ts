/**
 * The stale-score sampler (lib/sampling/stale_scores.ts): unbiased whatever its scores, checked
 * exactly by enumerating every draw; weights bounded by 1/α; scores refreshed from the step's own
 * pass; staleness counted; full refreshes paid for.
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import { identity, Matrix, Mlp, Random, softmaxCrossEntropy, squaredError } from "@lib/mod.ts";
import type { Dataset } from "@lib/datasets.ts";
import { assertClose } from "@lib/assert_close.ts";
import { meanGradient, perSampleGradients } from "@lib/convergence.ts";
import type { Minibatch, StepFeedback } from "@lib/sampling/sampler.ts";
import { upperBoundScore } from "@lib/sampling/scores.ts";
import { staleScoreSampler } from "@lib/sampling/stale_scores.ts";
import { enumerateOutcomes } from "./exact_draws.ts";
import { gradientRows, toyClassification } from "./fixtures.ts";
import { classify } from "./fit_fixtures.ts";

/** The feedback of a training step on `batch` (δ_L scaled by w_j/b, as the step scales it). */
function feedbackFor(model: Mlp, data: Dataset, batch: Minibatch, step: number): StepFeedback {
  const x = data.x.gatherColumns(batch.indices), y = data.y.gatherColumns(batch.indices);
  const { pass } = model.lossAndGradient(x, y, {
    loss: softmaxCrossEntropy,
    weights: batch.weights,
  });
  const losses = softmaxCrossEntropy.values(pass.output, y);
  return {
    step,
    batch,
    losses,
    pass,
    gradientNorms: () => model.perSampleGradientNorms(pass, { weights: batch.weights }),
  };
}

Deno.test("with stale scores, E[(1/b) Σ w_j G_{I_j}] equals the full gradient to 1e-12 for b = 1 and b = 2 (every draw enumerated)", () => {
  const { data, model } = toyClassification(5, { seed: 21, inputs: 2, hidden: 3 });
  const base = { model, data, loss: softmaxCrossEntropy, step: 0 };
  const sampler = staleScoreSampler({ alpha: 0.3 });
  sampler.sample({ ...base, batchSize: 1, random: new Random(0) }); // scores at θ_A
  const first = Float64Array.from(sampler.scores!);
  for (const theta of model.thetas) theta.data.forEach((v, k) => theta.data[k] = v * 1.5 - 0.2);
  const fresh = upperBoundScore.compute(model, data.x, data.y, { loss: softmaxCrossEntropy });
  assert.ok(fresh.some((s, i) => Math.abs(s - first[i]) > 1e-2), "the scores are stale");
  const rows = gradientRows(perSampleGradients(model, data, { loss: softmaxCrossEntropy }));
  const full = meanGradient(rows), P = full.length;
  for (const b of [1, 2]) {
    const context = { ...base, batchSize: b, step: 3 };
    const p = sampler.distribution({ ...context, random: new Random(0) });
    const outcomes = enumerateOutcomes((random) => {
      const batch = sampler.sample({ ...context, random });
      return { indices: Array.from(batch.indices), weights: Array.from(batch.weights) };
    });
    // each draw: uniform (5 ways) or down the tree of 8 leaves (5 of positive score)
    assert.equal(outcomes.length, 10 ** b);
    const mean = new Float64Array(P);
    let total = 0;
    for (const { probability, value } of outcomes) {
      total += probability;
      value.indices.forEach((i, j) => {
        assertClose(value.weights[j], 1 / (5 * p[i]), { rtol: 1e-14, atol: 0 });
        for (let k = 0; k < P; k++) mean[k] += probability * value.weights[j] * rows[i][k] / b;
      });
    }
    assert.ok(Math.abs(total - 1) < 1e-14, `probabilities sum to ${total}`);
    assertClose(mean, full, { atol: 1e-12, rtol: 0, what: `b = ${b}` });
    assert.deepEqual(Array.from(sampler.scores!), Array.from(first), "sampling keeps the scores");
  }
});

Deno.test("every weight is 1/(N p_i) and at most 1/α, whatever the scores (zeros and wide ranges included)", () => {
  const model = new Mlp([Matrix.from([[1, 0]])], [identity]); // x_L = x = 0: s_i = |y_i|
  fc.assert(
    fc.property(
      fc.double({ min: 1e-6, max: 1, noNaN: true }),
      fc.array(fc.oneof(fc.constant(0), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.nat(),
      (alpha, y, seed) => {
        const n = y.length;
        const data = { name: "toy", x: Matrix.zeros(1, n), y: Matrix.row(y), labels: null };
        const sampler = staleScoreSampler({ alpha });
        const context = {
          model,
          data,
          loss: squaredError,
          batchSize: 64,
          random: new Random(seed),
          step: 0,
        };
        const p = sampler.distribution(context);
        const batch = sampler.sample(context);
        batch.indices.forEach((i, j) => {
          assert.ok(batch.weights[j] <= 1 / alpha, `w = ${batch.weights[j]} > 1/α = ${1 / alpha}`);
          assertClose(batch.weights[j], 1 / (n * p[i]), { rtol: 1e-12, atol: 0 });
        });
      },
    ),
  );
});

Deno.test("observe sets the drawn samples' scores to the upper bound at θ before the step, and their ages restart", () => {
  const { data, model } = toyClassification(12, { seed: 5, inputs: 2, hidden: 4 });
  const sampler = staleScoreSampler({ alpha: 0.5 });
  const context = {
    model,
    data,
    loss: softmaxCrossEntropy,
    batchSize: 4,
    random: new Random(3),
    step: 0,
  };
  sampler.sample(context);
  for (const theta of model.thetas) theta.data.forEach((v, k) => theta.data[k] = v + 0.3 * k % 1);
  const batch = sampler.sample({ ...context, step: 4 });
  assert.deepEqual(Array.from(sampler.ages), [4, 4, 4, 4]);
  assert.equal(sampler.populationMeanAge, 4);
  const drawn = Array.from(batch.indices);
  const bound = upperBoundScore.compute(model, data.x, data.y, { loss: softmaxCrossEntropy });
  sampler.observe(feedbackFor(model, data, batch, 5));
  const distinct = new Set(drawn);
  for (let i = 0; i < 12; i++) {
    if (distinct.has(i)) {
      assertClose(sampler.scores![i], bound[i], { rtol: 1e-13, atol: 0, what: `s_${i}` });
      assert.equal(sampler.refreshedAt[i], 4);
    } else assert.equal(sampler.refreshedAt[i], 0);
  }
  const next = sampler.sample({ ...context, step: 5 });
  next.indices.forEach((i, j) => assert.equal(sampler.ages[j], distinct.has(i) ? 1 : 5));
  assert.equal(sampler.populationMeanAge, 5 - 4 * distinct.size / 12);
  assert.equal(sampler.meanAge, sampler.ages.reduce((s, a) => s + a, 0) / 4);
});

Deno.test("the first scoring and every full refresh cost N forward-equivalents, other steps 0, and the batch arrays are reused", () => {
  const { data, model } = toyClassification(9, { seed: 2 });
  const sampler = staleScoreSampler({ refreshEvery: 3 });
  const random = new Random(1), base = { model, data, loss: softmaxCrossEntropy, batchSize: 2 };
  const costs = [0, 1, 2, 3, 4, 5, 6].map((step) =>
    sampler.sample({ ...base, random, step }).forwardEquivalents
  );
  assert.deepEqual(costs, [9, 0, 0, 9, 0, 0, 9]);
  assert.equal(sampler.fullScorings, 3);
  assert.equal(sampler.scoringCost, 27);
  const a = sampler.sample({ ...base, random, step: 7 }),
    b = sampler.sample({ ...base, random, step: 8 });
  assert.equal(a.indices, b.indices);
  assert.equal(a.weights, b.weights);
  const lazy = staleScoreSampler({ initialScore: Math.SQRT2 });
  assert.equal(lazy.sample({ ...base, random, step: 0 }).forwardEquivalents, 0);
  assert.deepEqual(Array.from(lazy.scores!), new Array(9).fill(Math.SQRT2));
});

Deno.test("the same seed draws the same bits, and reset forgets the scores", () => {
  const { data, model } = toyClassification(30, { seed: 8 });
  const draw = (sampler: ReturnType<typeof staleScoreSampler>) => {
    const random = new Random(11), out: number[] = [];
    for (let step = 0; step < 5; step++) {
      const batch = sampler.sample({
        model,
        data,
        loss: softmaxCrossEntropy,
        batchSize: 3,
        random,
        step,
      });
      out.push(...batch.indices, ...batch.weights);
    }
    return out;
  };
  const sampler = staleScoreSampler({ alpha: 0.2 });
  const once = draw(sampler);
  sampler.reset();
  assert.equal(sampler.scores, null);
  assert.deepEqual(draw(sampler), once);
  assert.deepEqual(draw(staleScoreSampler({ alpha: 0.2 })), once);
});

Deno.test("fit trains with the stale-score sampler: the loss falls, one scoring pass is paid, scores age", async () => {
  const sampler = staleScoreSampler({ alpha: 0.5 });
  const history = await classify({ steps: 200, sampler });
  assert.ok(history.at(-1)!.train_loss < 0.5 * history[0].train_loss);
  assert.equal(history.at(-1)!.forward_equivalents, 3 * 8 * 200 + 120);
  assert.equal(sampler.fullScorings, 1);
  assert.ok(sampler.populationMeanAge > 0 && sampler.meanAge > 0);
  assert.ok(sampler.refreshedAt.some((t) => t > 0), "training refreshed some scores");
});

Deno.test("the stale-score sampler refuses bad options and a batch it did not draw", () => {
  assert.throws(() => staleScoreSampler({ alpha: 1.5 }), /alpha must be in \(0, 1\], got 1.5/);
  assert.throws(
    () => staleScoreSampler({ refreshEvery: 0 }),
    /refreshEvery must be an integer >= 1/,
  );
  assert.throws(() => staleScoreSampler({ initialScore: -1 }), /initialScore must be finite/);
  const { data, model } = toyClassification(4, { seed: 1 });
  const other = { indices: Int32Array.of(0), weights: Float64Array.of(1), forwardEquivalents: 0 };
  assert.throws(
    () => staleScoreSampler().observe(feedbackFor(model, data, other, 1)),
    /cannot update the stale scores of 'stale scores \(α = 0.5\)': the step's batch is not the one it drew last/,
  );
});
