/**
 * The ISGD sampler (lib/sampling/isgd.ts): it repeats a batch exactly when its loss exceeds the
 * control limit ψ̄ + k·σ_ψ of recent fresh batches, at most maxExtra times, and otherwise draws
 * as uniform sampling does.
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import { Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
import type { StepFeedback } from "@lib/sampling/sampler.ts";
import { uniformSampler } from "@lib/sampling/sampler.ts";
import { isgdSampler } from "@lib/sampling/isgd.ts";
import { classify } from "./fit_fixtures.ts";

const model = Mlp.create([1, 1], { random: new Random(0) });
const data = {
  name: "toy",
  x: Matrix.row([0, 1, 2, 3, 4, 5]),
  y: Matrix.row([0, 1, 2, 3, 4, 5]),
  labels: null,
};
const context = { model, data, loss: squaredError, batchSize: 2, step: 0 };

/** ψ̄ + k·σ_ψ (sample sd) of the last `window` fresh losses, written out plainly. */
function referenceLimit(fresh: number[], window: number, k: number): number {
  if (fresh.length < window) return Infinity;
  const last = fresh.slice(-window), mean = last.reduce((s, v) => s + v, 0) / window;
  return mean + k * Math.sqrt(last.reduce((s, v) => s + (v - mean) ** 2, 0) / (window - 1));
}

Deno.test("ISGD repeats a batch exactly when its loss exceeds the control limit of the recent fresh batches, at most maxExtra times", () => {
  const losses = fc.array(fc.double({ min: 0, max: 10, noNaN: true }), {
    minLength: 1,
    maxLength: 80,
  });
  fc.assert(
    fc.property(
      losses,
      fc.integer({ min: 2, max: 6 }),
      fc.integer({ min: 0, max: 3 }),
      (psi, window, maxExtra) => {
        const k = 1;
        const sampler = isgdSampler({ window, maxExtra, k });
        const random = new Random(1), fresh: number[] = [];
        let limit = Infinity, extra = 0, previous: number[] = [], expectRepeat = false;
        psi.forEach((loss, t) => {
          const batch = sampler.sample({ ...context, random, step: t });
          const indices = Array.from(batch.indices);
          if (expectRepeat) {
            assert.deepEqual(indices, previous, `step ${t + 1} repeats`);
            assert.equal(sampler.repeating, true);
          } else assert.equal(sampler.repeating, false);
          sampler.observe(
            { step: t + 1, batch, losses: Float64Array.of(loss, loss) } as unknown as StepFeedback,
          );
          if (expectRepeat) {
            extra++;
            expectRepeat = loss > limit && extra < maxExtra;
          } else {
            limit = referenceLimit(fresh, window, k);
            fresh.push(loss);
            extra = 0;
            expectRepeat = loss > limit && maxExtra > 0;
          }
          assert.equal(
            sampler.repeatNext,
            expectRepeat,
            `after step ${t + 1}: ψ = ${loss}, limit ${limit}`,
          );
          if (Number.isFinite(limit)) {
            assert.ok(Math.abs(sampler.limit - limit) <= 1e-12 * (1 + Math.abs(limit)));
          }
          previous = indices;
        });
      },
    ),
  );
});

Deno.test("ISGD with a batch always above the limit takes exactly maxExtra extra steps on it, then draws afresh", () => {
  const sampler = isgdSampler({ window: 2, maxExtra: 3 });
  const random = new Random(2);
  const feed = (step: number, loss: number) => {
    const batch = sampler.sample({ ...context, random, step: step - 1 });
    sampler.observe(
      { step, batch, losses: Float64Array.of(loss, loss) } as unknown as StepFeedback,
    );
    return sampler.repeating;
  };
  feed(1, 1);
  feed(2, 2); // window full: ψ̄ = 1.5, σ_ψ ≈ 0.707, limit ≈ 3.62
  // step 3 is flagged and repeated 3 times; step 7 is fresh, and with the window at [2, 100]
  // (limit ≈ 51 + 69.3) a loss of 1000 flags it again
  const repeated = [3, 4, 5, 6, 7, 8].map((step) => feed(step, step < 7 ? 100 : 1000));
  assert.deepEqual(repeated, [false, true, true, true, false, true]);
  assert.equal(sampler.extraSteps, 4);
  assert.equal(sampler.flaggedBatches, 2);
});

Deno.test("ISGD that never flags a batch draws the same indices as uniform sampling, with weights 1 and no scoring cost", () => {
  const sampler = isgdSampler({ k: Infinity }), uniform = uniformSampler();
  const r1 = new Random(5), r2 = new Random(5);
  for (let t = 0; t < 20; t++) {
    const batch = sampler.sample({ ...context, random: r1, step: t });
    assert.deepEqual(
      Array.from(batch.indices),
      Array.from(uniform.sample({ ...context, random: r2, step: t }).indices),
    );
    assert.deepEqual(Array.from(batch.weights), [1, 1]);
    assert.equal(batch.forwardEquivalents, 0);
    sampler.observe(
      { step: t + 1, batch, losses: Float64Array.of(t % 3, 5 * t) } as unknown as StepFeedback,
    );
    assert.equal(sampler.repeatNext, false);
  }
});

Deno.test("fit trains with ISGD: repeats are ordinary steps, counted 3b each", async () => {
  const sampler = isgdSampler({ k: 1, window: 10 });
  const history = await classify({ steps: 200, sampler });
  assert.ok(history.at(-1)!.train_loss < 0.5 * history[0].train_loss);
  assert.equal(history.at(-1)!.forward_equivalents, 3 * 8 * 200);
  assert.ok(sampler.extraSteps > 0, "k = 1 flags some batches");
});

Deno.test("the ISGD sampler refuses bad options", () => {
  assert.throws(() => isgdSampler({ k: -1 }), /cannot make an ISGD sampler: k must be >= 0/);
  assert.throws(() => isgdSampler({ window: 1 }), /window must be an integer >= 2, got 1/);
  assert.throws(() => isgdSampler({ maxExtra: 1.5 }), /maxExtra must be an integer >= 0/);
});
