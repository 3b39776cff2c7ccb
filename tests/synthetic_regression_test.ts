import assert from "node:assert/strict";
import { subset } from "@lib/datasets.ts";
import { linearRegression, teacherStudent } from "@lib/synthetic_regression.ts";
import { relativeDifference } from "@lib/assert_close.ts";
import type { Matrix } from "@lib/matrix.ts";
import { Mlp } from "@lib/mlp.ts";
import { Random } from "@lib/random.ts";
import { identity, sameBits, sameDataset } from "./dataset_fixtures.ts";

// ---------------------------------------------------------------------------------------------
// Linear regression

/** ‖v‖₂ of the concatenated entries. */
function norm(...ms: Matrix[]): number {
  let s = 0;
  for (const m of ms) for (const v of m.data) s += v * v;
  return Math.sqrt(s);
}

Deno.test("θ* zeroes the Mlp's gradient of the empirical risk to 1e-10 relative", async (t) => {
  const configs = [
    { n: 200, d: 3, noise: 0.5 },
    { n: 1000, d: 20, noise: 1 },
    { n: 30, d: 29, noise: 0.1 },
    { n: 500, d: 5, noise: 0.1, outliers: 1, outlierError: 1000 },
  ];
  for (const config of configs) {
    await t.step(JSON.stringify(config), () => {
      const { dataset, thetaStar } = linearRegression({ random: new Random(21), ...config });
      const net = Mlp.create([config.d, 1], { random: new Random(0), output: "identity" });
      net.thetas[0].data.set(thetaStar.data);
      const { grads } = net.lossAndGradient(dataset.x, dataset.y, { loss: "squaredError" });
      // Rounding floor of the computed gradient (1/N) Σ_i (θ·a_i − y_i) a_i with a_i = [x_i; 1]:
      // each term carries an error of order ε (Σ_k |θ_k a_ik| + |y_i|) ‖a_i‖, whatever the
      // conditioning, since the LU solve is backward stable and refined once.
      const n = config.n, d = config.d, x = dataset.x.data, theta = thetaStar.data;
      let scale = 0;
      for (let j = 0; j < n; j++) {
        let size = Math.abs(theta[d]) + Math.abs(dataset.y.data[j]), a2 = 1;
        for (let i = 0; i < d; i++) {
          size += Math.abs(theta[i] * x[i * n + j]);
          a2 += x[i * n + j] ** 2;
        }
        scale += size * Math.sqrt(a2) / n;
      }
      const relative = norm(grads[0]) / scale;
      assert.ok(relative <= 1e-10, `‖∇R(θ*)‖ / scale = ${relative}`);
    });
  }
});

Deno.test("θ* is the minimum: R(θ* + u) − R(θ*) = ½ uᵀ(AᵀA/N)u for random u", () => {
  const { dataset, thetaStar } = linearRegression({
    random: new Random(5),
    n: 300,
    d: 4,
    noise: 1,
  });
  const net = Mlp.create([4, 1], { random: new Random(0), output: "identity" });
  const risk = (theta: Float64Array) => {
    net.thetas[0].data.set(theta);
    return net.lossAndGradient(dataset.x, dataset.y, { loss: "squaredError" }).loss;
  };
  const best = risk(thetaStar.data), random = new Random(6), n = 300;
  for (let trial = 0; trial < 5; trial++) {
    const u = Float64Array.from({ length: 5 }, () => 0.1 * random.normal());
    let quadratic = 0;
    for (let j = 0; j < n; j++) {
      let s = u[4];
      for (let i = 0; i < 4; i++) s += u[i] * dataset.x.data[i * n + j];
      quadratic += 0.5 * s * s / n;
    }
    const rise = risk(thetaStar.data.map((v, k) => v + u[k])) - best;
    assert.ok(rise > 0);
    assert.ok(Math.abs(rise - quadratic) <= 1e-9 * quadratic, `${rise} vs ${quadratic}`);
  }
});

Deno.test("without noise θ* equals the generating θ to 1e-12", () => {
  const { thetaStar, thetaTrue } = linearRegression({
    random: new Random(2),
    n: 100,
    d: 10,
    noise: 0,
  });
  assert.ok(relativeDifference(thetaStar, thetaTrue) < 1e-12);
});

Deno.test("linearRegression: same seed bit-identical, other seed different, first samples fixed", () => {
  const a = linearRegression({ random: new Random(1), n: 50, d: 3, noise: 0.1 });
  const b = linearRegression({ random: new Random(1), n: 50, d: 3, noise: 0.1 });
  const c = linearRegression({ random: new Random(2), n: 50, d: 3, noise: 0.1 });
  assert.ok(sameDataset(a.dataset, b.dataset) && sameBits(a.thetaStar.data, b.thetaStar.data));
  assert.ok(!sameDataset(a.dataset, c.dataset));
  const longer = linearRegression({ random: new Random(1), n: 80, d: 3, noise: 0.1 });
  assert.ok(sameDataset(a.dataset, subset(longer.dataset, identity(50))));
  assert.ok(sameBits(a.thetaTrue.data, longer.thetaTrue.data));
});

