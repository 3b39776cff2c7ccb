/**
 * Charts: small Vega-Lite spec builders, headless SVG and PNG rendering, and the Jupyter display
 * bundle (Vega-Lite v5 spec + PNG + text) that JupyterLab, VS Code and GitHub all show.
 *
 * ```ts
 * import { chartBundle, lineChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 *
 * const rows = [1, 2, 3].map((step) => ({ step, loss: 1 / step }));
 * const spec = lineChart(rows, { x: "step", y: "loss", title: "Training loss" });
 * const bundle = await chartBundle(spec);
 * assert.equal(bundle["text/plain"], "Training loss (3 rows)");
 * // In a notebook cell, `await display(bundle);` shows the chart.
 * ```
 *
 * @module
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { writeFileAtomic } from "./io.ts";
import { chartFont } from "./chart_font.ts";
import { inJupyter } from "./in_jupyter.ts";

export { inJupyter };

export { FONT_DIR } from "./chart_font.ts";

/** A single-view Vega-Lite spec with inline data, as the builders here return it. */
export interface ChartSpec {
  $schema: string;
  title: string;
  width: number;
  height: number;
  data: { values: Record<string, unknown>[] };
  mark: string | Record<string, unknown>;
  encoding: Record<string, Record<string, unknown>>;
  config?: Record<string, unknown>;
}

/** Any Vega-Lite spec the renderers take: a builder's {@linkcode ChartSpec} or a typed one. */
export type VegaLiteSpec = ChartSpec | TopLevelSpec;

/** A data row of a chart: field name → value. */
export type ChartRow = Readonly<Record<string, unknown>>;

/** Options shared by {@linkcode lineChart}, {@linkcode barChart} and {@linkcode scatterChart}. */
export interface ChartOptions {
  /** Field on the horizontal axis. */
  x: string;
  /** Field on the vertical axis. */
  y: string;
  /** Field whose values split the rows into coloured series. */
  color?: string;
  /** Chart title (also the first words of the text/plain output). */
  title: string;
  /** Axis titles; default to the field names. */
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic axes; every value on such an axis must be positive. */
  logX?: boolean;
  logY?: boolean;
  /** Plot area size in pixels (default 480 × 300). */
  width?: number;
  height?: number;
}

/** The Vega-Lite schema the builders write (the compiler's major version). */
export const VEGA_LITE_V6_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** The Vega-Lite schema notebook frontends understand; {@linkcode chartBundle} writes it. */
export const VEGA_LITE_V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** The MIME type of the chart in a display bundle. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
/**
 * The look every chart shares, under the spec's own `config` (which wins): the DejaVu Sans font,
 * and axis labels that keep 4 px apart (vega hides the ones that would come closer), so that
 * neighbours such as "0.0001" and "0.001" never touch. {@linkcode renderSvg} and
 * {@linkcode chartBundle} apply it, so the PNG and vega-embed draw the same chart.
 */
export const CHART_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  font: "DejaVu Sans",
  axis: { labelSeparation: 4 },
});

