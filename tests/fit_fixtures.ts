/**
 * Shared fixtures of the fit tests: two small data sets (three Gaussian blobs, a noisy line), the
 * 2-8-3 classifier and a short fit of it; a normal-feature problem and a short fit of a copy of its
 * network with a given sampler (the samplers' pass-reuse tests).
 *
 * @module
 */
import { Matrix, Mlp, oneHot, Random } from "@lib/mod.ts";
import type { Dataset } from "@lib/datasets.ts";
import assert from "node:assert/strict";
import { MinibatchStep } from "@lib/minibatch_step.ts";
import type { Sampler } from "@lib/sampling/sampler.ts";
import { fit, type FitOptions, type HistoryRow } from "@lib/train.ts";

/** Three Gaussian blobs in the plane, labelled 0..2. */
export function blobs(n: number, random: Random, name = "blobs"): Dataset {
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
export function line(n: number, random: Random): Dataset {
  const x = new Matrix(1, n), y = new Matrix(1, n);
  for (let j = 0; j < n; j++) {
    x.data[j] = 2 * random.float() - 1;
    y.data[j] = 3 * x.data[j] - 1 + 0.1 * random.normal();
  }
  return { name: "line", x, y, labels: null };
}

/** 120 blobs to train on and 60 to test on. */
export const train: Dataset = blobs(120, new Random(100));
/** The test blobs. */
export const test: Dataset = blobs(60, new Random(101), "blobs test");

/** The 2-8-3 tanh classifier of the blobs. */
export function classifier(seed = 0): Mlp {
  return Mlp.create([2, 8, 3], { random: new Random(seed), activation: "tanh" });
}

/** 60 steps of b = 8 on the blobs, evaluated every 20 on the test blobs, with `overrides`. */
export function classify(
  overrides: Partial<FitOptions> = {},
  model: Mlp = classifier(),
): ReturnType<typeof fit> {
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

/** A classification problem: the data and the network every run of a comparison starts from. */
export interface Problem {
  data: Dataset;
  model: Mlp;
}

/** N samples of `sizes[0]` standard normal features, labels i mod the outputs, a relu (or tanh) network. */
export function normalProblem(
  sizes: number[],
  n: number,
  seed: number,
  activation: "relu" | "tanh" = "relu",
): Problem {
  const random = new Random(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % sizes.at(-1)!);
  const data = {
    name: "normal",
    x: random.normalMatrix(sizes[0], n),
    y: oneHot(labels, sizes.at(-1)!),
    labels,
  };
  return { data, model: Mlp.create(sizes, { random, activation }) };
}

/**
 * Trains a copy of the problem's model with `sampler` (softmax cross-entropy, η = 0.05, the
 * training seed 11, evaluated every 5 steps): its final θ and history.
 */
export async function trainCopy(
  { data, model }: Problem,
  options: { sampler: Sampler; batchSize: number; steps: number },
): Promise<{ thetas: Float64Array[]; history: HistoryRow[] }> {
  const net = model.clone();
  const history = await fit(net, data, {
    loss: "softmaxCrossEntropy",
    random: new Random(11),
    batchSize: options.batchSize,
    learningRate: 0.05,
    steps: options.steps,
    sampler: options.sampler,
    evaluateEvery: 5,
    progress: "none",
  });
  return { thetas: net.thetas.map((t) => t.data), history };
}

/**
 * Asserts that one step whose batch carries the sampler's own pass ("always") has the gradient of
 * the step that recomputes it ("never") to 1e-12 of its scale, on the same draws: each z entry is
 * a sum of k ≤ 21 products; both product engines are within γ_k ≈ k·2^-53 of the exact sum,
 * relative to Σ|θ||x|, so the gradients agree to a few 1e-15 of their scale: 1e-12 is generous.
 */
export function assertReusedGradientClose(
  p: Problem,
  options: { batchSize: number; sampler: (reusePass: "always" | "never") => Sampler },
): void {
  const gradient = (reusePass: "always" | "never") => {
    const step = new MinibatchStep(p.model.clone(), p.data, {
      loss: "softmaxCrossEntropy",
      batchSize: options.batchSize,
      random: new Random(5),
      sampler: options.sampler(reusePass),
      learningRate: 0.05,
    });
    step.draw();
    const { pass } = step.update();
    return { grads: pass.grads.map((g) => Float64Array.from(g.data)), batch: step.batch! };
  };
  const always = gradient("always"), recomputed = gradient("never");
  assert.ok(always.batch.pass !== undefined && recomputed.batch.pass === undefined);
  assert.deepEqual(always.batch.indices, recomputed.batch.indices);
  always.grads.forEach((g, l) => {
    const r = recomputed.grads[l];
    let diff = 0, scale = 0;
    for (let i = 0; i < g.length; i++) {
      diff = Math.max(diff, Math.abs(g[i] - r[i]));
      scale = Math.max(scale, Math.abs(r[i]));
    }
    assert.ok(diff <= 1e-12 * scale, `∇θ_${l + 1}: ${diff} against ${scale}`);
  });
}
