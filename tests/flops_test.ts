import assert from "node:assert/strict";
import fc from "./fc.ts";
import {
  type Activation,
  activations,
  courseSizes,
  equalLayersRatioLimit,
  flopModel,
  Matrix,
  Mlp,
  oneHot,
  Random,
} from "@lib/mod.ts";
import { kernelCounters, resetKernelCounters } from "@lib/kernels/mod.ts";

/** An activation that counts the entries its forward and backward maps touch. */
function counting(inner: Activation, tally: { forward: number; backward: number }): Activation {
  return {
    ...inner,
    forward(z, io) {
      tally.forward += io.n;
      inner.forward(z, io);
    },
    backward(g, arrays) {
      tally.backward += arrays.n;
      inner.backward(g, arrays);
    },
  };
}

/** A network of `sizes` whose activations (tanh hidden, identity output) count their entries. */
function countingNet(sizes: readonly number[], random: Random) {
  const tally = { forward: 0, backward: 0 };
  const base = Mlp.create(sizes, { random, activation: "tanh" });
  const acts = base.activations.map((a) => counting(a, tally));
  return { net: new Mlp(base.thetas, acts), tally };
}

const arbitrarySizes = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 2, maxLength: 5 });

Deno.test("the model's product FLOPs equal what the kernels count on real forward and backward passes", () => {
  fc.assert(
    fc.property(arbitrarySizes, fc.integer({ min: 1, max: 9 }), (sizes, b) => {
      const random = new Random(sizes.length * 31 + b);
      const net = Mlp.create(sizes, { random, activation: "tanh" });
      const x = random.normalMatrix(sizes[0], b);
      const g = random.normalMatrix(sizes[sizes.length - 1], b);
      const model = flopModel(sizes, { batch: b });
      const withInput = flopModel(sizes, { batch: b, inputGradient: true });

      resetKernelCounters();
      const pass = net.forward(x);
      assert.equal(kernelCounters.productFlops, model.forward.products);
      resetKernelCounters();
      net.backward(pass, g);
      assert.equal(kernelCounters.productFlops, model.backward.products);
      resetKernelCounters();
      net.backward(pass, g, { inputGradient: true });
      assert.equal(kernelCounters.productFlops, withInput.backward.products);
      // the skipped product is exactly θ̄_1ᵀ·δ_1: 2·s_0·s_1·B
      assert.equal(
        withInput.backward.products - model.backward.products,
        2 * sizes[0] * sizes[1] * b,
      );
    }),
    { numRuns: 40 },
  );
});

Deno.test("the model's product FLOPs match the kernels on the 784-256-256-10 network", () => {
  const sizes = [784, 256, 256, 10], b = 3;
  const random = new Random(5);
  const net = Mlp.create(sizes, { random, activation: "relu" });
  const model = flopModel(sizes, { batch: b });
  resetKernelCounters();
  const pass = net.forward(random.normalMatrix(784, b));
  assert.equal(kernelCounters.productFlops, model.forward.products);
  resetKernelCounters();
  net.backward(pass, random.normalMatrix(10, b));
  assert.equal(kernelCounters.productFlops, model.backward.products);
});

Deno.test("the model's elementwise counts equal the entries σ and σ′ touch in a real pass", () => {
  fc.assert(
    fc.property(arbitrarySizes, fc.integer({ min: 1, max: 9 }), (sizes, b) => {
      const random = new Random(sizes.reduce((s, v) => 7 * s + v, b));
      const { net, tally } = countingNet(sizes, random);
      const model = flopModel(sizes, { batch: b });
      const pass = net.forward(random.normalMatrix(sizes[0], b));
      assert.equal(tally.forward, model.forward.elementwise);
      net.backward(pass, random.normalMatrix(sizes[sizes.length - 1], b));
      assert.equal(tally.backward, model.backward.elementwise);
      // per layer: σ_l and σ′_l each touch s_l·B entries
      for (const layer of model.layers) {
        assert.equal(layer.activation, sizes[layer.layer] * b);
        assert.equal(layer.activationDerivative, sizes[layer.layer] * b);
      }
    }),
    { numRuns: 40 },
  );
});

Deno.test("a training step counts forward + backward products, and the loss gradient's d_L·B entries", () => {
  const sizes = [6, 5, 4, 3], b = 7;
  const random = new Random(11);
  const net = Mlp.create(sizes, { random, activation: "tanh" });
  const x = random.normalMatrix(6, b);
  const y = oneHot(Array.from({ length: b }, () => random.int(3)), 3);
  const model = flopModel(sizes, { batch: b });
  resetKernelCounters();
  net.lossAndGradient(x, y, { loss: "softmaxCrossEntropy" });
  assert.equal(kernelCounters.productFlops, model.step.products);
  assert.equal(model.step.products, model.forward.products + model.backward.products);
  // the only counted elementwise kernel of the step scales each entry of ∇_{x_L}ℓ by w_i/B
  assert.equal(kernelCounters.elementwiseOps, model.loss.elementwise);
  assert.equal(model.loss.elementwise, 3 * b);
  assert.equal(
    model.step.total,
    model.forward.total + model.loss.total + model.backward.total,
  );
});

