import assert from "node:assert/strict";
import { Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
import { checkBatch, type SampleContext, uniformSampler } from "@lib/sampling/sampler.ts";
import { chiSquare } from "./fixtures.ts";

function context(n: number, batchSize: number, seed = 1): SampleContext {
  const data = { name: "toy", x: Matrix.zeros(2, n), y: Matrix.zeros(1, n), labels: null };
  const model = Mlp.create([2, 1], { random: new Random(0) });
  return { model, data, loss: squaredError, batchSize, random: new Random(seed), step: 0 };
}

Deno.test("uniform with replacement draws every index equally often (χ² below its 0.1% point)", () => {
  const n = 10, ctx = context(n, 7), sampler = uniformSampler(), counts = new Array(n).fill(0);
  let repeats = 0;
  for (let t = 0; t < 10_000; t++) {
    const { indices, weights, forwardEquivalents } = sampler.sample(ctx);
    assert.equal(forwardEquivalents, 0);
    assert.ok(weights.every((w) => w === 1));
    for (const i of indices) counts[i]++;
    if (new Set(indices).size < indices.length) repeats++;
  }
  assert.ok(chiSquare(counts) < 27.88, `χ² ${chiSquare(counts)}`); // χ²(9) upper 0.1% point
  // P(no repeat in 7 draws from 10) = 10!/3!/10^7 ≈ 0.06, so repeats are the rule
  assert.ok(repeats > 9000, `${repeats} batches with a repeat`);
});

Deno.test("uniform without replacement gives distinct indices, each equally likely", () => {
  const n = 8, ctx = context(n, 5), sampler = uniformSampler({ replacement: false });
  const counts = new Array(n).fill(0);
  for (let t = 0; t < 8_000; t++) {
    const { indices } = sampler.sample(ctx);
    assert.equal(new Set(indices).size, 5);
    for (const i of indices) counts[i]++;
  }
  assert.ok(chiSquare(counts) < 24.32, `χ² ${chiSquare(counts)}`); // χ²(7) upper 0.1% point
  assert.equal(sampler.name, "uniform without replacement");
});

Deno.test("the same seed draws the same indices", () => {
  for (const replacement of [true, false]) {
    const a = uniformSampler({ replacement }), b = uniformSampler({ replacement });
    const ca = context(20, 6, 42), cb = context(20, 6, 42);
    for (let t = 0; t < 5; t++) assert.deepEqual(a.sample(ca).indices, b.sample(cb).indices);
  }
});

Deno.test("uniform's distribution is 1/N, so its weights 1 are 1/(N p_i)", () => {
  const ctx = context(4, 2);
  assert.deepEqual(Array.from(uniformSampler().distribution!(ctx)), [0.25, 0.25, 0.25, 0.25]);
});

Deno.test("bad batch sizes are rejected with errors naming batchSize", () => {
  for (const b of [0, -1, 1.5, NaN]) {
    assert.throws(
      () => uniformSampler().sample(context(5, b)),
      /batchSize must be an integer >= 1/,
    );
  }
  assert.throws(
    () => uniformSampler({ replacement: false }).sample(context(5, 6)),
    /6 distinct samples requested without replacement from 5/,
  );
  assert.equal(uniformSampler().sample(context(5, 6)).indices.length, 6, "with replacement b > N");
  const empty = { name: "nothing", x: Matrix.zeros(2, 0), y: Matrix.zeros(1, 0), labels: null };
  assert.throws(() => checkBatch(empty, 1, "a sampler"), /the data set 'nothing' is empty/);
});

Deno.test("with context.reuse the uniform sampler refills one batch record and draws the same indices as without", () => {
  for (const replacement of [true, false]) {
    const fresh = uniformSampler({ replacement }), reusing = uniformSampler({ replacement });
    const a = context(9, 4, 3), b = { ...context(9, 4, 3), reuse: true };
    let first: unknown = null;
    for (let t = 0; t < 5; t++) {
      const expected = fresh.sample(a), got = reusing.sample(b);
      first ??= got;
      assert.equal(got, first, "the same record at every draw");
      assert.deepEqual(Array.from(got.indices), Array.from(expected.indices));
      assert.deepEqual(Array.from(got.weights), [1, 1, 1, 1]);
      assert.equal(got.forwardEquivalents, 0);
    }
    assert.notEqual(fresh.sample(a), fresh.sample(a), "without reuse, a new batch each time");
  }
});
