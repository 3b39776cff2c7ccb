/**
 * mathjs, loaded on first use. Importing the package builds every one of its functions (about
 * half a second here), which a program that never parses an activation expression nor solves a
 * linear system should not pay: every test, JSDoc example and worker thread that imports
 * `lib/mod.ts` did. Node's `createRequire` loads it synchronously when it is first needed, so the
 * functions that use it stay synchronous.
 *
 * @module
 */
import type * as MathJs from "mathjs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let loaded: typeof MathJs | null = null;

/**
 * The mathjs package, loaded at the first call and the same object after.
 *
 * @example
 * ```ts
 * import { mathjs, mathjsLoaded } from "@lib/mathjs.ts";
 * import assert from "node:assert/strict";
 * const m = mathjs();
 * assert.equal(mathjsLoaded(), true);
 * assert.equal(m.derivative(m.parse("z^2"), "z").toString(), "2 * z");
 * assert.equal(mathjs(), m);
 * ```
 */
export function mathjs(): typeof MathJs {
  return loaded ??= require("mathjs") as typeof MathJs;
}

/**
 * Whether {@link mathjs} has loaded the package in this thread.
 *
 * @example
 * ```ts
 * import { mathjsLoaded } from "@lib/mathjs.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof mathjsLoaded(), "boolean");
 * ```
 */
export function mathjsLoaded(): boolean {
  return loaded !== null;
}
