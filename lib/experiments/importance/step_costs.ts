/**
 * The wall time of one training step of each kind, measured in interleaved rounds so that load
 * from other processes falls on every kind alike.
 *
 * @module
 */
import type { Dataset, Inputs } from "../../datasets.ts";
import { KernelLease } from "../../kernel_lease.ts";
import { allFinite } from "../../kernels/mod.ts";
import { softmaxCrossEntropy } from "../../losses.ts";
import { Matrix } from "../../matrix.ts";
import { MinibatchStep } from "../../minibatch_step.ts";
import { Mlp } from "../../mlp.ts";
import type { Random } from "../../random.ts";
import { median } from "../../stats.ts";
import { STEP_KINDS, stepKindSampler } from "./registry.ts";
import type { StepCost } from "./unit_tables.ts";

/** Options of {@link interleavedStepCosts}. */
export interface StepCostOptions {
  /** b. */
  batchSize: number;
  /** k: presamples of B = k·b. */
  presample: number;
  /** η. */
  learningRate: number;
  /** Rounds, each timing one step of every kind (>= 1). */
  rounds: number;
  /** The stream of every kind's draws. */
  random: Random;
}

/**
 * Wall milliseconds of one training step of each kind (registry STEP_KINDS), timed in
 * interleaved rounds: each round takes one step of every kind, in a rotating order. Each kind
 * trains its own copy of `model` (not changed) with the same loop as `fit` (lib/minibatch_step.ts):
 * sample, gather, weighted SGD step, observe; as in `fit`, θ and the workspaces live in leased
 * kernel memory (lib/kernel_lease.ts, given back at the end) and a finite x is not rescanned.
 * Returns the median and the minimum over rounds.
 *
 * @throws {RangeError} when rounds < 1
 * @example One row per kind, in the registry's order; the minimum is at most the median
 * ```ts
 * import { interleavedStepCosts } from "@lib/experiments/importance/step_costs.ts";
 * import { Mlp, Random, oneHot } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(1);
 * const labels = Int32Array.from({ length: 50 }, (_, i) => i % 10);
 * const data = { name: "toy", x: random.normalMatrix(784, 50), y: oneHot(labels, 10), labels };
 * const model = Mlp.create([784, 8, 10], { random, activation: "relu" });
 * const options = { batchSize: 4, presample: 3, learningRate: 0.1, rounds: 3, random };
 * const costs = interleavedStepCosts(model, data, options);
 * assert.deepEqual(costs.map((c) => c.kind), ["uniform", "switch-off", "loss", "upper-bound", "gradient-norm"]);
 * assert.ok(costs.every((c) => c.rounds === 3 && c.min_ms <= c.median_ms));
 * assert.throws(() => interleavedStepCosts(model, data, { ...options, rounds: 0 }), /rounds must be/);
 * ```
 */
export function interleavedStepCosts(
  model: Mlp,
  data: Dataset<Inputs>,
  options: StepCostOptions,
): StepCost[] {
  const { batchSize: b, rounds } = options;
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`cannot time the steps: rounds must be an integer >= 1, got ${rounds}`);
  }
  const lease = new KernelLease(), allocate = (length: number) => lease.array(length);
  // inputs held otherwise than as a Matrix (bytes, lib/byte_images.ts) are finite by construction
  const finiteData = !(data.x instanceof Matrix) || allFinite(data.x.data, { n: data.x.size });
  const kinds = STEP_KINDS.map((kind) => {
    const sampler = stepKindSampler(kind, options.presample);
    return {
      kind,
      sampler,
      // each kind trains its own copy; every draw comes from the one shared stream, in round order
      stepper: new MinibatchStep(leasedCopy(model, allocate), data, {
        loss: softmaxCrossEntropy,
        batchSize: b,
        random: options.random,
        sampler,
        learningRate: options.learningRate,
        action: "cannot time the steps",
        allocate,
        finiteData,
      }),
      times: [] as number[],
    };
  });
  try {
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + r) % kinds.length];
        const start = performance.now();
        kind.stepper.take();
        kind.times.push(performance.now() - start);
      }
    }
  } finally {
    lease.release();
    // the presamplers' kernel arrays back to the pool now, not when collected
    for (const { sampler } of kinds) sampler.reset?.();
  }
  return kinds.map(({ kind, times }) => ({
    kind,
    median_ms: median(times),
    min_ms: Math.min(...times),
    rounds,
  }));
}

/**
 * A copy of `model` whose θ live in arrays from `allocate` (as `fit` leases them).
 *
 * @example
 * ```ts
 * import { leasedCopy } from "@lib/experiments/importance/step_costs.ts";
 * import { Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([3, 2], { random: new Random(1) });
 * const copy = leasedCopy(model, (n) => new Float64Array(n));
 * assert.deepEqual(copy.thetas[0].data, model.thetas[0].data);
 * assert.notEqual(copy.thetas[0].data, model.thetas[0].data);
 * ```
 */
export function leasedCopy(model: Mlp, allocate: (length: number) => Float64Array): Mlp {
  const thetas = model.thetas.map((t) => {
    const data = allocate(t.size);
    data.set(t.data);
    return new Matrix(t.rows, t.cols, data);
  });
  return new Mlp(thetas, model.activations);
}
