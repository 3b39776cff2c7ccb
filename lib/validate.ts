/**
 * Argument checks shared by the training code: a data set against the network that will read it
 * (shapes, finite values, labels that agree with y), the first non-finite entry of a matrix, and
 * option names. Each check runs once per call, in O(size of the data), never per step.
 *
 * @module
 */
import type { Dataset, Inputs } from "./datasets.ts";
import { allFinite } from "./kernels/mod.ts";
import type { Matrix } from "./matrix.ts";

/** A non-finite entry of a matrix, from {@link firstNonFinite}. */
export interface NonFiniteEntry {
  /** Its row. */
  row: number;
  /** Its column (a sample, for a d×B batch). */
  col: number;
  /** NaN, Infinity or -Infinity. */
  value: number;
}

/**
 * The first NaN or ±Infinity of `m` in row-major order, or null when every entry is finite.
 *
 * @example
 * ```ts
 * import { firstNonFinite } from "@lib/validate.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(firstNonFinite(Matrix.from([[1, 2], [3, -Infinity]])), { row: 1, col: 1, value: -Infinity });
 * assert.equal(firstNonFinite(Matrix.from([[1, 2]])), null);
 * ```
 */
export function firstNonFinite(m: Matrix): NonFiniteEntry | null {
  const d = m.data, n = m.rows * m.cols;
  if (allFinite(d, { n })) return null;
  for (let k = 0; k < n; k++) {
    const v = d[k];
    if (v - v !== 0) return { row: Math.floor(k / m.cols), col: k % m.cols, value: v };
  }
  return null;
}

/** What {@link validateDataset} checks a data set against. */
export interface DatasetExpectations {
  /** How messages name the data set, e.g. "the training set". Default `the data set '<name>'`. */
  role?: string;
  /** Inputs per sample (rows of x) the network takes. */
  inputs?: number;
  /** Outputs per sample (rows of y) the network gives. */
  outputs?: number;
}

/**
 * Checks a data set before a network trains or is evaluated on it, and throws a RangeError that
 * names the data set and the sample at fault:
 * - x and y are matrices with one column per sample, as many in y as in x, at least one;
 * - x has `inputs` rows and y `outputs` rows, when these are given;
 * - every entry of x and y is finite;
 * - labels, when present, are one per sample, integers in [0, rows of y), and each is the row
 *   where its column of y is largest (for one-hot y: the row that holds the 1).
 *
 * It reads every entry once: O(N·(d + k)).
 *
 * @throws {RangeError} naming the data set, the sample index and what is wrong
 * @example A label that disagrees with its one-hot column
 * ```ts
 * import { validateDataset } from "@lib/validate.ts";
 * import { oneHot } from "@lib/losses.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * const labels = Int32Array.of(0, 2, 1);
 * const data = { name: "toy", x: Matrix.zeros(2, 3), y: oneHot(labels, 3), labels };
 * validateDataset(data, { role: "the training set", inputs: 2, outputs: 3 });
 * assert.throws(
 *   () => validateDataset({ ...data, labels: Int32Array.of(0, 1, 1) }, { role: "the training set" }),
 *   /the training set has label 1 at sample 1, which disagrees with y: column 1 of y is largest in row 2/,
 * );
 * ```
 */
export function validateDataset(data: Dataset<Inputs>, expect: DatasetExpectations = {}): void {
  const role = expect.role ?? `the data set '${data?.name}'`;
  const fail = (message: string) => new RangeError(`${role} ${message}`);
  const isMatrix = (m: unknown): m is Matrix =>
    m instanceof Object && (m as Matrix).data instanceof Float64Array;
  // inputs held otherwise (bytes, lib/byte_images.ts) gather their columns and are finite
  const isInputs = (m: unknown) =>
    isMatrix(m) || (m instanceof Object && typeof (m as Inputs).gatherColumns === "function" &&
      Number.isInteger((m as Inputs).rows) && Number.isInteger((m as Inputs).cols));
  if (!isInputs(data?.x) || !isMatrix(data?.y)) throw fail("has no x or y matrix");
  const { x, y } = data, n = x.cols;
  if (expect.inputs !== undefined && x.rows !== expect.inputs) {
    throw fail(
      `has x ${x.rows}x${x.cols} but the network takes ${expect.inputs} inputs per sample`,
    );
  }
  if ((expect.outputs !== undefined && y.rows !== expect.outputs) || y.cols !== n) {
    throw fail(`has y ${y.shape} but needs ${expect.outputs ?? y.rows}x${n} (outputs × samples)`);
  }
  if (n < 1) throw fail("is empty (0 samples)");
  for (const [what, m] of [["x", x], ["y", y]] as const) {
    const bad = isMatrix(m) ? firstNonFinite(m) : null;
    if (bad !== null) {
      throw fail(
        `has ${bad.value} in ${what} at sample ${bad.col} (row ${bad.row}): inputs and targets must be finite`,
      );
    }
  }
  const labels = data.labels as ArrayLike<number> | null | undefined;
  if (labels === null || labels === undefined) return;
  if (typeof labels.length !== "number" || labels.length !== n) {
    throw fail(`has ${labels.length} labels for ${n} samples`);
  }
  const k = y.rows, yd = y.data;
  for (let j = 0; j < n; j++) {
    const c = labels[j];
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw fail(
        `has label ${c} at sample ${j}: labels must be integers in [0, ${k}) (y has ${k} rows)`,
      );
    }
    let best = 0;
    for (let i = 1; i < k; i++) if (yd[i * n + j] > yd[best * n + j]) best = i;
    if (yd[best * n + j] > yd[c * n + j]) {
      throw fail(
        `has label ${c} at sample ${j}, which disagrees with y: column ${j} of y is largest in row ${best} (${
          yd[best * n + j]
        } > ${yd[c * n + j]})`,
      );
    }
  }
}

/**
 * Throws unless every own key of `options` is one of `known`: a misspelt option name would
 * otherwise be ignored in silence.
 *
 * @param action the failed action, starting the message ("cannot fit 'mnist'")
 * @throws {RangeError} naming the unknown option and listing the known ones
 * @example
 * ```ts
 * import { validateOptionNames } from "@lib/validate.ts";
 * import assert from "node:assert/strict";
 * validateOptionNames({ steps: 3 }, ["steps", "epochs"], "cannot fit");
 * assert.throws(
 *   () => validateOptionNames({ step: 3 }, ["steps", "epochs"], "cannot fit"),
 *   /cannot fit: unknown option 'step'; the options are steps, epochs/,
 * );
 * ```
 */
export function validateOptionNames(
  options: object,
  known: readonly string[],
  action: string,
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RangeError(
        `${action}: unknown option '${key}'; the options are ${known.join(", ")}`,
      );
    }
  }
}

/**
 * A short description of a value for error messages: numbers and strings as they are, and what
 * kind of thing anything else is, so a message never prints "[object Object]" or a function body.
 *
 * @example
 * ```ts
 * import { describeValue } from "@lib/validate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(describeValue(42), "42");
 * assert.equal(describeValue(undefined), "undefined");
 * assert.equal(describeValue(Math.random), "a function (random)");
 * assert.equal(describeValue({ values: 1 }), "an object with keys [values]");
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (typeof value === "object" && value !== null) {
    return Array.isArray(value)
      ? `a list of ${value.length}`
      : `an object with keys [${Object.keys(value).join(", ")}]`;
  }
  return typeof value === "string" ? `'${value}'` : String(value);
}
