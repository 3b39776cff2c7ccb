import assert from "node:assert/strict";
import { identity, Matrix, Mlp, Random, softmaxCrossEntropy, squaredError } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { fit } from "@lib/train.ts";
import type { StepFeedback } from "@lib/sampling/sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import type { Score } from "@lib/sampling/scores.ts";
import { enumerateOutcomes } from "./exact_draws.ts";
import { chiSquare, toyClassification } from "./fixtures.ts";

const classification = (n: number, seed: number) => toyClassification(n, { seed });

/** A score that returns scripted values: `peaked` (ratio 10) from steps, `flat` when computed. */
const scripted: Score = {
  name: "scripted",
  cost: 1,
  compute: (_model, x) => new Float64Array(x.cols).fill(1), // variance ratio 1
  fromStep: () => Float64Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0), // variance ratio 10
};

Deno.test("τ follows its definition step by step, and the switch turns on above τ_th and back off below it", () => {
  const { data, model } = classification(12, 41);
  // b = 2, B = 4: τ_th = (4 + 6)/6 = 5/3
  const sampler = presampler({ score: scripted, presample: 2, tau: "varianceRatio" });
  const context = { model, data, loss: softmaxCrossEntropy, batchSize: 2, random: new Random(1) };
  const observe = (step: number, batch: StepFeedback["batch"]) =>
    sampler.observe!({
      step,
      batch,
      losses: new Float64Array(2),
      pass: null!,
      gradientNorms: null!,
    });
  // hand-computed: uniform steps add 0.1 · 10, importance steps 0.1 · 1, after 0.9 · τ
  const expected = [
    { on: false, tauAfter: 1 }, // τ = 0 ≤ 5/3: uniform; its batch scores give τ = 0.1·10
    { on: false, tauAfter: 1.9 }, // 1 ≤ 5/3: uniform; 0.9 + 1
    { on: true, tauAfter: 1.81 }, // 1.9 > 5/3: importance; the presample's flat scores: 1.71 + 0.1
    { on: true, tauAfter: 1.729 },
    { on: true, tauAfter: 1.6561 },
    { on: false, tauAfter: 2.49049 }, // 1.6561 < 5/3: back to uniform; 1.49049 + 1
    { on: true, tauAfter: 2.341441 },
  ];
  expected.forEach(({ on, tauAfter }, t) => {
    const batch = sampler.sample({ ...context, step: t });
    observe(t + 1, batch);
    const { state } = sampler;
    assert.equal(state.importance, on, `step ${t + 1}`);
    assert.equal(batch.forwardEquivalents, on ? 4 : 0, `step ${t + 1}: B forwards when on`);
    assert.ok(on || batch.weights.every((w) => w === 1), `step ${t + 1}: weights 1 when off`);
    assertClose(state.tau, tauAfter, { rtol: 1e-14, atol: 0, what: `τ after step ${t + 1}` });
    assert.equal(state.tauNew, on ? 1 : 10);
  });
  const { state } = sampler;
  assert.equal(state.tauThreshold, 5 / 3);
  assert.equal(state.presampleSize, 4);
  assert.deepEqual([state.steps, state.importanceSteps], [7, 4]);
  sampler.reset!();
  assert.deepEqual([sampler.state.tau, sampler.state.steps, sampler.state.importance], [
    0,
    0,
    false,
  ]);
});

Deno.test("the two τ variants switch at different points: √ratio needs CV² > 3 at τ_th = 2, the ratio CV² > 1", () => {
  const { data, model } = classification(12, 42);
  // steady τ_new: variance ratio 3 (CV² = 2): the ratio's τ → 3 > 2, its square root → 1.73 < 2
  const ratio3: Score = {
    ...scripted,
    fromStep: () => Float64Array.of(1, 0, 0),
    compute: (_m, x) => {
      const s = new Float64Array(x.cols);
      for (let i = 0; i < x.cols; i += 3) s[i] = 1;
      return s;
    },
  };
  const context = { model, data, loss: softmaxCrossEntropy, batchSize: 3, random: new Random(2) };
  const run = (tau: "varianceRatio" | "sqrtVarianceRatio") => {
    const sampler = presampler({ score: ratio3, tau }); // B = 9, τ_th = 2
    for (let t = 0; t < 60; t++) {
      const batch = sampler.sample({ ...context, step: t });
      sampler.observe!({
        step: t + 1,
        batch,
        losses: new Float64Array(3),
        pass: null!,
        gradientNorms: null!,
      });
    }
    return sampler.state;
  };
  const on = run("varianceRatio"), off = run("sqrtVarianceRatio");
  assert.equal(on.importance, true);
  assertClose(on.tau, 3, { rtol: 1e-2, atol: 0 }); // 3 (1 − 0.9^60)
  assert.equal(off.importanceSteps, 0);
  assertClose(off.tau, Math.sqrt(3), { rtol: 1e-2, atol: 0 });
});

