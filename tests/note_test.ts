import assert from "node:assert/strict";
import fc from "./fc.ts";
import { noteBundle } from "@lib/note.ts";

/** Markdown as a renderer reads plain prose: backslash escapes and `&lt;` undone. */
function readMarkdown(text: string): string {
  return text.replace(/\\([\\*_[\]$])/g, "$1").replaceAll("&lt;", "<");
}

/** HTML paragraphs as text: tags dropped, entities undone. */
function readHtml(html: string): string {
  return html.replace(/<\/p>\n<p>/g, "\n\n").replace(/<\/?(p|code)>/g, "")
    .replace(
      /&(lt|gt|quot|amp);/g,
      (_, e) => ({ lt: "<", gt: ">", quot: '"', amp: "&" })[e as "lt"],
    );
}

Deno.test("a note's Markdown and HTML read back as its text, whatever characters it holds", () => {
  const prose = fc.string({ unit: fc.constantFrom(...'ab _*\\<>[]$&"θ̂‖\n'), maxLength: 60 })
    .map((s) => s.replace(/\n\s*\n/g, "\n").trim()).filter((s) => s !== "");
  fc.assert(fc.property(prose, (text) => {
    const note = noteBundle(text);
    assert.equal(note["text/plain"], text);
    assert.equal(readMarkdown(note["text/markdown"]), text);
    assert.equal(readHtml(note["text/html"]), text);
    assert.doesNotMatch(note["text/markdown"], /(?<!\\)[*_$[]/, "no bare emphasis or math mark");
  }));
});

Deno.test("a note keeps backtick code spans as code and splits paragraphs at blank lines", () => {
  const note = noteBundle("see `step_cost_timing.csv` and `a*b`, not a_b.\n\nSecond: 2 < 3.\n");
  assert.equal(
    note["text/markdown"],
    "see `step_cost_timing.csv` and `a*b`, not a\\_b.\n\nSecond: 2 &lt; 3.",
  );
  assert.equal(
    note["text/html"],
    "<p>see <code>step_cost_timing.csv</code> and <code>a*b</code>, not a_b.</p>\n" +
      "<p>Second: 2 &lt; 3.</p>",
  );
});
