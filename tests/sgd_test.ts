import assert from "node:assert/strict";
import {
  type Loss,
  Matrix,
  Mlp,
  NonFiniteGradientError,
  oneHot,
  Random,
  squaredError,
} from "@lib/mod.ts";
import { DivergenceError, learningRateAt, Sgd, sgdUpdate } from "@lib/sgd.ts";
import { rootError } from "./faults.ts";

function problem(seed: number, b = 5) {
  const random = new Random(seed);
  const model = Mlp.create([3, 4, 2], { random, activation: "tanh" });
  const x = random.normalMatrix(3, b), y = random.normalMatrix(2, b);
  return { model, x, y, random };
}

Deno.test("an SGD step is θ ← θ − η ∇[(1/b) Σ w_i ℓ_i], bit for bit", () => {
  const { model, x, y } = problem(1);
  const weights = [0.5, 2, 1, 0, 3];
  const expected = model.clone();
  const { grads, loss } = expected.lossAndGradient(x, y, { loss: "squaredError", weights });
  expected.thetas.forEach((t, l) => t.data.forEach((_, k) => t.data[k] -= 0.3 * grads[l].data[k]));
  const result = new Sgd(model, { loss: "squaredError", learningRate: 0.3 }).step(x, y, {
    weights,
  });
  assert.equal(result.loss, loss);
  assert.equal(result.step, 1);
  assert.equal(result.learningRate, 0.3);
  model.thetas.forEach((t, l) => assert.deepEqual(t.data, expected.thetas[l].data));
  const norm = Math.sqrt(grads.reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0));
  assert.equal(result.gradientNorm, norm);
});

Deno.test("weights are constants: doubling every weight takes the step of a doubled η", () => {
  const a = problem(2), b = problem(2);
  new Sgd(a.model, { loss: "squaredError", learningRate: 0.1 }).step(a.x, a.y, {
    weights: [2, 2, 2, 2, 2],
  });
  new Sgd(b.model, { loss: "squaredError", learningRate: 0.2 }).step(b.x, b.y);
  a.model.thetas.forEach((t, l) => assert.deepEqual(t.data, b.model.thetas[l].data));
});

Deno.test("with w_i = 1/(N p_i) the expected one-draw step is the full-batch step (exact sum over i)", () => {
  const { model, x, y } = problem(3, 6);
  const n = 6, p = [0.05, 0.3, 0.1, 0.2, 0.25, 0.1], eta = 0.05;
  const full = model.clone();
  new Sgd(full, { loss: "squaredError", learningRate: eta }).step(x, y);
  const expected = full.thetas.map((t) => new Float64Array(t.size));
  for (let i = 0; i < n; i++) {
    const one = model.clone();
    new Sgd(one, { loss: "squaredError", learningRate: eta }).step(
      x.gatherColumns([i]),
      y.gatherColumns([i]),
      { weights: [1 / (n * p[i])] },
    );
    one.thetas.forEach((t, l) => t.data.forEach((v, k) => expected[l][k] += p[i] * v));
  }
  full.thetas.forEach((t, l) =>
    t.data.forEach((v, k) => assert.ok(Math.abs(v - expected[l][k]) < 1e-12, `θ_${l + 1}[${k}]`))
  );
});

Deno.test("a schedule is called with t = 0, 1, 2, … and its η is used", () => {
  const { model, x, y } = problem(4);
  const seen: number[] = [];
  const sgd = new Sgd(model, {
    loss: "squaredError",
    learningRate: (t) => {
      seen.push(t);
      return 0.1 / (1 + t);
    },
  });
  const etas = [0, 1, 2].map(() => sgd.step(x, y).learningRate);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(etas, [0.1, 0.05, 0.1 / 3]);
  assert.equal(sgd.steps, 3);
});

Deno.test("steps reuse one workspace per batch size and allocate no new pass", () => {
  const { model, x, y, random } = problem(5);
  const sgd = new Sgd(model, { loss: "squaredError", learningRate: 0.01 });
  const first = sgd.step(x, y);
  const second = sgd.step(x, y);
  assert.equal(second.pass, first.pass);
  assert.equal(second.values, first.values);
  const other = sgd.step(random.normalMatrix(3, 2), random.normalMatrix(2, 2));
  assert.notEqual(other.pass, first.pass);
  assert.equal(sgd.step(x, y).pass, first.pass);
});

