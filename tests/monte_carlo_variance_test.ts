import assert from "node:assert/strict";
import { Random, softmaxCrossEntropy } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { meanGradient, perSampleGradients, traceVariance } from "@lib/convergence.ts";
import { uniformSampler } from "@lib/sampling/sampler.ts";
import { importanceSampler } from "@lib/sampling/importance_sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { onlineBatchSelectionSampler } from "@lib/sampling/baselines.ts";
import { monteCarloVariance } from "@lib/sampling/monte_carlo_variance.ts";
import { enumerateOutcomes } from "./exact_draws.ts";
import { toyClassification } from "./fixtures.ts";

function tiny(n: number) {
  const { data, model } = toyClassification(n, { seed: 51, inputs: 2, hidden: 3 });
  const G = perSampleGradients(model, data, { loss: "softmaxCrossEntropy" });
  return { data, model, G };
}

Deno.test("the measured Tr V[g] agrees with Tr V_p / b within 4 standard errors, for uniform and importance sampling", () => {
  const { data, model, G } = tiny(8);
  const context = {
    model,
    data,
    loss: softmaxCrossEntropy,
    batchSize: 3,
    step: 0,
    random: new Random(0),
  };
  for (
    const sampler of [uniformSampler(), importanceSampler(), importanceSampler({ score: "loss" })]
  ) {
    const p = sampler.distribution!(context);
    const exact = traceVariance(G, { p }) / 3;
    const m = monteCarloVariance(model, data, {
      loss: "softmaxCrossEntropy",
      batchSize: 3,
      draws: 5000,
      random: new Random(1),
      sampler,
      chunk: 3,
    });
    const where =
      `${sampler.name}: ${m.traceVariance.mean} ± ${m.traceVariance.standardError} vs ${exact}`;
    assert.ok(Math.abs(m.traceVariance.mean - exact) < 4 * m.traceVariance.standardError, where);
    // unbiased: E‖ḡ − ∇F‖² = Tr V[g] / draws, and the error is within 5 times its root
    assert.ok(
      m.meanError < 5 * Math.sqrt(exact / 5000),
      `${sampler.name}: bias ${m.meanError}`,
    );
    const full = meanGradient(G);
    assertClose(m.fullGradientSquaredNorm, full.reduce((s, v) => s + v * v, 0), {
      rtol: 1e-12,
      atol: 0,
    });
  }
});

Deno.test("the measured Tr V[g] of the two-stage presampler agrees with its exact value from enumeration", () => {
  const { data, model, G } = tiny(4);
  const rows = Array.from({ length: 4 }, (_, i) => G.data.subarray(i * G.cols, (i + 1) * G.cols));
  const full = meanGradient(G);
  // monteCarloVariance's gradient runs its own forward pass: the presampler must not count b saved
  const sampler = presampler({ alwaysOn: true, presample: 1.5, reusePass: "never" });
  const context = { model, data, loss: softmaxCrossEntropy, batchSize: 2, step: 0 };
  let exact = 0;
  for (
    const { probability, value } of enumerateOutcomes((random) =>
      sampler.sample({ ...context, random })
    )
  ) {
    const g = new Float64Array(full.length);
    value.indices.forEach((i, j) =>
      rows[i].forEach((v, k) => (g[k] += (value.weights[j] * v) / 2))
    );
    exact += probability * g.reduce((s, v, k) => s + (v - full[k]) ** 2, 0);
  }
  const m = monteCarloVariance(model, data, {
    loss: "softmaxCrossEntropy",
    batchSize: 2,
    draws: 8000,
    random: new Random(2),
    sampler,
  });
  assert.ok(
    Math.abs(m.traceVariance.mean - exact) < 4 * m.traceVariance.standardError,
    `${m.traceVariance.mean} ± ${m.traceVariance.standardError} vs ${exact}`,
  );
  assert.equal(m.forwardEquivalents, 3, "B = 3 forwards per draw");
});

Deno.test("a biased sampler shows as a mean error far above its sampling noise", () => {
  const { data, model } = tiny(8);
  const m = monteCarloVariance(model, data, {
    loss: "softmaxCrossEntropy",
    batchSize: 3,
    draws: 4000,
    random: new Random(3),
    sampler: onlineBatchSelectionSampler({ selectionPressure: 100 }),
  });
  assert.ok(m.meanError > 10 * Math.sqrt(m.traceVariance.mean / 4000), `bias ${m.meanError}`);
});

Deno.test("bad options are rejected with errors naming them", () => {
  const { data, model } = tiny(4);
  const base = { loss: "softmaxCrossEntropy", batchSize: 2, draws: 10, random: new Random(1) };
  assert.throws(
    () => monteCarloVariance(model, data, { ...base, draws: 1 }),
    /draws must be an integer >= 2, got 1/,
  );
  assert.throws(
    () => monteCarloVariance(model, data, { ...base, batchSize: 0 }),
    /batchSize must be an integer >= 1, got 0/,
  );
  assert.throws(
    () => monteCarloVariance(model, data, { ...base, chunk: 0 }),
    /chunk must be an integer >= 1, got 0/,
  );
});