Deno.test("fit counts 3b per step plus B − b per importance step that reuses its forward pass, B without reuse", async () => {
  const { data, model } = classification(30, 43);
  const b = 4;
  const run = async (sampler: ReturnType<typeof presampler>, steps: number) =>
    (await fit(model.clone(), data, {
      loss: "softmaxCrossEntropy",
      random: new Random(1),
      batchSize: b,
      learningRate: 0.1,
      steps,
      sampler,
      progress: "none",
    })).at(-1)!.forward_equivalents;
  for (const [presample, B] of [[3, 12], [2.5, 10]]) {
    const sampler = presampler({ alwaysOn: true, presample });
    assert.equal(await run(sampler, 10), 10 * (2 * b + B), "B + 2b per step");
    assert.deepEqual([sampler.state.importanceSteps, sampler.state.reusedSteps], [10, 10]);
    assert.ok(sampler.state.tau > 0, "τ tracked even when always on");
    const recomputing = presampler({ alwaysOn: true, presample, reusePass: "never" });
    assert.equal(await run(recomputing, 10), 10 * (3 * b + B), "B + 3b per step");
    assert.equal(recomputing.state.reusedSteps, 0);
  }
  const exact = presampler({ alwaysOn: true, score: "gradientNorm" });
  assert.equal(await run(exact, 5), 5 * (2 * b + 3 * 12), "3B for the exact norm, less b");
  const uniformScore = presampler({ alwaysOn: true, score: "uniform" });
  assert.equal(await run(uniformScore, 5), 5 * 3 * b, "no forward pass to reuse, nothing spent");
  assert.equal(uniformScore.state.reusedSteps, 0);
});

/**
 * The marginal law of the first draw of Algorithm 1 from its definition, independent of the
 * sampler's code: U = (u_1..u_B) uniform i.i.d. over N, then position j with probability
 * s_{u_j} / Σ_k s_{u_k}. With squared error and an identity output, s_i = ‖x_L,i − y_i‖.
 * `power` 2 gives the law the loss score would give (ℓ_i = ½ s_i²), for a meaningfulness check.
 */
function twoStageMarginal(
  model: Mlp,
  data: { x: Matrix; y: Matrix },
  options: { presample: number; power: number },
): number[] {
  const out = model.predict(data.x), n = data.x.cols, B = options.presample;
  const s = Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let r = 0; r < out.rows; r++) sum += (out.get(r, i) - data.y.get(r, i)) ** 2;
    return Math.sqrt(sum) ** options.power;
  });
  const marginal = new Array(n).fill(0), u = new Array(B).fill(0);
  for (let code = 0; code < n ** B; code++) {
    for (let j = 0, c = code; j < B; j++, c = Math.floor(c / n)) u[j] = c % n;
    const total = u.reduce((a, i) => a + s[i], 0);
    for (let j = 0; j < B; j++) marginal[u[j]] += s[u[j]] / total / n ** B;
  }
  return marginal;
}

Deno.test("presampled draws follow Algorithm 1's two-stage marginal computed from its definition, not the loss's (χ² at a fixed seed)", () => {
  const { data, model } = classification(4, 44);
  const sampler = presampler({ alwaysOn: true, presample: 1.5 }); // b = 2, B = 3
  const context = { model, data, loss: squaredError, batchSize: 2, step: 0 };
  const marginal = twoStageMarginal(model, data, { presample: 3, power: 1 });
  assertClose(marginal.reduce((s, v) => s + v, 0), 1, { rtol: 1e-13, atol: 0 });
  // the exact law of the sampler's own draws (every presample and second-stage choice) agrees
  const enumerated = [0, 0, 0, 0];
  for (
    const { probability, value } of enumerateOutcomes((random) =>
      sampler.sample({ ...context, random })
    )
  ) {
    enumerated[value.indices[0]] += probability;
  }
  assertClose(enumerated, marginal, { rtol: 1e-12, atol: 0 });
  assert.ok(Math.min(...marginal) > 0.1, "every cell expects > 1000 draws");
  // the b draws of one batch share a presample, so only the first draw of each batch is counted:
  // the batches are independent, so the counts are multinomial
  const counts = [0, 0, 0, 0], batches = 10_000, random = new Random(5);
  for (let t = 0; t < batches; t++) counts[sampler.sample({ ...context, random }).indices[0]]++;
  const chi = chiSquare(counts, marginal.map((m) => batches * m));
  assert.ok(chi < 16.266, `χ² ${chi}`); // χ²(3) upper 0.1% point: significance level α = 0.001
  // importance changes the law: uniform would give ¼ each, and the marginal is far from it
  assert.ok(Math.max(...marginal.map((m) => Math.abs(m - 0.25))) > 0.02, `${marginal}`);
  // and the score matters: the loss's law is more than 0.01 away from the bound's in some cell
  const lossMarginal = twoStageMarginal(model, data, { presample: 3, power: 2 });
  assert.ok(
    Math.max(...lossMarginal.map((m, i) => Math.abs(m - marginal[i]))) > 0.01,
    `${lossMarginal} vs ${marginal}`,
  );
});