Deno.test("784-256-256-10 has product ratio 1.25 (1.2528 with bias columns) at every batch size", () => {
  const exact = 1 + (256 * 256 + 10 * 256) / (256 * 785 + 256 * 257 + 10 * 257);
  const noBias = 1 + (256 * 256 + 10 * 256) / (256 * 784 + 256 * 256 + 10 * 256);
  for (const batch of [1, 32, 128, 1000]) {
    const model = flopModel([784, 256, 256, 10], { batch });
    assert.ok(Math.abs(model.productRatio - exact) <= 1e-15 * exact);
    assert.equal(
      model.forward.products,
      batch * flopModel([784, 256, 256, 10], { batch: 1 }).forward.products,
    );
  }
  assert.equal(exact.toFixed(2), "1.25");
  assert.equal(noBias.toFixed(2), "1.25");
  // elementwise entries (σ per layer forward, σ′ per layer backward) are equal in both passes,
  // so counting them pulls the ratio towards 1, here by less than 1e-3
  const model = flopModel([784, 256, 256, 10], { batch: 128 });
  assert.equal(model.forward.elementwise, model.backward.elementwise);
  assert.ok(model.ratio < model.productRatio && model.productRatio - model.ratio < 1e-3);
});

Deno.test("four equal hidden layers with a scalar output: product ratio 1 + (3n² + n)/((4n + 1)(n + 1)) → 1.75", () => {
  for (const n of [1, 16, 256, 4096]) {
    const model = flopModel(courseSizes(n, 4), { batch: 8 });
    const closed = 1 + (3 * n * n + n) / ((4 * n + 1) * (n + 1));
    assert.ok(Math.abs(model.productRatio - closed) <= 1e-15 * closed);
  }
  assert.equal(flopModel(courseSizes(256, 4), { batch: 1 }).productRatio.toFixed(4), "1.7473");
  assert.equal(equalLayersRatioLimit(4), 1.75);
});

Deno.test("the course network's product ratio is within 1/n of (2L − 1)/L, from below for L ≥ 2", () => {
  // ratio − limit = −[n(L² − L − 1) + L − 1] / [L(Ln + 1)(n + 1)], whose size is below 1/n
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 12 }), (n, L) => {
      const ratio = flopModel(courseSizes(n, L), { batch: 1 }).productRatio;
      const limit = equalLayersRatioLimit(L);
      const gap = -(n * (L * L - L - 1) + L - 1) / (L * (L * n + 1) * (n + 1));
      assert.ok(Math.abs(ratio - limit - gap) <= 2 * Number.EPSILON); // two roundings of values below 2
      assert.ok(Math.abs(ratio - limit) < 1 / n);
      if (L >= 2) assert.ok(ratio < limit);
    }),
  );
});

Deno.test("L equal layers: product ratio 1 + (L − 1)n/(L(n + 1)) tends to (2L − 1)/L, and to 2 with the input gradient", () => {
  for (const L of [1, 2, 3, 8]) {
    let previous = 0;
    for (const n of [2, 8, 64, 512, 4096]) {
      const sizes = Array.from({ length: L + 1 }, () => n);
      const ratio = flopModel(sizes, { batch: 3 }).productRatio;
      assert.ok(Math.abs(ratio - (1 + (L - 1) * n / (L * (n + 1)))) <= 1e-15 * ratio);
      assert.ok(Math.abs(ratio - equalLayersRatioLimit(L)) < 1 / n);
      assert.ok(ratio >= previous); // approaches the limit from below as n grows
      previous = ratio;
      const full = flopModel(sizes, { batch: 3, inputGradient: true }).productRatio;
      assert.ok(Math.abs(full - (1 + n / (n + 1))) <= 1e-15 * full);
    }
  }
});

Deno.test("every count is proportional to the batch size", () => {
  fc.assert(
    fc.property(arbitrarySizes, fc.integer({ min: 1, max: 500 }), (sizes, b) => {
      const one = flopModel(sizes, { batch: 1 }), many = flopModel(sizes, { batch: b });
      for (const key of ["forward", "backward", "loss", "step"] as const) {
        assert.equal(many[key].products, b * one[key].products);
        assert.equal(many[key].elementwise, b * one[key].elementwise);
      }
      assert.equal(many.productRatio, one.productRatio);
    }),
  );
});

Deno.test("the model refuses sizes and batches it cannot count", () => {
  assert.throws(() => flopModel([3], { batch: 1 }), /cannot count the FLOPs .* sizes \[3\]/);
  assert.throws(() => flopModel([3, 0, 1], { batch: 1 }), /layer 1 has 0 units/);
  assert.throws(() => flopModel([3, 1], { batch: 0 }), /batch of 0 samples/);
  assert.throws(() => flopModel([3, 1], { batch: 1.5 }), /batch of 1.5 samples/);
  assert.throws(() => courseSizes(0, 2), /n=0 and 2 hidden layers/);
  assert.throws(() => equalLayersRatioLimit(0), /ratio limit of 0 layers/);
});

Deno.test("a counting activation leaves the network's values unchanged", () => {
  // guards the instrumented tests above: counting must not change what the passes compute
  const random = new Random(3);
  const { net } = countingNet([4, 3, 2], random);
  const plain = new Mlp(net.thetas, [activations.tanh, activations.identity]);
  const x = Matrix.from([[1, 0], [0, 1], [0.5, -0.5], [2, 1]]);
  assert.deepEqual(net.predict(x).data, plain.predict(x).data);
});
