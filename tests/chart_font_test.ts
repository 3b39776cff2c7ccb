import assert from "node:assert/strict";
import * as vega from "vega";
import { chartFont } from "@lib/chart_font.ts";

type Width = (item: Record<string, unknown>, text: unknown) => number;

Deno.test("vega measures chart text with DejaVu Sans, bold for bold weights, 11 px by default", async () => {
  const font = await chartFont();
  const width = (vega as unknown as { textMetrics: { width: Width } }).textMetrics.width;
  const text = "Tr V(uniform) / Tr V(scheme)";
  assert.equal(width({ fontSize: 10 }, text), font.regular.width(text, 10));
  assert.equal(width({}, text), font.regular.width(text, 11));
  for (const fontWeight of ["bold", 700, "600"]) {
    assert.equal(
      width({ fontSize: 13, fontWeight }, text),
      font.bold.width(text, 13),
      String(fontWeight),
    );
  }
  assert.equal(width({ fontSize: 13, fontWeight: "normal" }, text), font.regular.width(text, 13));
  assert.equal(width({ fontSize: 10 }, `  ${text}\n`), font.regular.width(text, 10), "trimmed");
  assert.equal(width({ fontSize: 10 }, null), 0);
  assert.equal(width({ fontSize: 0 }, text), 0);
  assert.ok(font.bold.width(text, 13) > font.regular.width(text, 13));
});

Deno.test("a text with a limit measures at most the limit, so vega's truncation stays exact", async () => {
  const font = await chartFont();
  const width = (vega as unknown as { textMetrics: { width: Width } }).textMetrics.width;
  const label = "presampled upper bound with the switch";
  const full = font.regular.width(label, 10);
  assert.equal(width({ fontSize: 10, limit: 1000 }, label), full);
  assert.equal(width({ fontSize: 10, limit: 50 }, label), 50);
  // the cut vega draws fits the limit: its width plus the ellipsis stays under 50 px
  const view = new vega.View(
    vega.parse({
      width: 60,
      height: 20,
      marks: [{
        type: "text",
        encode: {
          enter: { text: { value: label }, limit: { value: 50 }, fontSize: { value: 10 } },
        },
      }],
    }),
    { renderer: "none" },
  );
  try {
    const drawn = (await view.toSVG()).match(/<text[^>]*>([^<]*)<\/text>/)![1];
    assert.ok(drawn.endsWith("…") && drawn.length < label.length, drawn);
    assert.ok(font.regular.width(drawn, 10) < 50, drawn);
    assert.ok(font.regular.width(label.slice(0, drawn.length) + "…", 10) >= 50, "cut no earlier");
  } finally {
    view.finalize();
  }
});
