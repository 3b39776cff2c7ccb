import assert from "node:assert/strict";
import { type Loss, Matrix, Mlp, oneHot, Random, squaredError } from "@lib/mod.ts";
import type { Dataset } from "@lib/datasets.ts";
import type { Minibatch, SampleContext, Sampler, StepFeedback } from "@lib/sampler.ts";
import { DivergenceError } from "@lib/sgd.ts";
import { NonFiniteGradientError } from "@lib/gradient_fault.ts";
import { rootError } from "./faults.ts";
import { fit, type FitOptions, type HistoryRow, TrainingDivergedError } from "@lib/train.ts";
import { notebookProgress, progressEnvironment, type ProgressState } from "@lib/progress.ts";

/** Three Gaussian blobs in the plane, labelled 0..2. */
function blobs(n: number, random: Random, name = "blobs"): Dataset {
  const centers = [[2, 0], [-1, 1.7], [-1, -1.7]];
  const labels = new Int32Array(n), x = new Matrix(2, n);
  for (let j = 0; j < n; j++) {
    const c = random.int(3);
    labels[j] = c;
    x.set(0, j, centers[c][0] + random.normal());
    x.set(1, j, centers[c][1] + random.normal());
  }
  return { name, x, y: oneHot(labels, 3), labels };
}

/** y = 3x − 1 + noise on [−1, 1]. */
function line(n: number, random: Random): Dataset {
  const x = new Matrix(1, n), y = new Matrix(1, n);
  for (let j = 0; j < n; j++) {
    x.data[j] = 2 * random.float() - 1;
    y.data[j] = 3 * x.data[j] - 1 + 0.1 * random.normal();
  }
  return { name: "line", x, y, labels: null };
}

const train = blobs(120, new Random(100)), test = blobs(60, new Random(101), "blobs test");

function classifier(seed = 0): Mlp {
  return Mlp.create([2, 8, 3], { random: new Random(seed), activation: "tanh" });
}

function classify(overrides: Partial<FitOptions> = {}, model = classifier()) {
  return fit(model, train, {
    loss: "softmaxCrossEntropy",
    random: new Random(7),
    batchSize: 8,
    learningRate: 0.2,
    steps: 60,
    evaluateEvery: 20,
    test,
    progress: "none",
    ...overrides,
  });
}

const withoutSeconds = (rows: HistoryRow[]) => rows.map(({ seconds: _, ...rest }) => rest);

Deno.test("two fits with the same seed give bit-identical histories apart from seconds", async () => {
  const options = { trainSubset: 50, learningRate: (t: number) => 0.3 / (1 + t / 20) };
  const a = await classify(options), b = await classify(options);
  assert.deepStrictEqual(withoutSeconds(a), withoutSeconds(b)); // SameValue: bit-identical doubles
  const other = await classify({ ...options, random: new Random(8) });
  assert.notDeepStrictEqual(withoutSeconds(other), withoutSeconds(a));
  assert.deepEqual(Object.keys(a[0]), [
    "step",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "seconds",
    "forward_equivalents",
  ]);
  assert.ok(a.every((r, i) => r.seconds >= 0 && (i === 0 || r.seconds >= a[i - 1].seconds)));
});

Deno.test("rows come at step 0, every k steps and at the last step; a uniform step costs 3b", async () => {
  const history = await classify({ steps: 50, evaluateEvery: 20 });
  assert.deepEqual(history.map((r) => r.step), [0, 20, 40, 50]);
  assert.deepEqual(history.map((r) => r.forward_equivalents), [0, 480, 960, 1200]);
  assert.equal(history[0].seconds, 0);
  assert.ok(history[3].train_loss < history[0].train_loss / 2, "training lowers the loss");
  assert.ok(history[3].test_accuracy! > 0.8);
});

