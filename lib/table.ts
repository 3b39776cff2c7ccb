/**
 * Tables of result rows as Markdown and plain text, for notebooks and reports.
 *
 * @module
 */

/** A table cell: numbers are shown with `digits` significant digits. */
export type Cell = string | number | boolean | null | undefined;

function show(v: Cell, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    if (v === 0 || !Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a >= 1e-3 && a < 1e6
      ? String(Number(v.toPrecision(digits)))
      : v.toExponential(digits - 1);
  }
  return String(v).replaceAll("|", "\\|");
}

/**
 * A Markdown table of `rows` (columns: `columns`, or the keys of the first row).
 *
 * @throws {RangeError} when there are no rows and no columns
 * @example
 * ```ts
 * import { markdownTable } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   markdownTable([{ layer: 1, shape: "256x785", ratio: 1 / 3 }]),
 *   "| layer | shape | ratio |\n| --- | --- | --- |\n| 1 | 256x785 | 0.3333 |",
 * );
 * ```
 */
export function markdownTable(
  rows: ReadonlyArray<Readonly<Record<string, Cell>>>,
  options: { columns?: string[]; digits?: number } = {},
): string {
  const columns = options.columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  if (columns.length === 0) throw new RangeError("cannot format a table with no columns");
  const digits = options.digits ?? 4;
  const lines = [
    `| ${columns.join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${columns.map((c) => show(r[c], digits)).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/**
 * The same table as aligned plain text (for consoles and the text/plain of a bundle).
 *
 * @example
 * ```ts
 * import { textTable } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.equal(textTable([{ a: 1, bb: "x" }]), "a  bb\n1  x");
 * ```
 */
export function textTable(
  rows: ReadonlyArray<Readonly<Record<string, Cell>>>,
  options: { columns?: string[]; digits?: number } = {},
): string {
  const columns = options.columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  const digits = options.digits ?? 4;
  const cells = [columns, ...rows.map((r) => columns.map((c) => show(r[c], digits)))];
  const widths = columns.map((_, j) => Math.max(...cells.map((row) => row[j].length)));
  return cells.map((row) => row.map((c, j) => c.padEnd(widths[j])).join("  ").trimEnd()).join(
    "\n",
  );
}

/**
 * A display bundle with the table as Markdown and as text.
 *
 * @example
 * ```ts
 * import { tableBundle } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Object.keys(tableBundle([{ a: 1 }])), ["text/markdown", "text/plain"]);
 * ```
 */
export function tableBundle(
  rows: ReadonlyArray<Readonly<Record<string, Cell>>>,
  options: { columns?: string[]; digits?: number } = {},
): { "text/markdown": string; "text/plain": string } {
  return { "text/markdown": markdownTable(rows, options), "text/plain": textTable(rows, options) };
}
