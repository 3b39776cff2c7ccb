/**
 * Files: CSV tables through d3-dsv, atomic writes, and the repository's `results/` folder.
 *
 * Numbers are written with `String(x)` (the shortest text that reads back as the same double),
 * so a CSV round trip of doubles is exact and the same rows always give the same bytes.
 *
 * @module
 */

// @ts-types="npm:@types/d3-dsv@^3"
import { csvFormatRows, csvParseRows } from "d3-dsv";
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from "node:path";

/** One CSV field: numbers, strings, booleans, and `null` for an empty field. */
export type CsvValue = number | string | boolean | null;

/** One CSV row: column name → value. */
export type CsvRow = Record<string, CsvValue>;

/** Options of {@linkcode formatCsv} and {@linkcode writeCsv}. */
export interface CsvOptions {
  /** Columns in order; by default the keys of the first row. Extra keys of a row are left out. */
  columns?: readonly string[];
}

/**
 * The text of a number that parses back to the same double, `-0` included.
 *
 * @example
 * ```ts
 * import { formatNumber } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatNumber(0.1 + 0.2), "0.30000000000000004");
 * assert.equal(formatNumber(-0), "-0");
 * assert.equal(Number(formatNumber(1 / 3)), 1 / 3);
 * ```
 */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? "-0" : String(x);
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?Infinity$|^NaN$/;

/**
 * Reads one CSV field: numeric text becomes a number, `true`/`false` a boolean, an empty field
 * `null`, and anything else stays a string.
 *
 * @example
 * ```ts
 * import { parseCsvValue } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseCsvValue("1e-7"), 1e-7);
 * assert.ok(Object.is(parseCsvValue("-0"), -0));
 * assert.equal(parseCsvValue(""), null);
 * assert.equal(parseCsvValue("relu"), "relu");
 * ```
 */
export function parseCsvValue(text: string): CsvValue {
  if (text === "") return null;
  if (text === "true") return true;
  if (text === "false") return false;
  return NUMBER.test(text) ? Number(text) : text;
}

function formatValue(value: unknown, row: number, column: string): string {
  switch (typeof value) {
    case "number":
      return formatNumber(value);
    case "string":
      return value;
    case "boolean":
      return String(value);
    case "undefined":
      throw new RangeError(`cannot write CSV: row ${row} has no column '${column}'`);
    default:
      if (value === null) return "";
      throw new TypeError(
        `cannot write CSV: row ${row}, column '${column}' holds a ${typeof value}, not a number, string, boolean or null`,
      );
  }
}

/**
 * Formats rows as CSV text with a header line and a final newline. Rows are numbered from 1 in
 * error messages.
 *
 * @throws {RangeError} when a row lacks a column, or there are neither rows nor columns
 * @throws {TypeError} when a value is not a number, string, boolean or null
 *
 * @example
 * ```ts
 * import { formatCsv } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const text = formatCsv([{ step: 1, loss: 0.5, note: "a,b" }, { step: 2, loss: 0.25, note: "" }]);
 * assert.equal(text, 'step,loss,note\n1,0.5,"a,b"\n2,0.25,\n');
 * assert.throws(() => formatCsv([{ step: 1 }], { columns: ["step", "loss"] }), /row 1 has no column 'loss'/);
 * ```
 */
export function formatCsv(
  rows: readonly Readonly<Record<string, unknown>>[],
  options: CsvOptions = {},
): string {
  const columns = options.columns ?? (rows.length > 0 ? Object.keys(rows[0]) : undefined);
  if (columns === undefined) {
    throw new RangeError("cannot write CSV: no rows and no columns");
  }
  if (columns.length === 0) throw new RangeError("cannot write CSV: no columns");
  if (new Set(columns).size !== columns.length) {
    throw new RangeError(`cannot write CSV: duplicate column in [${columns.join(", ")}]`);
  }
  const lines: string[][] = [[...columns]];
  rows.forEach((row, i) => {
    lines.push(columns.map((column) => formatValue(row[column], i + 1, column)));
  });
  return csvFormatRows(lines) + "\n";
}

