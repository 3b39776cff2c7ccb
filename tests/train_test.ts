import assert from "node:assert/strict";
import { type Loss, Matrix, Mlp, oneHot, Random, squaredError } from "@lib/mod.ts";
import type { Minibatch, SampleContext, Sampler, StepFeedback } from "@lib/sampling/sampler.ts";
import { DivergenceError } from "@lib/sgd.ts";
import { NonFiniteGradientError } from "@lib/gradient_fault.ts";
import { rootError } from "./faults.ts";
import { allocateKernelArray } from "@lib/kernels/mod.ts";
import { classifier, classify, line, train } from "./fit_fixtures.ts";
import { fit, type FitOptions, type HistoryRow, TrainingDivergedError } from "@lib/train.ts";
import { notebookProgress, progressEnvironment, type ProgressState } from "@lib/progress.ts";

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
      log.contexts.push({ ...context }); // fit refills its context record (`reuse`): copy it
      log.thetas.push(context.model.clone());
      const { model, data, loss, batchSize: b, random } = context;
      const n = data.x.cols;
      const x = data.x.gatherColumns(Array.from({ length: n }, (_, i) => i));
      const scores = loss.values(model.forward(x).output, data.y).map((v) => v + 0.1);
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

Deno.test("fit trains θ in kernel memory and gives it back: the model keeps its own matrices, holding the trained values, and more fits of the same shapes take no new kernel memory", async () => {
  const model = classifier(3), originals = model.thetas.slice();
  let during: Float64Array[] = [];
  await classify({ onEvaluate: () => during = model.thetas.map((t) => t.data.slice()) }, model);
  assert.ok(model.thetas.every((t, l) => t === originals[l]), "the original matrices are back");
  assert.deepEqual(model.thetas.map((t) => t.data), during, "holding the values of the last step");
  const before = allocateKernelArray(1).byteOffset;
  await classify({}, classifier(3));
  await classify({}, classifier(3));
  const after = allocateKernelArray(1).byteOffset;
  // each fit leases the arrays the one before released: the arena moved by the probe alone
  assert.ok(after - before <= 64, `the arena moved by ${after - before} bytes`);
});
