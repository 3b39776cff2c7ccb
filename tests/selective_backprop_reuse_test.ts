/**
 * Selective Backprop's forward reuse (lib/sampling/selective_backprop.ts): the kept samples'
 * columns of the candidates' forward passes are the step's pass, so a step costs the candidates
 * + 2b forward-equivalents and takes the bits it would take recomputing them.
 */
import assert from "node:assert/strict";
import {
  assertReusedGradientClose,
  normalProblem,
  type Problem,
  trainCopy,
} from "./fit_fixtures.ts";
import { Mlp, MlpPass, Random } from "@lib/mod.ts";
import { MinibatchStep } from "@lib/minibatch_step.ts";
import { passColumnsExact } from "@lib/pass_columns.ts";
import {
  copyKeptColumns,
  type SelectiveBackpropOptions,
  selectiveBackpropSampler,
} from "@lib/sampling/selective_backprop.ts";

/** Trains a copy of the problem's network with a fresh sampler of `options`. */
async function train(
  p: Problem,
  options: SelectiveBackpropOptions & { batchSize: number; steps: number },
) {
  const { batchSize, steps, ...samplerOptions } = options;
  const sampler = selectiveBackpropSampler(samplerOptions);
  return { ...await trainCopy(p, { sampler, batchSize, steps }), sampler };
}

Deno.test("selective backprop with pass reuse takes the same steps bit for bit as recomputing", async () => {
  const cases = [
    // the quick reproduction's network (WebAssembly products), chunk = b and a wider chunk
    { sizes: [784, 32, 32, 10], batchSize: 32, beta: 1, chunk: undefined },
    { sizes: [784, 32, 32, 10], batchSize: 32, beta: 2, chunk: 48 },
    // a small network (TypeScript products), chunk = b
    { sizes: [2, 8, 3], batchSize: 8, beta: 1, chunk: undefined },
  ];
  for (const { sizes, batchSize, beta, chunk } of cases) {
    const label = `[${sizes}], b = ${batchSize}, β = ${beta}, chunk ${chunk ?? "b"}`;
    const p = normalProblem(sizes, 300, 1);
    assert.ok(passColumnsExact(sizes, { source: chunk ?? batchSize, batch: batchSize }), label);
    const options = { beta, chunk, batchSize, steps: 12 };
    const always = await train(p, { ...options, reusePass: "always" });
    const never = await train(p, { ...options, reusePass: "never" });
    const auto = await train(p, options);
    assert.deepEqual(always.thetas, never.thetas, label);
    assert.deepEqual(auto.thetas, never.thetas, label);
    assert.deepEqual(
      always.history.map((r) => r.train_loss),
      never.history.map((r) => r.train_loss),
      label,
    );
    assert.deepEqual(
      [always.sampler.reusedSteps, auto.sampler.reusedSteps, never.sampler.reusedSteps],
      [12, 12, 0],
      label,
    );
    // the same candidates were drawn, and on average more than b per step: many batches
    // gathered their pass from several chunks
    assert.equal(always.sampler.candidates, never.sampler.candidates, label);
    assert.ok(always.sampler.candidates > 12 * batchSize * 1.5, label);
  }
});