/** A copy of `spec` whose `config` lies over {@linkcode CHART_CONFIG} (merged one level deep). */
function withChartConfig(spec: VegaLiteSpec): Record<string, unknown> {
  const copy = structuredClone(spec) as unknown as Record<string, unknown>;
  const own = (copy.config ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = { ...CHART_CONFIG, ...own };
  for (const [key, value] of Object.entries(CHART_CONFIG)) {
    const mine = own[key];
    if (isPlainObject(value) && isPlainObject(mine)) config[key] = { ...value, ...mine };
  }
  copy.config = config;
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type FieldType = "quantitative" | "nominal";

function fieldType(rows: readonly ChartRow[], field: string): FieldType {
  return rows.every((row) => typeof row[field] === "number" || row[field] === null)
    ? "quantitative"
    : "nominal";
}

function checkRows(kind: string, rows: readonly ChartRow[], options: ChartOptions): void {
  if (rows.length === 0) throw new RangeError(`cannot build ${kind}: no rows`);
  const fields = [options.x, options.y, ...(options.color === undefined ? [] : [options.color])];
  rows.forEach((row, i) => {
    for (const field of fields) {
      if (!(field in row)) {
        throw new RangeError(`cannot build ${kind}: row ${i + 1} has no field '${field}'`);
      }
    }
    for (const [log, field] of [[options.logX, options.x], [options.logY, options.y]] as const) {
      const value = row[field];
      if (log && !(typeof value === "number" && value > 0)) {
        throw new RangeError(
          `cannot build ${kind}: a log axis needs positive '${field}', row ${i + 1} has ${
            String(value)
          }`,
        );
      }
    }
  });
}

interface Shape {
  kind: string;
  mark: string | Record<string, unknown>;
  /** Category x axis (bars). */
  nominalX?: boolean;
}

function axis(field: string, type: FieldType, title?: string, log?: boolean, zero = false) {
  const scale = log ? { type: "log" } : type === "quantitative" ? { zero } : undefined;
  const labels = type === "nominal" ? { axis: { labelAngle: 0 } } : {};
  return { field, type, title: title ?? field, ...(scale ? { scale } : {}), ...labels };
}

function xyChart(shape: Shape, rows: readonly ChartRow[], options: ChartOptions): ChartSpec {
  const { kind, mark, nominalX = false } = shape;
  if (nominalX && options.logX) throw new RangeError(`cannot build ${kind}: no log x axis`);
  checkRows(kind, rows, options);
  const xType = nominalX ? "nominal" : fieldType(rows, options.x);
  const encoding: Record<string, Record<string, unknown>> = {
    x: axis(options.x, xType, options.xTitle, options.logX),
    y: axis(options.y, fieldType(rows, options.y), options.yTitle, options.logY, nominalX),
  };
  if (options.color !== undefined) {
    encoding.color = { field: options.color, type: "nominal", title: options.color };
    if (nominalX) encoding.xOffset = { field: options.color };
  }
  return {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: options.title,
    width: options.width ?? 480,
    height: options.height ?? 300,
    data: { values: rows.map((row) => ({ ...row })) },
    mark,
    encoding,
    config: { font: "DejaVu Sans" },
  };
}

/**
 * Side-by-side panels over one table: the project's schema, title, the rows inlined once and
 * the chart font around `hconcat` (each panel filters or encodes the shared data itself).
 *
 * @example
 * ```ts
 * import { panelsChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const spec = panelsChart([{ a: 1 }], { title: "T", panels: [{ mark: "point" }, { mark: "bar" }] });
 * assert.equal(spec.hconcat.length, 2);
 * assert.deepEqual(spec.data.values, [{ a: 1 }]);
 * ```
 */
export function panelsChart(
  rows: readonly ChartRow[],
  options: { title: string | Record<string, unknown>; panels: Record<string, unknown>[] },
): {
  $schema: string;
  title: string | Record<string, unknown>;
  data: { values: Record<string, unknown>[] };
  config: Record<string, unknown>;
  hconcat: Record<string, unknown>[];
} {
  return {
    $schema: VEGA_LITE_V6_SCHEMA,
    title: options.title,
    data: { values: rows.map((row) => ({ ...row })) },
    config: { font: "DejaVu Sans" },
    hconcat: options.panels,
  };
}

/** Legend symbol properties, as Vega-Lite's `legend.encoding.symbols` takes them. */
type SymbolEncoding = Record<"fill" | "fillOpacity" | "opacity" | "stroke", { value: unknown }>;

/**
 * The legend of a `strokeDash` channel: one short line sample per dash pattern, in `color`.
 * Vega-Lite's own legend for it (even with `symbolType: "stroke"`) draws the samples with no
 * stroke when the mark also shows points (`point: true`): only the labels show. The symbols'
 * encoding sets all four properties that the point layer's legend sets, so that the line and
 * point layers agree and Vega-Lite warns of no conflict.
 *
 * @example
 * ```ts
 * import { dashLegend, renderSvg } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const values = [{ x: 1, y: 1, kind: "a" }, { x: 2, y: 2, kind: "a" }];
 * const svg = await renderSvg({
 *   data: { values },
 *   mark: { type: "line", point: true },
 *   encoding: {
 *     x: { field: "x", type: "quantitative" },
 *     y: { field: "y", type: "quantitative" },
 *     strokeDash: { field: "kind", type: "nominal", legend: dashLegend({ color: "#123456" }) },
 *   },
 * });
 * assert.match(svg, /d="M-5,0L5,0"[^>]*stroke="#123456"/);
 * ```
 */
export function dashLegend(options: { color?: string } = {}): {
  symbolType: "stroke";
  symbolStrokeWidth: number;
  encoding: { symbols: SymbolEncoding };
} {
  return {
    symbolType: "stroke",
    symbolStrokeWidth: 2,
    encoding: {
      symbols: {
        fill: { value: "transparent" },
        fillOpacity: { value: 1 },
        opacity: { value: 1 },
        stroke: { value: options.color ?? "#555" },
      },
    },
  };
}

/**
 * A line chart of `y` against `x`, one line per value of `color`.
 *
 * @throws {RangeError} when there are no rows, a row lacks a field, or a log axis meets a
 * non-positive value
 *
 * @example
 * ```ts
 * import { lineChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const rows = [{ step: 1, loss: 2, sampler: "uniform" }, { step: 2, loss: 1, sampler: "uniform" }];
 * const spec = lineChart(rows, { x: "step", y: "loss", color: "sampler", title: "Loss", logY: true });
 * assert.deepEqual(spec.mark, { type: "line", point: true });
 * assert.equal(spec.data.values.length, 2);
 * assert.throws(() => lineChart(rows, { x: "step", y: "lr", title: "?" }), /row 1 has no field 'lr'/);
 * ```
 */
export function lineChart(rows: readonly ChartRow[], options: ChartOptions): ChartSpec {
  return xyChart({ kind: "line chart", mark: { type: "line", point: true } }, rows, options);
}

/**
 * A bar chart: one bar per `x` category (treated as nominal), grouped side by side by `color`.
 * A log `x` axis is not supported.
 *
 * @throws {RangeError} as {@linkcode lineChart}, and when `logX` is set
 *
 * @example
 * ```ts
 * import { barChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const spec = barChart([{ layer: 1, flops: 10 }, { layer: 2, flops: 30 }], {
 *   x: "layer",
 *   y: "flops",
 *   title: "FLOPs per layer",
 * });
 * assert.equal(spec.mark, "bar");
 * assert.equal(spec.encoding.x.type, "nominal");
 * ```
 */
export function barChart(rows: readonly ChartRow[], options: ChartOptions): ChartSpec {
  return xyChart({ kind: "bar chart", mark: "bar", nominalX: true }, rows, options);
}

/**
 * A scatter chart of filled points, coloured by `color`.
 *
 * @throws {RangeError} as {@linkcode lineChart}
 *
 * @example
 * ```ts
 * import { scatterChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const spec = scatterChart([{ score: 0.5, norm: 1.2 }], { x: "score", y: "norm", title: "Scores" });
 * assert.deepEqual(spec.mark, { type: "point", filled: true });
 * ```
 */
export function scatterChart(rows: readonly ChartRow[], options: ChartOptions): ChartSpec {
  return xyChart({ kind: "scatter chart", mark: { type: "point", filled: true } }, rows, options);
}

/**
 * Renders a Vega-Lite spec to an SVG string headlessly (vega-lite compile, vega View with
 * renderer "none"), with {@linkcode CHART_CONFIG} under the spec's config and text measured in
 * the chart font (see `chart_font.ts`), so that the layout is the one vega-embed draws in a
 * browser. Needs `--allow-read` (the font).
 *
 * @throws {Error} when the spec does not compile or render, or the font is missing
 *
 * @example
 * ```ts
 * import { lineChart, renderSvg } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const svg = await renderSvg(lineChart([{ a: 1, b: 2 }, { a: 2, b: 3 }], { x: "a", y: "b", title: "T" }));
 * assert.match(svg, /^<svg /);
 * assert.match(svg, />T<\/text>/);
 * ```
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  let view: vega.View | undefined;
  await chartFont();
  try {
    const compiled = compile(withChartConfig(spec) as unknown as TopLevelSpec).spec;
    view = new vega.View(vega.parse(compiled), { renderer: "none" });
    return await view.toSVG();
  } catch (error) {
    throw new Error(`cannot render chart to SVG: ${(error as Error).message}`, { cause: error });
  } finally {
    view?.finalize();
  }
}

const WASM_KEY = Symbol.for("sgdlab.plot.resvgWasm");

/** Initialises resvg's WebAssembly once per process, even across re-imports of this module. */
function resvgReady(): Promise<void> {
  const store = globalThis as unknown as Record<symbol, Promise<void> | undefined>;
  store[WASM_KEY] ??= (async () => {
    const url = import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm");
    await initWasm(await Deno.readFile(new URL(url)));
  })();
  store[WASM_KEY].catch(() => store[WASM_KEY] = undefined);
  return store[WASM_KEY];
}

/**
 * Renders a Vega-Lite spec, or an SVG string, to PNG bytes with resvg (WebAssembly) and the
 * DejaVu Sans font. The same input always gives the same bytes. Needs `--allow-read`.
 *
 * @param options.width output width in pixels (default: the SVG's own width)
 * @throws {Error} naming `apt-get install fonts-dejavu-core` when the font is missing
 *
 * @example
 * ```ts
 * import { barChart, renderPng } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const spec = barChart([{ k: "a", v: 1 }, { k: "b", v: 2 }], { x: "k", y: "v", title: "Bars" });
 * const png = await renderPng(spec, { width: 300 });
 * assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
 * assert.equal(new DataView(png.buffer, png.byteOffset).getUint32(16), 300); // IHDR width
 * ```
 */
export async function renderPng(
  specOrSvg: VegaLiteSpec | string,
  options: { width?: number } = {},
): Promise<Uint8Array> {
  const svg = typeof specOrSvg === "string" ? specOrSvg : await renderSvg(specOrSvg);
  if (!svg.trimStart().startsWith("<svg")) {
    throw new TypeError("cannot render PNG: the string given is not an SVG document");
  }
  if (options.width !== undefined && !(Number.isInteger(options.width) && options.width > 0)) {
    throw new RangeError(
      `cannot render PNG: width must be a positive integer, got ${options.width}`,
    );
  }
  const fontBuffers = (await chartFont()).files;
  await resvgReady();
  const resvg = new Resvg(svg, {
    fitTo: options.width === undefined
      ? { mode: "original" }
      : { mode: "width", value: options.width },
    font: { fontBuffers, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/** What Jupyter shows for a chart: the v5 spec, a PNG fallback and a line of text. */
export interface ChartBundle {
  [VEGA_LITE_MIME]: Record<string, unknown>;
  /** Base64 PNG bytes. */
  "image/png": string;
  "text/plain": string;
  [mime: string]: unknown;
}

function inlineRows(spec: Record<string, unknown>): number {
  const data = spec.data as { values?: unknown; url?: unknown } | undefined;
  if (data?.url !== undefined) {
    throw new RangeError(
      `cannot build chart bundle: data must be inline values, not the URL ${String(data.url)}`,
    );
  }
  return Array.isArray(data?.values) ? data.values.length : 0;
}

function titleOf(spec: Record<string, unknown>): string {
  const title = spec.title as string | { text?: unknown } | undefined;
  if (typeof title === "string") return title;
  if (title !== undefined && title.text !== undefined) return String(title.text);
  return "Chart";
}

/**
 * Builds the MIME bundle to display a chart: `application/vnd.vegalite.v5+json` (the spec with
 * its `$schema` rewritten to v5, data inline, {@linkcode CHART_CONFIG} under its config),
 * `image/png` (base64, drawn at the size vega-embed draws the spec) and `text/plain` (the given
 * text, or the title and the row count).
 *
 * @throws {RangeError} when the spec loads its data from a URL
 *
 * @example
 * ```ts
 * import { chartBundle, scatterChart, VEGA_LITE_V5_SCHEMA } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const spec = scatterChart([{ a: 1, b: 2 }], { x: "a", y: "b", title: "Points" });
 * const bundle = await chartBundle(spec);
 * assert.deepEqual(Object.keys(bundle).sort(), [
 *   "application/vnd.vegalite.v5+json",
 *   "image/png",
 *   "text/plain",
 * ]);
 * assert.equal(bundle["application/vnd.vegalite.v5+json"].$schema, VEGA_LITE_V5_SCHEMA);
 * assert.equal(bundle["text/plain"], "Points (1 row)");
 * assert.equal((await chartBundle(spec, { text: "see above" }))["text/plain"], "see above");
 * ```
 */
export async function chartBundle(
  spec: VegaLiteSpec,
  options: { text?: string; width?: number } = {},
): Promise<ChartBundle> {
  const v5 = withChartConfig(spec);
  const n = inlineRows(v5);
  v5.$schema = VEGA_LITE_V5_SCHEMA;
  const png = await renderPng(spec, { width: options.width });
  return {
    [VEGA_LITE_MIME]: v5,
    "image/png": png.toBase64(),
    "text/plain": options.text ?? `${titleOf(v5)} (${n} ${n === 1 ? "row" : "rows"})`,
  };
}

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

type DisplayMethod = () => Record<string, unknown> | Promise<Record<string, unknown>>;

function displayMethod(value: object): DisplayMethod | undefined {
  const method = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
  return typeof method === "function" ? method.bind(value) as DisplayMethod : undefined;
}

/**
 * Shows a MIME bundle, a text, or an object with a `Symbol.for("Jupyter.display")` method
 * (such as a `Matrix`). In the Jupyter kernel it publishes the bundle with
 * `Deno.jupyter.display(bundle, { raw: true })` and then waits ~5 ms, so that headless runs do
 * not lose the output; elsewhere it prints the bundle's `text/plain` to the console.
 *
 * @example
 * ```ts
 * import { display } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const printed: unknown[] = [];
 * const log = console.log;
 * console.log = (...args: unknown[]) => printed.push(...args);
 * try {
 *   await display({ "text/plain": "loss 0.25", "text/html": "<b>loss</b> 0.25" });
 *   await display("done");
 *   await display({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "self" }) });
 * } finally {
 *   console.log = log;
 * }
 * assert.deepEqual(printed, ["loss 0.25", "done", "self"]);
 * ```
 */
export async function display(bundleOrText: object | string): Promise<void> {
  const method = typeof bundleOrText === "string" ? undefined : displayMethod(bundleOrText);
  const bundle: Record<string, unknown> = typeof bundleOrText === "string"
    ? { "text/plain": bundleOrText }
    : method
    ? await method()
    : bundleOrText as Record<string, unknown>;
  if (inJupyter()) {
    await Deno.jupyter.display(bundle as Deno.jupyter.MediaBundle, { raw: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
  } else {
    const text = bundle["text/plain"];
    console.log(typeof text === "string" ? text : JSON.stringify(bundle));
  }
}

/**
 * Renders a chart and writes `<path>.svg` and `<path>.png` atomically (the PNG is rasterised
 * from that same SVG). Returns both paths.
 *
 * @example
 * ```ts
 * import { lineChart, saveChart } from "@lib/plot.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const spec = lineChart([{ t: 0, v: 1 }, { t: 1, v: 0 }], { x: "t", y: "v", title: "Decay" });
 * const paths = await saveChart(spec, `${dir}/decay`);
 * assert.deepEqual(paths, { svg: `${dir}/decay.svg`, png: `${dir}/decay.png` });
 * assert.match(await Deno.readTextFile(paths.svg), /^<svg /);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveChart(
  spec: VegaLiteSpec,
  pathWithoutExt: string,
  options: { width?: number } = {},
): Promise<{ svg: string; png: string }> {
  const svg = await renderSvg(spec);
  const png = await renderPng(svg, options);
  const paths = { svg: `${pathWithoutExt}.svg`, png: `${pathWithoutExt}.png` };
  await writeFileAtomic(paths.svg, svg);
  await writeFileAtomic(paths.png, png);
  return paths;
}
