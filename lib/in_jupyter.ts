/**
 * Whether code runs inside Deno's Jupyter kernel, in a module of its own: the progress display
 * asks it, and importing the charts (vega, vega-lite, resvg) only for this answer cost every
 * program that trains about 0.2 s.
 *
 * @module
 */

/**
 * Whether this code runs inside Deno's Jupyter kernel. Any access to `Deno.jupyter` throws
 * outside it, so the check is guarded.
 *
 * @example
 * ```ts
 * import { inJupyter } from "@lib/in_jupyter.ts";
 * import assert from "node:assert/strict";
 * assert.equal(inJupyter(), false); // under deno test
 * ```
 */
export function inJupyter(): boolean {
  try {
    return typeof Deno.jupyter === "object";
  } catch {
    return false;
  }
}