Deno.test("an outlier changes only its target, by exactly outlierError, and moves θ*", () => {
  const clean = linearRegression({ random: new Random(7), n: 100, d: 2, noise: 0 });
  const dirty = linearRegression({
    random: new Random(7),
    n: 100,
    d: 2,
    noise: 0,
    outliers: 1,
    outlierError: 1e4,
  });
  assert.deepEqual(Array.from(dirty.outlierIndices), [0]);
  assert.equal(clean.outlierIndices.length, 0);
  assert.ok(sameBits(clean.dataset.x.data, dirty.dataset.x.data));
  assert.equal(dirty.dataset.y.data[0], clean.dataset.y.data[0] + 1e4);
  assert.ok(sameBits(clean.dataset.y.data.subarray(1), dirty.dataset.y.data.subarray(1)));
  assert.ok(relativeDifference(dirty.thetaStar, clean.thetaStar) > 1);
  assert.ok(sameBits(dirty.thetaTrue.data, clean.thetaTrue.data));
});

Deno.test("linearRegression rejects bad options, naming the option and its value", () => {
  const random = new Random(0), ok = { random, n: 10, d: 2, noise: 0 };
  const action = "cannot build the linear regression";
  assert.throws(
    () => linearRegression({ ...ok, n: 2 }),
    new RegExp(`${action}: n must be at least d \\+ 1 = 3 for a unique θ\\*, got n = 2`),
  );
  assert.throws(
    () => linearRegression({ ...ok, d: 0 }),
    new RegExp(`${action}: d must be a positive integer, got 0`),
  );
  assert.throws(() => linearRegression({ ...ok, n: 1.5 }), /n must be a positive integer, got 1.5/);
  assert.throws(
    () => linearRegression({ ...ok, noise: -1 }),
    /noise must be a finite number >= 0, got -1/,
  );
  assert.throws(() => linearRegression({ ...ok, noise: NaN }), /noise must be .* got NaN/);
  assert.throws(
    () => linearRegression({ ...ok, outliers: 11 }),
    /outliers must be at most 10 \(the number of samples n\), got 11/,
  );
  assert.throws(
    () => linearRegression({ ...ok, outlierError: -5 }),
    /outlierError must be .* got -5/,
  );
});

// ---------------------------------------------------------------------------------------------
// Teacher-student

Deno.test("teacher-student targets are the teacher's outputs plus noise of the given std", () => {
  const options = { random: new Random(3), n: 4000, sizes: [4, 6, 2], activation: "tanh" };
  const clean = teacherStudent(options);
  assert.ok(sameBits(clean.teacher.predict(clean.dataset.x).data, clean.dataset.y.data));
  assert.ok(clean.teacher.thetas.every((t) => t.get(0, t.cols - 1) !== 0), "biases are drawn");
  const noisy = teacherStudent({ ...options, random: new Random(3), noise: 0.3 });
  assert.ok(sameBits(clean.dataset.x.data, noisy.dataset.x.data));
  let s2 = 0;
  const m = noisy.dataset.y.size;
  for (let k = 0; k < m; k++) s2 += (noisy.dataset.y.data[k] - clean.dataset.y.data[k]) ** 2;
  // the sample variance of m normal draws has standard error σ²√(2/m)
  assert.ok(Math.abs(s2 / m - 0.09) < 4 * 0.09 * Math.sqrt(2 / m), `variance ${s2 / m}`);
});

Deno.test("teacherStudent: same seed bit-identical; the teacher does not depend on n", () => {
  const a = teacherStudent({ random: new Random(1), n: 30, sizes: [3, 5, 1], noise: 0.1 });
  const b = teacherStudent({ random: new Random(1), n: 30, sizes: [3, 5, 1], noise: 0.1 });
  const c = teacherStudent({ random: new Random(1), n: 60, sizes: [3, 5, 1], noise: 0.1 });
  assert.ok(sameDataset(a.dataset, b.dataset));
  assert.ok(a.teacher.thetas.every((t, l) => sameBits(t.data, c.teacher.thetas[l].data)));
  assert.ok(sameBits(a.dataset.x.data, subset(c.dataset, identity(30)).x.data));
  assert.equal(a.dataset.labels, null);
});

Deno.test("teacherStudent rejects bad options, naming the option and its value", () => {
  const random = new Random(0), action = "cannot build the teacher-student regression";
  assert.throws(
    () => teacherStudent({ random, n: 0, sizes: [2, 1] }),
    new RegExp(`${action}: n must be a positive integer, got 0`),
  );
  assert.throws(
    () => teacherStudent({ random, n: 5, sizes: [2] }),
    /sizes must list at least .* got \[2\]/,
  );
  assert.throws(
    () => teacherStudent({ random, n: 5, sizes: [2, 0] }),
    /sizes\[1\] must be a positive integer, got 0/,
  );
  assert.throws(
    () => teacherStudent({ random, n: 5, sizes: [2, 1], noise: -0.1 }),
    /noise .* got -0.1/,
  );
});
