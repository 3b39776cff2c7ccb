/**
 * lib/sampling/exact_variance.ts: Tr V[g] of every scheme from per-sample gradient norms, against the
 * closed form over explicit per-sample gradients (one-stage schemes) and against an exact
 * enumeration of the presampler's two-stage draws (law of total variance).
 */
import assert from "node:assert/strict";
import {
  exactVariance,
  importanceDistribution,
  presampler,
  Random,
  SCHEME_SCORES,
  softmaxCrossEntropy,
} from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { meanGradient, perSampleGradients, traceVariance } from "@lib/convergence.ts";
import { enumerateOutcomes } from "./exact_draws.ts";
import { gradientRows, toyClassification } from "./fixtures.ts";

function tiny(n: number) {
  const { data, model } = toyClassification(n, { seed: 8, withLabels: true });
  const G = perSampleGradients(model, data, { loss: "softmaxCrossEntropy" });
  const rows = gradientRows(G);
  return { data, model, G, rows };
}

/** A Random whose int() returns the listed values in turn (to visit every presample once). */
class ListRandom extends Random {
  #at = 0;
  constructor(readonly values: readonly number[]) {
    super(0);
  }
  override int(n: number): number {
    const v = this.values[this.#at++];
    assert.ok(v < n);
    return v;
  }
}

Deno.test("uniform and full-data importance variances equal the closed form Tr V_p / b over the per-sample gradients", () => {
  const { data, model, G, rows } = tiny(7);
  const b = 3;
  const v = exactVariance(model, data, {
    loss: "softmaxCrossEntropy",
    batchSize: b,
    presampleSize: 4,
    presamples: 2,
    random: new Random(1),
  });
  const tol = { rtol: 1e-10, atol: 1e-14 };
  assertClose(v.uniform, traceVariance(G) / b, tol);
  assertClose(Array.from(v.meanGradient), Array.from(meanGradient(G)), tol);
  assertClose(
    Array.from(v.gradientNorms),
    rows.map((g) => Math.sqrt(g.reduce((s, x) => s + x * x, 0))),
    tol,
  );
  const scores = { uniform: null, loss: v.losses, upperBound: v.upperBounds, gradientNorm: null };
  for (const s of ["loss", "upperBound"] as const) {
    const p = importanceDistribution(scores[s]);
    assertClose(v.full[s], traceVariance(G, { p }) / b, tol);
  }
  // the optimum: ((1/N²)(Σ‖G_i‖)² − ‖Ḡ‖²) / b, at most every other scheme
  const n = rows.length, sum = v.gradientNorms.reduce((a, x) => a + x, 0);
  assertClose(v.full.gradientNorm, (sum * sum / (n * n) - v.meanGradientSquaredNorm) / b, tol);
  for (const s of SCHEME_SCORES) assert.ok(v.full.gradientNorm <= v.full[s] * (1 + 1e-12));
});

Deno.test("averaged over every presample, the presampled variance equals the exact two-stage Tr V of the presampler (enumeration)", () => {
  const { data, model, G, rows } = tiny(3);
  const b = 2, B = 2, n = 3, P = rows[0].length, full = meanGradient(G);
  // all n^B presamples, each once: the average over them is the exact expectation over U
  const all: number[] = [];
  for (let u0 = 0; u0 < n; u0++) for (let u1 = 0; u1 < n; u1++) all.push(u0, u1);
  const v = exactVariance(model, data, {
    loss: "softmaxCrossEntropy",
    batchSize: b,
    presampleSize: B,
    presamples: n ** B,
    random: new ListRandom(all),
  });
  const scoreName = { loss: "loss", upperBound: "upperBound", gradientNorm: "gradientNorm" };
  for (const s of ["loss", "upperBound", "gradientNorm"] as const) {
    const outcomes = enumerateOutcomes((random) =>
      presampler({ alwaysOn: true, presample: B / b, score: scoreName[s] }).sample({
        model,
        data,
        loss: softmaxCrossEntropy,
        batchSize: b,
        random,
        step: 0,
      })
    );
    let exact = 0, total = 0;
    const g = new Float64Array(P);
    for (const { probability, value: batch } of outcomes) {
      g.fill(0);
      batch.indices.forEach((i, j) => {
        for (let k = 0; k < P; k++) g[k] += (batch.weights[j] * rows[i][k]) / b;
      });
      let d = 0;
      for (let k = 0; k < P; k++) d += (g[k] - full[k]) ** 2;
      exact += probability * d;
      total += probability;
    }
    assertClose(total, 1, { rtol: 1e-12 });
    assertClose(v.presampled[s].mean, exact, { rtol: 1e-10, atol: 1e-14 });
  }
  // uniform inside the presample: V₁ (1/b + 1/B − 1/(bB)) exactly
  const single = v.singleDrawVariance;
  assertClose(v.presampled.uniform.mean, single * (1 / b + 1 / B - 1 / (b * B)), { rtol: 1e-10 });
});

Deno.test("τ of the presamples is the mean of the variance ratios B Σ g_j² of their upper-bound scores", () => {
  const { data, model } = tiny(3);
  const all = [0, 1, 2, 2];
  const v = exactVariance(model, data, {
    loss: "softmaxCrossEntropy",
    batchSize: 1,
    presampleSize: 2,
    presamples: 2,
    random: new ListRandom(all),
  });
  const ratio = (a: number, c: number) => {
    const s = [v.upperBounds[a], v.upperBounds[c]], t = s[0] + s[1];
    return 2 * ((s[0] / t) ** 2 + (s[1] / t) ** 2);
  };
  const r = [ratio(0, 1), ratio(2, 2)];
  assertClose(v.tau.varianceRatio.mean, (r[0] + r[1]) / 2, { rtol: 1e-12 });
  assertClose(v.tau.sqrtVarianceRatio.mean, (Math.sqrt(r[0]) + Math.sqrt(r[1])) / 2, {
    rtol: 1e-12,
  });
  assert.equal(r[1], 1); // equal scores: no reduction
});

Deno.test("exactVariance names the bad option", () => {
  const { data, model } = tiny(3);
  const base = {
    loss: "softmaxCrossEntropy",
    batchSize: 1,
    presampleSize: 2,
    presamples: 2,
    random: new Random(1),
  };
  assert.throws(() => exactVariance(model, data, { ...base, presamples: 1 }), /presamples/);
  assert.throws(() => exactVariance(model, data, { ...base, batchSize: 0 }), /batchSize/);
  assert.throws(() => exactVariance(model, data, { ...base, epsilon: 2 }), /epsilon/);
});
