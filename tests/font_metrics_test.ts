import assert from "node:assert/strict";
import { FontMetrics } from "@lib/font_metrics.ts";
import { chartFont } from "@lib/chart_font.ts";

/** A TrueType file with only the tables FontMetrics reads: head, hhea, hmtx and one cmap. */
function tinyFont(cmap: Uint8Array, advances: number[], metrics = advances.length): Uint8Array {
  const head = new Uint8Array(54);
  new DataView(head.buffer).setUint16(18, 1000); // unitsPerEm
  const hhea = new Uint8Array(36);
  new DataView(hhea.buffer).setUint16(34, metrics); // numberOfHMetrics
  const hmtx = new Uint8Array(4 * metrics);
  advances.slice(0, metrics).forEach((a, i) => new DataView(hmtx.buffer).setUint16(4 * i, a));
  const tables: [string, Uint8Array][] = [["cmap", cmap], ["head", head], ["hhea", hhea], [
    "hmtx",
    hmtx,
  ]];
  const out = new Uint8Array(
    12 + 16 * tables.length + tables.reduce((n, [, t]) => n + t.length, 0),
  );
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00010000);
  view.setUint16(4, tables.length);
  let at = 12 + 16 * tables.length;
  tables.forEach(([tag, bytes], i) => {
    [...tag].forEach((c, k) => view.setUint8(12 + 16 * i + k, c.charCodeAt(0)));
    view.setUint32(12 + 16 * i + 8, at);
    view.setUint32(12 + 16 * i + 12, bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  });
  return out;
}

/** A cmap with one (3,1) format 4 subtable of the given segments. */
function format4Cmap(segments: { start: number; end: number; delta: number; glyphs?: number[] }[]) {
  const all = [...segments, { start: 0xffff, end: 0xffff, delta: 1 }];
  const n = all.length;
  const glyphs = segments.flatMap((s) => s.glyphs ?? []);
  const sub = new Uint8Array(16 + 8 * n + 2 * glyphs.length);
  const v = new DataView(sub.buffer);
  v.setUint16(0, 4);
  v.setUint16(2, sub.length);
  v.setUint16(6, 2 * n);
  let glyphAt = 0;
  all.forEach((s, i) => {
    v.setUint16(14 + 2 * i, s.end);
    v.setUint16(16 + 2 * n + 2 * i, s.start);
    v.setUint16(16 + 4 * n + 2 * i, s.delta & 0xffff);
    const rangeAt = 16 + 6 * n + 2 * i;
    if ("glyphs" in s && s.glyphs) {
      v.setUint16(rangeAt, 16 + 8 * n + 2 * glyphAt - rangeAt);
      s.glyphs.forEach((g, k) => v.setUint16(16 + 8 * n + 2 * (glyphAt + k), g));
      glyphAt += s.glyphs.length;
    }
  });
  const cmap = new Uint8Array(12 + sub.length);
  const c = new DataView(cmap.buffer);
  c.setUint16(2, 1);
  c.setUint16(4, 3);
  c.setUint16(6, 1);
  c.setUint32(8, 12);
  cmap.set(sub, 12);
  return cmap;
}

Deno.test("a format 4 cmap maps code points by delta and through the glyph array", () => {
  // 'a'..'c' → glyphs 1..3 by delta; 'x'..'y' → glyphs 5, 4 through the array; the rest → 0
  const cmap = format4Cmap([
    { start: 0x61, end: 0x63, delta: 1 - 0x61 },
    { start: 0x78, end: 0x79, delta: 0, glyphs: [5, 4] },
  ]);
  const font = FontMetrics.fromTtf(tinyFont(cmap, [500, 100, 200, 300, 400, 600]));
  assert.deepEqual([..."abcxy?"].map((c) => font.advance(c.codePointAt(0)!)), [
    100,
    200,
    300,
    600,
    400,
    500,
  ]);
  assert.equal(font.width("abc", 10), (100 + 200 + 300) * 10 / 1000);
});

Deno.test("glyphs past the last horizontal metric take its advance, as the format says", () => {
  const cmap = format4Cmap([{ start: 0x61, end: 0x64, delta: 1 - 0x61 }]);
  const font = FontMetrics.fromTtf(tinyFont(cmap, [500, 100, 200], 3)); // glyphs 3, 4 share 200
  assert.deepEqual([..."abcd"].map((c) => font.advance(c.codePointAt(0)!)), [100, 200, 200, 200]);
});

Deno.test("fromTtf refuses bytes that are not a TrueType font with the tables it reads", () => {
  assert.throws(() => FontMetrics.fromTtf(new TextEncoder().encode("<svg>not a font</svg>")), {
    name: "RangeError",
    message: "cannot read font metrics: not a TrueType font",
  });
  const noHmtx = tinyFont(format4Cmap([]), [500]);
  noHmtx.set(new TextEncoder().encode("xxxx"), 12 + 16 * 3); // rename the hmtx record
  assert.throws(() => FontMetrics.fromTtf(noHmtx), /the font has no 'hmtx' table/);
});

Deno.test("DejaVu Sans widths equal Chromium's canvas measureText (kerning off) for the same font", async () => {
  // Chromium 156, `ctx.font = "100px 'DejaVu Sans'"` (and bold), `ctx.fontKerning = "none"`
  const { regular, bold } = await chartFont();
  const measured: [typeof regular, string, number][] = [
    [regular, "a", 61.279],
    [regular, "W", 98.877],
    [regular, " ", 31.787],
    [regular, "θ", 61.182],
    [regular, "‖", 50],
    [regular, "N · p of the exact gradient norm (log)", 1875.83],
    [bold, "W", 110.303],
    [bold, "Sampling probability", 1177.49],
  ];
  for (const [font, text, width] of measured) {
    assert.ok(Math.abs(font.width(text, 100) - width) < 5e-4, `${text}: ${font.width(text, 100)}`);
  }
});
