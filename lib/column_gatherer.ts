/**
 * Gathering columns of a data matrix fast, for minibatch steps. A data set stores x as d×N,
 * row-major, one column per sample, so gathering b random columns reads d·b scattered doubles, one
 * cache line (and often one page) each: at d = 784 that cost as much as a small network's whole
 * training step. A {@link ColumnGatherer} keeps a sample-major copy (N×d, each sample contiguous)
 * and copies b contiguous runs instead. It is a copy: the gathered values are the same bits.
 *
 * The copy doubles the memory of the matrix it serves. It is made once per matrix and shared by
 * every gatherer of that matrix (held weakly: it goes when the matrix goes).
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

const sampleMajor = new WeakMap<Matrix, Float64Array>();

/** Rows gathered per sweep over the batch, so that the writes of a sweep stay in cache. */
const ROW_BLOCK = 64;

/**
 * Gathers columns of one matrix from a sample-major copy of it.
 *
 * @example The same columns as `Matrix.gatherColumns`, bit for bit
 * ```ts
 * import { ColumnGatherer } from "@lib/column_gatherer.ts";
 * import { Matrix, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const x = new Random(1).normalMatrix(100, 50);
 * const into = new Matrix(100, 3);
 * new ColumnGatherer(x).gather(Int32Array.from([7, 0, 7]), into);
 * assert.deepEqual(into.data, x.gatherColumns([7, 0, 7]).data);
 * ```
 */
export class ColumnGatherer {
  /** The matrix whose columns are gathered (d×N). */
  readonly source: Matrix;
  readonly #samples: Float64Array;

  /** A gatherer of `source`'s columns; transposes it on the first use of this matrix. */
  constructor(source: Matrix) {
    this.source = source;
    let samples = sampleMajor.get(source);
    if (samples === undefined) {
      const d = source.rows, n = source.cols, data = source.data;
      samples = new Float64Array(d * n);
      for (let i = 0; i < d; i++) {
        const row = i * n;
        for (let j = 0; j < n; j++) samples[j * d + i] = data[row + j];
      }
      sampleMajor.set(source, samples);
    }
    this.#samples = samples;
  }

  /**
   * Copies the columns `indices` of the source, in order, into `into` (d×b). The source must not
   * have changed since the gatherer was made.
   *
   * @throws {RangeError} when `into` is not d×b, or an index is not an integer in [0, N)
   */
  gather(indices: ArrayLike<number>, into: Matrix): Matrix {
    const d = this.source.rows, n = this.source.cols, b = indices.length;
    if (into.rows !== d || into.cols !== b) {
      throw new RangeError(
        `cannot gather ${b} columns of a ${this.source.shape} matrix into ${into.shape}`,
      );
    }
    for (let j = 0; j < b; j++) {
      const c = indices[j];
      if (!Number.isInteger(c) || c < 0 || c >= n) {
        throw new RangeError(
          `cannot gather column ${c} of a ${this.source.shape} matrix: index out of range`,
        );
      }
    }
    const src = this.#samples, dst = into.data;
    for (let i0 = 0; i0 < d; i0 += ROW_BLOCK) {
      const i1 = Math.min(d, i0 + ROW_BLOCK);
      for (let j = 0; j < b; j++) {
        const s = indices[j] * d;
        for (let i = i0; i < i1; i++) dst[i * b + j] = src[s + i];
      }
    }
    return into;
  }
}
