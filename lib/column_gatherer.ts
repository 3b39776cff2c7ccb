/**
 * Gathering columns of a data matrix fast, for minibatch steps. A data set stores x as d×N,
 * row-major, one column per sample, so gathering b random columns reads d·b scattered doubles, one
 * cache line (and often one page) each: at d = 784 that cost as much as a small network's whole
 * training step. A {@link ColumnGatherer} keeps a sample-major copy (N×d, each sample contiguous)
 * and copies b contiguous runs instead, eight at a time (`gatherColumns` of lib/kernels/loops.ts;
 * 4 to 9 times faster than the column gather at d = 784, b = 32 to 128, measured on a loaded
 * machine). It is a copy: the gathered values are the same bits.
 *
 * The copy doubles the memory of the matrix it serves. It is made once per matrix and shared by
 * every gatherer of that matrix (held weakly: it goes when the matrix goes).
 *
 * @module
 */
import type { Inputs } from "./datasets.ts";
import { gatherColumns, type GatherSizes } from "./kernels/mod.ts";
import { Matrix } from "./matrix.ts";

const sampleMajor = new WeakMap<Matrix, Float64Array>();

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
  /** The kernel's record, refilled at every gather (none per call). */
  readonly #gather: GatherSizes = {
    rows: 0,
    rowStride: 1,
    colStride: 0,
    positions: new Int32Array(0),
    out: new Float64Array(0),
  };

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
    const at = this.#gather;
    at.rows = d;
    at.rowStride = 1;
    at.colStride = d;
    at.positions = indices instanceof Int32Array ? indices : Int32Array.from(indices);
    at.out = into.data;
    gatherColumns(this.#samples, at);
    return into;
  }
}

/**
 * From this many rows on, a Float64 x (or y) is gathered from a sample-major copy: fewer rows take
 * few cache lines per column, and the copy would cost memory for little.
 */
export const SAMPLE_MAJOR_ROWS = 32;

/**
 * Gathers columns of any inputs the fastest way they allow: a wide row-major Float64
 * {@link Matrix} ({@link SAMPLE_MAJOR_ROWS} rows or more) from its sample-major copy
 * ({@link ColumnGatherer}); any other inputs (a narrow matrix, or byte images, held sample-major
 * already) by their own `gatherColumns`. The same bits either way. The training step, the
 * scorers and the presampler's chosen columns all gather through one.
 *
 * @example
 * ```ts
 * import { InputGatherer } from "@lib/column_gatherer.ts";
 * import { Matrix, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * for (const rows of [3, 40]) {
 *   const x = new Random(1).normalMatrix(rows, 20);
 *   const into = new Matrix(rows, 2);
 *   new InputGatherer(x).gather(Int32Array.of(19, 4), into);
 *   assert.deepEqual(into.data, x.gatherColumns([19, 4]).data);
 * }
 * ```
 */
export class InputGatherer {
  /** The inputs whose columns are gathered (d×N). */
  readonly source: Inputs;
  readonly #sampleMajor: ColumnGatherer | null;

  /** A gatherer of `source`'s columns (a wide matrix is transposed on its first use). */
  constructor(source: Inputs) {
    this.source = source;
    this.#sampleMajor = source instanceof Matrix && source.rows >= SAMPLE_MAJOR_ROWS
      ? new ColumnGatherer(source)
      : null;
  }

  /**
   * Copies the columns `indices` of the source, in order, into `into` (d×b).
   *
   * @throws {RangeError} when `into` is not d×b, or an index is not an integer in [0, N)
   */
  gather(indices: ArrayLike<number>, into: Matrix): Matrix {
    return this.#sampleMajor === null
      ? this.source.gatherColumns(indices, into)
      : this.#sampleMajor.gather(indices, into);
  }
}
