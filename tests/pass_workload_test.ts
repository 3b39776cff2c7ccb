import assert from "node:assert/strict";
import fc from "./fc.ts";
import {
  classifierConfig,
  courseConfig,
  courseGrid,
  Mlp,
  passConfigFromName,
  passWorkload,
  Random,
  timePasses,
} from "@lib/mod.ts";
import { kernelCounters, resetKernelCounters } from "@lib/kernels/mod.ts";

Deno.test("a configuration's name reads back to the same configuration", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4096 }),
      fc.integer({ min: 1, max: 1024 }),
      fc.integer({ min: 1, max: 16 }),
      fc.constantFrom("tanh" as const, "relu" as const),
      (n, batch, hidden, activation) => {
        const c = courseConfig(n, { batch, hidden, activation });
        assert.deepEqual(passConfigFromName(c.name), c);
      },
    ),
  );
  const mnist = classifierConfig();
  assert.deepEqual(passConfigFromName(mnist.name), mnist);
  assert.deepEqual(passConfigFromName("20-5-3 B=7").sizes, [20, 5, 3]);
});

Deno.test("configuration names that are not of either form are refused with the name", () => {
  for (const bad of ["n=256 B=32", "fwd n=256 B=32 L=4", "784 B=128", "n=256 B=32 L=4 sigmoid"]) {
    assert.throws(() => passConfigFromName(bad), new RegExp(`'${bad}'`));
  }
  assert.throws(() => courseConfig(64, { batch: 0, hidden: 2 }), /batch of 0 samples/);
  assert.throws(() => classifierConfig({ sizes: [10, 1] }), /need a hidden layer/);
});

Deno.test("the course grid has one configuration per n × B × L", () => {
  const grid = courseGrid({ n: [64, 256, 1024], batch: [32, 256], hidden: [2, 4, 8] });
  assert.equal(grid.length, 18);
  assert.equal(new Set(grid.map((c) => c.name)).size, 18);
  for (const c of grid) assert.deepEqual(c.sizes, [...Array(c.hidden + 1).fill(c.n), 1]);
});

Deno.test("the timed backward pass is the training step's backward pass, bit for bit", () => {
  for (
    const config of [
      courseConfig(12, { batch: 5, hidden: 3 }),
      classifierConfig({ sizes: [9, 7, 4], batch: 6 }),
    ]
  ) {
    const w = passWorkload(config, { random: new Random(3) });
    w.backward();
    const timed = w.pass.grads.map((g) => g.clone());
    const reference = new Mlp(w.net.thetas, w.net.activations).lossAndGradient(w.x, w.y, {
      loss: config.loss,
    });
    timed.forEach((g, i) => assert.deepEqual(g.data, reference.grads[i].data));
  }
});

Deno.test("the three timed calls reuse the workspace's arrays and do the model's products", () => {
  const w = passWorkload(courseConfig(10, { batch: 4, hidden: 2 }), { random: new Random(1) });
  const arrays = [...w.pass.xs, ...w.pass.zs, ...w.pass.deltas, ...w.pass.grads].map((m) => m.data);
  resetKernelCounters();
  w.forward();
  assert.equal(kernelCounters.productFlops, w.flops.forward.products);
  resetKernelCounters();
  w.backward();
  assert.equal(kernelCounters.productFlops, w.flops.backward.products);
  resetKernelCounters();
  w.step();
  assert.equal(kernelCounters.productFlops, w.flops.step.products);
  const after = [...w.pass.xs, ...w.pass.zs, ...w.pass.deltas, ...w.pass.grads].map((m) => m.data);
  after.forEach((a, i) => assert.equal(a, arrays[i]));
});

Deno.test("timePasses refuses a number of rounds or a duration it cannot use", () => {
  const w = passWorkload(courseConfig(4, { batch: 2, hidden: 1 }), { random: new Random(1) });
  assert.throws(() => timePasses(w, { rounds: 0 }), /rounds=0/);
  assert.throws(() => timePasses(w, { minMs: -1 }), /minMs=-1/);
});
