/**
 * Number formatting, one function per behaviour, shared by the reproductions, their notes and
 * `bench/report.ts`:
 *
 * - {@link significant}: a number rounded to significant digits (for CSV cells and chart data);
 * - {@link prose}: a short string for running text, plain in a readable range, else exponential;
 * - {@link signedPercent}: a signed whole percentage such as "+12 %" or "−38 %".
 *
 * @module
 */

/**
 * `x` rounded to `digits` significant digits, as a number: `Number(x.toPrecision(digits))`, so
 * that a CSV cell or a chart's inline data reads cleanly. Non-finite values pass through.
 *
 * @throws {RangeError} when digits is not an integer in 1..100 (from `toPrecision`)
 * @example
 * ```ts
 * import { significant } from "@lib/format.ts";
 * import assert from "node:assert/strict";
 * assert.equal(significant(2 / 3, 4), 0.6667);
 * assert.equal(significant(123456, 3), 123000);
 * assert.equal(significant(-0.000123456, 2), -0.00012);
 * ```
 */
export function significant(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}

/** Options of {@link prose}. */
export interface ProseOptions {
  /** Significant digits in the plain range. Default 3. */
  digits?: number;
  /** The magnitude from which a number is written with an exponent. Default 1e4. */
  exponentFrom?: number;
}

/**
 * A number for running text: "0" for zero; `toPrecision(digits)` when 1e-3 ≤ |v| <
 * `exponentFrom`; else `toExponential(2)` (two decimals, whatever `digits`). NaN and ±Infinity
 * read as themselves.
 *
 * @example
 * ```ts
 * import { prose } from "@lib/format.ts";
 * import assert from "node:assert/strict";
 * assert.equal(prose(0.0123456), "0.0123");
 * assert.equal(prose(2, { digits: 2 }), "2.0");
 * assert.equal(prose(0.000123456), "1.23e-4");
 * assert.equal(prose(12345), "1.23e+4");
 * assert.equal(prose(54321, { digits: 5 }), "5.43e+4");
 * assert.equal(prose(54321, { digits: 5, exponentFrom: 1e5 }), "54321");
 * assert.equal(prose(-0), "0");
 * assert.equal(prose(NaN), "NaN");
 * ```
 */
export function prose(v: number, options: ProseOptions = {}): string {
  const digits = options.digits ?? 3, exponentFrom = options.exponentFrom ?? 1e4;
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e-3 && a < exponentFrom ? v.toPrecision(digits) : v.toExponential(2);
}

/**
 * A percentage `d` (already ×100) as a sign and a whole number: "+12 %", "−38 %" (a true minus
 * sign, U+2212, by default; `minus: "-"` for ASCII). Zero, and values that round to zero from
 * above, read "+0 %"; a small negative value reads "−0 %". NaN reads "NaN %".
 *
 * @example
 * ```ts
 * import { signedPercent } from "@lib/format.ts";
 * import assert from "node:assert/strict";
 * assert.equal(signedPercent(12.4), "+12 %");
 * assert.equal(signedPercent(-37.6), "−38 %");
 * assert.equal(signedPercent(-37.6, { minus: "-" }), "-38 %");
 * assert.equal(signedPercent(0), "+0 %");
 * ```
 */
export function signedPercent(d: number, options: { minus?: "−" | "-" } = {}): string {
  if (Number.isNaN(d)) return "NaN %";
  return `${d < 0 ? (options.minus ?? "−") : "+"}${Math.abs(d).toFixed(0)} %`;
}
