import assert from "node:assert/strict";
import {
  type Activation,
  type Loss,
  Matrix,
  Mlp,
  oneHot,
  Random,
  resolveActivation,
  resolveLoss,
} from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { fit } from "@lib/train.ts";
import type { Sampler, StepFeedback } from "@lib/sampling/sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import {
  gradientNormScore,
  lossScore,
  resolveScore,
  Scorer,
  uniformScore,
  upperBoundFromPass,
  upperBoundScore,
} from "@lib/sampling/scores.ts";

/**
 * ∂ℓ_i/∂z_L by central differences, perturbing z_L itself: ℓ(σ_L(z), y) for one column.
 * With h = 1e-6 the truncation error is h²/6 · |ℓ'''| ≈ 1e-13 and the rounding error about
 * 1e-16 · |ℓ| / h ≈ 1e-10 for the O(1) losses here, so 1e-8 absolute is a safe tolerance.
 */
function numericPreActivationGradient(
  z: Float64Array,
  y: Float64Array,
  { loss, activation }: { loss: Loss; activation: Activation },
): Float64Array {
  const h = 1e-6, k = z.length, grad = new Float64Array(k);
  const value = (v: Float64Array) => {
    const x = Matrix.from(Array.from(v, (t) => [activation.f(t)]));
    return loss.values(x, Matrix.from(Array.from(y, (t) => [t])))[0];
  };
  for (let r = 0; r < k; r++) {
    const up = Float64Array.from(z), down = Float64Array.from(z);
    up[r] += h;
    down[r] -= h;
    grad[r] = (value(up) - value(down)) / (2 * h);
  }
  return grad;
}

function column(m: Matrix, j: number): Float64Array {
  return Float64Array.from({ length: m.rows }, (_, r) => m.get(r, j));
}

const closedFormCases: [string, string, string, (random: Random, n: number) => Matrix][] = [
  [
    "softmax cross-entropy",
    "softmaxCrossEntropy",
    "identity",
    (r, n) => oneHot(Array.from({ length: n }, () => r.int(3)), 3),
  ],
  ["squared error, identity output", "squaredError", "identity", (r, n) => r.normalMatrix(3, n)],
  [
    "squared error, sigmoid output",
    "squaredError",
    "sigmoid",
    (r, n) =>
      Matrix.from(Array.from({ length: 3 }, () => Array.from({ length: n }, () => r.float()))),
  ],
  ["squared error, tanh output", "squaredError", "tanh", (r, n) => r.normalMatrix(3, n)],
];

Deno.test("the upper bound ‖∂ℓ_i/∂z_L‖ equals the norm of the finite-difference gradient in z_L, for each closed form", () => {
  for (const [what, lossName, output, targets] of closedFormCases) {
    const random = new Random(11), n = 6, loss = resolveLoss(lossName);
    const activation = resolveActivation(output);
    const model = Mlp.create([4, 5, 3], { random, activation: "tanh", output });
    const x = random.normalMatrix(4, n), y = targets(random, n);
    const scores = upperBoundScore.compute(model, x, y, { loss });
    const pass = model.forward(x);
    for (let j = 0; j < n; j++) {
      const numeric = numericPreActivationGradient(column(pass.z(2), j), column(y, j), {
        loss,
        activation,
      });
      const norm = Math.hypot(...numeric);
      assert.ok(norm > 1e-3, `${what}: a non-trivial gradient`);
      assertClose(scores[j], norm, { atol: 1e-8, rtol: 0, what: `${what}, sample ${j}` });
    }
  }
});

Deno.test("the softmax cross-entropy bound is ‖softmax(z_L) − y‖ and the identity squared-error bound is √(2ℓ_i)", () => {
  const random = new Random(12), n = 5;
  const model = Mlp.create([3, 4, 3], { random, activation: "relu" });
  const x = random.normalMatrix(3, n), labels = [0, 2, 1, 1, 0], y = oneHot(labels, 3);
  const s = upperBoundScore.compute(model, x, y, { loss: "softmaxCrossEntropy" });
  const logits = model.predict(x);
  for (let j = 0; j < n; j++) {
    const z = column(logits, j), max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max)), total = e.reduce((a, v) => a + v, 0);
    const diff = e.map((v, r) => v / total - (r === labels[j] ? 1 : 0));
    assertClose(s[j], Math.hypot(...diff), { rtol: 1e-14, atol: 0 });
    assert.ok(s[j] <= Math.SQRT2, "at most √2");
  }
  const yr = random.normalMatrix(3, n);
  const bound = upperBoundScore.compute(model, x, yr, { loss: "squaredError" });
  const loss = lossScore.compute(model, x, yr, { loss: "squaredError" });
  assertClose(bound, loss.map((l) => Math.sqrt(2 * l)), { rtol: 1e-14, atol: 0 });
});

