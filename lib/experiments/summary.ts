/**
 * The lines `repro` prints when a reproduction is combined: its description, its folder, how many
 * tables and figures it wrote, and its headline numbers (from the reproduction's `headline`);
 * with `--verbose`, every file written.
 *
 * @module
 */
import { isAbsolute, join, relative } from "node:path";
import type { CombinedReproduction } from "./pipeline.ts";

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The console summary of one combined reproduction. The folder is shown relative to `cwd` when
 * it lies below it. A headline that throws is reported in its place; the files are written by
 * then, so the run goes on.
 *
 * @param options.out the results folder
 * @param options.verbose list every file written
 * @param options.cwd the folder paths are shown relative to (default: the current one)
 * @example
 * ```ts
 * import { reproductionSummary } from "@lib/experiments/summary.ts";
 * import { lineChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const part = {
 *   reproduction: {
 *     name: "demo",
 *     description: "a demo",
 *     run: () => Promise.reject(),
 *     headline: () => ["largest x: 3"],
 *   },
 *   output: { tables: { a: [{ x: 3 }], b: [] }, charts: { c: lineChart([{ x: 3 }], { x: "x", y: "x", title: "c" }) }, notes: {} },
 *   files: ["/w/results/demo/a.csv", "/w/results/demo/b.csv", "/w/results/demo/c.svg"],
 *   seconds: 1,
 *   units: 1,
 * };
 * assert.deepEqual(reproductionSummary(part, { out: "/w/results", cwd: "/w" }), [
 *   "demo: a demo",
 *   "  results/demo: 2 tables, 1 figure",
 *   "  largest x: 3",
 * ]);
 * const verbose = reproductionSummary(part, { out: "/w/results", cwd: "/w", verbose: true });
 * assert.equal(verbose.at(-1), "  wrote results/demo/c.svg");
 * ```
 */
export function reproductionSummary(
  part: CombinedReproduction,
  options: { out: string; verbose?: boolean; cwd?: string },
): string[] {
  const { reproduction: r, output } = part;
  const cwd = options.cwd ?? Deno.cwd();
  const shown = (path: string) => {
    const rel = relative(cwd, path);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  };
  const tables = Object.keys(output.tables).length, figures = Object.keys(output.charts).length;
  const lines = [
    `${r.name}: ${r.description}`,
    `  ${shown(join(options.out, r.name))}: ${plural(tables, "table", "tables")}, ` +
    plural(figures, "figure", "figures"),
  ];
  if (r.headline) {
    try {
      lines.push(...r.headline(output).map((line) => `  ${line}`));
    } catch (error) {
      lines.push(`  (cannot compute the headline: ${(error as Error).message})`);
    }
  }
  if (options.verbose) lines.push(...part.files.map((f) => `  wrote ${shown(f)}`));
  return lines;
}