Deno.test("epochs run ⌈N/b⌉ steps each", async () => {
  const history = await classify({ steps: undefined, epochs: 2, batchSize: 50, evaluateEvery: 1 });
  assert.equal(history.at(-1)!.step, 2 * Math.ceil(120 / 50));
});

Deno.test("the training loss is the unweighted mean over the full set, or over a fixed seeded subset", async () => {
  const model = classifier(3);
  const direct = model.lossAndGradient(train.x, train.y, { loss: "softmaxCrossEntropy" });
  const output = model.predict(train.x);
  let correct = 0;
  for (let j = 0; j < 120; j++) {
    const column = [0, 1, 2].map((r) => output.get(r, j));
    if (column.indexOf(Math.max(...column)) === train.labels![j]) correct++;
  }
  const [full] = await classify({ steps: 1, evaluationBatchSize: 7 }, model.clone());
  assert.ok(Math.abs(full.train_loss - direct.loss) < 1e-14 * direct.loss);
  assert.equal(full.train_accuracy, correct / 120);
  const [subsetA] = await classify({ steps: 1, trainSubset: 30 }, model.clone());
  const [subsetB] = await classify({ steps: 1, trainSubset: 30 }, model.clone());
  const [subsetC] = await classify(
    { steps: 1, trainSubset: 30, random: new Random(9) },
    model.clone(),
  );
  assert.equal(subsetA.train_loss, subsetB.train_loss);
  assert.notEqual(subsetA.train_loss, full.train_loss);
  assert.notEqual(subsetA.train_loss, subsetC.train_loss);
  assert.equal(Math.round(subsetA.train_accuracy! * 30), subsetA.train_accuracy! * 30);
});

Deno.test("regression histories have no accuracy columns and no test columns without a test set", async () => {
  const data = line(64, new Random(1));
  const history = await fit(Mlp.create([1, 1], { random: new Random(0) }), data, {
    loss: "squaredError",
    random: new Random(2),
    batchSize: 4,
    learningRate: 0.1,
    steps: 100,
    progress: "none",
  });
  assert.deepEqual(Object.keys(history[0]), [
    "step",
    "train_loss",
    "seconds",
    "forward_equivalents",
  ]);
  assert.equal(history.length, 51, "default: evaluate every ⌊steps/50⌋ steps");
  assert.ok(history.at(-1)!.train_loss < 0.02);
});

/**
 * A toy importance sampler in the shape issue 5 needs: it scores every sample by a forward pass
 * (N forward-equivalents), draws p ∝ ℓ_i + 0.1 with weights 1/(N p_i), and records what it is told.
 */
function lossSampler() {
  const log = {
    resets: 0,
    contexts: [] as SampleContext[],
    thetas: [] as Mlp[],
    feedback: [] as { step: number; losses: number[]; norms: number[]; indices: number[] }[],
  };
  const sampler: Sampler = {
    name: "loss-proportional (test)",
    reset() {
      log.resets++;
      log.contexts.length = log.thetas.length = log.feedback.length = 0;
    },
    sample(context): Minibatch {
      log.contexts.push(context);
      log.thetas.push(context.model.clone());
      const { model, data, loss, batchSize: b, random } = context;
      const n = data.x.cols;
      const scores = loss.values(model.forward(data.x).output, data.y).map((v) => v + 0.1);
      const total = scores.reduce((s, v) => s + v, 0);
      const indices = new Int32Array(b), weights = new Float64Array(b);
      for (let j = 0; j < b; j++) {
        const i = random.categorical(scores);
        indices[j] = i;
        weights[j] = total / (n * scores[i]);
      }
      return { indices, weights, forwardEquivalents: n };
    },
    observe(feedback: StepFeedback) {
      log.feedback.push({
        step: feedback.step,
        losses: Array.from(feedback.losses),
        norms: Array.from(feedback.gradientNorms()),
        indices: Array.from(feedback.batch.indices),
      });
    },
  };
  return { sampler, log };
}

