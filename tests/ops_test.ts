import assert from "node:assert/strict";
import {
  activate,
  add,
  appendOnesRow,
  backward,
  constant,
  gradcheck,
  input,
  lossPerSample,
  matmul,
  Matrix,
  mean,
  multiply,
  type Node,
  oneHot,
  parameter,
  Random,
  scale,
  sum,
  weightedMean,
} from "@lib/mod.ts";

/**
 * Checks an op's VJP against central differences: the scalar is Σ R ∘ op(params) with a fixed
 * random R, so every entry of the Jacobian is exercised.
 */
function checkOp(
  name: string,
  params: Matrix[],
  op: (nodes: Node[]) => Node,
  random = new Random(17),
): void {
  const build = () => {
    const nodes = params.map((p, i) => parameter(p, `p${i}`));
    const out = op(nodes);
    return { nodes, out };
  };
  const probe = build().out.value;
  const r = random.normalMatrix(probe.rows, probe.cols);
  const scalar = (out: Node) => sum(multiply(out, constant(r)));
  const { nodes, out } = build();
  backward(scalar(out));
  const report = gradcheck(() => scalar(build().out).value.data[0], {
    params,
    analytic: nodes.map((n) => n.grad!.clone()),
  });
  assert.ok(report.ok, `${name}: ${JSON.stringify(report)}`);
}

const random = new Random(99);
const m = (r: number, c: number) => random.normalMatrix(r, c);

Deno.test("matmul backward matches finite differences", () => {
  checkOp("matmul", [m(3, 4), m(4, 5)], ([a, b]) => matmul(a, b));
  checkOp("matmul 1x1", [m(1, 1), m(1, 7)], ([a, b]) => matmul(a, b));
});

Deno.test("add and multiply backward match finite differences", () => {
  checkOp("add", [m(2, 3), m(2, 3)], ([a, b]) => add(a, b));
  checkOp("multiply", [m(2, 3), m(2, 3)], ([a, b]) => multiply(a, b));
});

Deno.test("scale and appendOnesRow backward match finite differences", () => {
  checkOp("scale", [m(3, 2)], ([a]) => scale(a, -2.5));
  checkOp("appendOnesRow", [m(3, 2)], ([a]) => appendOnesRow(a));
});

Deno.test("activate backward matches finite differences for every named activation", () => {
  for (const act of ["identity", "tanh", "sigmoid", "softplus", "relu", "z * exp(-z * z)"]) {
    // relu: keep entries away from the kink at 0, where the derivative does not exist
    const a = m(3, 4).data.map((v) => (Math.abs(v) < 0.1 ? v + 0.3 : v));
    checkOp(act, [new Matrix(3, 4, a)], ([x]) => activate(x, act));
  }
});

Deno.test("sum, mean and weightedMean backward match finite differences", () => {
  checkOp("sum", [m(3, 3)], ([a]) => sum(a));
  checkOp("mean", [m(2, 5)], ([a]) => mean(a));
  checkOp("weightedMean", [m(1, 4)], ([a]) => weightedMean(a, [0.5, 2, 1, 3]));
});

Deno.test("lossPerSample backward matches finite differences for both losses", () => {
  const y = m(3, 4);
  checkOp("squared error", [m(3, 4)], ([x]) => lossPerSample(x, input(y), "squaredError"));
  const labels = oneHot([0, 2, 1, 2], 3);
  checkOp(
    "softmax cross-entropy",
    [m(3, 4)],
    ([x]) => lossPerSample(x, input(labels), "softmaxCrossEntropy"),
  );
});

Deno.test("a node used twice receives the sum of both gradients", () => {
  const a = parameter(Matrix.from([[3]]));
  backward(add(multiply(a, a), a)); // d(a² + a)/da = 2a + 1
  assert.equal(a.grad!.get(0, 0), 7);
});

Deno.test("no gradient flows into inputs and constants", () => {
  const x = input(Matrix.from([[1, 2]])), w = parameter(Matrix.from([[1], [1]]));
  backward(sum(matmul(x, w)));
  assert.equal(x.grad, null);
  assert.deepEqual(w.grad!.toArray(), [[1], [2]]);
});

Deno.test("ops reject mismatched shapes, naming both", () => {
  const a = parameter(Matrix.zeros(2, 3)), b = parameter(Matrix.zeros(3, 2));
  assert.throws(() => add(a, b), /cannot add 2x3 and 3x2: shapes differ/);
  assert.throws(() => multiply(a, b), /cannot multiply elementwise 2x3 and 3x2/);
  assert.throws(() => matmul(a, a), /cannot multiply 2x3 by 2x3: inner sizes differ/);
  assert.throws(() => weightedMean(a, [1, 1, 1]), /expected a 1xB row/);
});

Deno.test("backward refuses a non-scalar root", () => {
  assert.throws(
    () => backward(parameter(Matrix.zeros(2, 2))),
    /backward needs a scalar \(1x1\) root/,
  );
});
