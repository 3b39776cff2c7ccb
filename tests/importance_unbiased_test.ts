/**
 * Every sampler's weighted minibatch gradient is unbiased — checked exactly, by enumerating every
 * draw the sampler can make with its probability (tests/exact_draws.ts), not by sampling — and
 * the variance identities of importance sampling (K&F §3.1).
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import { Random, softmaxCrossEntropy } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import {
  convergenceSpeed,
  meanGradient,
  optimalDistribution,
  perSampleGradients,
  traceVariance,
} from "@lib/convergence.ts";
import { type SampleContext, type Sampler, uniformSampler } from "@lib/sampling/sampler.ts";
import { importanceSampler } from "@lib/sampling/importance_sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { lossProportionalSampler, onlineBatchSelectionSampler } from "@lib/sampling/baselines.ts";
import { enumerateOutcomes } from "./exact_draws.ts";
import { gradientRows, toyClassification } from "./fixtures.ts";

/** A tiny classification problem whose samples have clearly different gradient norms. */
function tiny(n = 4) {
  const { data, model } = toyClassification(n, { seed: 21, inputs: 2, hidden: 3 });
  const G = perSampleGradients(model, data, { loss: "softmaxCrossEntropy" });
  const rows = gradientRows(G);
  return { data, model, G, rows };
}

/** E[g] and E‖g‖² of g = (1/b) Σ_j w_j G_{I_j} over every draw of one `sample` call. */
function exactMoments(
  sampler: Sampler,
  context: Omit<SampleContext, "random">,
  rows: Float64Array[],
) {
  const P = rows[0].length, b = context.batchSize;
  // every run starts from the same (reset) state, so that the runs enumerate one law
  const outcomes = enumerateOutcomes((random) => {
    sampler.reset?.();
    return sampler.sample({ ...context, random });
  });
  const mean = new Float64Array(P), g = new Float64Array(P);
  let total = 0, second = 0;
  for (const { probability, value: batch } of outcomes) {
    g.fill(0);
    batch.indices.forEach((i, j) => {
      for (let k = 0; k < P; k++) g[k] += (batch.weights[j] * rows[i][k]) / b;
    });
    for (let k = 0; k < P; k++) mean[k] += probability * g[k];
    second += probability * g.reduce((s, v) => s + v * v, 0);
    total += probability;
  }
  return { mean, second, total, outcomes: outcomes.length };
}

const unbiased: [string, () => Sampler, number][] = [
  ["uniform with replacement", () => uniformSampler(), 16],
  ["uniform without replacement", () => uniformSampler({ replacement: false }), 12],
  ["importance, uniform score", () => importanceSampler({ score: "uniform" }), 16],
  ["importance, loss", () => importanceSampler({ score: "loss" }), 16],
  ["importance, upper bound", () => importanceSampler({ score: "upperBound" }), 16],
  ["importance, gradient norm", () => importanceSampler({ score: "gradientNorm" }), 16],
  ["importance, upper bound, ε = 0.3", () => importanceSampler({ epsilon: 0.3 }), 16],
  ["online batch selection, reweighted", () => onlineBatchSelectionSampler({ reweight: true }), 16],
];

Deno.test("E[(1/b) Σ w_j G_{I_j}] equals the full gradient Ḡ to 1e-12 for every one-stage sampler (exact enumeration)", () => {
  const { data, model, G, rows } = tiny();
  const full = meanGradient(G);
  const context = { model, data, loss: softmaxCrossEntropy, batchSize: 2, step: 0 };
  for (const [name, make, count] of unbiased) {
    const sampler = make();
    const m = exactMoments(sampler, context, rows);
    assert.equal(m.outcomes, count, `${name}: every draw enumerated`);
    assert.ok(Math.abs(m.total - 1) < 1e-14, `${name}: probabilities sum to ${m.total}`);
    assertClose(m.mean, full, { atol: 1e-12, rtol: 0, what: name });
    // and E‖g‖² = ‖Ḡ‖² + Tr V_p / b: the weights are 1/(N p_i) for the p it reports
    if (sampler.distribution && name !== "uniform without replacement") {
      const p = sampler.distribution({ ...context, random: new Random(0) });
      const closed = convergenceSpeed(G, {
        theta: model,
        thetaStar: model,
        learningRate: 1,
        batchSize: 2,
        p,
      });
      assertClose(m.second, closed.expectedSquaredNorm, {
        rtol: 1e-12,
        atol: 0,
        what: `${name} E‖g‖²`,
      });
    }
  }
});