Deno.test("selective backprop with pass reuse costs candidates + 2b forward-equivalents per step, recomputing candidates + 3b", async () => {
  // chunk = 1: every candidate forwarded is tested, so the candidates counted are those forwarded
  // (a small network, whose one-column and b-column products both run in TypeScript: auto reuses)
  for (const beta of [0, 1, 2]) {
    const p = normalProblem([2, 8, 3], 300, 2), b = 8, steps = 20;
    assert.ok(passColumnsExact(p.model.sizes, { source: 1, batch: b }));
    const reused = await train(p, { beta, chunk: 1, batchSize: b, steps });
    const recomputed = await train(p, { beta, chunk: 1, batchSize: b, steps, reusePass: "never" });
    const candidates = reused.sampler.candidates;
    assert.equal(recomputed.sampler.candidates, candidates);
    assert.ok(beta === 0 ? candidates === b * steps : candidates > b * steps, `β = ${beta}`);
    assert.equal(reused.history.at(-1)!.forward_equivalents, candidates + 2 * b * steps);
    assert.equal(recomputed.history.at(-1)!.forward_equivalents, candidates + 3 * b * steps);
  }
  // whole chunks of b: the cost is the chunks forwarded + 2b, b per step below recomputing
  const p = normalProblem([784, 32, 32, 10], 300, 3);
  const reused = await train(p, { beta: 1, batchSize: 32, steps: 10 });
  const recomputed = await train(p, { beta: 1, batchSize: 32, steps: 10, reusePass: "never" });
  const [a, r] = [reused, recomputed].map((run) => run.history.at(-1)!.forward_equivalents);
  assert.equal(r - a, 32 * 10);
  assert.ok((a - 2 * 32 * 10) % 32 === 0 && a - 2 * 32 * 10 >= reused.sampler.candidates);
});

Deno.test("where a layer's product crosses SMALL_PRODUCT_FLOPS between the chunk and b columns, auto recomputes (same bits) and always stays within rounding", async () => {
  // 20-10-3, b = 4, chunk 48: the last layer's product has 2·3·11·4 = 264 FLOPs with b columns
  // (TypeScript) and 3168 with 48 (WebAssembly), so the engines differ there
  const p = normalProblem([20, 10, 3], 100, 3);
  assert.equal(passColumnsExact(p.model.sizes, { source: 48, batch: 4 }), false);
  const options = { beta: 1, chunk: 48, batchSize: 4, steps: 10 };
  const auto = await train(p, options);
  const never = await train(p, { ...options, reusePass: "never" });
  assert.equal(auto.sampler.reusedSteps, 0);
  assert.deepEqual(auto.thetas, never.thetas);
  // "always": one step's gradient from the sampler's pass against the recomputed one
  assertReusedGradientClose(p, {
    batchSize: 4,
    sampler: (reusePass) => selectiveBackpropSampler({ beta: 1, chunk: 48, reusePass }),
  });
});

Deno.test("the batch, its indices and its pass are the sampler's workspaces, reused from step to step", () => {
  const { data, model } = normalProblem([784, 32, 32, 10], 200, 4);
  const step = new MinibatchStep(model, data, {
    loss: "softmaxCrossEntropy",
    batchSize: 16,
    random: new Random(6),
    sampler: selectiveBackpropSampler({ beta: 2 }),
    learningRate: 0.05,
  });
  const first = step.take().batch, pass = first.pass!, indices = first.indices;
  for (let t = 0; t < 5; t++) {
    const { batch } = step.take();
    assert.ok(batch === first && batch.pass === pass && batch.indices === indices);
  }
});

Deno.test("a bad reusePass, and columns that do not fit, are rejected with errors naming them", () => {
  assert.throws(
    () => selectiveBackpropSampler({ reusePass: "yes" as never }),
    /cannot make a selective backprop sampler: reusePass must be "auto", "always" or "never", got yes/,
  );
  const net = Mlp.create([2, 3, 1], { random: new Random(0) });
  const source = net.forward(new Random(1).normalMatrix(2, 4)), out = new MlpPass(net.sizes, 3);
  const positions = Int32Array.of(0, 1, 2, 3);
  assert.throws(
    () => copyKeptColumns(source, { positions, count: 2, out, offset: 2 }),
    /cannot copy 2 columns of a pass of 4 to columns 2\.\. of 3: the columns do not fit/,
  );
  assert.throws(
    () => copyKeptColumns(source, { positions: Int32Array.of(4), count: 1, out, offset: 0 }),
    /position 0 is 4, expected one in \[0, 4\)/,
  );
  assert.throws(
    () => copyKeptColumns(source, { positions, count: 1, out: new MlpPass([2, 1], 3), offset: 0 }),
    /the passes' layer sizes differ/,
  );
});
