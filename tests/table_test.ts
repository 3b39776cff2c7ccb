import assert from "node:assert/strict";
import { htmlTable, markdownTable, tableBundle, textTable } from "@lib/table.ts";

/** The cells of a Markdown table row: split on pipes that are not escaped by a backslash. */
function cellsOf(line: string): string[] {
  return line.slice(2, -2).split(/(?<!\\) \| /);
}

Deno.test("a markdown cell holding a pipe is escaped, so every row keeps its column count", () => {
  const rows = [
    { scheme: "‖G|x‖ | bound", value: 1 },
    { scheme: "a|b|c", value: 2 },
    { scheme: "plain", value: 3 },
  ];
  const lines = markdownTable(rows).split("\n");
  assert.equal(lines.length, 2 + rows.length);
  for (const line of lines) {
    assert.equal(line.split(/(?<!\\)\|/).length - 2, 2, `row splits into other columns: ${line}`);
  }
  assert.deepEqual(cellsOf(lines[3]), ["a\\|b\\|c", "2"]);
});

Deno.test("markdown and text tables show missing cells empty and refuse a table without columns", () => {
  assert.equal(markdownTable([{ a: null, b: 1 }]), "| a | b |\n| --- | --- |\n|  | 1 |");
  assert.equal(textTable([{ a: undefined, b: "x" }]).split("\n")[1].trim(), "x");
  assert.throws(() => markdownTable([]), /cannot format a table with no columns/);
});

/** Markdown's backslash escapes undone, as a renderer reads a cell. */
function unescapeMarkdown(cell: string): string {
  return cell.replace(/\\([\\*_|])/g, "$1");
}

/** HTML's four entities undone. */
function unescapeHtml(text: string): string {
  return text.replace(
    /&(lt|gt|quot|amp);/g,
    (_, e) => ({ lt: "<", gt: ">", quot: '"', amp: "&" })[e as "lt"],
  );
}

Deno.test("markdown cells and headers escape emphasis marks, and read back as written", () => {
  const rows = [
    { "θ_l·x_{l−1}": "d_l … d_{l−1}", "a*b": "θ̂* and *x*", "x\\y": "C:\\tmp" },
  ];
  const [header, , row] = markdownTable(rows).split("\n");
  assert.doesNotMatch(header + row, /(?<!\\)[*_]/, "no bare * or _ left for emphasis");
  assert.deepEqual(cellsOf(header).map(unescapeMarkdown), Object.keys(rows[0]));
  assert.deepEqual(cellsOf(row).map(unescapeMarkdown), Object.values(rows[0]));
});

Deno.test('an HTML table escapes & < > " in headers and cells and changes nothing else', () => {
  const rows = [
    { "a<b": `x & "y" <script>`, "d_l*": 0.123456, n: null },
    { "a<b": "θ̂*|", "d_l*": 2, n: true },
  ];
  const html = htmlTable(rows);
  assert.doesNotMatch(html.replace(/<\/?(table|thead|tbody|tr|th|td)>/g, ""), /[<>"]/);
  const cells = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([^]*?)</${tag}>`, "g"))].map((m) => unescapeHtml(m[1]));
  assert.deepEqual(cells("th"), ["a<b", "d_l*", "n"]);
  assert.deepEqual(cells("td"), [`x & "y" <script>`, "0.1235", "", "θ̂*|", "2", "true"]);
  assert.equal(html.split("<tr>").length - 1, 1 + rows.length);
  assert.throws(() => htmlTable([]), /cannot format a table with no columns/);
});

Deno.test("a table bundle carries the same rows as HTML, Markdown and text", () => {
  const rows = [{ scheme: "p_i ∝ ‖G_i‖", reduction: 3.7 }];
  const bundle = tableBundle(rows, { digits: 2 });
  assert.equal(bundle["text/html"], htmlTable(rows, { digits: 2 }));
  assert.equal(bundle["text/markdown"], markdownTable(rows, { digits: 2 }));
  assert.equal(bundle["text/plain"], "scheme       reduction\np_i ∝ ‖G_i‖  3.7");
});