/**
 * Parses CSV text with a header line into rows, typing each field with
 * {@linkcode parseCsvValue}.
 *
 * @throws {RangeError} when the text has no header or a row has the wrong number of fields
 *
 * @example
 * ```ts
 * import { parseCsv } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCsv("step,loss\n1,0.5\n2,0.25\n"), [
 *   { step: 1, loss: 0.5 },
 *   { step: 2, loss: 0.25 },
 * ]);
 * assert.throws(() => parseCsv("a,b\n1\n"), /row 1 has 1 fields, expected 2/);
 * ```
 */
export function parseCsv(text: string): CsvRow[] {
  const [header, ...body] = csvParseRows(text);
  if (header === undefined || (header.length === 1 && header[0] === "")) {
    throw new RangeError("cannot parse CSV: no header line");
  }
  return body.map((fields, i) => {
    if (fields.length !== header.length) {
      throw new RangeError(
        `cannot parse CSV: row ${i + 1} has ${fields.length} fields, expected ${header.length}`,
      );
    }
    const row: CsvRow = {};
    header.forEach((column, j) => row[column] = parseCsvValue(fields[j]));
    return row;
  });
}

/**
 * Writes rows to a CSV file atomically (see {@linkcode formatCsv} and
 * {@linkcode writeFileAtomic}).
 *
 * @example
 * ```ts
 * import { readCsv, writeCsv } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const rows = [{ step: 1, loss: 0.1 + 0.2 }, { step: 2, loss: 1e-300 }];
 * await writeCsv(`${dir}/loss.csv`, rows);
 * assert.deepEqual(await readCsv(`${dir}/loss.csv`), rows);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCsv(
  path: string,
  rows: readonly Readonly<Record<string, unknown>>[],
  options: CsvOptions = {},
): Promise<void> {
  await writeFileAtomic(path, formatCsv(rows, options));
}

/**
 * Reads a CSV file with a header line into typed rows (see {@linkcode parseCsv}).
 *
 * @example
 * ```ts
 * import { readCsv } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/t.csv`, "name,ok\nrelu,true\n");
 * assert.deepEqual(await readCsv(`${dir}/t.csv`), [{ name: "relu", ok: true }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readCsv(path: string): Promise<CsvRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`cannot read CSV ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseCsv(text);
  } catch (error) {
    throw new RangeError(`${(error as Error).message} (in ${path})`, { cause: error });
  }
}

/**
 * Writes a file so that readers see either the old content or the whole new one: the data goes
 * to a temporary file in the same folder, which is then renamed over `path`. Missing parent
 * folders are created. On failure the temporary file is removed.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a/b/out.txt`, "hello\n");
 * assert.equal(await Deno.readTextFile(`${dir}/a/b/out.txt`), "hello\n");
 * assert.deepEqual([...Deno.readDirSync(`${dir}/a/b`)].map((e) => e.name), ["out.txt"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.mkdir(dir, { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The repository root: the nearest folder at or above `from` (default `Deno.cwd()`) that holds
 * a `deno.json`. Works from `notebooks/`, where the Jupyter kernel runs.
 *
 * @throws {Error} when no folder above `from` has a `deno.json`
 *
 * @example
 * ```ts
 * import { repoRoot } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const root = repoRoot();
 * assert.equal(repoRoot({ from: `${root}/lib` }), root);
 * assert.ok(Deno.statSync(`${root}/deno.json`).isFile);
 * ```
 */
export function repoRoot(options: { from?: string } = {}): string {
  const start = resolve(options.from ?? Deno.cwd());
  for (let dir = start;; dir = dirname(dir)) {
    try {
      if (Deno.statSync(join(dir, "deno.json")).isFile) return dir;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`cannot find the repository root: no deno.json in ${start} or above`);
}

/**
 * The absolute path of `results/<name>` under the repository root (see {@linkcode repoRoot}).
 * The folder is not created here; the writers create it.
 *
 * @throws {RangeError} when `name` is empty, absolute, or leaves `results/`
 *
 * @example
 * ```ts
 * import { repoRoot, resultsDir } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resultsDir("convergence"), `${repoRoot()}/results/convergence`);
 * assert.throws(() => resultsDir("../lib"), RangeError);
 * ```
 */
export function resultsDir(name: string, options: { from?: string } = {}): string {
  const clean = normalize(name);
  if (
    name === "" || isAbsolute(name) || clean === "." || clean === ".." ||
    clean.startsWith(`..${sep}`)
  ) {
    throw new RangeError(
      `cannot locate results folder '${name}': expected a relative name inside results/`,
    );
  }
  return join(repoRoot(options), "results", clean);
}
