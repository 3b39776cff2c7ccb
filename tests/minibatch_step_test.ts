import assert from "node:assert/strict";
import { type Dataset, Random, softmaxCrossEntropy } from "@lib/mod.ts";
import type { Mlp } from "@lib/mlp.ts";
import { MinibatchStep } from "@lib/minibatch_step.ts";
import { type Minibatch, type Sampler, uniformSampler } from "@lib/sampling/sampler.ts";
import { importanceSampler } from "@lib/sampling/importance_sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { Sgd } from "@lib/sgd.ts";
import { toyClassification } from "./fixtures.ts";

const LOSS = "softmaxCrossEntropy", ETA = 0.3, B = 4, STEPS = 40;

function problem() {
  return toyClassification(48, { seed: 61, inputs: 3, hidden: 5 });
}

/** What a loop did: the indices and weights drawn, the minibatch losses, and θ at the end. */
interface Trace {
  indices: number[][];
  weights: number[][];
  losses: number[];
  theta: Float64Array[];
}

/** The loop as fit wrote it before the helper: sample, gather, weighted step, observe. */
function handWritten(model: Mlp, data: Dataset, sampler: Sampler): Trace {
  const random = new Random(5), sgd = new Sgd(model, { loss: LOSS, learningRate: ETA });
  const trace: Trace = { indices: [], weights: [], losses: [], theta: [] };
  sampler.reset?.();
  for (let t = 0; t < STEPS; t++) {
    const context = { model, data, loss: softmaxCrossEntropy, batchSize: B, random, step: t };
    const batch = sampler.sample(context);
    const x = data.x.gatherColumns(batch.indices), y = data.y.gatherColumns(batch.indices);
    const result = sgd.step(x, y, { weights: batch.weights });
    let norms: Float64Array | null = null;
    sampler.observe?.({
      step: t + 1,
      batch,
      losses: result.values,
      pass: result.pass,
      gradientNorms:
        () => (norms ??= model.perSampleGradientNorms(result.pass, { weights: result.weights })),
    });
    trace.indices.push(Array.from(batch.indices));
    trace.weights.push(Array.from(batch.weights));
    trace.losses.push(result.loss);
  }
  trace.theta = model.thetas.map((t) => t.data.slice());
  return trace;
}

function withHelper(model: Mlp, data: Dataset, sampler: Sampler): Trace {
  sampler.reset?.();
  const step = new MinibatchStep(model, data, {
    loss: LOSS,
    batchSize: B,
    random: new Random(5),
    sampler,
    learningRate: ETA,
  });
  const trace: Trace = { indices: [], weights: [], losses: [], theta: [] };
  for (let t = 0; t < STEPS; t++) {
    const { batch, result } = step.take();
    trace.indices.push(Array.from(batch.indices));
    trace.weights.push(Array.from(batch.weights));
    trace.losses.push(result.loss);
  }
  trace.theta = model.thetas.map((t) => t.data.slice());
  return trace;
}

Deno.test("the helper's steps equal the hand-written loop's bit for bit, for uniform and importance samplers", () => {
  const samplers: [string, () => Sampler][] = [
    ["uniform", () => uniformSampler()],
    ["uniform without replacement", () => uniformSampler({ replacement: false })],
    ["importance by loss", () => importanceSampler({ score: "loss" })],
    // the switch reads observe's gradient norms; a low τ_th turns importance sampling on
    ["presampled gradient norm", () => presampler({ score: "gradientNorm", tauThreshold: 0.9 })],
  ];
  for (const [name, make] of samplers) {
    const { data, model } = problem();
    const byHand = handWritten(model.clone(), data, make());
    const sampler = make();
    const helper = withHelper(model, data, sampler);
    assert.deepEqual(helper, byHand, name);
    if (name.startsWith("presampled")) {
      const state = (sampler as ReturnType<typeof presampler>).state;
      assert.ok(state.importanceSteps > 0, "the switch turned on: observe fed τ");
      assert.ok(helper.weights.some((w) => w.some((v) => v !== 1)));
    }
  }
});

Deno.test("the gathered batch, the SGD workspace and the gradient's pass are allocated once", () => {
  const { data, model } = problem();
  const step = new MinibatchStep(model, data, {
    loss: LOSS,
    batchSize: B,
    random: new Random(1),
    learningRate: ETA,
  });
  const x = step.x, xData = step.x.data, y = step.y, yData = step.y.data;
  const first = step.take().result;
  step.draw();
  const firstGradient = step.gradient();
  for (let t = 0; t < 5; t++) {
    const { result } = step.take();
    assert.equal(result.pass, first.pass);
    assert.equal(result.values, first.values);
    step.draw();
    assert.equal(step.gradient().pass, firstGradient.pass);
  }
  assert.ok(step.x === x && step.x.data === xData && step.y === y && step.y.data === yData);
  assert.equal(step.steps, 6);
});

