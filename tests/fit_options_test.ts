import assert from "node:assert/strict";
import { Matrix, Mlp, Random } from "@lib/mod.ts";
import type { Dataset } from "@lib/datasets.ts";
import type { Sampler } from "@lib/sampling/sampler.ts";
import { fit, type FitOptions } from "@lib/train.ts";
import { classifier, classify, line, test, train } from "./fit_fixtures.ts";

Deno.test("bad options are rejected with errors naming the option", async () => {
  const cases: [Partial<FitOptions>, RegExp][] = [
    [
      { batchSize: 0 },
      /batchSize must be an integer in \[1, 120\] \(the training set has 120 samples\), got 0/,
    ],
    [{ batchSize: 2.5 }, /batchSize must be an integer in \[1, 120\] .*got 2.5/],
    [{ batchSize: 121 }, /batchSize must be an integer in \[1, 120\] .*got 121/],
    [{ batchSize: 1e9 }, /batchSize must be an integer in \[1, 120\] .*got 1000000000/],
    [{ learningRate: 0 }, /learningRate must be a finite number > 0 or a schedule, got 0/],
    [{ learningRate: -0.1 }, /learningRate must be a finite number > 0 or a schedule, got -0.1/],
    [{ learningRate: NaN }, /learningRate must be a finite number > 0 or a schedule, got NaN/],
    [{ learningRate: () => NaN }, /the learningRate schedule returned NaN/],
    [{ steps: 0 }, /steps must be an integer in \[1, 2\^53 − 1\], got 0/],
    [{ steps: -3 }, /steps must be an integer in \[1, 2\^53 − 1\], got -3/],
    [{ steps: 1e300 }, /steps must be an integer in \[1, 2\^53 − 1\], got 1e\+300/],
    [{ steps: Infinity }, /steps must be an integer in \[1, 2\^53 − 1\], got Infinity/],
    [{ steps: undefined }, /give steps or epochs/],
    [{ epochs: 1 }, /give steps or epochs, not both/],
    [
      { steps: undefined, epochs: 0 },
      /epochs must be an integer in \[1, \d+\] \(15 steps each\), got 0/,
    ],
    [
      { steps: undefined, epochs: 2 ** 60 },
      /epochs must be an integer in \[1, 600479950316066\] \(15 steps each\)/,
    ],
    [{ evaluateEvery: 0 }, /evaluateEvery must be an integer in \[1, 2\^53 − 1\], got 0/],
    [{ evaluateEvery: 2.5 }, /evaluateEvery must be an integer in \[1, 2\^53 − 1\], got 2.5/],
    [{ trainSubset: 121 }, /trainSubset must be an integer in \[1, 120\], got 121/],
    [
      { evaluationBatchSize: 0 },
      /evaluationBatchSize must be an integer in \[1, 2\^53 − 1\], got 0/,
    ],
    [
      { random: undefined },
      /random is required: pass the training seed as random: new Random\(seed\)/,
    ],
    [{ random: 7 as never }, /random is required: .*got 7/],
    [{ onEvaluate: "log" as never }, /onEvaluate must be a function of a history row, got log/],
    [
      { evaluateEvry: 1 } as never,
      /unknown option 'evaluateEvry'; the options are loss, random, batchSize/,
    ],
    [
      { progress: "quiet" as "auto" },
      /progress must be one of "auto", "none", "bar", "lines", "notebook" or a reporter/,
    ],
    [{ loss: "mse" }, /unknown loss 'mse'/],
    [{ sampler: {} as Sampler }, /sampler must have a sample\(context\) method/],
    [
      { test: { ...test, y: Matrix.zeros(3, 59) } },
      /the test set 'blobs test' has y 3x59 but needs 3x60/,
    ],
  ];
  for (const [options, message] of cases) await assert.rejects(classify(options), message);
  const wide = { ...train, x: Matrix.zeros(3, 120) };
  await assert.rejects(
    fit(classifier(), wide, {
      loss: "softmaxCrossEntropy",
      random: new Random(1),
      batchSize: 2,
      learningRate: 0.1,
      steps: 1,
    }),
    /cannot fit 'blobs': the training set has x 3x120 but the network takes 2 inputs per sample/,
  );
  await assert.rejects(
    fit(classifier(), { ...train, labels: new Int32Array(3) }, {
      loss: "softmaxCrossEntropy",
      random: new Random(1),
      batchSize: 2,
      learningRate: 0.1,
      steps: 1,
    }),
    /the training set has 3 labels for 120 samples/,
  );
});

