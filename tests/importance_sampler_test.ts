import assert from "node:assert/strict";
import fc from "./fc.ts";
import { identity, Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { fit } from "@lib/train.ts";
import type { SampleContext } from "@lib/sampling/sampler.ts";
import {
  drawWithWeights,
  importanceDistribution,
  importanceSampler,
} from "@lib/sampling/importance_sampler.ts";
import { Scorer } from "@lib/sampling/scores.ts";
import { chiSquare, toyClassification } from "./fixtures.ts";

const classification = (n: number, seed: number) => toyClassification(n, { seed });

/**
 * The law of the default importance sampler from its definition, independent of the sampler's
 * code: with squared error and an identity output, ∂ℓ_i/∂z_L = x_L,i − y_i, so the upper bound is
 * ‖x_L,i − y_i‖ and p_i = s_i / Σ s. The loss ½‖x_L,i − y_i‖² would give p_i ∝ s_i² instead.
 */
function upperBoundLaw(
  model: Mlp,
  data: { x: Matrix; y: Matrix },
): { bound: number[]; loss: number[] } {
  const out = model.predict(data.x), n = data.x.cols, rows = out.rows;
  const s = Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += (out.get(r, i) - data.y.get(r, i)) ** 2;
    return Math.sqrt(sum);
  });
  const total = s.reduce((a, v) => a + v, 0), total2 = s.reduce((a, v) => a + v * v, 0);
  return { bound: s.map((v) => v / total), loss: s.map((v) => (v * v) / total2) };
}

Deno.test("importance draws follow p ∝ ‖x_L − y‖ from its definition, and not p ∝ loss (χ² at a fixed seed)", () => {
  const { data, model } = classification(6, 31);
  const sampler = importanceSampler();
  const context: SampleContext = {
    model,
    data,
    loss: squaredError,
    batchSize: 4,
    random: new Random(1),
    step: 0,
  };
  const law = upperBoundLaw(model, data);
  assertClose(sampler.distribution!(context), law.bound, { rtol: 1e-12, atol: 0 });
  assert.ok(Math.min(...law.bound) > 0.05, "every cell expects > 600 draws");
  const counts = new Array(6).fill(0), batches = 3000;
  for (let t = 0; t < batches; t++) {
    const { indices, weights } = sampler.sample(context);
    indices.forEach((i, j) => {
      counts[i]++;
      assertClose(weights[j], 1 / (6 * law.bound[i]), { rtol: 1e-12, atol: 0 });
    });
  }
  // draws are i.i.d. within and across batches (θ fixed), so the counts are multinomial
  const chi = chiSquare(counts, law.bound.map((v) => v * batches * 4));
  assert.ok(chi < 20.515, `χ² ${chi}`); // χ²(5) upper 0.1% point: significance level α = 0.001
  // meaningful: the same counts reject the loss-proportional law at the same level
  const chiLoss = chiSquare(counts, law.loss.map((v) => v * batches * 4));
  assert.ok(chiLoss > 20.515, `p ∝ loss is not rejected: χ² ${chiLoss}`);
  assert.equal(sampler.state.refreshes, 1, "θ did not change, so one scoring served every batch");
});

Deno.test("the sampler rescores all N every refreshEvery steps, charging N · cost forward-equivalents then and 0 between", () => {
  const { data, model } = classification(10, 32);
  for (
    const [score, cost] of [["upperBound", 1], ["loss", 1], ["gradientNorm", 3], [
      "uniform",
      0,
    ]] as const
  ) {
    const sampler = importanceSampler({ score, refreshEvery: 3 });
    const costs = [];
    for (let step = 0; step < 7; step++) {
      const batch = sampler.sample({
        model,
        data,
        loss: squaredError,
        batchSize: 2,
        random: new Random(step),
        step,
      });
      costs.push(batch.forwardEquivalents);
    }
    assert.deepEqual(costs, [10, 0, 0, 10, 0, 0, 10].map((c) => c * cost), score);
    assert.equal(sampler.state.refreshedAt, 6);
    assert.equal(sampler.state.refreshes, 3);
  }
});

Deno.test("fit counts 3b per step plus the scoring of N at each refresh", async () => {
  const { data, model } = classification(20, 33);
  const b = 4, steps = 10;
  for (const [refreshEvery, refreshes] of [[1, 10], [4, 3]]) {
    const history = await fit(model.clone(), data, {
      loss: "softmaxCrossEntropy",
      random: new Random(1),
      batchSize: b,
      learningRate: 0.1,
      steps,
      sampler: importanceSampler({ refreshEvery }),
      progress: "none",
    });
    assert.equal(history.at(-1)!.forward_equivalents, steps * 3 * b + refreshes * 20);
  }
});

Deno.test("between refreshes the stale scores are used; a refresh uses the current θ", () => {
  const { data, model } = classification(8, 34);
  const sampler = importanceSampler({ refreshEvery: 2 });
  const context = { model, data, loss: squaredError, batchSize: 2, random: new Random(1), step: 0 };
  sampler.sample(context);
  const first = Float64Array.from(sampler.state.probabilities!);
  model.thetas[1].data.fill(0.5); // θ moves
  const fresh = new Scorer("upperBound", { loss: squaredError }).scoreColumns(model, data);
  sampler.sample({ ...context, step: 1 });
  assert.deepEqual(sampler.state.probabilities, first, "stale at step 1");
  assert.deepEqual(sampler.distribution!({ ...context, step: 1 }), first);
  assertClose(sampler.distribution!({ ...context, step: 2 }), importanceDistribution(fresh), {
    rtol: 1e-15,
    atol: 0,
  });
  sampler.sample({ ...context, step: 2 });
  assertClose(sampler.state.scores!, fresh, { rtol: 1e-15, atol: 0 });
});

