import assert from "node:assert/strict";
import fc from "./fc.ts";
import {
  backward,
  gradcheck,
  Matrix,
  Mlp,
  MlpPass,
  NonFiniteGradientError,
  oneHot,
  Random,
  riskGraph,
  tanh,
} from "@lib/mod.ts";
import { assertClose, relativeDifference } from "@lib/assert_close.ts";
import { brokenTanh, rootError } from "./faults.ts";

const activationNames = ["tanh", "sigmoid", "softplus"] as const;
const architectures = {
  "one hidden layer": [3, 5, 2],
  "four hidden layers": [3, 4, 4, 4, 4, 3],
  "scalar output": [4, 6, 1],
} as const;

/** Data for a loss: x is d×B normal, y is normal (squared error) or one-hot (cross-entropy). */
function batch(sizes: readonly number[], b: number, loss: string, random: Random) {
  const x = random.normalMatrix(sizes[0], b);
  const out = sizes[sizes.length - 1];
  const y = loss === "squaredError"
    ? random.normalMatrix(out, b)
    : oneHot(Array.from({ length: b }, () => random.int(out)), out);
  return { x, y };
}

Deno.test("θ_l is (d_l − 1) × d_{l−1} for hidden layers and d_L × d_{L−1} for the output", () => {
  const sizes = [5, 7, 3, 2]; // units without the constant
  const d = [6, 8, 4, 2]; // d_l counts the constant unit, except at the output
  const net = Mlp.create(sizes, { random: new Random(0) });
  for (let l = 1; l < net.layers; l++) {
    assert.equal(net.theta(l).shape, `${d[l] - 1}x${d[l - 1]}`);
  }
  assert.equal(net.theta(net.layers).shape, `${d[3]}x${d[2]}`);
  assert.ok(net.thetas.every((t) => t.data.every(Number.isFinite)));
});

Deno.test("mlp backward matches finite differences for 3 activations × 2 losses × 3 architectures", async (t) => {
  for (const [archName, sizes] of Object.entries(architectures)) {
    for (const activation of activationNames) {
      for (const loss of ["squaredError", "softmaxCrossEntropy"]) {
        await t.step(`${archName}, ${activation}, ${loss}`, () => {
          const random = new Random(11);
          const net = Mlp.create(sizes, { random, activation });
          const { x, y } = batch(sizes, 4, loss, random);
          const { grads } = net.lossAndGradient(x, y, { loss });
          const report = gradcheck(() => net.lossAndGradient(x, y, { loss }).loss, {
            params: net.thetas,
            analytic: grads.map((g) => g.clone()),
          });
          assert.ok(report.ok, JSON.stringify(report));
          if (loss === "softmaxCrossEntropy" && sizes[sizes.length - 1] === 1) {
            // one class: softmax is 1, the loss is 0 whatever Θ, so the gradient is exactly 0
            assert.ok(grads.every((g) => g.data.every((v) => v === 0)));
          }
        });
      }
    }
  }
});

Deno.test("δ recursion and autograd give the same gradients to 1e-12 relative", () => {
  for (const sizes of Object.values(architectures)) {
    for (const activation of [...activationNames, "relu", "z / (1 + exp(-z))"]) {
      for (const loss of ["squaredError", "softmaxCrossEntropy"]) {
        const random = new Random(5);
        const net = Mlp.create(sizes, { random, activation });
        const { x, y } = batch(sizes, 6, loss, random);
        const weights = Array.from({ length: 6 }, () => 0.5 + random.float());
        const { grads, loss: value } = net.lossAndGradient(x, y, { loss, weights });
        const graph = riskGraph(net, { x, y, loss, weights });
        backward(graph.risk);
        assertClose(graph.risk.value.data[0], value, { rtol: 1e-12, atol: 0, what: "risk" });
        graph.thetas.forEach((node, i) => {
          const rel = relativeDifference(node.grad!, grads[i]);
          assert.ok(rel <= 1e-12, `θ_${i + 1} ${activation} ${loss}: relative difference ${rel}`);
        });
      }
    }
  }
});