Deno.test("the two-stage presampled estimate is unbiased to 1e-12: every presample and every second-stage draw enumerated", () => {
  const { data, model, G, rows } = tiny();
  const full = meanGradient(G);
  const context = { model, data, loss: softmaxCrossEntropy, batchSize: 2, step: 0 };
  const samplers: [string, Sampler][] = [
    ["upper bound", presampler({ alwaysOn: true, presample: 1.5 })],
    ["gradient norm", presampler({ score: "gradientNorm", alwaysOn: true, presample: 1.5 })],
    ["loss (K&F's baseline)", lossProportionalSampler({ alwaysOn: true, presample: 1.5 })],
    ["upper bound, ε = 0.5", presampler({ alwaysOn: true, presample: 1.5, epsilon: 0.5 })],
    ["switched on by τ_th = −1", presampler({ tauThreshold: -1, presample: 1.5 })],
    ["switched off (τ = 0 < τ_th)", presampler({ presample: 1.5 })],
  ];
  for (const [name, sampler] of samplers) {
    const m = exactMoments(sampler, context, rows);
    // B = 3 uniform draws from N = 4, then b = 2 draws from the presample (positions of p = 0
    // are never drawn); off, b = 2 uniform draws
    assert.ok(
      m.outcomes === 4 ** 3 * 3 ** 2 || (name.includes("off") && m.outcomes === 16),
      `${name}: ${m.outcomes}`,
    );
    assert.ok(Math.abs(m.total - 1) < 1e-13, `${name}: probabilities sum to ${m.total}`);
    assertClose(m.mean, full, { atol: 1e-12, rtol: 0, what: name });
  }
});

Deno.test("online batch selection as its source defines it (weights 1) is biased towards high losses", () => {
  const { data, model, G, rows } = tiny();
  const full = meanGradient(G);
  const context = { model, data, loss: softmaxCrossEntropy, batchSize: 2, step: 0 };
  const m = exactMoments(onlineBatchSelectionSampler({ selectionPressure: 100 }), context, rows);
  const gap = Math.hypot(...m.mean.map((v, k) => v - full[k]));
  assert.ok(gap > 1e-2 * Math.hypot(...full), `‖E g − Ḡ‖ = ${gap}`);
});

Deno.test("Tr V at p ∝ ‖G_i‖ is (1/N²)(Σ‖G_i‖)² − ‖Ḡ‖², at most Tr V at any other p, and uniform's excess is Var(‖G_i‖)", () => {
  const { data, model, G, rows } = tiny(8);
  const n = rows.length, norms = rows.map((g) => Math.hypot(...g));
  const full = meanGradient(G), fullSq = full.reduce((s, v) => s + v * v, 0);
  const optimal = optimalDistribution(G);
  const atOptimum = traceVariance(G, { p: optimal });
  const sum = norms.reduce((s, v) => s + v, 0);
  assertClose(atOptimum, sum ** 2 / n ** 2 - fullSq, { rtol: 1e-12, atol: 0 });
  // the gradient-norm sampler draws from exactly that distribution
  const context = {
    model,
    data,
    loss: softmaxCrossEntropy,
    batchSize: 2,
    step: 0,
    random: new Random(0),
  };
  assertClose(importanceSampler({ score: "gradientNorm" }).distribution!(context), optimal, {
    rtol: 1e-12,
    atol: 0,
  });
  // uniform pays Var_u(‖G_i‖) more
  const meanNorm = sum / n, varNorm = norms.reduce((s, v) => s + (v - meanNorm) ** 2, 0) / n;
  assertClose(traceVariance(G) - atOptimum, varNorm, { rtol: 1e-10, atol: 0 });
  assert.ok(varNorm > 1e-4, "the norms differ, so the gain is not trivial");
  // no other distribution does better: random ones, and the other scores' distributions
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 1e-3, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
      (raw) => {
        const total = raw.reduce((s, v) => s + v, 0);
        const p = raw.map((v) => v / total);
        return traceVariance(G, { p }) >= atOptimum * (1 - 1e-12);
      },
    ),
    { seed: 1, numRuns: 500 },
  );
  for (const score of ["uniform", "loss", "upperBound"]) {
    const p = importanceSampler({ score }).distribution!(context);
    assert.ok(traceVariance(G, { p }) >= atOptimum * (1 - 1e-12), score);
  }
});

Deno.test("exact enumeration of a known law: two fair coins and a 1:3 draw", () => {
  const outcomes = enumerateOutcomes((r) => [r.int(2), r.fromCumulative(Float64Array.of(1, 1, 4))]);
  assert.deepEqual(outcomes.map((o) => o.value), [[0, 0], [0, 2], [1, 0], [1, 2]]);
  assert.deepEqual(outcomes.map((o) => o.probability), [0.125, 0.375, 0.125, 0.375]);
  assert.throws(() => enumerateOutcomes((r) => r.float()), /only int\(\) and fromCumulative\(\)/);
});
