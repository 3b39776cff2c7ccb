/**
 * The "Lines per source folder" tables of README.md: non-blank lines of every source file
 * (`.ts`, `.wat`, `.py`, `.sh`) in `lib/` and its subfolders, `bench/` and `tools/`, summed per
 * folder (with its largest file) and listed per file.
 *
 *     deno run -A tools/lines.ts           print the tables
 *     deno run -A tools/lines.ts --write   rewrite them in README.md between the markers
 *     deno run -A tools/lines.ts --check   exit 1 when README.md's tables are stale
 *
 * @module
 */

import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, writeFileAtomic } from "../lib/io.ts";

/** The markers around the generated tables in README.md. */
export const START = "<!-- lines:start -->";
/** The marker after the generated tables. */
export const END = "<!-- lines:end -->";

/** The folders whose source files are counted, each with its subfolders. */
export const SOURCE_FOLDERS = ["lib", "bench", "tools"];
/** What counts as a source file. */
export const SOURCE_EXTENSIONS = [".ts", ".wat", ".py", ".sh"];

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

/** A Markdown table aligned as `deno fmt` aligns it; `right` marks right-aligned columns. */
function markdownGrid(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((_, k) => Math.max(3, ...[header, ...rows].map((r) => r[k].length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, k) => right[k] ? c.padStart(widths[k]) : c.padEnd(widths[k])).join(" | ")
    } |`;
  const rule = widths.map((w, k) => right[k] ? `${"-".repeat(w - 1)}:` : "-".repeat(w));
  return [line(header), `| ${rule.join(" | ")} |`, ...rows.map(line)].join("\n");
}

/**
 * Two Markdown tables from the line count of each file (paths relative to the repository): one
 * row per folder (files directly in it, their lines, its largest file) with a total, then one row
 * per file, sorted by path. Both are aligned as `deno fmt` aligns tables, so fmt leaves them
 * alone.
 *
 * @example
 * ```ts
 * import { linesTable } from "../tools/lines.ts";
 * import assert from "node:assert/strict";
 * assert.equal(linesTable({ "lib/b.ts": 3, "lib/a.ts": 10, "tools/t.ts": 5 }), [
 *   "| folder    | files |  lines | largest file |",
 *   "| --------- | ----: | -----: | ------------ |",
 *   "| `lib/`    |     2 |     13 | `a.ts` (10)  |",
 *   "| `tools/`  |     1 |      5 | `t.ts` (5)   |",
 *   "| **total** | **3** | **18** |              |",
 *   "",
 *   "| file         | lines |",
 *   "| ------------ | ----: |",
 *   "| `lib/a.ts`   |    10 |",
 *   "| `lib/b.ts`   |     3 |",
 *   "| `tools/t.ts` |     5 |",
 * ].join("\n"));
 * ```
 */
export function linesTable(counts: Record<string, number>): string {
  const paths = Object.keys(counts).sort();
  const folders = [...new Set(paths.map((p) => dirname(p)))].sort();
  const folderRows = folders.map((folder) => {
    const files = paths.filter((p) => dirname(p) === folder);
    const largest = files.reduce((a, b) => (counts[b] > counts[a] ? b : a));
    const lines = files.reduce((sum, p) => sum + counts[p], 0);
    const name = largest.slice(folder === "." ? 0 : folder.length + 1);
    return [
      `\`${folder === "." ? "" : folder}/\``,
      String(files.length),
      String(lines),
      `\`${name}\` (${counts[largest]})`,
    ];
  });
  const total = paths.reduce((sum, p) => sum + counts[p], 0);
  const summary = markdownGrid(
    ["folder", "files", "lines", "largest file"],
    [...folderRows, ["**total**", `**${paths.length}**`, `**${total}**`, ""]],
    [false, true, true, false],
  );
  const files = markdownGrid(
    ["file", "lines"],
    paths.map((p) => [`\`${p}\``, String(counts[p])]),
    [false, true],
  );
  return `${summary}\n\n${files}`;
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
 * The non-blank line count of every source file in {@link SOURCE_FOLDERS} and their subfolders,
 * keyed by its path relative to `root` (a missing folder counts nothing).
 *
 * @param options.root the repository (default: this one)
 * @example
 * ```ts
 * import { countSourceLines } from "../tools/lines.ts";
 * import assert from "node:assert/strict";
 * const counts = countSourceLines();
 * assert.ok(counts["lib/io.ts"] > 0 && counts["tools/lines.ts"] > 0);
 * assert.ok(Object.keys(counts).some((p) => p.startsWith("lib/experiments/")));
 * ```
 */
export function countSourceLines(options: { root?: string } = {}): Record<string, number> {
  const root = options.root ?? repoRoot();
  const counts: Record<string, number> = {};
  const walk = (folder: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(root, folder))];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.isFile && SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
        counts[path] = nonBlankLines(Deno.readTextFileSync(join(root, path)));
      }
    }
  };
  for (const folder of SOURCE_FOLDERS) walk(folder);
  return counts;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { write: { type: "boolean", default: false }, check: { type: "boolean" } },
  });
  const root = repoRoot();
  const table = linesTable(countSourceLines({ root }));
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
        "README.md lines table is stale: run `deno task lines` (tools/lines.ts --write) and commit it",
      );
      Deno.exit(1);
    } else {
      console.log("README.md lines table is up to date");
    }
  }
}
