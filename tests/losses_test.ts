import assert from "node:assert/strict";
import {
  gradcheck,
  gradPreActivation,
  Matrix,
  oneHot,
  Random,
  resolveActivation,
  resolveLoss,
  softmaxCrossEntropy,
  squaredError,
} from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";

Deno.test("loss gradients with respect to x_L match finite differences", () => {
  const random = new Random(1);
  const y = oneHot([1, 0, 2], 3), t = random.normalMatrix(3, 3);
  for (const [loss, target] of [[squaredError, t], [softmaxCrossEntropy, y]] as const) {
    const x = random.normalMatrix(3, 3);
    const report = gradcheck(() => loss.values(x, target).reduce((a, b) => a + b, 0), {
      params: [x],
      analytic: [loss.gradOutput(x, target)],
    });
    assert.ok(report.ok, `${loss.name}: ${JSON.stringify(report)}`);
  }
});

Deno.test("gradient with respect to z_L is σ′(z_L) ∘ ∇x_L and matches finite differences", () => {
  const random = new Random(2);
  const z = random.normalMatrix(2, 3), y = random.normalMatrix(2, 3);
  const sigma = resolveActivation("sigmoid");
  const out = () => new Matrix(2, 3, z.data.map(sigma.f));
  const analytic = gradPreActivation(squaredError, {
    z,
    output: out(),
    target: y,
    activation: sigma,
  });
  const report = gradcheck(() => squaredError.values(out(), y).reduce((a, b) => a + b, 0), {
    params: [z],
    analytic: [analytic],
  });
  assert.ok(report.ok);
});

Deno.test("softmax cross-entropy is stable for logits of ±1000 (log-sum-exp)", () => {
  const x = Matrix.from([[1000, -1000], [0, 0]]), y = oneHot([1, 1], 2);
  const v = softmaxCrossEntropy.values(x, y);
  assertClose(v[0], 1000, { rtol: 1e-15, atol: 0 });
  assertClose(v[1], 0, { rtol: 0, atol: 1e-15 });
  assert.ok(softmaxCrossEntropy.gradOutput(x, y).data.every(Number.isFinite));
});

Deno.test("the softmax cross-entropy gradient of a column sums to zero", () => {
  const random = new Random(3);
  const g = softmaxCrossEntropy.gradOutput(random.normalMatrix(4, 5), oneHot([0, 1, 2, 3, 0], 4));
  for (let j = 0; j < 5; j++) {
    let s = 0;
    for (let i = 0; i < 4; i++) s += g.get(i, j);
    assertClose(s, 0, { rtol: 0, atol: 4e-16 * 4 });
  }
});

Deno.test("a label out of range is rejected, naming the label and its position", () => {
  assert.throws(() => oneHot([0, 1, 10], 10), /label 10 at position 2 is out of range \[0, 10\)/);
  assert.throws(() => oneHot([-1], 3), /label -1 at position 0/);
  assert.throws(() => oneHot([1.5], 3), /label 1.5/);
});

Deno.test("a cross-entropy target that is not a distribution is rejected", () => {
  const x = Matrix.zeros(2, 1);
  assert.throws(() => softmaxCrossEntropy.values(x, Matrix.from([[1], [1]])), /sums to 2/);
  assert.throws(() => softmaxCrossEntropy.values(x, Matrix.from([[2], [-1]])), /must be >= 0/);
});

Deno.test("a target with NaN is rejected, naming the sample (column) and the row", () => {
  assert.throws(
    () => squaredError.values(Matrix.zeros(2, 3), Matrix.from([[0, 0, 0], [0, NaN, 0]])),
    /^RangeError: cannot compute squared error: the target of sample 1 of the batch \(column 1, 2x3\) has NaN in row 1$/,
  );
});

Deno.test("resolveLoss refuses what is neither a loss name nor a Loss", () => {
  for (const bad of [undefined, null, 3, {}, { values: () => 0 }]) {
    assert.throws(
      () => resolveLoss(bad as never),
      /cannot use (undefined|null|3|an object with keys \[(values)?\]) as the loss: give a name \(squaredError, softmaxCrossEntropy\) or a Loss with values\(\), gradOutput\(\) and checkTarget\(\)/,
    );
  }
});

Deno.test("oneHot refuses a class count that is not an integer >= 1", () => {
  for (const classes of [0, 2.5, -1, NaN]) {
    assert.throws(
      () => oneHot([0], classes),
      new RegExp(`classes must be an integer >= 1, got ${classes}`),
    );
  }
});

Deno.test("a loss on an empty batch is rejected", () => {
  assert.throws(() => squaredError.values(Matrix.zeros(1, 0), Matrix.zeros(1, 0)), /empty batch/);
});
