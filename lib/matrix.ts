/**
 * A dense Float64 matrix, row-major. In sgdlab rows are units and columns are samples, so a
 * minibatch of B inputs with d features is a d×B matrix.
 *
 * @module
 */

/**
 * A dense matrix of Float64 values stored row-major: entry (i, j) is `data[i * cols + j]`.
 *
 * @example Build, read and describe a matrix
 * ```ts
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 *
 * const m = Matrix.from([[1, 2, 3], [4, 5, 6]]);
 * assert.equal(m.shape, "2x3");
 * assert.equal(m.get(1, 2), 6);
 * assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
 * ```
 */
export class Matrix {
  /** Number of rows (units). */
  readonly rows: number;
  /** Number of columns (samples). */
  readonly cols: number;
  /** The entries, row-major, length rows·cols. */
  readonly data: Float64Array;

  /**
   * Wraps `data` (not copied) or allocates zeros.
   *
   * @throws {RangeError} when a size is not a non-negative integer or `data` has the wrong length
   */
  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new RangeError(
        `cannot create a ${rows}x${cols} matrix: sizes must be non-negative integers`,
      );
    }
    if (data !== undefined && data.length !== rows * cols) {
      throw new RangeError(
        `cannot create a ${rows}x${cols} matrix from ${data.length} values: expected ${
          rows * cols
        }`,
      );
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(rows * cols);
  }

  /**
   * A rows×cols matrix of zeros.
   *
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * assert.deepEqual(Matrix.zeros(1, 2).toArray(), [[0, 0]]);
   * ```
   */
  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols);
  }

  /**
   * A rows×cols matrix with every entry equal to `value`.
   *
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * assert.deepEqual(Matrix.filled(2, 1, 7).toArray(), [[7], [7]]);
   * ```
   */
  static filled(rows: number, cols: number, value: number): Matrix {
    const m = new Matrix(rows, cols);
    m.data.fill(value);
    return m;
  }

  /**
   * A matrix from nested rows.
   *
   * @throws {RangeError} when the rows have different lengths
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * assert.throws(() => Matrix.from([[1, 2], [3]]), /row 1 has 1 entries, row 0 has 2/);
   * ```
   */
  static from(rows: ReadonlyArray<ReadonlyArray<number>>): Matrix {
    const r = rows.length;
    const c = r === 0 ? 0 : rows[0].length;
    const m = new Matrix(r, c);
    for (let i = 0; i < r; i++) {
      if (rows[i].length !== c) {
        throw new RangeError(
          `cannot build a matrix from rows of different lengths: row ${i} has ${
            rows[i].length
          } entries, row 0 has ${c}`,
        );
      }
      for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j];
    }
    return m;
  }

  /**
   * A 1×n row vector.
   *
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * assert.equal(Matrix.row([1, 2, 3]).shape, "1x3");
   * ```
   */
  static row(values: ArrayLike<number>): Matrix {
    return new Matrix(1, values.length, Float64Array.from(values));
  }

  /**
   * An n×1 column vector.
   *
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * assert.equal(Matrix.column([1, 2, 3]).shape, "3x1");
   * ```
   */
  static column(values: ArrayLike<number>): Matrix {
    return new Matrix(values.length, 1, Float64Array.from(values));
  }

  /** The shape as `"rowsxcols"`, the form every error message uses. */
  get shape(): string {
    return `${this.rows}x${this.cols}`;
  }

  /** Number of entries. */
  get size(): number {
    return this.data.length;
  }

  /** Entry (i, j). */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  /** Sets entry (i, j). */
  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  /**
   * A deep copy.
   *
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * const a = Matrix.from([[1]]);
   * const b = a.clone();
   * b.set(0, 0, 2);
   * assert.equal(a.get(0, 0), 1);
   * ```
   */
  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  /**
   * The columns listed in `indices`, in that order (repeats allowed): a minibatch of samples.
   *
   * @throws {RangeError} when an index is not an integer in [0, cols)
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * const x = Matrix.from([[1, 2, 3], [4, 5, 6]]);
   * assert.deepEqual(x.gatherColumns([2, 0, 2]).toArray(), [[3, 1, 3], [6, 4, 6]]);
   * ```
   */
  gatherColumns(indices: ArrayLike<number>, into?: Matrix): Matrix {
    const b = indices.length;
    const out = into ?? new Matrix(this.rows, b);
    if (out.rows !== this.rows || out.cols !== b) {
      throw new RangeError(
        `cannot gather ${b} columns of a ${this.shape} matrix into ${out.shape}`,
      );
    }
    for (let j = 0; j < b; j++) {
      const c = indices[j];
      if (!Number.isInteger(c) || c < 0 || c >= this.cols) {
        throw new RangeError(
          `cannot gather column ${c} of a ${this.shape} matrix: index out of range`,
        );
      }
    }
    const src = this.data, dst = out.data, n = this.cols;
    for (let i = 0; i < this.rows; i++) {
      const s = i * n, d = i * b;
      for (let j = 0; j < b; j++) dst[d + j] = src[s + indices[j]];
    }
    return out;
  }

  /** Nested rows, for display and tests. */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    }
    return out;
  }

  /**
   * A short text form: the shape, then up to 6 rows and 8 columns with 4 significant digits.
   *
   * @example
   * ```ts
   * import { Matrix } from "@lib/matrix.ts";
   * import assert from "node:assert/strict";
   * assert.equal(Matrix.from([[1, 0.5]]).toString(), "Matrix 1x2\n  1  0.5");
   * ```
   */
  toString(): string {
    const shownRows = Math.min(this.rows, 6), shownCols = Math.min(this.cols, 8);
    const lines = [`Matrix ${this.shape}`];
    for (let i = 0; i < shownRows; i++) {
      const cells = [];
      for (let j = 0; j < shownCols; j++) cells.push(formatNumber(this.get(i, j)));
      if (shownCols < this.cols) cells.push("…");
      lines.push("  " + cells.join("  "));
    }
    if (shownRows < this.rows) lines.push("  …");
    return lines.join("\n");
  }

  /** Jupyter rendering hook: Deno's kernel shows a Matrix as its text form. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return { "text/plain": this.toString() };
  }
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/**
 * Throws unless `m` has `rows`×`cols` entries; `action` names what was being attempted.
 *
 * @example
 * ```ts
 * import { Matrix, assertShape } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * assert.throws(
 *   () => assertShape(Matrix.zeros(2, 3), { rows: 3, cols: 3, action: "cannot add bias" }),
 *   /cannot add bias: expected a 3x3 matrix, got 2x3/,
 * );
 * ```
 */
export function assertShape(
  m: Matrix,
  expected: { rows: number; cols: number; action: string },
): void {
  if (m.rows !== expected.rows || m.cols !== expected.cols) {
    throw new RangeError(
      `${expected.action}: expected a ${expected.rows}x${expected.cols} matrix, got ${m.shape}`,
    );
  }
}

/**
 * Throws unless every entry of `m` is finite, naming the first bad entry.
 *
 * @example
 * ```ts
 * import { Matrix, assertFinite } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * assert.throws(
 *   () => assertFinite(Matrix.from([[1, NaN]]), "the input x"),
 *   /the input x contains NaN at \(0, 1\) of a 1x2 matrix/,
 * );
 * ```
 */
export function assertFinite(m: Matrix, what: string): void {
  const d = m.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k];
    if (v - v !== 0) {
      const i = Math.floor(k / m.cols), j = k % m.cols;
      throw new RangeError(`${what} contains ${v} at (${i}, ${j}) of a ${m.shape} matrix`);
    }
  }
}
