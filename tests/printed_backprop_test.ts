import assert from "node:assert/strict";
import { gradcheck, Mlp, printedBackprop, Random } from "@lib/mod.ts";
import { relativeDifference } from "@lib/assert_close.ts";

Deno.test("the corrected recursion (θ̄_lᵀ) equals the Mlp's backward on any architecture", () => {
  for (const sizes of [[3, 5, 2], [2, 4, 4, 4, 4, 1], [4, 4, 4]]) {
    const random = new Random(6);
    const net = Mlp.create(sizes, { random, activation: "sigmoid" });
    const out = sizes[sizes.length - 1];
    const x = random.normalMatrix(sizes[0], 3), y = random.normalMatrix(out, 3);
    const ref = net.lossAndGradient(x, y, { loss: "squaredError" }).grads;
    const got = printedBackprop(net, { x, y, loss: "squaredError", matrix: "corrected" });
    got.forEach((g, i) => assert.ok(relativeDifference(g, ref[i]) < 1e-13));
  }
});

Deno.test("the recursion as printed (θ_{l−1}) fails finite differences where its shapes fit", () => {
  const random = new Random(6);
  const net = Mlp.create([4, 4, 4, 4], { random, activation: "tanh" });
  const x = random.normalMatrix(4, 5), y = random.normalMatrix(4, 5);
  const printed = printedBackprop(net, { x, y, loss: "squaredError", matrix: "printed" });
  const report = gradcheck(() => net.lossAndGradient(x, y, { loss: "squaredError" }).loss, {
    params: net.thetas,
    analytic: printed,
  });
  assert.equal(report.ok, false);
  assert.ok(report.worst!.param < 2, "the last layer's gradient does not use the recursion");
});

Deno.test("the recursion as printed cannot run when consecutive widths differ", () => {
  const random = new Random(6);
  const net = Mlp.create([3, 5, 1], { random });
  assert.throws(
    () =>
      printedBackprop(net, {
        x: random.normalMatrix(3, 2),
        y: random.normalMatrix(1, 2),
        loss: "squaredError",
        matrix: "printed",
      }),
    /cannot run the printed recursion at layer 2: θ̄_1ᵀ is 3x5 and δ_2 is 1x2, but δ_1 must be 5x2/,
  );
});