Deno.test("a sampler plugs in: it gets the model, data, loss and step, and sees losses and exact gradient norms", async () => {
  const { sampler, log } = lossSampler();
  const history = await classify({ sampler, steps: 5, evaluateEvery: 5, batchSize: 4 });
  assert.equal(log.resets, 1);
  assert.deepEqual(log.contexts.map((c) => c.step), [0, 1, 2, 3, 4]);
  assert.ok(log.contexts.every((c) => c.data === train && c.batchSize === 4));
  assert.equal(history.at(-1)!.forward_equivalents, 5 * (3 * 4 + 120));
  assert.deepEqual(log.feedback.map((f) => f.step), [1, 2, 3, 4, 5]);
  for (const [t, f] of log.feedback.entries()) {
    // losses and gradient norms are those of the batch at θ_t, before the update
    const theta = log.thetas[t];
    for (const [j, i] of f.indices.entries()) {
      const one = theta.lossAndGradient(train.x.gatherColumns([i]), train.y.gatherColumns([i]), {
        loss: "softmaxCrossEntropy",
      });
      const norm = Math.sqrt(
        one.grads.reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0),
      );
      assert.ok(Math.abs(f.losses[j] - one.loss) <= 1e-14 * one.loss);
      assert.ok(Math.abs(f.norms[j] - norm) <= 1e-12 * norm, `step ${f.step} sample ${i}`);
    }
  }
  await classify({ sampler, steps: 2 });
  assert.equal(log.resets, 2, "fit resets the sampler's state before each run");
  assert.equal(log.contexts.length, 2);
});

Deno.test("a sampler's bad minibatch is rejected naming the sampler and the step", async () => {
  const bad = (make: (c: SampleContext) => Minibatch): Sampler => ({ name: "bad", sample: make });
  const ones = (b: number) => new Float64Array(b).fill(1);
  const cases: [Sampler, RegExp][] = [
    [
      bad(({ batchSize: b }) => ({
        indices: new Int32Array(b - 1),
        weights: ones(b),
        forwardEquivalents: 0,
      })),
      /sampler 'bad' at step 1 returned 7 indices for a batch of 8/,
    ],
    [
      bad(({ batchSize: b }) => ({
        indices: new Int32Array(b).fill(120),
        weights: ones(b),
        forwardEquivalents: 0,
      })),
      /returned index 120 at position 0, outside \[0, 120\)/,
    ],
    [
      bad(({ batchSize: b }) => ({
        indices: new Int32Array(b),
        weights: ones(b).fill(-1),
        forwardEquivalents: 0,
      })),
      /returned weight -1 at position 0/,
    ],
    [
      bad(({ batchSize: b }) => ({
        indices: new Int32Array(b),
        weights: ones(b),
        forwardEquivalents: NaN,
      })),
      /returned a scoring cost of NaN/,
    ],
  ];
  for (const [sampler, message] of cases) {
    await assert.rejects(classify({ sampler }), message);
  }
});

Deno.test("a NaN loss stops fit with a RangeError naming the step and the last finite loss", async () => {
  // squared error whose minibatch value turns NaN at the 5th training step (batches of 3 columns)
  const minibatchLosses: number[] = [];
  const loss: Loss = {
    ...squaredError,
    values(output, target, out) {
      const v = squaredError.values(output, target, out);
      if (output.cols === 3) {
        if (minibatchLosses.length === 4) v[1] = NaN;
        minibatchLosses.push(v.reduce((s, x) => s + x, 0) / 3);
      }
      return v;
    },
  };
  const data = line(40, new Random(3));
  const rejected = fit(Mlp.create([1, 1], { random: new Random(0) }), data, {
    loss,
    random: new Random(4),
    batchSize: 3,
    learningRate: 0.1,
    steps: 20,
    evaluateEvery: 2,
    progress: "none",
  });
  await assert.rejects(rejected, (e) => {
    assert.ok(e instanceof TrainingDivergedError && e instanceof RangeError);
    assert.ok(e instanceof DivergenceError);
    assert.equal(e.step, 5);
    assert.equal(e.lastFiniteLoss, minibatchLosses[3]);
    assert.equal(
      e.message,
      `cannot fit 'line': the minibatch loss is NaN at step 5 (last finite loss ${
        minibatchLosses[3]
      } at step 4)`,
    );
    assert.deepEqual(e.history.map((r) => r.step), [0, 2, 4]);
    return true;
  });
});