Deno.test("the same seed gives bit-identical weights, outputs and gradients", () => {
  const run = () => {
    const random = new Random(2024);
    const net = Mlp.create([6, 9, 9, 3], { random, activation: "relu" });
    const { x, y } = batch(net.sizes, 8, "softmaxCrossEntropy", random);
    const r = net.lossAndGradient(x, y, { loss: "softmaxCrossEntropy" });
    return {
      weights: net.thetas.map((t) => t.data.slice()),
      output: r.pass.output.data.slice(),
      grads: r.grads.map((g) => g.data.slice()),
    };
  };
  const a = run(), b = run();
  assert.deepEqual(a, b); // deepEqual on Float64Arrays compares every bit pattern's value
  const c = (() => {
    const random = new Random(2025);
    return Mlp.create([6, 9, 9, 3], { random }).thetas[0].data;
  })();
  assert.notDeepEqual(a.weights[0], c);
});

Deno.test("per-sample gradient norms from one batched pass equal a per-sample loop", () => {
  const random = new Random(8);
  const net = Mlp.create([4, 7, 5, 3], { random, activation: "tanh" });
  const { x, y } = batch(net.sizes, 5, "softmaxCrossEntropy", random);
  const weights = [1, 2, 0.5, 3, 1];
  const { pass } = net.lossAndGradient(x, y, { loss: "softmaxCrossEntropy", weights });
  const norms = net.perSampleGradientNorms(pass, { weights });
  for (let i = 0; i < 5; i++) {
    const one = net.lossAndGradient(x.gatherColumns([i]), y.gatherColumns([i]), {
      loss: "softmaxCrossEntropy",
    });
    let s = 0;
    for (const g of one.grads) for (const v of g.data) s += v * v;
    assertClose(norms[i], Math.sqrt(s), { rtol: 1e-12, atol: 0, what: `norm ${i}` });
  }
});

Deno.test("a reused pass gives the same result as a fresh one", () => {
  const random = new Random(3);
  const net = Mlp.create([3, 4, 2], { random });
  const a = batch(net.sizes, 4, "squaredError", random);
  const b = batch(net.sizes, 4, "squaredError", random);
  const pass = net.forward(a.x);
  const reused = net.lossAndGradient(b.x, b.y, { loss: "squaredError", pass });
  const fresh = net.clone().lossAndGradient(b.x, b.y, { loss: "squaredError" });
  assert.equal(reused.loss, fresh.loss);
  reused.grads.forEach((g, i) => assert.deepEqual(g.data, fresh.grads[i].data));
});

Deno.test("property: δ recursion equals autograd and finite differences for random nets", () => {
  const smooth = ["tanh", "sigmoid", "softplus", "identity", "z / (1 + exp(-z))"];
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(...smooth),
      fc.constantFrom("squaredError", "softmaxCrossEntropy"),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (sizes, b, activation, loss, seed) => {
        const random = new Random(seed);
        const net = Mlp.create(sizes, { random, activation });
        const { x, y } = batch(sizes, b, loss, random);
        const { grads } = net.lossAndGradient(x, y, { loss });
        const graph = riskGraph(net, { x, y, loss });
        backward(graph.risk);
        graph.thetas.forEach((node, i) => {
          assert.ok(relativeDifference(node.grad!, grads[i]) <= 1e-12);
        });
        const report = gradcheck(() => net.lossAndGradient(x, y, { loss }).loss, {
          params: net.thetas,
          analytic: grads.map((g) => g.clone()),
        });
        assert.ok(report.ok, JSON.stringify(report));
      },
    ),
    { numRuns: 60, seed: 1 },
  );
});

Deno.test("forward rejects an input whose row count differs from the first layer", () => {
  const net = Mlp.create([3, 2], { random: new Random(0) });
  assert.throws(
    () => net.forward(Matrix.zeros(4, 2)),
    /network takes 3 inputs per sample but x is 4x2/,
  );
});

