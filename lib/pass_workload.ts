/**
 * Ready-to-time forward and backward passes: a network, a batch and a reused {@link MlpPass}
 * workspace per configuration, shared by `bench/forward_backward_bench.ts`, the `cost`
 * reproduction and notebook 02, so that all three time exactly the same calls.
 *
 * @module
 */
import { courseSizes, type FlopModel, flopModel } from "./flops.ts";
import { KernelLease, releaseWhenCollected } from "./kernel_lease.ts";
import { type Loss, oneHot, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import { Mlp, MlpPass } from "./mlp.ts";
import type { Random } from "./random.ts";
import { median } from "./stats.ts";

/** One network and batch size to time. */
export interface PassConfig {
  /** Parseable name: `n=<n> B=<B> L=<L>` for the course's network, `<sizes> B=<B>` otherwise. */
  name: string;
  /** Units per layer without the constant unit, as `Mlp.sizes`. */
  sizes: readonly number[];
  /** Batch size B. */
  batch: number;
  /** Hidden activation σ (the output activation is the identity). */
  activation: "tanh" | "relu";
  /** The loss of the training step. */
  loss: "squaredError" | "softmaxCrossEntropy";
  /** Width n of the hidden layers (the first hidden layer's for a general network). */
  n: number;
  /** Number L of hidden layers. */
  hidden: number;
}

/**
 * The course's network at width n with L = `hidden` hidden layers (see `courseSizes`: n inputs,
 * L hidden layers of n units, a scalar output) and squared error; tanh unless `activation` says
 * relu, in which case the name ends in ` relu`.
 *
 * @example
 * ```ts
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const c = courseConfig(64, { batch: 32, hidden: 2 });
 * assert.equal(c.name, "n=64 B=32 L=2");
 * assert.deepEqual(c.sizes, [64, 64, 64, 1]);
 * assert.equal(courseConfig(64, { batch: 32, hidden: 2, activation: "relu" }).name, "n=64 B=32 L=2 relu");
 * ```
 */
export function courseConfig(
  n: number,
  options: { batch: number; hidden: number; activation?: "tanh" | "relu" },
): PassConfig {
  checkBatch(options.batch);
  const activation = options.activation ?? "tanh";
  return {
    name: `n=${n} B=${options.batch} L=${options.hidden}${activation === "tanh" ? "" : " relu"}`,
    sizes: courseSizes(n, options.hidden),
    batch: options.batch,
    activation,
    loss: "squaredError",
    n,
    hidden: options.hidden,
  };
}

/**
 * A classifier with the given sizes, relu hidden layers and softmax cross-entropy, named
 * `<sizes joined by -> B=<B>`; by default the MNIST-sized 784-256-256-10 at B = 128.
 *
 * @example
 * ```ts
 * import { classifierConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const c = classifierConfig();
 * assert.equal(c.name, "784-256-256-10 B=128");
 * assert.deepEqual([c.n, c.hidden, c.activation, c.loss], [256, 2, "relu", "softmaxCrossEntropy"]);
 * ```
 */
export function classifierConfig(
  options: { sizes?: readonly number[]; batch?: number } = {},
): PassConfig {
  const sizes = [...(options.sizes ?? [784, 256, 256, 10])];
  const batch = options.batch ?? 128;
  checkBatch(batch);
  flopModel(sizes, { batch }); // validates the sizes
  if (sizes.length < 3 || sizes[sizes.length - 1] < 2) {
    throw new RangeError(
      `cannot build a classifier with sizes [${sizes}]: need a hidden layer and at least 2 classes`,
    );
  }
  return {
    name: `${sizes.join("-")} B=${batch}`,
    sizes,
    batch,
    activation: "relu",
    loss: "softmaxCrossEntropy",
    n: sizes[1],
    hidden: sizes.length - 2,
  };
}

/**
 * The configuration a name from {@link courseConfig} or {@link classifierConfig} stands for.
 *
 * @throws {RangeError} for a name of neither form
 * @example
 * ```ts
 * import { passConfigFromName } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(passConfigFromName("n=256 B=32 L=4").sizes, [256, 256, 256, 256, 256, 1]);
 * assert.equal(passConfigFromName("n=64 B=32 L=2 relu").activation, "relu");
 * assert.equal(passConfigFromName("784-256-256-10 B=128").loss, "softmaxCrossEntropy");
 * assert.throws(() => passConfigFromName("n=256"), /cannot read the configuration 'n=256'/);
 * ```
 */
export function passConfigFromName(name: string): PassConfig {
  const course = /^n=(\d+) B=(\d+) L=(\d+)( relu)?$/.exec(name);
  if (course) {
    return courseConfig(Number(course[1]), {
      batch: Number(course[2]),
      hidden: Number(course[3]),
      activation: course[4] ? "relu" : "tanh",
    });
  }
  const classifier = /^(\d+(?:-\d+)+) B=(\d+)$/.exec(name);
  if (classifier) {
    return classifierConfig({
      sizes: classifier[1].split("-").map(Number),
      batch: Number(classifier[2]),
    });
  }
  throw new RangeError(
    `cannot read the configuration '${name}': expected 'n=<n> B=<B> L=<L>[ relu]' or '<d0>-<d1>-…-<dL> B=<B>'`,
  );
}

/**
 * The course grid of the cost question: every n × B × L, in that nesting order (tanh unless
 * `activation` is given).
 *
 * @example
 * ```ts
 * import { courseGrid } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const grid = courseGrid({ n: [64, 256], batch: [32], hidden: [2, 4] });
 * assert.deepEqual(grid.map((c) => c.name), [
 *   "n=64 B=32 L=2", "n=64 B=32 L=4", "n=256 B=32 L=2", "n=256 B=32 L=4",
 * ]);
 * ```
 */
export function courseGrid(
  options: {
    n: readonly number[];
    batch: readonly number[];
    hidden: readonly number[];
    activation?: "tanh" | "relu";
  },
): PassConfig[] {
  const activation = options.activation ?? "tanh";
  return options.n.flatMap((n) =>
    options.batch.flatMap((batch) =>
      options.hidden.map((hidden) => courseConfig(n, { batch, hidden, activation }))
    )
  );
}

/** A network, a batch and a workspace, with the three calls to time. */
export interface PassWorkload {
  /** What is timed. */
  config: PassConfig;
  /** The network. */
  net: Mlp;
  /** The input batch, sizes[0] × B. */
  x: Matrix;
  /** The targets, sizes[L] × B. */
  y: Matrix;
  /** The reused workspace; after `forward()` it holds the stored forward pass. */
  pass: MlpPass;
  /** ∇_{x_L} of the mean loss at the stored pass, computed once. */
  gradOutput: Matrix;
  /** The FLOP model of this network and batch. */
  flops: FlopModel;
  /** `net.forward(x, pass)`: allocates nothing. */
  forward(): void;
  /** `net.backward(pass, gradOutput)` on the stored forward pass: allocates nothing. */
  backward(): void;
  /** A training step, `net.lossAndGradient(x, y, { loss, pass })`: forward + loss + backward. */
  step(): void;
  /**
   * Gives θ and the workspace's kernel memory back (lib/kernel_lease.ts) for later workloads of
   * any shape; the workload must not be used afterwards. A workload that is collected gives it
   * back as well, later.
   */
  release(): void;
}

/**
 * Builds the network, a normal input batch and targets (normal for squared error, one-hot for
 * cross-entropy), runs one forward pass and computes the output gradient that `backward()`
 * reuses. The backward pass is timed alone, on a stored forward pass, as in the course.
 * Like a training loop that keeps them, the parameters θ_l and the workspace live in the
 * products' WebAssembly memory, leased (lib/kernel_lease.ts) until `release()`, so no product
 * copies its operands; the values are those of `Mlp.create` with the same generator, bit for bit.
 *
 * @example
 * ```ts
 * import { courseConfig, passWorkload, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const w = passWorkload(courseConfig(8, { batch: 4, hidden: 2 }), { random: new Random(1) });
 * w.backward();
 * const before = w.pass.grad(1).clone();
 * w.forward();
 * w.backward();
 * assert.deepEqual(w.pass.grad(1).data, before.data); // the same pass, recomputed in place
 * ```
 */
export function passWorkload(config: PassConfig, options: { random: Random }): PassWorkload {
  const { random } = options;
  const { sizes, batch } = config;
  const drawn = Mlp.create(sizes, { random, activation: config.activation });
  const lease = new KernelLease();
  const allocate = (length: number) => lease.array(length);
  const net = new Mlp(
    drawn.thetas.map((t) => {
      const data = allocate(t.size);
      data.set(t.data);
      return new Matrix(t.rows, t.cols, data);
    }),
    drawn.activations,
  );
  const out = sizes[sizes.length - 1];
  const x = random.normalMatrix(sizes[0], batch);
  const y = config.loss === "squaredError"
    ? random.normalMatrix(out, batch)
    : oneHot(Array.from({ length: batch }, () => random.int(out)), out);
  const loss: Loss = resolveLoss(config.loss);
  const pass = net.forward(x, new MlpPass(sizes, batch, { allocate }));
  const gradOutput = loss.gradOutput(pass.output, y);
  // scaled by 1/B as lossAndGradient does (same rounding), so backward() = the step's backward
  const scale = 1 / batch;
  for (let i = 0; i < gradOutput.data.length; i++) gradOutput.data[i] *= scale;
  const workload: PassWorkload = {
    config,
    net,
    x,
    y,
    pass,
    gradOutput,
    flops: flopModel(sizes, { batch }),
    forward: () => void net.forward(x, pass),
    backward: () => net.backward(pass, gradOutput),
    step: () => void net.lossAndGradient(x, y, { loss, pass }),
    release: () => lease.release(),
  };
  releaseWhenCollected(workload, lease);
  return workload;
}

/** Median wall-clock milliseconds per call of each pass, from {@link timePasses}. */
export interface PassTiming {
  /** Forward pass. */
  forwardMs: number;
  /** Backward pass alone, on the stored forward pass. */
  backwardMs: number;
  /** Training step (forward + loss + backward). */
  stepMs: number;
  /** Calls per timed block (forward, backward, step). */
  calls: [number, number, number];
  /** Number of timed blocks per pass. */
  rounds: number;
}

/**
 * Times the three passes of a workload: one warm-up call each, then `rounds` rounds that time a
 * block of calls of each pass in turn (forward, backward, step), each block long enough to last
 * about `minMs`. Interleaving the passes exposes all three to the same background load, so their
 * ratios stay meaningful on a shared machine; the result is the median per-call time over rounds.
 * This is wall-clock time: use it for reports and notebooks, never in unit tests.
 *
 * @throws {RangeError} when rounds < 1 or minMs is not positive
 * @example
 * ```ts
 * import { courseConfig, passWorkload, Random, timePasses } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const w = passWorkload(courseConfig(16, { batch: 8, hidden: 2 }), { random: new Random(1) });
 * const t = timePasses(w, { rounds: 3, minMs: 1 });
 * // what is timed and how often is fixed; the times themselves are not asserted
 * assert.equal(t.rounds, 3);
 * assert.ok(t.calls.every((c) => Number.isInteger(c) && c >= 1));
 * assert.ok([t.forwardMs, t.backwardMs, t.stepMs].every(Number.isFinite));
 * ```
 */
export function timePasses(
  workload: PassWorkload,
  options: { rounds?: number; minMs?: number } = {},
): PassTiming {
  const rounds = options.rounds ?? 5, minMs = options.minMs ?? 20;
  if (!Number.isInteger(rounds) || rounds < 1 || !(minMs > 0)) {
    throw new RangeError(
      `cannot time passes with rounds=${rounds} and minMs=${minMs}: need an integer >= 1 and a positive time`,
    );
  }
  const fns = [workload.forward, workload.backward, workload.step];
  const calls = fns.map((fn) => {
    const start = performance.now();
    fn(); // warm-up, and a first estimate of the per-call time
    const once = Math.max(performance.now() - start, 1e-3);
    return Math.max(1, Math.ceil(minMs / once));
  }) as [number, number, number];
  const samples: number[][] = [[], [], []];
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const start = performance.now();
      for (let c = 0; c < calls[i]; c++) fn();
      samples[i].push((performance.now() - start) / calls[i]);
    });
  }
  const [forwardMs, backwardMs, stepMs] = samples.map(median);
  return { forwardMs, backwardMs, stepMs, calls, rounds };
}

function checkBatch(batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`cannot time a batch of ${batch} samples: need an integer >= 1`);
  }
}
