/**
 * A floating-point comparison with explicit tolerances, in the semantics of PyTorch's
 * `assert_close`: |actual − expected| ≤ atol + rtol·|expected| entry by entry.
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

/** Tolerances of {@link assertClose}. */
export interface CloseOptions {
  /** Relative tolerance. Default 1e-7 (PyTorch's float64 default). */
  rtol?: number;
  /** Absolute tolerance. Default 1e-7. */
  atol?: number;
  /** What is being compared, for the error message. */
  what?: string;
}

function values(x: number | ArrayLike<number> | Matrix): ArrayLike<number> {
  if (typeof x === "number") return [x];
  if ("data" in x && "rows" in x) return x.data;
  return x as ArrayLike<number>;
}

/**
 * Throws an AssertionError naming the first entry where `actual` and `expected` differ by more
 * than atol + rtol·|expected|, or where their lengths differ. NaN never matches.
 *
 * @example
 * ```ts
 * import { assertClose } from "@lib/assert_close.ts";
 * import assert from "node:assert/strict";
 * assertClose(0.1 + 0.2, 0.3, { rtol: 1e-15, atol: 0 });
 * assert.throws(() => assertClose([1, 2], [1, 2.1], { what: "grad" }), /grad differs at 1/);
 * ```
 */
export function assertClose(
  actual: number | ArrayLike<number> | Matrix,
  expected: number | ArrayLike<number> | Matrix,
  options: CloseOptions = {},
): void {
  const a = values(actual), e = values(expected);
  const rtol = options.rtol ?? 1e-7, atol = options.atol ?? 1e-7, what = options.what ?? "value";
  if (a.length !== e.length) {
    throw new AssertionError(`${what} has ${a.length} entries, expected ${e.length}`);
  }
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - e[i]);
    if (!(err <= atol + rtol * Math.abs(e[i]))) {
      throw new AssertionError(
        `${what} differs at ${i}: ${a[i]} vs expected ${
          e[i]
        } (|diff| ${err} > atol ${atol} + rtol ${rtol} · |expected|)`,
      );
    }
  }
}

/** The error {@link assertClose} throws. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/**
 * max_k |a_k − b_k| / max_k |b_k|: the relative difference of two arrays as one number
 * (0 when both are zero).
 *
 * @example
 * ```ts
 * import { relativeDifference } from "@lib/assert_close.ts";
 * import assert from "node:assert/strict";
 * assert.equal(relativeDifference([1, 2], [1, 4]), 0.5);
 * ```
 */
export function relativeDifference(
  a: ArrayLike<number> | Matrix,
  b: ArrayLike<number> | Matrix,
): number {
  const x = values(a), y = values(b);
  if (x.length !== y.length) {
    throw new RangeError(`cannot compare arrays of ${x.length} and ${y.length} entries`);
  }
  let diff = 0, scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