Deno.test("with reuseResults a step refills one result record per batch size, with each step's numbers and the same bits", () => {
  const a = problem(6), b = problem(6);
  const fresh = new Sgd(a.model, { loss: "squaredError", learningRate: 0.05 });
  const reusing = new Sgd(b.model, {
    loss: "squaredError",
    learningRate: 0.05,
    reuseResults: true,
  });
  const first = reusing.step(b.x, b.y);
  fresh.step(a.x, a.y);
  for (let t = 2; t <= 4; t++) {
    const expected = fresh.step(a.x, a.y), got = reusing.step(b.x, b.y);
    assert.equal(got, first, "the same record");
    assert.deepEqual(
      [got.step, got.learningRate, got.loss, got.gradientNorm],
      [t, 0.05, expected.loss, expected.gradientNorm],
    );
  }
  assert.deepEqual(b.model.thetas.map((m) => m.data), a.model.thetas.map((m) => m.data));
});

Deno.test("softmax cross-entropy steps lower the loss of a separable problem", () => {
  const random = new Random(6);
  const model = Mlp.create([2, 3], { random });
  const x = Matrix.from([[2, 0, -2, 0], [0, 2, 0, -2]]), y = oneHot([0, 1, 2, 1], 3);
  const sgd = new Sgd(model, { loss: "softmaxCrossEntropy", learningRate: 0.5 });
  const first = sgd.step(x, y).loss;
  let last = first;
  for (let t = 0; t < 50; t++) last = sgd.step(x, y).loss;
  assert.ok(last < first / 2, `${first} → ${last}`);
});

/** Squared error whose value becomes NaN from the k-th call on. */
function nanFrom(k: number): Loss {
  let calls = 0;
  return {
    ...squaredError,
    name: "nan from call " + k,
    values(output, target, out) {
      const v = squaredError.values(output, target, out);
      if (++calls >= k) v[0] = NaN;
      return v;
    },
  };
}

Deno.test("a NaN loss stops with a DivergenceError naming the step and the last finite loss; θ is unchanged", () => {
  const { model, x, y } = problem(7);
  const sgd = new Sgd(model, { loss: nanFrom(3), learningRate: 0.01 });
  sgd.step(x, y);
  const second = sgd.step(x, y).loss;
  const before = model.thetas.map((t) => t.data.slice());
  assert.throws(() => sgd.step(x, y), (e) => {
    assert.ok(e instanceof DivergenceError && e instanceof RangeError);
    assert.equal(e.step, 3);
    assert.ok(Number.isNaN(e.loss));
    assert.equal(e.lastFiniteLoss, second);
    assert.match(
      e.message,
      new RegExp(
        `^cannot take SGD step 3: the minibatch loss is NaN \\(last finite loss ${second} at step 2\\)`,
      ),
    );
    return true;
  });
  model.thetas.forEach((t, l) => assert.deepEqual(t.data, before[l]));
  assert.equal(sgd.steps, 2);
});

Deno.test("a learning rate that diverges ends in a DivergenceError, not in NaN parameters", () => {
  const random = new Random(8);
  const model = Mlp.create([2, 1], { random });
  const x = random.normalMatrix(2, 16), y = random.normalMatrix(1, 16);
  const sgd = new Sgd(model, { loss: "squaredError", learningRate: 50 });
  assert.throws(() => {
    for (let t = 0; t < 10_000; t++) sgd.step(x, y);
  }, DivergenceError);
  assert.ok(model.thetas.every((t) => t.data.every(Number.isFinite)));
  assert.ok(sgd.steps > 0 && Number.isFinite(sgd.lastFiniteLoss!));
});

Deno.test("bad learning rates and weights are rejected with errors naming them", () => {
  const { model, x, y } = problem(9);
  for (const bad of [0, -1, NaN, Infinity, "0.1" as unknown as number]) {
    assert.throws(
      () => new Sgd(model, { loss: "squaredError", learningRate: bad }),
      /learningRate must be a/,
    );
  }
  const negative = new Sgd(model, { loss: "squaredError", learningRate: () => -0.1 });
  assert.throws(() => negative.step(x, y), /the learningRate schedule returned -0.1/);
  assert.equal(learningRateAt(() => 0, 4), 0, "a schedule may reach 0");
  const sgd = new Sgd(model, { loss: "squaredError", learningRate: 0.1 });
  assert.throws(() => sgd.step(x, y, { weights: [1, 1] }), /2 weights for a minibatch of 5/);
  assert.throws(() => sgd.step(x, y, { weights: [1, 1, -1, 1, 1] }), /weight 2 is -1/);
  assert.throws(() => sgd.step(x, y, { weights: [1, NaN, 1, 1, 1] }), /weight 1 is NaN/);
  assert.throws(() => sgd.step(x, Matrix.zeros(2, 4)), /targets are 2x4 but the network gives 2x5/);
  assert.throws(() => new Sgd(model, { loss: "mse", learningRate: 0.1 }), /unknown loss 'mse'/);
  assert.equal(sgd.steps, 0, "no failed call counted as a step");
});