Deno.test("presampled weights are 1/(B p_j), bounded by 1/ε with mixing, and all-zero scores give uniform weights 1", () => {
  const model = new Mlp([Matrix.from([[1, 0]])], [identity]); // x_L = x
  const peaked = {
    name: "peaked",
    x: Matrix.zeros(1, 6),
    y: Matrix.row([0, 0, 0, 0, 1e-9, 5]),
    labels: null,
  };
  const context = { model, data: peaked, loss: squaredError, batchSize: 3, step: 0 };
  const mixed = presampler({ alwaysOn: true, epsilon: 0.25 });
  const plain = presampler({ alwaysOn: true });
  const random = new Random(6);
  let largest = 0;
  for (let t = 0; t < 200; t++) {
    const batch = mixed.sample({ ...context, random });
    const { presample, probabilities } = mixed.state;
    batch.indices.forEach((i, j) => {
      const p = probabilities![presample!.indexOf(i)];
      assert.equal(batch.weights[j], 1 / (9 * p));
      assert.ok(p >= 0.25 / 9 - 1e-15);
    });
    largest = Math.max(largest, ...batch.weights);
    const unmixed = plain.sample({ ...context, random });
    assert.ok(unmixed.weights.every(Number.isFinite));
  }
  assert.ok(largest <= 4 + 1e-12 && largest > 3, `largest weight ${largest} vs 1/ε = 4`);
  const fitted = {
    name: "fitted",
    x: Matrix.row([1, 2, 3]),
    y: Matrix.row([1, 2, 3]),
    labels: null,
  };
  const zero = plain.sample({ ...context, data: fitted, random });
  assert.deepEqual(Array.from(zero.weights), [1, 1, 1]);
  assert.deepEqual(Array.from(plain.state.probabilities!), new Array(9).fill(1 / 9));
  assert.equal(plain.state.tauNew, 1, "all-zero scores: no variance reduction");
});

Deno.test("bad presampler options are rejected with errors naming them", () => {
  assert.throws(
    () => presampler({ presample: 0.5 }),
    /presample must be a finite number >= 1, got 0.5/,
  );
  assert.throws(() => presampler({ epsilon: -0.1 }), /epsilon must be in \[0, 1\], got -0.1/);
  assert.throws(() => presampler({ momentum: 1.2 }), /momentum must be in \[0, 1\), got 1.2/);
  assert.throws(() => presampler({ tauThreshold: NaN }), /tauThreshold is NaN/);
  assert.throws(() => presampler({ score: "norm" }), /unknown score 'norm'/);
  const { data, model } = classification(4, 45);
  assert.throws(
    () =>
      presampler().sample({
        model,
        data,
        loss: squaredError,
        batchSize: 1.5,
        random: new Random(1),
        step: 0,
      }),
    /cannot draw with the sampler 'presampled upper bound': batchSize must be an integer >= 1, got 1.5/,
  );
});

Deno.test("with context.reuse the presampler refills its batch records: the same draws, weights and passes as without", () => {
  const { data, model } = classification(30, 45);
  for (const options of [{ alwaysOn: true }, { alwaysOn: true, reusePass: "never" as const }, {}]) {
    const fresh = presampler(options), reusing = presampler(options);
    const base = { model, data, loss: softmaxCrossEntropy, batchSize: 4, step: 0 };
    const r1 = new Random(7), r2 = new Random(7);
    let kept: unknown = null;
    for (let t = 0; t < 4; t++) {
      const expected = fresh.sample({ ...base, random: r1 });
      const got = reusing.sample({ ...base, random: r2, reuse: true });
      if (t > 0 && options.alwaysOn) assert.equal(got, kept, "one record per kind of batch");
      kept = got;
      assert.deepEqual(Array.from(got.indices), Array.from(expected.indices));
      assert.deepEqual(Array.from(got.weights), Array.from(expected.weights));
      assert.equal(got.forwardEquivalents, expected.forwardEquivalents);
      assert.equal(got.pass === undefined, expected.pass === undefined);
      if (got.pass) assert.deepEqual(got.pass.output.data, expected.pass!.output.data);
    }
  }
});
