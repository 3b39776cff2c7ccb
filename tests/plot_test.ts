import assert from "node:assert/strict";
import { join } from "node:path";
import { Matrix } from "@lib/matrix.ts";
import { chartFont } from "@lib/chart_font.ts";
import {
  barChart,
  CHART_CONFIG,
  chartBundle,
  dashLegend,
  display,
  inJupyter,
  lineChart,
  renderPng,
  renderSvg,
  saveChart,
  scatterChart,
  VEGA_LITE_MIME,
  VEGA_LITE_V5_SCHEMA,
} from "@lib/plot.ts";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const rows = [1, 2, 3, 4].flatMap((step) =>
  ["uniform", "importance"].map((sampler) => ({
    step,
    loss: (sampler === "uniform" ? 2 : 1) / step,
    sampler,
  }))
);

function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

Deno.test("chart builders return plain Vega-Lite with inline data and the fields encoded", () => {
  const options = { x: "step", y: "loss", color: "sampler", title: "Loss" };
  for (
    const spec of [lineChart(rows, options), barChart(rows, options), scatterChart(rows, options)]
  ) {
    assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec, "the spec is plain JSON");
    assert.deepEqual(spec.data.values, rows);
    assert.notEqual(spec.data.values[0], rows[0], "rows are copied, not shared with vega");
    assert.equal(spec.encoding.x.field, "step");
    assert.equal(spec.encoding.y.field, "loss");
    assert.equal(spec.encoding.color.field, "sampler");
    assert.equal(spec.title, "Loss");
  }
  const log = lineChart(rows, {
    x: "step",
    y: "loss",
    title: "t",
    logX: true,
    logY: true,
    yTitle: "L",
  });
  assert.deepEqual(log.encoding.x.scale, { type: "log" });
  assert.deepEqual(log.encoding.y.scale, { type: "log" });
  assert.equal(log.encoding.y.title, "L");
  assert.equal(barChart(rows, options).encoding.xOffset.field, "sampler");
});

Deno.test("chart builders reject missing fields, empty data and non-positive log values", () => {
  assert.throws(
    () => lineChart([], { x: "a", y: "b", title: "t" }),
    /cannot build line chart: no rows/,
  );
  assert.throws(
    () => scatterChart([{ a: 1, b: 1 }, { a: 2 }], { x: "a", y: "b", title: "t" }),
    { name: "RangeError", message: "cannot build scatter chart: row 2 has no field 'b'" },
  );
  assert.throws(
    () => lineChart([{ a: 1, b: 0 }], { x: "a", y: "b", title: "t", logY: true }),
    /log axis needs positive 'b', row 1 has 0/,
  );
  assert.throws(
    () => barChart(rows, { x: "sampler", y: "loss", title: "t", logX: true }),
    RangeError,
  );
});

Deno.test("renderSvg gives a complete SVG that shows the title and axis titles", async () => {
  const svg = await renderSvg(lineChart(rows, { x: "step", y: "loss", title: "Loss curve" }));
  assert.match(svg, /^<svg [^>]*width="\d+"/);
  assert.ok(svg.endsWith("</svg>"));
  for (const text of ["Loss curve", "step", "loss"]) {
    assert.ok(svg.includes(`>${text}</text>`), text);
  }
  assert.equal(
    svg,
    await renderSvg(lineChart(rows, { x: "step", y: "loss", title: "Loss curve" })),
  );
});

Deno.test("renderSvg names the failed action on an invalid spec", async () => {
  const bad = { ...lineChart(rows, { x: "step", y: "loss", title: "t" }), mark: "nonsense" };
  await assert.rejects(renderSvg(bad), /cannot render chart to SVG/);
});

Deno.test("renderPng is deterministic: the same spec gives the same PNG bytes", async () => {
  const spec = lineChart(rows, { x: "step", y: "loss", color: "sampler", title: "Same" });
  const a = await renderPng(spec);
  const b = await renderPng(structuredClone(spec));
  assert.deepEqual([...a.subarray(0, 8)], PNG_MAGIC);
  assert.ok(a.length > 1000, `a real image, not a stub (${a.length} bytes)`);
  assert.deepEqual(a, b);
  const c = await renderPng(
    lineChart(rows, { x: "step", y: "loss", color: "sampler", title: "Other" }),
  );
  assert.notDeepEqual(a, c, "a different title changes the pixels");
});

Deno.test("renderPng takes an SVG string, scales to the asked width, and rejects bad input", async () => {
  const svg = await renderSvg(barChart(rows, { x: "sampler", y: "loss", title: "Bars" }));
  const natural = pngSize(await renderPng(svg));
  assert.equal(natural.width, Number(svg.match(/width="(\d+)"/)![1]));
  const wide = pngSize(await renderPng(svg, { width: natural.width * 2 }));
  assert.equal(wide.width, natural.width * 2);
  assert.ok(Math.abs(wide.height - natural.height * 2) <= 1);
  await assert.rejects(renderPng("not an svg"), TypeError);
  await assert.rejects(renderPng(svg, { width: 0 }), /width must be a positive integer/);
});