Deno.test("defensive mixing ε bounds every weight by 1/ε, and ε = 0 keeps weights finite even for scores near 0", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.constant(0),
          fc.constant(1e-310),
          fc.constant(1e308),
          fc.double({ min: 0, max: 1e3, noNaN: true }),
        ),
        {
          minLength: 1,
          maxLength: 30,
        },
      ),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (scores, epsilon) => {
        const n = scores.length, p = importanceDistribution(scores, { epsilon });
        const sum = p.reduce((s, v) => s + v, 0);
        if (!(Math.abs(sum - 1) < 1e-12)) return false;
        for (let i = 0; i < n; i++) {
          if (p[i] === 0) continue; // never drawn
          const w = 1 / (n * p[i]);
          if (!Number.isFinite(w)) return false;
          if (epsilon > 0 && !(w <= (1 / epsilon) * (1 + 1e-12))) return false;
        }
        return true;
      },
    ),
    { seed: 2, numRuns: 2000 },
  );
  // in a sampler: a sample fitted exactly (score 0) next to a badly fitted one
  const model = new Mlp([Matrix.from([[1, 0]])], [identity]);
  const data = {
    name: "toy",
    x: Matrix.row([0, 0, 0]),
    y: Matrix.row([0, 1e-200, 5]),
    labels: null,
  };
  const context = {
    model,
    data,
    loss: squaredError,
    batchSize: 50,
    random: new Random(3),
    step: 0,
  };
  const sharp = importanceSampler().sample(context);
  assert.ok(sharp.indices.every((i) => i === 2) && sharp.weights.every((w) => w === 1 / 3));
  const mixed = importanceSampler({ epsilon: 0.2 });
  for (let t = 0; t < 20; t++) {
    const { weights } = mixed.sample(context);
    assert.ok(weights.every((w) => w <= 1 / 0.2 + 1e-12), `weights ${weights}`);
  }
  assert.ok(mixed.state.probabilities!.every((v) => v >= 0.2 / 3 - 1e-15));
});

Deno.test("all-zero scores fall back to uniform sampling with weights 1", () => {
  // x_L = x = y: every residual, loss, bound and gradient is 0
  const model = new Mlp([Matrix.from([[1, 0]])], [identity]);
  const data = {
    name: "fitted",
    x: Matrix.row([1, 2, 3, 4]),
    y: Matrix.row([1, 2, 3, 4]),
    labels: null,
  };
  const context = { model, data, loss: squaredError, batchSize: 5, random: new Random(4), step: 0 };
  for (const score of ["loss", "upperBound", "gradientNorm"]) {
    const sampler = importanceSampler({ score });
    assert.deepEqual(Array.from(sampler.distribution!(context)), [0.25, 0.25, 0.25, 0.25], score);
    assert.deepEqual(Array.from(sampler.sample(context).weights), [1, 1, 1, 1, 1], score);
  }
});

Deno.test("bad options and scores are rejected with errors naming them", () => {
  assert.throws(() => importanceSampler({ epsilon: 1.5 }), /epsilon must be in \[0, 1\], got 1.5/);
  assert.throws(
    () => importanceSampler({ refreshEvery: 0 }),
    /refreshEvery must be an integer >= 1, got 0/,
  );
  assert.throws(() => importanceSampler({ score: "gnorm" }), /unknown score 'gnorm'/);
  assert.throws(
    () => importanceDistribution([1, -1]),
    /score 1 is -1, expected a finite value >= 0/,
  );
  assert.throws(() => importanceDistribution([]), /0 scores/);
  assert.throws(
    () => drawWithWeights([0, 0], { batchSize: 1, random: new Random(1) }),
    /all 2 weights are zero/,
  );
  const { data, model } = classification(4, 35);
  assert.throws(
    () =>
      importanceSampler().sample({
        model,
        data,
        loss: squaredError,
        batchSize: 0,
        random: new Random(1),
        step: 0,
      }),
    /cannot draw with the sampler 'importance \(upper bound\)': batchSize must be an integer >= 1/,
  );
});

Deno.test("drawWithWeights into given arrays makes the same draws and weights as into fresh ones, and checks their lengths", () => {
  const p = importanceDistribution([0.5, 3, 0, 1, 2.5]);
  const positions = new Int32Array(7), weights = new Float64Array(7), cdf = new Float64Array(5);
  for (let seed = 0; seed < 3; seed++) {
    const fresh = drawWithWeights(p, { batchSize: 7, random: new Random(seed) });
    const into = drawWithWeights(p, {
      batchSize: 7,
      random: new Random(seed),
      positions,
      weights,
      cdf,
    });
    assert.equal(into.positions, positions);
    assert.equal(into.weights, weights);
    assert.deepEqual(positions, fresh.positions);
    assert.deepEqual(weights, fresh.weights);
  }
  const random = new Random(1);
  assert.throws(
    () => drawWithWeights(p, { batchSize: 7, random, positions: new Int32Array(6) }),
    /cannot draw with weights: positions has length 6, expected 7/,
  );
  assert.throws(
    () => drawWithWeights(p, { batchSize: 7, random, cdf: new Float64Array(4) }),
    /cdf has length 4, expected 5/,
  );
  assert.throws(
    () => drawWithWeights([0, 0], { batchSize: 1, random, cdf: new Float64Array(2) }),
    /all 2 weights are zero/,
  );
  assert.throws(
    () => drawWithWeights([1, -1], { batchSize: 1, random, cdf: new Float64Array(2) }),
    /weight 1 is -1/,
  );
});
