/**
 * The charts' font, DejaVu Sans: its files for resvg, and its metrics for vega's text layout.
 *
 * Headless vega has no canvas to measure text, so it guesses 0.8 × font size per character,
 * about 1.4 times DejaVu Sans's real average: titles, legends and axis labels then take far more
 * room than they are drawn in, and a chart's PNG comes out much wider than the same spec drawn
 * by vega-embed in a browser. {@linkcode chartFont} replaces that guess, once per process, by the
 * font's own advance widths (as vl-convert does).
 *
 * @module
 */

import * as vega from "vega";
import { FontMetrics } from "./font_metrics.ts";

/** The font used in charts and loaded for PNG rendering (Debian's `fonts-dejavu-core`). */
export const FONT_DIR = "/usr/share/fonts/truetype/dejavu";

const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

/** The chart font's files (regular, then bold) and the metrics of each. */
export interface ChartFont {
  files: Uint8Array[];
  regular: FontMetrics;
  bold: FontMetrics;
}

const FONT_KEY = Symbol.for("sgdlab.chartFont");

async function readFiles(): Promise<Uint8Array[]> {
  try {
    return FONT_FILES.map((file) => Deno.readFileSync(`${FONT_DIR}/${file}`));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  try {
    await import("dejavu-fonts-ttf/package.json", { with: { type: "json" } });
    return await Promise.all(
      FONT_FILES.map((file) =>
        Deno.readFile(new URL(import.meta.resolve(`dejavu-fonts-ttf/ttf/${file}`)))
      ),
    );
  } catch (error) {
    throw new Error(
      `cannot load the chart font: DejaVu Sans is missing from ${FONT_DIR} and from npm's dejavu-fonts-ttf; install it with \`apt-get install fonts-dejavu-core\``,
      { cause: error },
    );
  }
}

/** A vega text item, as far as its width depends on it. */
interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: number | string | null;
  limit?: number;
}

function isBold(weight: TextItem["fontWeight"]): boolean {
  return weight === "bold" || weight === "bolder" || Number(weight) >= 600;
}

/**
 * The width vega should reserve for `text`: its advance width in the item's size and weight,
 * capped at the item's `limit` (vega truncates to that limit when it draws, and its binary search
 * for the cut compares against the same cap, so capping keeps the search exact).
 */
function textWidth(font: ChartFont, item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const value = text == null ? "" : String(text).trim();
  if (size <= 0 || value === "") return 0;
  const width = (isBold(item.fontWeight) ? font.bold : font.regular).width(value, size);
  return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
}

/**
 * Loads DejaVu Sans (from Debian's `fonts-dejavu-core`, else npm's `dejavu-fonts-ttf`, so that
 * a machine with only Node and npm renders charts too; the two builds differ in a few bytes, so
 * charts may differ between such machines, and each machine is deterministic), and makes vega
 * measure chart text with its advance widths. Loads once per process, even across re-imports.
 * Needs `--allow-read`.
 *
 * @throws {Error} naming `apt-get install fonts-dejavu-core` when the font is missing
 * @example
 * ```ts
 * import { chartFont } from "@lib/chart_font.ts";
 * import * as vega from "vega";
 * import assert from "node:assert/strict";
 * const font = await chartFont();
 * assert.equal(font.files.length, 2);
 * const { width } = (vega as unknown as { textMetrics: { width: Function } }).textMetrics;
 * assert.equal(width({ fontSize: 13, fontWeight: "bold" }, "Loss"), font.bold.width("Loss", 13));
 * assert.equal(width({ fontSize: 10, limit: 20 }, "a long label"), 20);
 * ```
 */
export function chartFont(): Promise<ChartFont> {
  const store = globalThis as unknown as Record<symbol, Promise<ChartFont> | undefined>;
  store[FONT_KEY] ??= (async () => {
    const files = await readFiles();
    const font = {
      files,
      regular: FontMetrics.fromTtf(files[0]),
      bold: FontMetrics.fromTtf(files[1]),
    };
    const { textMetrics } = vega as unknown as {
      textMetrics: { width: (item: TextItem, text: unknown) => number };
    };
    textMetrics.width = (item, text) => textWidth(font, item, text);
    return font;
  })();
  store[FONT_KEY].catch(() => store[FONT_KEY] = undefined);
  return store[FONT_KEY];
}
