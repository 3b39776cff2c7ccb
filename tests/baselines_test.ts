import assert from "node:assert/strict";
import { identity, Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { fit } from "@lib/train.ts";
import { lossProportionalSampler, onlineBatchSelectionSampler } from "@lib/sampling/baselines.ts";
import { lossScore } from "@lib/sampling/scores.ts";

/** x_L = x with x = 0: sample i has loss ½ y_i². */
function fixedLosses(y: number[]) {
  const model = new Mlp([Matrix.from([[1, 0]])], [identity]);
  const data = { name: "toy", x: Matrix.zeros(1, y.length), y: Matrix.row(y), labels: null };
  return { model, data };
}

Deno.test("online batch selection draws rank r with probability ∝ exp(−r ln(s_e)/N), largest loss first", () => {
  const { model, data } = fixedLosses([1, 4, 2, 3, 0]); // losses ½, 8, 2, 4.5, 0: ranks 3, 0, 2, 1, 4
  const sampler = onlineBatchSelectionSampler({ selectionPressure: 50 });
  const context = { model, data, loss: squaredError, batchSize: 2, random: new Random(1), step: 0 };
  const p = sampler.distribution!(context);
  const ranks = [3, 0, 2, 1, 4], decay = Math.log(50) / 5;
  const unnormalised = ranks.map((r) => Math.exp(-r * decay));
  const total = unnormalised.reduce((s, v) => s + v, 0);
  assertClose(p, unnormalised.map((v) => v / total), { rtol: 1e-14, atol: 0 });
  assertClose(p[1] / p[4], 50 ** (4 / 5), { rtol: 1e-12, atol: 0 }); // top vs bottom: s_e^((N−1)/N)
});

Deno.test("online batch selection keeps the latest known losses from the steps and re-ranks every epoch", async () => {
  const { model, data } = fixedLosses([1, 4, 2, 3, 0, 5, 1, 2]);
  const sampler = onlineBatchSelectionSampler({ recomputeEvery: 6 });
  const costs: number[] = [];
  const ranked: (number | null)[] = [];
  const history = await fit(model, data, {
    loss: "squaredError",
    random: new Random(2),
    batchSize: 4,
    learningRate: 0.05,
    steps: 8,
    sampler: {
      ...sampler,
      sample(context) {
        const batch = sampler.sample(context);
        costs.push(batch.forwardEquivalents);
        ranked.push(sampler.state.rankedAt);
        return batch;
      },
      observe: (feedback) => sampler.observe!(feedback),
    },
    progress: "none",
  });
  // N = 8 at step 0 and at step 6; epochs of ⌈8/4⌉ = 2 steps
  assert.deepEqual(costs, [8, 0, 0, 0, 0, 0, 8, 0]);
  assert.deepEqual(ranked, [0, 0, 2, 2, 4, 4, 6, 6]);
  assert.equal(history.at(-1)!.forward_equivalents, 8 * 12 + 16);
});

Deno.test("a step's losses replace the latest known ones, and take effect at the next re-ranking", () => {
  const { model, data } = fixedLosses([1, 4, 2, 3]); // losses ½, 8, 2, 4.5: ranks 3, 0, 2, 1
  const sampler = onlineBatchSelectionSampler({ rerankEvery: 3, reweight: true });
  const context = { model, data, loss: squaredError, batchSize: 2, random: new Random(4) };
  const batch = sampler.sample({ ...context, step: 0 });
  const before = Float64Array.from(sampler.state.probabilities!);
  assert.ok(before[1] > before[3] && before[3] > before[2] && before[2] > before[0]);
  batch.weights.forEach((w, j) => assert.equal(w, 1 / (4 * before[batch.indices[j]])));
  const seen = {
    indices: Int32Array.of(0, 1),
    weights: Float64Array.of(1, 1),
    forwardEquivalents: 0,
  };
  sampler.observe!({
    step: 1,
    batch: seen,
    losses: Float64Array.of(100, 0), // sample 0 became the hardest, sample 1 the easiest
    pass: null!,
    gradientNorms: null!,
  });
  assert.deepEqual(Array.from(sampler.state.losses!), [100, 0, 2, 4.5]);
  assert.equal(sampler.sample({ ...context, step: 2 }).forwardEquivalents, 0);
  assert.deepEqual(sampler.state.probabilities, before, "not re-ranked within the period");
  sampler.sample({ ...context, step: 3 });
  const after = sampler.state.probabilities!;
  assert.deepEqual(Array.from(after), [before[1], before[0], before[2], before[3]]);
});

Deno.test("K&F's loss baseline is the presampler with p ∝ ℓ_i", () => {
  const { model, data } = fixedLosses([1, 4, 2, 3, 0, 5]);
  const sampler = lossProportionalSampler({ alwaysOn: true, presample: 2 });
  assert.equal(sampler.score, lossScore);
  sampler.sample({ model, data, loss: squaredError, batchSize: 3, random: new Random(3), step: 0 });
  const { presample, scores, probabilities } = sampler.state;
  const losses = Array.from(presample!, (i) => 0.5 * [1, 4, 2, 3, 0, 5][i] ** 2);
  assert.deepEqual(Array.from(scores!), losses);
  const total = losses.reduce((s, v) => s + v, 0);
  assertClose(probabilities!, losses.map((v) => v / total), { rtol: 1e-14, atol: 0 });
});

Deno.test("bad online batch selection options are rejected with errors naming them", () => {
  assert.throws(
    () => onlineBatchSelectionSampler({ selectionPressure: 0 }),
    /selectionPressure must be a finite number > 0, got 0/,
  );
  assert.throws(
    () => onlineBatchSelectionSampler({ rerankEvery: 1.5 }),
    /rerankEvery must be an integer >= 1, got 1.5/,
  );
});
