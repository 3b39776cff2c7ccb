/**
 * Advance widths of a TrueType font, read from its `cmap`, `hhea`, `hmtx` and `head` tables, to
 * measure text as a browser's canvas does (without kerning). The charts use it so that the
 * headless layout sizes titles, legends and axis labels as vega-embed does in a browser, instead
 * of vega's canvas-less estimate of 0.8 × font size per character.
 *
 * @module
 */

/** Code point → glyph index, from the font's Unicode `cmap` subtable. */
type GlyphMap = (codePoint: number) => number;

function table(view: DataView, tag: string): number {
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const name = String.fromCharCode(
      ...[0, 1, 2, 3].map((k) => view.getUint8(record + k)),
    );
    if (name === tag) return view.getUint32(record + 8);
  }
  throw new RangeError(`cannot read font metrics: the font has no '${tag}' table`);
}

/** A format 4 (BMP segments) subtable. */
function format4(view: DataView, at: number): GlyphMap {
  const segments = view.getUint16(at + 6) / 2;
  const ends = at + 14, starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments, offsets = deltas + 2 * segments;
  return (c) => {
    for (let s = 0; s < segments; s++) {
      if (c > view.getUint16(ends + 2 * s)) continue;
      const start = view.getUint16(starts + 2 * s);
      if (c < start) return 0;
      const delta = view.getUint16(deltas + 2 * s);
      const rangeOffset = view.getUint16(offsets + 2 * s);
      if (rangeOffset === 0) return (c + delta) & 0xffff;
      const glyph = view.getUint16(offsets + 2 * s + rangeOffset + 2 * (c - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
}

/** A format 12 (segmented coverage, all planes) subtable. */
function format12(view: DataView, at: number): GlyphMap {
  const groups = view.getUint32(at + 12);
  return (c) => {
    for (let g = 0; g < groups; g++) {
      const group = at + 16 + 12 * g;
      const start = view.getUint32(group), end = view.getUint32(group + 4);
      if (c >= start && c <= end) return view.getUint32(group + 8) + (c - start);
    }
    return 0;
  };
}

function glyphMap(view: DataView): GlyphMap {
  const cmap = table(view, "cmap");
  const subtables = new Map<string, number>();
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + 8 * i;
    const key = `${view.getUint16(record)}/${view.getUint16(record + 2)}`;
    subtables.set(key, cmap + view.getUint32(record + 4));
  }
  for (const key of ["3/10", "0/4", "3/1", "0/3"]) {
    const at = subtables.get(key);
    if (at === undefined) continue;
    const format = view.getUint16(at);
    if (format === 12) return format12(view, at);
    if (format === 4) return format4(view, at);
  }
  throw new RangeError("cannot read font metrics: the font has no Unicode cmap of format 4 or 12");
}

/**
 * The advance widths of one TrueType font. Widths are in pixels for a given font size; a code
 * point the font lacks counts as its `.notdef` glyph, as it is drawn.
 *
 * @example
 * ```ts
 * import { FontMetrics } from "@lib/font_metrics.ts";
 * import { chartFont } from "@lib/chart_font.ts";
 * import assert from "node:assert/strict";
 * const { files } = await chartFont(); // DejaVu Sans: regular, bold
 * const font = FontMetrics.fromTtf(files[0]);
 * assert.equal(font.unitsPerEm, 2048);
 * assert.equal(font.advance("a".codePointAt(0)!), 1255);
 * assert.equal(font.width("", 11), 0);
 * assert.equal(font.width("ab", 11), font.width("a", 11) + font.width("b", 11));
 * ```
 */
export class FontMetrics {
  readonly #view: DataView;
  readonly #glyph: GlyphMap;
  readonly #hmtx: number;
  readonly #metrics: number;
  readonly #advances = new Map<number, number>();
  /** Font units per em (2048 for DejaVu Sans). */
  readonly unitsPerEm: number;

  private constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.unitsPerEm = this.#view.getUint16(table(this.#view, "head") + 18);
    this.#metrics = this.#view.getUint16(table(this.#view, "hhea") + 34);
    this.#hmtx = table(this.#view, "hmtx");
    this.#glyph = glyphMap(this.#view);
  }

  /**
   * Reads the metrics of a TrueType (`.ttf`) file.
   *
   * @throws {RangeError} when the bytes are not a TrueType font with the tables needed
   */
  static fromTtf(bytes: Uint8Array): FontMetrics {
    const tag = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
    if (bytes.byteLength < 12 || (tag !== 0x00010000 && tag !== 0x74727565)) {
      throw new RangeError("cannot read font metrics: not a TrueType font");
    }
    return new FontMetrics(bytes);
  }

  /** The advance of one code point, in font units. */
  advance(codePoint: number): number {
    let units = this.#advances.get(codePoint);
    if (units === undefined) {
      const index = Math.min(this.#glyph(codePoint), this.#metrics - 1);
      units = this.#view.getUint16(this.#hmtx + 4 * index);
      this.#advances.set(codePoint, units);
    }
    return units;
  }

  /** The width of `text` set at `fontSize` pixels, summing advances (no kerning). */
  width(text: string, fontSize: number): number {
    let units = 0;
    for (const char of text) units += this.advance(char.codePointAt(0)!);
    return (units * fontSize) / this.unitsPerEm;
  }
}