Deno.test("a learning rate that is far too large diverges into a RangeError, not NaN parameters", async () => {
  const data = line(40, new Random(5));
  const model = Mlp.create([1, 1], { random: new Random(0) });
  await assert.rejects(
    fit(model, data, {
      loss: "squaredError",
      random: new Random(6),
      batchSize: 4,
      learningRate: 1e3,
      steps: 10_000,
      progress: "none",
    }),
    /^TrainingDivergedError: cannot fit 'line': the (minibatch loss|training loss|squared gradient norm) is (Infinity|NaN) at step \d+ \(last finite loss [-\d.e+]+ at step \d+\)$/,
  );
  assert.ok(model.thetas.every((t) => t.data.every(Number.isFinite)));
});

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

Deno.test("progress: a reporter sees every step and ends with done; onEvaluate sees every row", async () => {
  const states: ProgressState[] = [], rows: HistoryRow[] = [];
  const history = await classify({
    steps: 6,
    evaluateEvery: 3,
    progress: { update: (s) => void states.push({ ...s }) },
    onEvaluate: (row) => rows.push(row),
  });
  assert.deepEqual(states.map((s) => s.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(states.map((s) => s.done), [false, false, false, false, false, true]);
  assert.equal(states[5].trainLoss, history[2].train_loss);
  assert.equal(states[5].testAccuracy, history[2].test_accuracy);
  assert.deepEqual(rows, history);
});

Deno.test("progress in a notebook updates one display in place and ends without wall time", async () => {
  const shown: { text: string; id: string; update: boolean }[] = [];
  const progress = notebookProgress({
    display: (bundle, o) =>
      void shown.push({ text: bundle["text/plain"], id: o.display_id, update: o.update }),
    intervalMs: 0,
  });
  await classify({ steps: 4, evaluateEvery: 2, progress });
  assert.equal(shown.length, 4);
  assert.ok(shown.every((s) => s.id === shown[0].id));
  assert.deepEqual(shown.map((s) => s.update), [false, true, true, true]);
  assert.match(
    shown[0].text,
    /^fit: step 1\/4 · train loss [\d.]+ · test accuracy [\d.]+% · \d+\.\d s$/,
  );
  assert.match(shown[3].text, /^fit: step 4\/4 · train loss [\d.]+ · test accuracy [\d.]+%$/);
});

/** The bytes fit writes to stderr with `progress`, while stderr claims to be a terminal or not. */
async function stderrOf(progress: FitOptions["progress"], terminal: boolean): Promise<string> {
  const stderr = Deno.stderr, write = stderr.writeSync, isTerminal = stderr.isTerminal;
  let written = "";
  stderr.isTerminal = () => terminal;
  stderr.writeSync = (
    bytes: Uint8Array,
  ) => (written += new TextDecoder().decode(bytes), bytes.length);
  try {
    await classify({ steps: 3, progress });
  } finally {
    stderr.writeSync = write;
    stderr.isTerminal = isTerminal;
  }
  return written;
}

Deno.test("progress 'auto' draws a bar only when stderr is a terminal outside CI; 'none' never writes", async () => {
  const ci = progressEnvironment().ci;
  assert.equal(await stderrOf("auto", false), "");
  assert.equal(await stderrOf("none", true), "");
  const bar = await stderrOf("auto", true);
  if (ci) assert.equal(bar, "", "CI set: no bar");
  else {
    assert.ok(bar.startsWith("\r[") && bar.endsWith("\x1b[K\n"), JSON.stringify(bar));
    assert.match(bar, /100% step 3\/3 · train loss [\d.]+ · test accuracy [\d.]+% · [\d.]+ s/);
  }
});

Deno.test("progress 'bar' and 'lines' write to stderr whatever it is; 'lines' ends every update with a newline", async () => {
  assert.match(await stderrOf("bar", false), /^\r\[[#-]+\] .*100% step 3\/3 .*\n$/s);
  const lines = await stderrOf("lines", false);
  assert.match(lines, /^fit: step 1\/3 · .* s\nfit: step 3\/3 · .* s\n$/);
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

Deno.test("a non-finite gradient stops fit as such, naming the step, the layer and the training sample, not as a divergence", async () => {
  // sample 1 has x = 0, so the output is the bias 0 = its target: √|x − y| has no slope there;
  // the batch takes samples 2, 0, 1, so it is in batch column 2
  const data = { name: "root", x: Matrix.row([2, 0, 1]), y: Matrix.row([4, 0, 4]), labels: null };
  const all: Sampler = {
    name: "all",
    sample: () => ({
      indices: Int32Array.of(2, 0, 1),
      weights: Float64Array.of(1, 1, 1),
      forwardEquivalents: 0,
    }),
  };
  const model = Mlp.create([1, 2, 1], { random: new Random(3) });
  await assert.rejects(
    fit(model, data, {
      loss: rootError,
      random: new Random(1),
      batchSize: 3,
      learningRate: 0.1,
      steps: 2,
      sampler: all,
      progress: "none",
    }),
    (e) => {
      assert.ok(e instanceof NonFiniteGradientError && !(e instanceof DivergenceError));
      assert.equal(
        e.message,
        "cannot fit 'root': at step 1, ∇θ_2 is NaN at (0, 0): the loss gradient ∂ℓ/∂x_L is NaN at output 0 of sample 2 of the batch (x_L = 0 there): the loss has no finite gradient at this output and target (batch column 2 is sample 1 of the training set)",
      );
      assert.deepEqual([e.layer, e.kind], [2, "loss"]);
      return true;
    },
  );
});

Deno.test("a gradient that overflows at a finite loss is a divergence whose message says the loss was finite", async () => {
  const labels = Int32Array.of(0, 1, 2, 0);
  const data = { name: "huge", x: Matrix.zeros(2, 4), y: oneHot(labels, 3), labels };
  data.x.data.fill(1e160);
  await assert.rejects(
    fit(Mlp.create([2, 3], { random: new Random(0) }), data, {
      loss: "softmaxCrossEntropy",
      random: new Random(1),
      batchSize: 4,
      learningRate: 0.1,
      steps: 1,
      progress: "none",
    }),
    (e) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.match(
        e.message,
        /^cannot fit 'huge': the squared gradient norm is Infinity at step 1, where the minibatch loss [\d.e+]+ is finite \(no finite minibatch loss before it\): every entry of the gradient is finite but the sum of their squares overflows: the gradient is too large$/,
      );
      assert.ok(Number.isFinite(e.minibatchLoss!));
      return true;
    },
  );
});

Deno.test("an initial model with no finite training loss is refused as such, not as a divergence", async () => {
  const data = line(10, new Random(1));
  data.y.data.fill(1e200); // ½(x_L − y)² overflows
  await assert.rejects(
    fit(Mlp.create([1, 1], { random: new Random(0) }), data, {
      loss: "squaredError",
      random: new Random(1),
      batchSize: 2,
      learningRate: 0.1,
      steps: 1,
      progress: "none",
    }),
    (e) => {
      assert.ok(e instanceof RangeError && !(e instanceof DivergenceError));
      assert.equal(
        e.message,
        "cannot fit 'line': before any step, the training loss of the initial model is Infinity: this loss, model and data give no finite value to start from (check the scale of x and y)",
      );
      return true;
    },
  );
});