Deno.test("with one layer the bound is exact up to ‖[x; 1]‖: ‖∇θ ℓ_i‖ = ‖∂ℓ_i/∂z‖ · ‖[x_i; 1]‖", () => {
  const random = new Random(13), n = 4;
  const model = Mlp.create([3, 2], { random, output: "sigmoid" });
  const x = random.normalMatrix(3, n), y = random.normalMatrix(2, n);
  const bound = upperBoundScore.compute(model, x, y, { loss: "squaredError" });
  const exact = gradientNormScore.compute(model, x, y, { loss: "squaredError" });
  for (let j = 0; j < n; j++) {
    const inputNorm = Math.hypot(...column(x, j), 1);
    assertClose(exact[j], bound[j] * inputNorm, { rtol: 1e-13, atol: 0 });
  }
});

Deno.test("the exact gradient norm from one batched backward equals a per-sample loop", () => {
  const random = new Random(14), n = 7;
  for (
    const [loss, y] of [
      ["softmaxCrossEntropy", oneHot([0, 1, 2, 2, 1, 0, 1], 3)],
      ["squaredError", random.normalMatrix(3, n)],
    ] as const
  ) {
    const model = Mlp.create([4, 6, 5, 3], { random, activation: "tanh" });
    const x = random.normalMatrix(4, n);
    const scores = gradientNormScore.compute(model, x, y, { loss });
    for (let j = 0; j < n; j++) {
      const one = model.lossAndGradient(x.gatherColumns([j]), y.gatherColumns([j]), { loss });
      const norm = Math.sqrt(
        one.grads.reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0),
      );
      assertClose(scores[j], norm, { rtol: 1e-12, atol: 0, what: `${loss} sample ${j}` });
    }
  }
});

Deno.test("scores read from a training step equal scores computed afresh at θ before the step", async () => {
  const random = new Random(15), n = 12;
  const data = {
    name: "toy",
    x: random.normalMatrix(3, n),
    y: oneHot(Array.from({ length: n }, (_, i) => i % 3), 3),
    labels: null,
  };
  const model = Mlp.create([3, 5, 3], { random, activation: "relu" });
  const inner = presampler({ alwaysOn: true, presample: 2 }); // weights 1/(B p), not 1
  const checked: string[] = [];
  let before: Mlp | null = null; // θ before the step: the model is updated when observe runs
  const sampler: Sampler = {
    name: "checking",
    sample(context) {
      before = context.model.clone();
      return inner.sample(context);
    },
    observe(feedback: StepFeedback) {
      const x = data.x.gatherColumns(feedback.batch.indices);
      const y = data.y.gatherColumns(feedback.batch.indices);
      for (const score of [uniformScore, lossScore, upperBoundScore, gradientNormScore]) {
        const fresh = score.compute(before!, x, y, { loss: "softmaxCrossEntropy" });
        assertClose(score.fromStep(feedback), fresh, {
          rtol: 1e-12,
          atol: 1e-15,
          what: score.name,
        });
        checked.push(score.name);
      }
    },
  };
  await fit(model, data, {
    loss: "softmaxCrossEntropy",
    random: new Random(1),
    batchSize: 4,
    learningRate: 0.1,
    steps: 3,
    sampler,
    progress: "none",
  });
  assert.equal(checked.length, 12);
});

Deno.test("a Scorer scores any columns in chunks exactly as one pass, and counts cost · samples", () => {
  const random = new Random(16), n = 11;
  const model = Mlp.create([3, 4, 2], { random, activation: "relu" });
  const data = {
    name: "toy",
    x: random.normalMatrix(3, n),
    y: random.normalMatrix(2, n),
    labels: null,
  };
  for (const name of ["uniform", "loss", "upperBound", "gradientNorm"]) {
    const score = resolveScore(name);
    const whole = score.compute(model, data.x, data.y, { loss: "squaredError" });
    for (const chunk of [1, 4, 11, 100]) {
      const scorer = new Scorer(name, { loss: "squaredError", chunk });
      assertClose(scorer.scoreColumns(model, data), whole, { rtol: 1e-13, atol: 1e-15 });
      const picked = scorer.scoreColumns(model, data, { indices: [10, 0, 10] });
      assertClose(picked, [whole[10], whole[0], whole[10]], { rtol: 1e-13, atol: 1e-15 });
      assert.equal(scorer.cost(n), n * score.cost);
    }
  }
  assert.deepEqual([
    uniformScore.cost,
    lossScore.cost,
    upperBoundScore.cost,
    gradientNormScore.cost,
  ], [0, 1, 1, 3]);
  const scorer = new Scorer("loss", { loss: "squaredError" });
  assert.throws(
    () => scorer.scoreColumns(model, data, { indices: [11] }),
    /cannot score column 11/,
  );
  assert.throws(
    () => new Scorer("loss", { loss: "squaredError", chunk: 0 }),
    /chunk must be an integer >= 1/,
  );
  assert.throws(
    () => resolveScore("gnorm"),
    /unknown score 'gnorm': expected one of uniform, loss, upperBound, gradientNorm/,
  );
});

