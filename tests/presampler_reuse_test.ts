import assert from "node:assert/strict";
import {
  assertReusedGradientClose,
  normalProblem,
  type Problem,
  trainCopy,
} from "./fit_fixtures.ts";
import { passColumnsExact } from "@lib/pass_columns.ts";
import { presampler, type PresamplerOptions } from "@lib/sampling/presampler.ts";
import { type Score, upperBoundScore } from "@lib/sampling/scores.ts";
import { Mlp, Random, tanh } from "@lib/mod.ts";
import { NonFiniteGradientError } from "@lib/gradient_fault.ts";
import { fit } from "@lib/train.ts";
import { brokenTanh } from "./faults.ts";

/** Trains a copy of the problem's network with a fresh sampler of `options`. */
async function train(
  p: Problem,
  options: PresamplerOptions & { batchSize: number; steps: number },
) {
  const { batchSize, steps, ...samplerOptions } = options;
  const sampler = presampler(samplerOptions);
  return { ...await trainCopy(p, { sampler, batchSize, steps }), state: sampler.state };
}

/** Uniform steps report a peaked batch (variance ratio 32 for b = 32), so τ climbs while off. */
const peakedWhenOff: Score = {
  ...upperBoundScore,
  name: "upper bound, peaked when off",
  fromStep: (feedback) => {
    const s = new Float64Array(feedback.batch.indices.length);
    s[0] = 1;
    return s;
  },
};

Deno.test("reusing the scoring pass trains bit for bit like recomputing it, on the quick reproduction's network, every score", async () => {
  const p = normalProblem([784, 32, 32, 10], 300, 1);
  assert.ok(passColumnsExact(p.model.sizes, { source: 96, batch: 32 }));
  for (const score of ["upperBound", "loss", "gradientNorm"]) {
    const options = { alwaysOn: true, score, batchSize: 32, steps: 12 };
    const reused = await train(p, options);
    const recomputed = await train(p, { ...options, reusePass: "never" });
    assert.deepEqual(reused.thetas, recomputed.thetas, score);
    assert.deepEqual(
      reused.history.map((r) => r.train_loss),
      recomputed.history.map((r) => r.train_loss),
      score,
    );
    assert.deepEqual([reused.state.reusedSteps, recomputed.state.reusedSteps], [12, 0], score);
    const plain = await train(p, { ...options, kernelMemory: false });
    assert.deepEqual(plain.thetas, reused.thetas, `${score}: plain arrays, the same bits`);
    // the forward pass saved is b per step: B + 2b against B + 3b
    const extra = score === "gradientNorm" ? 3 * 96 : 96;
    assert.equal(reused.history.at(-1)!.forward_equivalents, 12 * (extra + 2 * 32), score);
    assert.equal(recomputed.history.at(-1)!.forward_equivalents, 12 * (extra + 3 * 32), score);
  }
});

Deno.test("with the τ switch going on and off, the steps that sample by importance reuse their pass and the run keeps its bits", async () => {
  const p = normalProblem([784, 32, 32, 10], 300, 2);
  // τ_th = 5: uniform steps add 0.1 · 32 to τ, importance steps 0.1 · (the presample's ratio)
  const options = {
    score: peakedWhenOff,
    tau: "varianceRatio" as const,
    tauThreshold: 5,
    batchSize: 32,
    steps: 30,
  };
  const reused = await train(p, options);
  const recomputed = await train(p, { ...options, reusePass: "never" });
  const { importanceSteps, reusedSteps } = reused.state;
  assert.ok(importanceSteps > 0 && importanceSteps < 30, `${importanceSteps} importance steps`);
  assert.equal(reusedSteps, importanceSteps);
  assert.equal(recomputed.state.importanceSteps, importanceSteps);
  assert.deepEqual(reused.thetas, recomputed.thetas);
  assert.equal(
    recomputed.history.at(-1)!.forward_equivalents - reused.history.at(-1)!.forward_equivalents,
    32 * importanceSteps,
    "b saved per importance step, nothing per uniform step",
  );
});

Deno.test("where a layer's product crosses SMALL_PRODUCT_FLOPS between b and B columns, auto recomputes (same bits) and always stays within rounding", async () => {
  // 20-10-3, b = 4, B = 12·4 = 48: the last layer's product has 2·3·11·4 = 264 FLOPs with b
  // columns (TypeScript) and 3168 with B (WebAssembly), so the engines differ there
  const p = normalProblem([20, 10, 3], 100, 3);
  assert.equal(passColumnsExact(p.model.sizes, { source: 48, batch: 4 }), false);
  const options = { alwaysOn: true, presample: 12, batchSize: 4, steps: 10 };
  const auto = await train(p, options);
  const never = await train(p, { ...options, reusePass: "never" });
  assert.equal(auto.state.reusedSteps, 0);
  assert.deepEqual(auto.thetas, never.thetas);
  // "always": one step's gradient from the sampler's pass against the recomputed one
  assertReusedGradientClose(p, {
    batchSize: 4,
    sampler: (reusePass) => presampler({ alwaysOn: true, presample: 12, reusePass }),
  });
});

Deno.test("a bad reusePass is rejected with an error naming it", () => {
  assert.throws(
    () => presampler({ reusePass: "yes" as never }),
    /cannot make a presampler: reusePass must be "auto", "always" or "never", got yes/,
  );
});

Deno.test("on a tanh network, whose backward reads x and not z, the reused pass (z left ungathered) trains bit for bit like recomputing", async () => {
  const p = normalProblem([784, 32, 32, 10], 300, 2, "tanh");
  assert.ok(p.model.activations.every((a) => a.backwardReadsZ === false));
  const options = { alwaysOn: true, batchSize: 32, steps: 12 };
  const reused = await train(p, options);
  const recomputed = await train(p, { ...options, reusePass: "never" });
  assert.equal(reused.state.reusedSteps, 12);
  assert.deepEqual(reused.thetas, recomputed.thetas);
});

Deno.test("a step that fails in a carried pass without its z_l traces the fault the recomputing step traces", async () => {
  const random = new Random(5);
  const model = Mlp.create([3, 6, 6, 1], { random, activation: [tanh, brokenTanh] });
  const data = {
    name: "normal",
    x: random.normalMatrix(3, 40),
    y: random.normalMatrix(1, 40),
    labels: null,
  };
  const failure = async (reusePass: "always" | "never") => {
    try {
      await fit(model.clone(), data, {
        loss: "squaredError",
        random: new Random(1),
        batchSize: 4,
        learningRate: 0.01,
        steps: 1,
        sampler: presampler({ alwaysOn: true, reusePass }),
        progress: "none",
      });
    } catch (error) {
      if (!(error instanceof NonFiniteGradientError)) throw error;
      return error.message;
    }
    throw new Error(`the step with reusePass "${reusePass}" did not fail`);
  };
  const traced = await failure("always");
  assert.match(traced, /the backward\(\) of σ_2 \('broken tanh'\) gave NaN/);
  assert.equal(traced, await failure("never"));
});
