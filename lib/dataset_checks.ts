/**
 * The option checks of the data-set builders (lib/mnist.ts, lib/synthetic_regression.ts): each
 * names the failed action, the option and the value it got.
 *
 * @module
 */
import type { Random } from "./random.ts";

/**
 * Asserts that `random` is a {@link Random} (it has `uint32` and `fork`).
 *
 * @throws {TypeError} `<action>: random must be a Random (lib/random.ts), got …`
 * @example
 * ```ts
 * import { checkRandom } from "@lib/dataset_checks.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * checkRandom("cannot load", new Random(1));
 * assert.throws(() => checkRandom("cannot load", 7), /cannot load: random must be a Random \(lib\/random.ts\), got 7/);
 * ```
 */
export function checkRandom(action: string, random: unknown): asserts random is Random {
  const r = random as Partial<Random> | null | undefined;
  if (typeof r?.uint32 !== "function" || typeof r?.fork !== "function") {
    throw new TypeError(`${action}: random must be a Random (lib/random.ts), got ${random}`);
  }
}

/**
 * `value`, after checking that it is a positive integer.
 *
 * @throws {RangeError} `<action>: <name> must be a positive integer, got …`
 * @example
 * ```ts
 * import { checkSize } from "@lib/dataset_checks.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkSize("cannot load", "n", 3), 3);
 * assert.throws(() => checkSize("cannot load", "n", 2.5), /cannot load: n must be a positive integer, got 2.5/);
 * ```
 */
export function checkSize(action: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${action}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Throws unless `value` ≤ `limit.max`; `limit.available` says what limits it.
 *
 * @throws {RangeError} `<action>: <name> must be at most <max> (<available>), got …`
 * @example
 * ```ts
 * import { checkAtMost } from "@lib/dataset_checks.ts";
 * import assert from "node:assert/strict";
 * checkAtMost("cannot build", "outliers", 3, { max: 5, available: "n" });
 * assert.throws(() => checkAtMost("cannot build", "outliers", 6, { max: 5, available: "n" }), /outliers must be at most 5 \(n\), got 6/);
 * ```
 */
export function checkAtMost(
  action: string,
  name: string,
  value: number,
  limit: { max: number; available: string },
): void {
  if (value > limit.max) {
    throw new RangeError(
      `${action}: ${name} must be at most ${limit.max} (${limit.available}), got ${value}`,
    );
  }
}

/**
 * `value`, after checking that it is a finite number >= 0.
 *
 * @throws {RangeError} `<action>: <name> must be a finite number >= 0, got …`
 * @example
 * ```ts
 * import { checkNonNegative } from "@lib/dataset_checks.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkNonNegative("cannot build", "noise", 0), 0);
 * assert.throws(() => checkNonNegative("cannot build", "noise", -1), /noise must be a finite number >= 0, got -1/);
 * ```
 */
export function checkNonNegative(action: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new RangeError(`${action}: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}
