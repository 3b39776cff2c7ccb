/**
 * The registry of reproductions: every {@link Reproduction} that `deno task repro` runs, in the
 * order it runs them. The command line (`repro.ts`) and the worker threads (`repro_worker.ts`)
 * both read this list; nothing here parses flags or touches the results folder.
 *
 * @module
 */
import { computationGraphs } from "./computation_graphs.ts";
import { cost } from "./cost/mod.ts";
import { convergence } from "./convergence/mod.ts";
import { importance } from "./importance/mod.ts";
import type { Reproduction } from "./reproduction.ts";
import { selftest } from "./selftest.ts";

/**
 * Whether the pipeline self-test is registered: the environment variable SGDLAB_SELFTEST is 1.
 *
 * @example
 * ```ts
 * import { selftestEnabled } from "@lib/experiments/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(selftestEnabled(), Deno.env.get("SGDLAB_SELFTEST") === "1");
 * ```
 */
export function selftestEnabled(): boolean {
  try {
    return Deno.env.get("SGDLAB_SELFTEST") === "1";
  } catch {
    return false;
  }
}

/**
 * Every reproduction, in the order `repro` runs them; `selftest` only when the environment
 * variable SGDLAB_SELFTEST is 1.
 *
 * @example
 * ```ts
 * import { reproductions } from "@lib/experiments/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   reproductions.slice(0, 4).map((r) => r.name),
 *   ["computation_graphs", "cost", "convergence", "importance"],
 * );
 * ```
 */
export const reproductions: readonly Reproduction[] = [
  computationGraphs,
  cost,
  convergence,
  importance,
  ...(selftestEnabled() ? [selftest] : []),
];

/**
 * The registered reproduction called `name`.
 *
 * @throws {RangeError} naming the unknown reproduction and the registered ones
 * @example
 * ```ts
 * import { reproductionNamed } from "@lib/experiments/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(reproductionNamed("cost").name, "cost");
 * assert.throws(() => reproductionNamed("nope"), /cannot find reproduction 'nope'/);
 * ```
 */
export function reproductionNamed(name: string): Reproduction {
  const found = reproductions.find((r) => r.name === name);
  if (found === undefined) {
    throw new RangeError(
      `cannot find reproduction '${name}'; registered: ${
        reproductions.map((r) => r.name).join(", ")
      }`,
    );
  }
  return found;
}