Deno.test("upperBoundFromPass leaves δ_L of the summed loss in the pass", () => {
  const random = new Random(17);
  const model = Mlp.create([2, 3, 2], { random, output: "sigmoid" });
  const x = random.normalMatrix(2, 3), y = random.normalMatrix(2, 3);
  const pass = model.forward(x);
  upperBoundFromPass(model, pass, { target: y, loss: "squaredError" });
  const delta = pass.delta(2).clone();
  model.backward(pass, resolveLoss("squaredError").gradOutput(pass.output, y));
  assertClose(delta, pass.delta(2), { rtol: 1e-15, atol: 0 });
});

Deno.test("a Scorer keeps the forward pass of columns that fit one chunk, for scores that run one, and only then", () => {
  const random = new Random(17), n = 9;
  const model = Mlp.create([3, 4, 2], { random, activation: "tanh" });
  const data = {
    name: "toy",
    x: random.normalMatrix(3, n),
    y: random.normalMatrix(2, n),
    labels: null,
  };
  const indices = [8, 1, 8, 4];
  const direct = model.forward(data.x.gatherColumns(indices));
  for (const name of ["loss", "upperBound", "gradientNorm"]) {
    const scorer = new Scorer(name, { loss: "squaredError", chunk: 4 });
    scorer.scoreColumns(model, data, { indices });
    const kept = scorer.lastPass!;
    kept.xs.forEach((x, l) => assert.deepEqual(x.data, direct.xs[l].data, `${name}: x_${l}`));
    kept.zs.forEach((z, l) => assert.deepEqual(z.data, direct.zs[l].data, `${name}: z_${l + 1}`));
    scorer.scoreColumns(model, data, { indices: [...indices, 0] }); // two chunks: none kept
    assert.equal(scorer.lastPass, null, name);
  }
  const uniform = new Scorer("uniform", { loss: "squaredError", chunk: 4 });
  uniform.scoreColumns(model, data, { indices });
  assert.equal(uniform.lastPass, null, "the uniform score runs no forward pass");
});

Deno.test("fromStep writes into a given array the scores it returns fresh, and rejects one of another length", async () => {
  const random = new Random(18), n = 12;
  const data = {
    name: "toy",
    x: random.normalMatrix(3, n),
    y: oneHot(Array.from({ length: n }, (_, i) => i % 3), 3),
    labels: null,
  };
  const model = Mlp.create([3, 5, 3], { random, activation: "relu" });
  const inner = presampler({ alwaysOn: true, presample: 2 });
  let checked = 0;
  const sampler: Sampler = {
    name: "checking",
    sample: (context) => inner.sample(context),
    observe(feedback: StepFeedback) {
      for (const score of [uniformScore, lossScore, upperBoundScore, gradientNormScore]) {
        const out = new Float64Array(4).fill(NaN);
        assert.equal(score.fromStep(feedback, out), out);
        assert.deepEqual(out, score.fromStep(feedback), score.name);
        assert.throws(
          () => score.fromStep(feedback, new Float64Array(5)),
          /cannot score a step of 4 draws into an array of 5/,
        );
        checked++;
      }
    },
  };
  await fit(model, data, {
    loss: "softmaxCrossEntropy",
    random: new Random(1),
    batchSize: 4,
    learningRate: 0.1,
    steps: 2,
    sampler,
    progress: "none",
  });
  assert.equal(checked, 8);
});

Deno.test("a Scorer gathers chosen columns of a wide x from its sample-major copy with the same bits", () => {
  const random = new Random(19), n = 30;
  const model = Mlp.create([40, 6, 3], { random, activation: "relu" });
  const data = {
    name: "wide",
    x: random.normalMatrix(40, n),
    y: oneHot(Array.from({ length: n }, (_, i) => i % 3), 3),
    labels: null,
  };
  const indices = [29, 3, 3, 17, 0];
  const x = data.x.gatherColumns(indices), y = data.y.gatherColumns(indices);
  for (const name of ["loss", "upperBound", "gradientNorm"]) {
    // one chunk of the same 5 columns: the same products as the direct computation
    const scorer = new Scorer(name, { loss: "softmaxCrossEntropy", chunk: 5 });
    const fresh = resolveScore(name).compute(model, x, y, { loss: "softmaxCrossEntropy" });
    assert.deepEqual(scorer.scoreColumns(model, data, { indices }), fresh, name);
  }
});
