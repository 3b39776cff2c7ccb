/**
 * Part 3 of the `convergence` reproduction: an MNIST MLP, where θ* is not known and is
 * approximated by the end point θ̂* of a long full-batch gradient descent.
 *
 * @module
 */
import { parameterVector } from "../../convergence.ts";
import { type Dataset, loadMnist } from "../../datasets.ts";
import { Mlp } from "../../mlp.ts";
import type { Random } from "../../random.ts";
import { Sgd } from "../../sgd.ts";
import { type ConvergenceSeedOptions, type MnistSizes, resolveProfile } from "./profile.ts";
import type { MnistTables, ThetaStarRow } from "./rows.ts";
import { monteCarloCheck, partRandom, speedAlongRun, type SpeedRun } from "./measure.ts";

const LOSS = "softmaxCrossEntropy";

/** Options of {@link mnistSpeed}: the sizes, and the random stream. */
export interface MnistSpeedOptions extends MnistSizes {
  /** The split, the initial θ and the runs' minibatches (forked in that order). */
  random: Random;
}

/** What {@link mnistSpeed} measured. */
export interface MnistSpeed extends SpeedRun {
  /** The approximate θ*: how it was obtained and how close to stationary it is. */
  thetaStarRow: ThetaStarRow;
  /** The network at θ_0 (the start of every run). */
  model: Mlp;
  /** The network at the approximate θ*. */
  thetaStar: Mlp;
  /** The training subset. */
  data: Dataset;
}

/** The fraction of samples whose largest output is their label. */
function trainingAccuracy(model: Mlp, data: Dataset): number {
  const predicted = model.predict(data.x);
  let correct = 0;
  for (let j = 0; j < data.x.cols; j++) {
    let best = 0;
    for (let r = 1; r < 10; r++) {
      if (predicted.get(r, j) > predicted.get(best, j)) best = r;
    }
    if (best === data.labels![j]) correct++;
  }
  return correct / data.x.cols;
}

/** θ̂*: `fullBatchSteps` steps of full-batch gradient descent from θ_0, and what it reached. */
function approximateThetaStar(
  model: Mlp,
  train: Dataset,
  options: MnistSpeedOptions,
): { star: Mlp; row: ThetaStarRow } {
  const star = model.clone();
  const gd = new Sgd(star, { loss: LOSS, learningRate: options.fullBatchLearningRate });
  for (let t = 0; t < options.fullBatchSteps; t++) gd.step(train.x, train.y);
  const { loss: starLoss, grads } = star.lossAndGradient(train.x, train.y, { loss: LOSS });
  let gradSq = 0;
  for (const g of grads) for (const v of g.data) gradSq += v * v;
  const theta0 = parameterVector(model), thetaStar = parameterVector(star);
  let distance = 0;
  for (let k = 0; k < theta0.length; k++) distance += (theta0[k] - thetaStar[k]) ** 2;
  const row: ThetaStarRow = {
    full_batch_steps: options.fullBatchSteps,
    full_batch_learning_rate: options.fullBatchLearningRate,
    train_size: options.trainSize,
    hidden: options.hidden,
    parameters: model.parameterCount,
    train_loss: starLoss,
    train_accuracy: trainingAccuracy(star, train),
    gradient_norm: Math.sqrt(gradSq),
    distance_from_start: Math.sqrt(distance),
  };
  return { star, row };
}

/**
 * S along SGD on an MNIST subset with a 784-h-10 relu network and softmax cross-entropy. θ* is
 * not known: it is approximated by θ̂*, the end point of `fullBatchSteps` steps of full-batch
 * gradient descent from the same initial θ_0 as the SGD runs. The network can fit a small subset,
 * so the cross-entropy has no finite minimiser there and θ̂* depends on the length of that run;
 * `thetaStarRow` reports its training loss and the norm of the full gradient at θ̂*.
 *
 * @example
 * ```ts
 * import { mnistSpeed } from "@lib/experiments/convergence/run_mnist.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const r = await mnistSpeed({
 *   random: new Random(1), trainSize: 64, hidden: 4, fullBatchSteps: 50, fullBatchLearningRate: 0.5,
 *   learningRate: 0.1, batchSizes: [8], steps: 10, evaluateEvery: 5,
 * });
 * assert.equal(r.rows.length, 3);
 * assert.ok(r.thetaStarRow.train_loss < r.rows[0].train_loss);
 * ```
 */
export async function mnistSpeed(options: MnistSpeedOptions): Promise<MnistSpeed> {
  const { train } = await loadMnist({
    random: options.random.fork(),
    trainSize: options.trainSize,
    testSize: 1,
  });
  train.name = `mnist ${options.trainSize}`;
  const model = Mlp.create([784, options.hidden, 10], {
    random: options.random.fork(),
    activation: "relu",
  });
  const { star, row } = approximateThetaStar(model, train, options);
  const run = await speedAlongRun(model, train, {
    loss: LOSS,
    thetaStar: parameterVector(star),
    learningRate: options.learningRate,
    batchSizes: options.batchSizes,
    steps: options.steps,
    evaluateEvery: options.evaluateEvery,
    random: options.random.fork(),
    snapshotSteps: options.snapshotSteps,
  });
  return { ...run, thetaStarRow: row, model, thetaStar: star, data: train };
}

/**
 * The tables of the "mnist" part for a seed and a profile: mnist_speed (S along SGD per b),
 * mnist_theta_star (how θ̂* was obtained) and mnist_monte_carlo (real SGD steps at snapshots).
 *
 * @example
 * ```ts
 * import { mnistTables } from "@lib/experiments/convergence/run_mnist.ts";
 * import { smokeProfile } from "@lib/experiments/convergence/profile.ts";
 * import assert from "node:assert/strict";
 * const t = await mnistTables({ seed: 1, profile: smokeProfile });
 * assert.equal(t.mnist_theta_star[0].train_size, smokeProfile.mnist.trainSize);
 * ```
 */
export async function mnistTables(options: ConvergenceSeedOptions): Promise<MnistTables> {
  const M = resolveProfile(options.profile).mnist;
  const random = partRandom(options.seed, "mnist");
  const mnist = await mnistSpeed({ ...M, random: random.fork() });
  const check = monteCarloCheck(mnist.model, mnist.data, {
    loss: LOSS,
    thetaStar: mnist.thetaStar,
    learningRate: M.learningRate,
    snapshots: mnist.snapshots,
    draws: M.draws,
    random: random.fork(),
  });
  return {
    mnist_speed: mnist.rows,
    mnist_theta_star: [mnist.thetaStarRow],
    mnist_monte_carlo: check,
  };
}