Deno.test("gradient() is the weighted gradient of the drawn batch at θ, which it leaves unchanged", () => {
  const { data, model } = problem();
  const sampler = importanceSampler({ score: "loss" });
  const step = new MinibatchStep(model, data, {
    loss: LOSS,
    batchSize: B,
    random: new Random(3),
    sampler,
  });
  const before = model.thetas.map((t) => t.data.slice());
  const batch = step.draw(7);
  const { grads, loss } = step.gradient();
  const direct = model.lossAndGradient(
    data.x.gatherColumns(batch.indices),
    data.y.gatherColumns(batch.indices),
    { loss: LOSS, weights: batch.weights },
  );
  assert.equal(loss, direct.loss);
  grads.forEach((g, l) => assert.deepEqual(g.data, direct.grads[l].data));
  assert.deepEqual(model.thetas.map((t) => t.data), before);
  assert.equal(step.sgd, null);
  assert.throws(() => step.update(), /an SGD step needs a learningRate/);
});

Deno.test("draw passes the step it is given (default: the SGD steps taken) to the sampler", () => {
  const { data, model } = problem();
  const seen: number[] = [];
  const inner = uniformSampler();
  const sampler: Sampler = {
    name: "spy",
    sample: (context) => (seen.push(context.step), inner.sample(context)),
  };
  const step = new MinibatchStep(model, data, {
    loss: LOSS,
    batchSize: B,
    random: new Random(2),
    sampler,
    learningRate: ETA,
  });
  step.take();
  step.take();
  step.draw(9);
  step.draw();
  assert.deepEqual(seen, [0, 1, 9, 2]);
});

Deno.test("a bad minibatch or a step before any draw is refused, naming the action, the sampler and the step", () => {
  const { data, model } = problem();
  const bad = (batch: Minibatch): Sampler => ({ name: "bad", sample: () => batch });
  const ones = new Float64Array(B).fill(1);
  const cases: [Minibatch, RegExp][] = [
    [
      { indices: new Int32Array(B - 1), weights: ones, forwardEquivalents: 0 },
      /^RangeError: cannot measure: sampler 'bad' at step 4 returned 3 indices for a batch of 4$/,
    ],
    [
      { indices: new Int32Array(B).fill(48), weights: ones, forwardEquivalents: 0 },
      /returned index 48 at position 0, outside \[0, 48\)/,
    ],
    [
      { indices: new Int32Array(B), weights: ones.map(() => NaN), forwardEquivalents: 0 },
      /returned weight NaN at position 0/,
    ],
    [
      { indices: new Int32Array(B), weights: ones, forwardEquivalents: -1 },
      /returned a scoring cost of -1/,
    ],
  ];
  for (const [batch, message] of cases) {
    const step = new MinibatchStep(model, data, {
      loss: LOSS,
      batchSize: B,
      random: new Random(1),
      sampler: bad(batch),
      action: "cannot measure",
    });
    assert.throws(() => step.draw(3), message);
    assert.equal(step.batch, null);
  }
  const fresh = new MinibatchStep(model, data, {
    loss: LOSS,
    batchSize: B,
    random: new Random(1),
    learningRate: ETA,
  });
  assert.throws(() => fresh.update(), /an SGD step needs a batch: call draw\(\) first/);
  assert.throws(() => fresh.gradient(), /a gradient needs a batch: call draw\(\) first/);
  assert.throws(
    () => new MinibatchStep(model, data, { loss: LOSS, batchSize: 0, random: new Random(1) }),
    /cannot take a minibatch step: batchSize must be an integer >= 1, got 0/,
  );
});

Deno.test("a batch that carries its forward pass takes the same step, bit for bit, without running forward again", () => {
  const { model, data } = problem();
  const plain = model.clone();
  const forwards = { count: 0 };
  const inner = uniformSampler();
  // The sampler runs the forward pass on the gathered columns itself and hands it over.
  const carrying: Sampler = {
    name: "carries its pass",
    sample(context) {
      const batch = inner.sample(context);
      const pass = context.model.forward(data.x.gatherColumns(batch.indices));
      return { ...batch, pass };
    },
  };
  const counted = model.forward.bind(model);
  model.forward = (x, pass) => {
    forwards.count++;
    return counted(x, pass);
  };
  const a = withHelper(model, data, carrying), b = withHelper(plain, data, uniformSampler());
  assert.deepEqual(a, b);
  assert.equal(forwards.count, STEPS, "one forward per step: the sampler's, none in the step");
});
