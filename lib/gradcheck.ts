/**
 * Gradient checking by central finite differences in Float64, with PyTorch's default tolerances
 * (eps 1e-6, atol 1e-5, rtol 1e-3): an entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** The parameters f depends on; perturbed in place and restored. */
  params: Matrix[];
  /** The analytic gradient of f for each parameter (same shapes). */
  analytic: Matrix[];
  /** Finite-difference step. Default 1e-6. */
  eps?: number;
  /** Absolute tolerance. Default 1e-5. */
  atol?: number;
  /** Relative tolerance. Default 1e-3. */
  rtol?: number;
}

/** The worst entry of a gradient check. */
export interface GradcheckEntry {
  /** Index of the parameter matrix. */
  param: number;
  /** Row of the entry. */
  row: number;
  /** Column of the entry. */
  col: number;
  /** Analytic derivative. */
  analytic: number;
  /** Central finite difference. */
  numeric: number;
}

/** The outcome of {@link gradcheck}. */
export interface GradcheckReport {
  /** Every entry within atol + rtol·|numeric|. */
  ok: boolean;
  /** Number of entries compared. */
  checked: number;
  /** Largest |analytic − numeric|. */
  maxAbsError: number;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|): ok iff at most 1. */
  worstRatio: number;
  /** The entry with the largest ratio (null when nothing was checked). */
  worst: GradcheckEntry | null;
}

/** eps must be a finite number > 0: 0 gives 0/0, and Infinity or NaN give no difference at all. */
function checkStep(eps: number): void {
  if (!(eps > 0) || eps === Infinity) {
    throw new RangeError(
      `cannot take finite differences: eps must be a finite number > 0, got ${eps}`,
    );
  }
}

/**
 * Central finite differences (f(θ + eps) − f(θ − eps)) / (2 eps) for every entry of every
 * parameter, perturbing in place and restoring each entry exactly.
 *
 * @throws {RangeError} when eps is not a finite number > 0
 * @example
 * ```ts
 * import { Matrix, numericGradient } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const w = Matrix.from([[3]]);
 * const [g] = numericGradient(() => w.data[0] ** 2, [w]);
 * assert.ok(Math.abs(g.data[0] - 6) < 1e-8);
 * ```
 */
export function numericGradient(f: () => number, params: Matrix[], eps = 1e-6): Matrix[] {
  checkStep(eps);
  return params.map((p) => {
    const g = p.clone();
    for (let k = 0; k < p.data.length; k++) {
      const saved = p.data[k];
      p.data[k] = saved + eps;
      const plus = f();
      p.data[k] = saved - eps;
      const minus = f();
      p.data[k] = saved;
      g.data[k] = (plus - minus) / (2 * eps);
    }
    return g;
  });
}

/**
 * Compares analytic gradients of a scalar function with central finite differences.
 *
 * @throws {RangeError} when the analytic gradients do not match the parameters' shapes, or eps,
 *   atol or rtol is out of range (eps > 0, atol and rtol >= 0, all finite)
 * @example A correct and a wrong gradient
 * ```ts
 * import { Matrix, gradcheck } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const w = Matrix.from([[1, 2]]);
 * const f = () => w.data[0] * w.data[1];
 * assert.ok(gradcheck(f, { params: [w], analytic: [Matrix.from([[2, 1]])] }).ok);
 * assert.ok(!gradcheck(f, { params: [w], analytic: [Matrix.from([[1, 2]])] }).ok);
 * ```
 */
export function gradcheck(f: () => number, options: GradcheckOptions): GradcheckReport {
  const { params, analytic } = options;
  const eps = options.eps ?? 1e-6, atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-3;
  if (!Array.isArray(params) || !Array.isArray(analytic)) {
    throw new RangeError("cannot check gradients: params and analytic must be lists of matrices");
  }
  checkStep(eps);
  for (const [name, value] of [["atol", atol], ["rtol", rtol]] as const) {
    if (!(value >= 0) || value === Infinity) {
      throw new RangeError(
        `cannot check gradients: ${name} must be a finite number >= 0, got ${value}`,
      );
    }
  }
  if (params.length !== analytic.length) {
    throw new RangeError(
      `cannot check gradients: ${params.length} parameters but ${analytic.length} gradients`,
    );
  }
  params.forEach((p, i) => {
    if (p.rows !== analytic[i].rows || p.cols !== analytic[i].cols) {
      throw new RangeError(
        `cannot check gradients: parameter ${i} is ${p.shape} but its gradient is ${
          analytic[i].shape
        }`,
      );
    }
  });
  const numeric = numericGradient(f, params, eps);
  let checked = 0, maxAbsError = 0, worstRatio = 0;
  let worst: GradcheckEntry | null = null;
  numeric.forEach((n, i) => {
    const a = analytic[i];
    for (let k = 0; k < n.data.length; k++) {
      const err = Math.abs(a.data[k] - n.data[k]);
      const ratio = err / (atol + rtol * Math.abs(n.data[k]));
      checked++;
      maxAbsError = Math.max(maxAbsError, err);
      if (ratio > worstRatio || worst === null || Number.isNaN(ratio)) {
        worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
        worst = {
          param: i,
          row: Math.floor(k / n.cols),
          col: k % n.cols,
          analytic: a.data[k],
          numeric: n.data[k],
        };
      }
    }
  });
  return { ok: worstRatio <= 1, checked, maxAbsError, worstRatio, worst };
}
