/**
 * The configurations of the training-loop benches (bench/training_loop.ts,
 * bench/training_loop_bench.ts, bench/allocation_probe.ts) and their synthetic data sets.
 *
 * @module
 */
import {
  classifierConfig,
  courseConfig,
  type Dataset,
  type Inputs,
  oneHot,
  type PassConfig,
  type Random,
} from "@lib/mod.ts";
import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
import { BYTE_SCALE, ByteImages } from "@lib/byte_images.ts";

/**
 * The configurations: the course's networks (n = 64, 256, 1024; B = 32, 256; L = 4, tanh,
 * squared error), the 784-256-256-10 classifier at B = 128 and 784-64-64-10 at B = 32 (relu,
 * softmax cross-entropy), and the importance reproduction's networks at its b (quick and full),
 * without repeats; `quick` keeps those with n <= 256 and B <= 128.
 *
 * @example
 * ```ts
 * import { trainingLoopConfigs } from "../bench/loop_configs.ts";
 * import assert from "node:assert/strict";
 * const names = trainingLoopConfigs().map((c) => c.name);
 * assert.ok(names.includes("784-64-64-10 B=32"));
 * assert.equal(new Set(names).size, names.length);
 * ```
 */
export function trainingLoopConfigs(options: { quick?: boolean } = {}): PassConfig[] {
  const { quick, full } = importanceProfiles;
  const all = [
    ...[64, 256, 1024].flatMap((n) =>
      [32, 256].map((batch) => courseConfig(n, { batch, hidden: 4 }))
    ),
    classifierConfig(),
    classifierConfig({ sizes: [784, 64, 64, 10], batch: 32 }),
    classifierConfig({ sizes: [784, ...quick.hidden, 10], batch: quick.batchSize }),
    classifierConfig({ sizes: [784, ...full.hidden, 10], batch: full.batchSize }),
  ];
  const seen = new Set<string>();
  return all.filter((c) => {
    if (seen.has(c.name)) return false;
    seen.add(c.name);
    return !options.quick || (c.n <= 256 && c.batch <= 128);
  });
}

/**
 * A synthetic training set for a configuration, held as the reproductions hold theirs: for 784
 * inputs (the classifiers, trained on MNIST and Fashion-MNIST) random bytes as byte images
 * (lib/byte_images.ts, x / 255, gathered to Float64 per batch) with random labels; otherwise
 * normal inputs and normal targets (squared error) or one-hot labels (cross-entropy) in Float64.
 * `samples` columns (default 8000 for 784 inputs, as the quick importance reproduction's MNIST,
 * else 4096).
 *
 * @example
 * ```ts
 * import { loopDataset } from "../bench/loop_configs.ts";
 * import { classifierConfig, courseConfig, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const data = loopDataset(courseConfig(8, { batch: 4, hidden: 2 }), { random: new Random(1), samples: 10 });
 * assert.equal(`${data.x.rows}x${data.x.cols}`, "8x10");
 * const images = loopDataset(classifierConfig(), { random: new Random(1), samples: 10 });
 * assert.equal(images.x.gatherColumns([3]).data.every((v) => v >= 0 && v <= 1), true);
 * ```
 */
export function loopDataset(
  config: PassConfig,
  options: { random: Random; samples?: number },
): Dataset<Inputs> {
  const { sizes } = config, random = options.random;
  const n = options.samples ?? (sizes[0] === 784 ? 8000 : 4096);
  const out = sizes[sizes.length - 1];
  if (sizes[0] === 784 && config.loss !== "squaredError") {
    const images = ByteImages.allocate(n, 784, BYTE_SCALE);
    for (let i = 0; i < images.pixels.length; i++) images.pixels[i] = random.int(256);
    for (let i = 0; i < n; i++) images.labels[i] = random.int(out);
    return images.dataset(config.name, Int32Array.from({ length: n }, (_, i) => i), out);
  }
  const x = random.normalMatrix(sizes[0], n);
  if (config.loss === "squaredError") {
    return { name: config.name, x, y: random.normalMatrix(out, n), labels: null };
  }
  const labels = Int32Array.from({ length: n }, () => random.int(out));
  return { name: config.name, x, y: oneHot(labels, out), labels };
}