/** One fit of the 2-8-3 classifier on `data`, with `overrides`. */
function fitOn(data: Dataset, overrides: Partial<FitOptions> = {}) {
  return fit(classifier(), data, {
    loss: "softmaxCrossEntropy",
    random: new Random(7),
    batchSize: 4,
    learningRate: 0.2,
    steps: 5,
    progress: "none",
    ...overrides,
  });
}

/** `data` with the label of sample j replaced (as a plain array, which may hold any number). */
function relabelled(data: Dataset, j: number, label: number): Dataset {
  const labels = Array.from(data.labels!);
  labels[j] = label;
  return { ...data, labels: labels as unknown as Int32Array };
}

Deno.test("fit refuses a label out of range, not an integer, or disagreeing with y, naming the data set and the sample", async () => {
  const other = (data: Dataset, j: number) => (data.labels![j] + 1) % 3;
  const cases: [Dataset, Partial<FitOptions>, RegExp][] = [
    [
      relabelled(train, 5, 7),
      {},
      /^RangeError: cannot fit 'blobs': the training set has label 7 at sample 5: labels must be integers in \[0, 3\) \(y has 3 rows\)$/,
    ],
    [relabelled(train, 0, -1), {}, /the training set has label -1 at sample 0: labels must be/],
    [relabelled(train, 3, 1.5), {}, /the training set has label 1.5 at sample 3: labels must be/],
    [
      relabelled(train, 9, other(train, 9)),
      {},
      new RegExp(
        `the training set has label ${
          other(train, 9)
        } at sample 9, which disagrees with y: column 9 of y is largest in row ${
          train.labels![9]
        } \\(1 > 0\\)`,
      ),
    ],
    [
      train,
      { test: relabelled(test, 4, other(test, 4)) },
      /cannot fit 'blobs': the test set 'blobs test' has label \d at sample 4, which disagrees with y/,
    ],
    [
      train,
      { test: relabelled(test, 59, 3) },
      /the test set 'blobs test' has label 3 at sample 59/,
    ],
  ];
  for (const [data, overrides, message] of cases) {
    await assert.rejects(fitOn(data, overrides), message);
  }
  // labels on a one-output regression can only be 0
  const data = { ...line(10, new Random(1)), labels: new Int32Array(10).fill(1) };
  await assert.rejects(
    fit(Mlp.create([1, 1], { random: new Random(0) }), data, {
      loss: "squaredError",
      random: new Random(1),
      batchSize: 2,
      learningRate: 0.1,
      steps: 1,
    }),
    /the training set has label 1 at sample 0: labels must be integers in \[0, 1\) \(y has 1 rows\)/,
  );
  // soft targets: the label is the row where y is largest
  const soft = Matrix.from([[0.7, 0.1], [0.2, 0.1], [0.1, 0.8]]);
  const agreeing = { name: "soft", x: Matrix.zeros(2, 2), y: soft, labels: Int32Array.of(0, 2) };
  assert.equal((await fitOn(agreeing, { batchSize: 2, steps: 1 })).length, 2);
  await assert.rejects(
    fitOn({ ...agreeing, labels: Int32Array.of(1, 2) }, { batchSize: 2, steps: 1 }),
    /label 1 at sample 0, which disagrees with y: column 0 of y is largest in row 0 \(0.7 > 0.2\)/,
  );
});

Deno.test("a non-finite input is reported with its data set and sample index, not a column of an evaluation chunk", async () => {
  const regression = (overrides: Partial<FitOptions>, data: Dataset) =>
    fit(Mlp.create([1, 1], { random: new Random(0) }), data, {
      loss: "squaredError",
      random: new Random(1),
      batchSize: 4,
      learningRate: 0.1,
      steps: 3,
      evaluationBatchSize: 1000,
      progress: "none",
      ...overrides,
    });
  const broken = line(2000, new Random(2));
  broken.x.data[1500] = NaN;
  await assert.rejects(
    regression({}, broken),
    /^RangeError: cannot fit 'line': the training set has NaN in x at sample 1500 \(row 0\): inputs and targets must be finite$/,
  );
  const testSet = { ...line(2000, new Random(3)), name: "line test" };
  testSet.x.data[1234] = Infinity;
  await assert.rejects(
    regression({ test: testSet }, line(50, new Random(4))),
    /cannot fit 'line': the test set 'line test' has Infinity in x at sample 1234 \(row 0\)/,
  );
  const badTarget = line(100, new Random(5));
  badTarget.y.data[42] = -Infinity;
  await assert.rejects(
    regression({}, badTarget),
    /the training set has -Infinity in y at sample 42 \(row 0\)/,
  );
  // a blob sample in the second row of x
  const blob = { ...train, x: train.x.clone() };
  blob.x.set(1, 77, NaN);
  await assert.rejects(fitOn(blob), /the training set has NaN in x at sample 77 \(row 1\)/);
});
