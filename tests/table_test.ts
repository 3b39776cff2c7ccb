import assert from "node:assert/strict";
import { markdownTable, textTable } from "@lib/table.ts";

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