Deno.test("chartBundle carries v5 vega-lite, png and text", async () => {
  const spec = lineChart(rows, { x: "step", y: "loss", color: "sampler", title: "Loss" });
  const bundle = await chartBundle(spec);
  assert.deepEqual(Object.keys(bundle).sort(), [VEGA_LITE_MIME, "image/png", "text/plain"].sort());
  const v5 = bundle[VEGA_LITE_MIME];
  assert.equal(v5.$schema, VEGA_LITE_V5_SCHEMA);
  assert.deepEqual((v5.data as { values: unknown[] }).values, rows);
  assert.deepEqual(
    { ...v5, $schema: spec.$schema },
    { ...spec, config: { ...CHART_CONFIG, ...spec.config } },
    "only $schema changes, and the chart config lies under the spec's",
  );
  assert.notEqual(spec.$schema, VEGA_LITE_V5_SCHEMA, "the input spec is not mutated");
  const png = Uint8Array.fromBase64(bundle["image/png"]);
  assert.deepEqual([...png.subarray(0, 8)], PNG_MAGIC);
  assert.deepEqual(png, await renderPng(spec));
  assert.equal(bundle["text/plain"], `Loss (${rows.length} rows)`);
  assert.equal((await chartBundle(spec, { text: "custom" }))["text/plain"], "custom");
});

Deno.test("a spec's own config wins over the chart config, key by key", async () => {
  const spec = {
    ...scatterChart(rows, { x: "step", y: "loss", title: "t" }),
    config: { font: "DejaVu Sans", axis: { labelSeparation: 9, labelFontSize: 12 } },
  };
  const v5 = (await chartBundle(spec))[VEGA_LITE_MIME];
  assert.deepEqual(v5.config, {
    font: "DejaVu Sans",
    axis: { labelSeparation: 9, labelFontSize: 12 },
  });
  const bare = (await chartBundle({ ...spec, config: undefined }))[VEGA_LITE_MIME];
  assert.deepEqual(bare.config, CHART_CONFIG);
});

Deno.test("a long title sets the chart's width to its width in DejaVu Sans Bold, as a browser does", async () => {
  const title = "A title much longer than the plot is wide, as a chart's subtitle often is";
  const spec = { ...scatterChart(rows, { x: "step", y: "loss", title }), width: 100 };
  const svg = await renderSvg(spec);
  const width = Number(svg.match(/^<svg [^>]*width="(\d+)"/)![1]);
  // vega-lite titles are 13 px bold; vega pads the view by 5 px on each side
  const measured = (await chartFont()).bold.width(title, 13);
  assert.ok(Math.abs(width - (measured + 10)) <= 1, `${width} px for a ${measured} px title`);
  assert.ok(width < 0.8 * 13 * title.length, "narrower than vega's 0.8 em per character guess");
  const png = pngSize(await renderPng(spec));
  assert.equal(png.width, width, "the PNG is drawn at the SVG's (and vega-embed's) size");
});

Deno.test("a dash legend draws a line sample for every dash pattern beside points", async () => {
  const values = [1, 2].flatMap((x) =>
    ["measured", "τ"].map((kind) => ({ x, y: x, kind, series: `${kind} series` }))
  );
  const chart = (legend: Record<string, unknown>) => ({
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
      color: { field: "series", type: "nominal" },
      strokeDash: {
        field: "kind",
        type: "nominal",
        scale: { domain: ["measured", "τ"], range: [[1, 0], [5, 3]] },
        legend,
      },
    },
  });
  /** The legend symbols that carry a dash pattern: the strokeDash legend's samples. */
  const samples = async (legend: Record<string, unknown>) =>
    [...(await renderSvg(chart(legend) as never)).matchAll(/<path [^>]*stroke-dasharray[^>]*>/g)]
      .map((m) => m[0]).filter((path) => path.includes('d="M-5,0L5,0"'));
  const drawn = await samples(dashLegend({ color: "#123456" }));
  assert.equal(drawn.length, 2);
  assert.ok(drawn.every((path) => path.includes('stroke="#123456"')), drawn.join("\n"));
  assert.deepEqual(drawn.map((path) => path.match(/stroke-dasharray="([^"]*)"/)![1]), [
    "1,0",
    "5,3",
  ]);
  const bare = await samples({ symbolType: "stroke" });
  assert.equal(bare.length, 2);
  assert.ok(bare.every((path) => !path.includes("stroke=")), "vega-lite's own draws no line");
});

Deno.test("chartBundle refuses a spec whose data is not inline", async () => {
  const spec = { ...lineChart(rows, { x: "step", y: "loss", title: "t" }) };
  const remote = { ...spec, data: { url: "https://example.org/x.csv" } };
  await assert.rejects(chartBundle(remote as never), /data must be inline values/);
});

Deno.test("display prints the text/plain of bundles, texts and displayables outside the kernel", async () => {
  assert.equal(inJupyter(), false);
  const printed: unknown[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    await display(await chartBundle(scatterChart(rows, { x: "step", y: "loss", title: "Dots" })));
    await display("plain text");
    await display(Matrix.from([[1, 2]]));
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, [
    `Dots (${rows.length} rows)`,
    "plain text",
    (Matrix.from([[1, 2]]) as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ]()["text/plain"],
  ]);
});

Deno.test("saveChart writes matching .svg and .png files and no temp files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sgdlab_plot_test_" });
  try {
    const spec = lineChart(rows, { x: "step", y: "loss", title: "Saved" });
    const paths = await saveChart(spec, join(dir, "sub", "loss"));
    assert.deepEqual(paths, {
      svg: join(dir, "sub", "loss.svg"),
      png: join(dir, "sub", "loss.png"),
    });
    assert.equal(await Deno.readTextFile(paths.svg), await renderSvg(spec));
    assert.deepEqual(await Deno.readFile(paths.png), await renderPng(spec));
    assert.deepEqual([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name).sort(), [
      "loss.png",
      "loss.svg",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