Deno.test("forward rejects an empty batch", () => {
  const net = Mlp.create([3, 2], { random: new Random(0) });
  assert.throws(() => net.forward(Matrix.zeros(3, 0)), /empty batch \(0 columns\)/);
});

Deno.test("forward rejects NaN in the input, naming the sample (column) and the input (row)", () => {
  const net = Mlp.create([2, 2], { random: new Random(0) });
  const x = Matrix.from([[0, 1, 2], [3, 4, NaN]]);
  assert.throws(
    () => net.forward(x),
    /^RangeError: cannot run the forward pass: sample 2 of the batch \(column 2 of x, 2x3\) has NaN in input 1$/,
  );
});

Deno.test("forward rejects Infinity in the weights, naming the layer", () => {
  const net = Mlp.create([2, 3, 1], { random: new Random(0) });
  net.theta(2).set(0, 1, Infinity);
  assert.throws(() => net.forward(Matrix.zeros(2, 1)), /θ_2 contains Infinity at \(0, 1\)/);
});

Deno.test("a network rejects parameter matrices whose shapes do not chain", () => {
  const random = new Random(0);
  const a = Mlp.create([3, 4], { random }).thetas[0]; // 4x4
  const b = Mlp.create([5, 2], { random }).thetas[0]; // 2x6, needs 4 + 1 = 5 columns
  assert.throws(
    () => new Mlp([a, b], [a, b].map(() => Mlp.create([1, 1], { random }).activations[0])),
    /θ_2 is 2x6 but layer 1 has 4 units plus the constant, so θ_2 needs 5 columns/,
  );
});

Deno.test("backward rejects an output gradient of the wrong shape", () => {
  const net = Mlp.create([2, 3], { random: new Random(0) });
  const pass = net.forward(Matrix.zeros(2, 4));
  assert.throws(() => net.backward(pass, Matrix.zeros(3, 5)), /∇x_L is 3x5 but the output is 3x4/);
});

Deno.test("lossAndGradient rejects a target of the wrong shape", () => {
  const net = Mlp.create([2, 3], { random: new Random(0) });
  assert.throws(
    () => net.lossAndGradient(Matrix.zeros(2, 4), Matrix.zeros(3, 5), { loss: "squaredError" }),
    /output is 3x4 but the target is 3x5/,
  );
});

Deno.test("lossAndGradient rejects negative or mismatched sampling weights", () => {
  const net = Mlp.create([1, 1], { random: new Random(0) });
  const x = Matrix.zeros(1, 2), y = Matrix.zeros(1, 2);
  assert.throws(
    () => net.lossAndGradient(x, y, { loss: "squaredError", weights: [1, -1] }),
    /cannot weight sample 1 by -1/,
  );
  assert.throws(
    () => net.lossAndGradient(x, y, { loss: "squaredError", weights: [1] }),
    /cannot weight a batch of 2 samples with 1 weights/,
  );
});

Deno.test("create rejects an unknown activation name", () => {
  assert.throws(
    () => Mlp.create([2, 2, 1], { random: new Random(0), activation: "tanhh" }),
    /unknown activation 'tanhh': expected one of identity, relu, tanh, sigmoid, softplus/,
  );
});

Deno.test("create rejects bad layer sizes and activation counts", () => {
  const random = new Random(0);
  assert.throws(() => Mlp.create([3], { random }), /need at least an input and an output/);
  assert.throws(() => Mlp.create([3, 0, 1], { random }), /layer 1 has 0 units/);
  assert.throws(
    () => Mlp.create([3, 2, 2, 1], { random, activation: ["tanh"] }),
    /2 hidden layers from 1 activations/,
  );
});

Deno.test("create without random says that random is required and how to pass it", () => {
  const required =
    /cannot create a network with sizes \[2,1\]: options.random is required, the generator that draws the initial weights: pass \{ random: new Random\(seed\) \}/;
  assert.throws(() => Mlp.create([2, 1], {} as never), required);
  assert.throws(() => (Mlp.create as (sizes: number[]) => Mlp)([2, 1]), required);
  assert.throws(
    () => Mlp.create([2, 1], { random: Math.random } as never),
    /got a function \(random\)/,
  );
  assert.throws(
    () => Mlp.create([2, 1], { random: 42 } as never),
    /options.random is required.*got 42/,
  );
});

