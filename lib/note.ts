/**
 * Prose for notebooks: a note (a reproduction's reading of its tables, or a sentence a cell
 * computes) as a display bundle that front ends set as a paragraph, not as one monospace line.
 *
 * @module
 */

import { escapeHtml } from "./table.ts";

/** What Jupyter shows for a note: HTML paragraphs, the same as Markdown, and the plain text. */
export interface NoteBundle {
  "text/html": string;
  "text/markdown": string;
  "text/plain": string;
}

/** Code spans (`like this`) and the text between them. */
const CODE_SPAN = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;

interface Piece {
  code: boolean;
  text: string;
}

function pieces(paragraph: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const match of paragraph.matchAll(CODE_SPAN)) {
    if (match.index > at) out.push({ code: false, text: paragraph.slice(at, match.index) });
    out.push({ code: true, text: match[0] });
    at = match.index + match[0].length;
  }
  if (at < paragraph.length) out.push({ code: false, text: paragraph.slice(at) });
  return out;
}

/**
 * Prose as Markdown: outside code spans, `\ * _ [ ] $` escaped with a backslash and `<` written
 * `&lt;` (nbconvert's Markdown shows a backslash before `<`), so that it shows as written.
 */
function markdownProse(paragraph: string): string {
  return pieces(paragraph).map((p) =>
    p.code ? p.text : p.text.replace(/[\\*_[\]$]/g, "\\$&").replaceAll("<", "&lt;")
  ).join("");
}

/** Prose as HTML: escaped, code spans as `<code>`. */
function htmlProse(paragraph: string): string {
  return pieces(paragraph).map((p) =>
    p.code
      ? `<code>${escapeHtml(p.text.replace(/^`+ ?|`+$/g, "").replace(/ $/, ""))}</code>`
      : escapeHtml(p.text)
  ).join("");
}

/**
 * A display bundle for prose: `text/html` (one `<p>` per paragraph, separated by blank lines),
 * `text/markdown` (the text with Markdown's `\ * _ < [ ] $` escaped outside backtick code
 * spans, so that `θ̂*`, `d_l` or a file name show as written, `<` as `&lt;`) and `text/plain` (the text).
 * Backtick spans are the only markup a note may use.
 *
 * @example
 * ```ts
 * import { noteBundle } from "@lib/note.ts";
 * import assert from "node:assert/strict";
 * const note = noteBundle("θ̂* ends step_cost.csv; see `lib/sampling/scores.ts`.\n\nA < B.");
 * assert.equal(note["text/plain"], "θ̂* ends step_cost.csv; see `lib/sampling/scores.ts`.\n\nA < B.");
 * assert.equal(note["text/markdown"], "θ̂\\* ends step\\_cost.csv; see `lib/sampling/scores.ts`.\n\nA &lt; B.");
 * assert.equal(
 *   note["text/html"],
 *   "<p>θ̂* ends step_cost.csv; see <code>lib/sampling/scores.ts</code>.</p>\n<p>A &lt; B.</p>",
 * );
 * ```
 */
export function noteBundle(text: string): NoteBundle {
  const paragraphs = text.trim().split(/\n[ \t]*\n\s*/);
  return {
    "text/html": paragraphs.map((p) => `<p>${htmlProse(p)}</p>`).join("\n"),
    "text/markdown": paragraphs.map(markdownProse).join("\n\n"),
    "text/plain": text,
  };
}