Deno.test("sgdUpdate rejects gradients that do not match θ", () => {
  const theta = [Matrix.zeros(2, 3)];
  assert.throws(
    () => sgdUpdate(theta, { gradients: [Matrix.zeros(3, 2)], learningRate: 1 }),
    /θ_1 is 2x3 but its gradient is 3x2/,
  );
  assert.throws(
    () => sgdUpdate(theta, { gradients: [], learningRate: 1 }),
    /1 parameter matrices but 0 gradients/,
  );
});

Deno.test("a non-finite gradient at a finite loss is a NonFiniteGradientError naming the layer, not a divergence", () => {
  // sample 1 has x = 0: the output is the bias 0, equal to its target, where √|x − y| has no slope
  const model = Mlp.create([1, 2, 1], { random: new Random(3) });
  const before = model.thetas.map((t) => t.data.slice());
  const sgd = new Sgd(model, { loss: rootError, learningRate: 0.1 });
  assert.throws(() => sgd.step(Matrix.row([1, 0]), Matrix.row([4, 0])), (e) => {
    assert.ok(e instanceof NonFiniteGradientError && !(e instanceof DivergenceError));
    assert.equal(
      e.message,
      "cannot take SGD step 1: ∇θ_2 is NaN at (0, 0): the loss gradient ∂ℓ/∂x_L is NaN at output 0 of sample 1 of the batch (x_L = 0 there): the loss has no finite gradient at this output and target; parameters left unchanged",
    );
    return true;
  });
  model.thetas.forEach((t, l) => assert.deepEqual(t.data, before[l]));
  assert.equal(sgd.steps, 0);
});

Deno.test("a gradient that overflows at a finite loss is a divergence that says the loss was finite", () => {
  // softmax cross-entropy on inputs of 1e160: the loss is about 1e160, each ∇ entry about 1e160,
  // and the sum of their squares overflows
  const model = Mlp.create([2, 3], { random: new Random(0) });
  const x = Matrix.from([[1e160, 1e160], [1e160, 1e160]]), y = oneHot([0, 2], 3);
  const sgd = new Sgd(model, { loss: "softmaxCrossEntropy", learningRate: 0.1 });
  assert.throws(() => sgd.step(x, y), (e) => {
    assert.ok(e instanceof DivergenceError);
    assert.ok(Number.isFinite(e.minibatchLoss!));
    assert.equal(e.quantity, "squared gradient norm");
    assert.match(
      e.message,
      /^cannot take SGD step 1: the squared gradient norm is Infinity at a finite minibatch loss [\d.e+]+ \(no step before it\): every entry of the gradient is finite but the sum of their squares overflows: the gradient is too large; parameters left unchanged$/,
    );
    return true;
  });
});

Deno.test("a given forward pass of another batch size or network is refused, naming the step", () => {
  const { model, x, y } = problem(3);
  const sgd = new Sgd(model, { loss: "squaredError", learningRate: 0.1 });
  const wrongBatch = model.forward(x.gatherColumns([0, 1]));
  assert.throws(
    () => sgd.step(x, y, { pass: wrongBatch }),
    /cannot take SGD step 1: the given forward pass \(batch 2\)/,
  );
  const other = Mlp.create([3, 6, 2], { random: new Random(0) });
  assert.throws(
    () => sgd.step(x, y, { pass: other.forward(x) }),
    /does not fit the network's layers \[3,4,2\]/,
  );
  const own = model.forward(x);
  const expected = model.clone();
  new Sgd(expected, { loss: "squaredError", learningRate: 0.1 }).step(x, y);
  sgd.step(x, y, { pass: own });
  assert.deepEqual(model.thetas.map((t) => t.data), expected.thetas.map((t) => t.data));
});