Deno.test("create refuses a misspelt option, an unknown init and sizes that are not a list", () => {
  const random = new Random(0);
  assert.throws(
    () => Mlp.create([2, 3, 1], { random, activations: "relu" } as never),
    /unknown option 'activations'; the options are random, activation, output, init/,
  );
  assert.throws(
    () => Mlp.create([2, 1], { random, init: "xavier" } as never),
    /init must be "glorot" or "he", got xavier/,
  );
  assert.throws(
    () => Mlp.create(784 as never, { random }),
    /sizes must be a list of units per layer, e.g. \[784, 256, 10\]/,
  );
});

Deno.test("a pass refuses a batch size that is not an integer >= 1", () => {
  for (const b of [0, -1, 1.5, NaN]) {
    assert.throws(
      () => new MlpPass([2, 1], b),
      new RegExp(`cannot allocate a pass of ${b} samples: the batch size must be an integer >= 1`),
    );
  }
});

Deno.test("lossAndGradient names the layer, the sample and the cause when a gradient comes out non-finite", () => {
  // the loss: sample 1 has x = 0, so the output is the bias 0, equal to its target
  const net = Mlp.create([1, 3, 1], { random: new Random(2) });
  const x = Matrix.row([1, 0, -1]), y = Matrix.row([5, 0, 5]);
  assert.throws(() => net.lossAndGradient(x, y, { loss: rootError }), (e) => {
    assert.ok(e instanceof NonFiniteGradientError && e instanceof RangeError);
    assert.match(
      e.message,
      /^cannot compute the gradient: ∇θ_2 is NaN at \(0, 0\): the loss gradient ∂ℓ\/∂x_L is NaN at output 0 of sample 1 of the batch \(x_L = 0 there\)/,
    );
    assert.deepEqual([e.layer, e.kind, e.col], [2, "loss", 1]);
    return true;
  });
  // an activation whose backward() disagrees with its df(): the fault is in layer 2
  const deep = Mlp.create([1, 3, 3, 1], { random: new Random(1), activation: [tanh, brokenTanh] });
  assert.throws(
    () => deep.lossAndGradient(Matrix.row([3, -3]), Matrix.row([0, 0]), { loss: "squaredError" }),
    /^NonFiniteGradientError: cannot compute the gradient: ∇θ_2 is NaN at \(2, 0\): the backward\(\) of σ_2 \('broken tanh'\) gave NaN at unit 2 of sample 1 of the batch, where σ_2′\([-\d.e]+\) = [\d.e-]+ and the upstream gradient is [-\d.e]+: its backward\(\) disagrees with its df\(\)$/,
  );
  // finite factors whose product overflows: too large, not NaN
  const big = Mlp.create([1, 2], { random: new Random(0) });
  assert.throws(
    () =>
      big.lossAndGradient(Matrix.row([1e300, 1e300]), Matrix.zeros(2, 2), {
        loss: "squaredError",
      }),
    (e) =>
      e instanceof NonFiniteGradientError && e.kind === "overflow" &&
      /∇θ_1 is -?Infinity at \(\d, 0\): δ_1 and x_0 are finite but δ_1 · x_0ᵀ overflows/.test(
        e.message,
      ),
  );
});

Deno.test("a forward pass told its input is finite gives the same bits, and only then skips naming a bad sample", () => {
  const net = Mlp.create([3, 4, 2], { random: new Random(6) });
  const x = new Random(7).normalMatrix(3, 5);
  const checked = net.forward(x).output.data;
  assert.deepStrictEqual(net.forward(x, undefined, { finiteInput: true }).output.data, checked);
  x.data[4] = NaN;
  assert.throws(() => net.forward(x), /sample 4 of the batch/);
  assert.ok(net.forward(x, undefined, { finiteInput: true }).output.data.some(Number.isNaN));
});
