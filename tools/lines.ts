/**
 * The "Lines per lib file" table of README.md: non-blank lines of each `lib/*.ts`.
 *
 *     deno run -A tools/lines.ts           print the table
 *     deno run -A tools/lines.ts --write   rewrite it in README.md between the markers
 *     deno run -A tools/lines.ts --check   exit 1 when README.md's table is stale
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, writeFileAtomic } from "../lib/io.ts";

/** The markers around the generated table in README.md. */
export const START = "<!-- lines:start -->";
export const END = "<!-- lines:end -->";

/**
 * The number of lines that hold something other than whitespace.
 *
 * @example
 * ```ts
 * import { nonBlankLines } from "../tools/lines.ts";
 * import assert from "node:assert/strict";
 * assert.equal(nonBlankLines("a\n\n  \nb\n"), 2);
 * ```
 */
export function nonBlankLines(text: string): number {
  return text.split("\n").filter((line) => line.trim() !== "").length;
}

/**
 * A Markdown table of files and their line counts, sorted by name, with a total row, aligned as
 * `deno fmt` aligns tables.
 *
 * @example
 * ```ts
 * import { linesTable } from "../tools/lines.ts";
 * import assert from "node:assert/strict";
 * assert.equal(linesTable({ "b.ts": 3, "a.ts": 10 }), [
 *   "| file       |  lines |",
 *   "| ---------- | -----: |",
 *   "| `lib/a.ts` |     10 |",
 *   "| `lib/b.ts` |      3 |",
 *   "| **total**  | **13** |",
 * ].join("\n"));
 * ```
 */
export function linesTable(counts: Record<string, number>): string {
  const names = Object.keys(counts).sort();
  const total = names.reduce((sum, name) => sum + counts[name], 0);
  const rows = [
    ...names.map((name) => [`\`lib/${name}\``, String(counts[name])]),
    ["**total**", `**${total}**`],
  ];
  // Aligned the way `deno fmt` aligns Markdown tables, so that fmt leaves the table alone.
  const [w0, w1] = [0, 1].map((k) =>
    Math.max(3, ...[["file", "lines"], ...rows].map((r) => r[k].length))
  );
  const line = (a: string, b: string) => `| ${a.padEnd(w0)} | ${b.padStart(w1)} |`;
  return [
    line("file", "lines"),
    `| ${"-".repeat(w0)} | ${"-".repeat(w1 - 1)}: |`,
    ...rows.map(([a, b]) => line(a, b)),
  ].join("\n");
}

/**
 * Replaces what lies between the markers of `text` with `table`, set off by blank lines as
 * `deno fmt` wants.
 *
 * @throws {RangeError} when the markers are missing or out of order
 *
 * @example
 * ```ts
 * import { END, replaceTable, START } from "../tools/lines.ts";
 * import assert from "node:assert/strict";
 * const readme = `# x\n${START}\nold\n${END}\n`;
 * assert.equal(replaceTable(readme, "new"), `# x\n${START}\n\nnew\n\n${END}\n`);
 * assert.throws(() => replaceTable("# x", "new"), /no <!-- lines:start -->/);
 * ```
 */
export function replaceTable(text: string, table: string): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    throw new RangeError(`cannot update the lines table: no ${START} … ${END} markers in order`);
  }
  return `${text.slice(0, start + START.length)}\n\n${table}\n\n${text.slice(end)}`;
}

/**
 * The non-blank line count of every `lib/*.ts` (not the subfolders).
 *
 * @example
 * ```ts
 * import { countLibLines } from "../tools/lines.ts";
 * import assert from "node:assert/strict";
 * const counts = countLibLines();
 * assert.ok(counts["io.ts"] > 0);
 * ```
 */
export function countLibLines(options: { root?: string } = {}): Record<string, number> {
  const lib = join(options.root ?? repoRoot(), "lib");
  const counts: Record<string, number> = {};
  for (const entry of Deno.readDirSync(lib)) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      counts[entry.name] = nonBlankLines(Deno.readTextFileSync(join(lib, entry.name)));
    }
  }
  return counts;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { write: { type: "boolean", default: false }, check: { type: "boolean" } },
  });
  const root = repoRoot();
  const table = linesTable(countLibLines({ root }));
  const readmePath = join(root, "README.md");
  if (!values.write && !values.check) {
    console.log(table);
  } else {
    const readme = await Deno.readTextFile(readmePath);
    const updated = replaceTable(readme, table);
    if (values.write) {
      if (updated !== readme) await writeFileAtomic(readmePath, updated);
      console.log(updated === readme ? "README.md lines table is up to date" : "README.md updated");
    } else if (updated !== readme) {
      console.error(
        "README.md lines table is stale: run `deno run -A tools/lines.ts --write` and commit it",
      );
      Deno.exit(1);
    } else {
      console.log("README.md lines table is up to date");
    }
  }
}
