import assert from "node:assert/strict";
import { BYTE_SCALE, ByteColumns, ByteImages } from "@lib/byte_images.ts";
import {
  answerImageRequest,
  askForImages,
  type ImageAnswer,
} from "@lib/experiments/shared_data.ts";
import { loadMnist, loadMnistBytes, mnistImages } from "@lib/mnist.ts";
import { Matrix } from "@lib/matrix.ts";
import { Random } from "@lib/random.ts";
import fc from "./fc.ts";

/** Bitwise equality of two Float64Arrays (−0 and NaN payloads included). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("gathering byte columns gives the bits of gathering the Float64 matrix of the same images", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 30 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
      fc.nat(),
      (width, count, picks, seed) => {
        const random = new Random(seed);
        const images = ByteImages.allocate(count, width, BYTE_SCALE);
        for (let k = 0; k < images.pixels.length; k++) images.pixels[k] = random.int(256);
        const samples = Int32Array.from({ length: count }, () => random.int(count));
        const bytes = new ByteColumns(images, samples);
        const doubles = new Matrix(width, count);
        for (let p = 0; p < width; p++) {
          for (let j = 0; j < count; j++) {
            doubles.data[p * count + j] = images.pixels[samples[j] * width + p] / 255;
          }
        }
        const indices = picks.map((v) => v % count);
        const into = new Matrix(width, indices.length);
        assert.equal(bytes.gatherColumns(indices, into), into);
        assert.ok(sameBits(into.data, doubles.gatherColumns(indices).data));
        assert.ok(sameBits(bytes.select(indices).toMatrix().data, into.data));
      },
    ),
  );
});

Deno.test("byte columns refuse an index out of range and an output of the wrong shape", () => {
  const x = new ByteColumns(ByteImages.allocate(3, 2, BYTE_SCALE), Int32Array.of(0, 2));
  assert.throws(() => x.gatherColumns([0.5]), /cannot gather column 0.5 of a 2x2 byte matrix/);
  assert.throws(
    () => x.gatherColumns([0], new Matrix(2, 2)),
    /cannot gather 1 columns .* into 2x2/,
  );
  assert.throws(() => x.select([-1]), /cannot select column -1/);
  assert.throws(
    () => new ByteColumns(ByteImages.allocate(3, 2, BYTE_SCALE), Int32Array.of(3)),
    /sample 3 at column 0 is not in \[0, 3\)/,
  );
  assert.throws(
    () =>
      new ByteImages({
        width: 2,
        pixels: new Uint8Array(4),
        labels: new Uint8Array(2),
        values: new Float64Array(256).fill(NaN),
      }),
    /values must be 256 finite doubles/,
  );
});

Deno.test("MNIST as bytes decodes to exactly the doubles of the package, split for split", async () => {
  const options = { random: new Random(5), trainSize: 9000, testSize: 1000 };
  const bytes = await loadMnistBytes(options);
  const doubles = await loadMnist({ ...options, random: new Random(5) });
  assert.ok(sameBits(bytes.train.x.toMatrix().data, doubles.train.x.data));
  assert.ok(sameBits(bytes.test.x.toMatrix().data, doubles.test.x.data));
  assert.deepEqual(bytes.train.labels, doubles.train.labels);
  assert.ok(sameBits(bytes.train.y.data, doubles.train.y.data));
  // the two splits read the same bytes, held once
  assert.equal(bytes.train.x.images, (await loadMnistBytes(options)).train.x.images);
  assert.equal(bytes.train.x.images, await mnistImages());
});

Deno.test("a worker thread that asks the main thread for an image set reads the same shared memory", async () => {
  const images = await mnistImages();
  const source = `
    import { askForImages } from "${new URL("../lib/experiments/shared_data.ts", import.meta.url)}";
    const { fetch, receive } = askForImages((request) => self.postMessage(request));
    self.onmessage = async (e) => {
      if (receive(e.data)) return;
      const data = await fetch("mnist");
      data.pixels[0] = 200; // visible to the main thread only if the memory is shared
      self.postMessage({ done: true, first: data.pixels[0] });
    };`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const saved = images.pixels[0];
  try {
    const reply = await new Promise<{ done: boolean; first: number }>((resolve) => {
      worker.onmessage = (e) => answerImageRequest(worker, e.data) || resolve(e.data);
      worker.postMessage({ start: true });
    });
    assert.equal(reply.first, 200);
    assert.equal(images.pixels[0], 200);
  } finally {
    images.pixels[0] = saved;
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

Deno.test("a request the main thread cannot answer fails in the worker with the main thread's reason", async () => {
  let posted: ImageAnswer | null = null;
  const main = { postMessage: (a: ImageAnswer) => (posted = a) };
  const { fetch, receive } = askForImages((request) => answerImageRequest(main, request));
  const pending = fetch("no such set");
  while (posted === null) await new Promise((r) => setTimeout(r, 5));
  assert.equal(receive(posted), true);
  await assert.rejects(
    pending,
    /cannot get the image set 'no such set' from the main thread: .*no image set 'no such set'/,
  );
});
