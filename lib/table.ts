/**
 * Tables of result rows as Markdown, HTML and plain text, for notebooks and reports.
 *
 * @module
 */

/** A table cell: numbers are shown with `digits` significant digits. */
export type Cell = string | number | boolean | null | undefined;

/** The rows of a table: column name → cell. */
export type TableRows = ReadonlyArray<Readonly<Record<string, Cell>>>;

/** Which columns to show (default: the keys of the first row) and the significant digits. */
export interface TableOptions {
  columns?: string[];
  digits?: number;
}

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
  return String(v);
}

/**
 * Text as a Markdown table cell: backslashes, `*` and `_` escaped (no cell means emphasis, and
 * a renderer such as nbconvert's would otherwise set `d_l … d_{l−1}` in italics), then pipes.
 */
function markdownCell(text: string): string {
  const v = text.replace(/[\\*_]/g, "\\$&");
  return String(v).replaceAll("|", "\\|");
}

function columnsOf(rows: TableRows, options: TableOptions): string[] {
  const columns = options.columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  if (columns.length === 0) throw new RangeError("cannot format a table with no columns");
  return columns;
}

/**
 * A Markdown table of `rows` (columns: `columns`, or the keys of the first row). Headers and
 * cells escape `\`, `*`, `_` and `|`, so that they show as written.
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
 * assert.equal(markdownTable([{ d_l: "a|b*" }]), "| d\\_l |\n| --- |\n| a\\|b\\* |");
 * ```
 */
export function markdownTable(rows: TableRows, options: TableOptions = {}): string {
  const columns = columnsOf(rows, options);
  const digits = options.digits ?? 4;
  const lines = [
    `| ${columns.map(markdownCell).join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${columns.map((c) => markdownCell(show(r[c], digits))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/**
 * Text with the characters that HTML reads as markup escaped: `&`, `<`, `>` and `"`; nothing
 * else changes.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.equal(escapeHtml(`a < b && "c" > d_l's`), "a &lt; b &amp;&amp; &quot;c&quot; &gt; d_l's");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

/**
 * An HTML table of `rows` (a header row, then one row per row), every header and cell escaped
 * with {@linkcode escapeHtml}. Front ends show it as a table even where they do not render
 * Markdown outputs (an untrusted classic notebook).
 *
 * @throws {RangeError} when there are no rows and no columns
 * @example
 * ```ts
 * import { htmlTable } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   htmlTable([{ "θ_l": "a<b", n: 0.5 }]),
 *   "<table>\n<thead>\n<tr><th>θ_l</th><th>n</th></tr>\n</thead>\n<tbody>\n" +
 *     "<tr><td>a&lt;b</td><td>0.5</td></tr>\n</tbody>\n</table>",
 * );
 * ```
 */
export function htmlTable(rows: TableRows, options: TableOptions = {}): string {
  const columns = columnsOf(rows, options);
  const digits = options.digits ?? 4;
  const row = (tag: string, cells: string[]) =>
    `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")}</tr>`;
  return [
    "<table>",
    "<thead>",
    row("th", columns),
    "</thead>",
    "<tbody>",
    ...rows.map((r) => row("td", columns.map((c) => show(r[c], digits)))),
    "</tbody>",
    "</table>",
  ].join("\n");
}

/**
 * The same table as aligned plain text (for consoles and the text/plain of a bundle).
 *
 * @example
 * ```ts
 * import { textTable } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.equal(textTable([{ a: 1, bb: "x|y" }]), "a  bb\n1  x|y");
 * ```
 */
export function textTable(rows: TableRows, options: TableOptions = {}): string {
  const columns = options.columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  const digits = options.digits ?? 4;
  const cells = [columns, ...rows.map((r) => columns.map((c) => show(r[c], digits)))];
  const widths = columns.map((_, j) => Math.max(...cells.map((row) => row[j].length)));
  return cells.map((row) => row.map((c, j) => c.padEnd(widths[j])).join("  ").trimEnd()).join(
    "\n",
  );
}

/** What Jupyter shows for a table: HTML, Markdown and aligned text of the same rows. */
export interface TableBundle {
  "text/html": string;
  "text/markdown": string;
  "text/plain": string;
}

/**
 * A display bundle with the table as HTML (what notebook front ends show, trusted or not), as
 * Markdown and as text.
 *
 * @example
 * ```ts
 * import { tableBundle } from "@lib/table.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Object.keys(tableBundle([{ a: 1 }])), ["text/html", "text/markdown", "text/plain"]);
 * ```
 */
export function tableBundle(rows: TableRows, options: TableOptions = {}): TableBundle {
  return {
    "text/html": htmlTable(rows, options),
    "text/markdown": markdownTable(rows, options),
    "text/plain": textTable(rows, options),
  };
}
