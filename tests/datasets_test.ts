import assert from "node:assert/strict";
import { assertDataset, featureStats, loadMnist, standardize, subset } from "@lib/datasets.ts";
import { Random } from "@lib/random.ts";

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
