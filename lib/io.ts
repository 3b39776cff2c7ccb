/**
 * Files: CSV tables (RFC 4180), atomic writes, and the repository's `results/` folder.
 *
 * Numbers are written with `String(x)` (the shortest text that reads back as the same double),
 * so a CSV round trip of doubles is exact and the same rows always give the same bytes.
 *
 * A round trip keeps types: a field written without quotes is typed when read
 * ({@linkcode parseCsvValue}), a quoted field stays a string. So a string that would read back as
 * something else (`"1.5"`, `"true"`, `""`, `"NaN"`) is written in quotes. A string that starts
 * with `=`, `+`, `-`, `@`, a tab or a carriage return, which a spreadsheet would run as a formula,
 * is written quoted behind a `'` (the CSV-injection guard of OWASP); the reader removes that `'`
 * again. Numbers, negative ones included, are data and are written as they are. Other cells are
 * quoted only when they hold `,`, `"` or a line break: the bytes d3-dsv's `csvFormatRows` writes.
 *
 * @module
 */

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

/** A string a spreadsheet would run as a formula (after any `'` already in front). */
const FORMULA = /^'*[=+\-@\t\r]/;

/** A quoted field that the writer escaped with a leading `'`. */
const ESCAPED = /^'+[=+\-@\t\r]/;

/**
 * The CSV text of a string cell: quoted when it holds `,` `"` or a line break, or (body cells)
 * when unquoted it would read back as a number, a boolean or null; quoted behind a `'` when it
 * starts like a formula.
 */
function formatString(text: string, options: { typed: boolean }): string {
  let cell = text, quote = false;
  if (FORMULA.test(text)) {
    cell = `'${text}`;
    quote = true;
  } else if (options.typed && parseCsvValue(text) !== text) {
    quote = true;
  }
  return quote || /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function formatValue(value: unknown, row: number, column: string): string {
  switch (typeof value) {
    case "number":
      return formatNumber(value);
    case "string":
      return formatString(value, { typed: true });
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
 * error messages. Strings are quoted so that they read back as strings, and guarded against
 * formula injection (see the module documentation).
 *
 * @throws {RangeError} when a row lacks a column, or there are neither rows nor columns
 * @throws {TypeError} when a value is not a number, string, boolean or null
 *
 * @example
 * ```ts
 * import { formatCsv } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const text = formatCsv([{ step: 1, loss: 0.5, note: "a,b" }, { step: 2, loss: 0.25, note: null }]);
 * assert.equal(text, 'step,loss,note\n1,0.5,"a,b"\n2,0.25,\n');
 * assert.equal(formatCsv([{ a: "1.5", b: -0.5, c: "=1+1", d: "" }]), 'a,b,c,d\n"1.5",-0.5,"\'=1+1",""\n');
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
  const lines = [columns.map((column) => formatString(column, { typed: false })).join(",")];
  rows.forEach((row, i) => {
    lines.push(columns.map((column) => formatValue(row[column], i + 1, column)).join(","));
  });
  return lines.join("\n") + "\n";
}

/** One field as read: its text (quotes removed) and whether it was quoted. */
interface Field {
  text: string;
  quoted: boolean;
}

/** RFC 4180 fields, keeping for each whether it was quoted; `\n` or `\r\n` ends a record. */
function parseFields(text: string): Field[][] {
  const records: Field[][] = [];
  const n = text.length;
  let record: Field[] = [], i = 0;
  while (n > 0) {
    let field: Field;
    if (text[i] === '"') {
      let value = "";
      for (i++;;) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          throw new RangeError(
            `cannot parse CSV: a quoted field in row ${records.length} is never closed`,
          );
        }
        value += text.slice(i, q);
        i = q + 1;
        if (text[i] !== '"') break;
        value += '"';
        i++;
      }
      if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        throw new RangeError(
          `cannot parse CSV: row ${records.length} has text after the closing quote of a field`,
        );
      }
      field = { text: value, quoted: true };
    } else {
      let j = i;
      while (j < n && text[j] !== "," && text[j] !== "\n" && text[j] !== "\r") j++;
      field = { text: text.slice(i, j), quoted: false };
      i = j;
    }
    record.push(field);
    if (i >= n) {
      records.push(record);
      break;
    }
    if (text[i] === ",") {
      i++;
      continue;
    }
    i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
    records.push(record);
    record = [];
    if (i >= n) break;
  }
  return records;
}

/** The string a quoted field holds: without the `'` the writer put before a formula. */
function quotedString(text: string): string {
  return ESCAPED.test(text) ? text.slice(1) : text;
}

/**
 * Parses CSV text with a header line into rows, typing each unquoted field with
 * {@linkcode parseCsvValue}. A quoted field stays a string, without the `'` that
 * {@linkcode formatCsv} puts before a formula.
 *
 * @throws {RangeError} when the text has no header, a row has the wrong number of fields, or a
 *   quoted field is not closed
 *
 * @example
 * ```ts
 * import { parseCsv } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCsv("step,loss\n1,0.5\n2,0.25\n"), [
 *   { step: 1, loss: 0.5 },
 *   { step: 2, loss: 0.25 },
 * ]);
 * assert.deepEqual(parseCsv('name,value\n"1.5",1.5\n'), [{ name: "1.5", value: 1.5 }]);
 * assert.throws(() => parseCsv("a,b\n1\n"), /row 1 has 1 fields, expected 2/);
 * ```
 */
export function parseCsv(text: string): CsvRow[] {
  const [first, ...body] = parseFields(text);
  if (first === undefined || (first.length === 1 && first[0].text === "" && !first[0].quoted)) {
    throw new RangeError("cannot parse CSV: no header line");
  }
  const header = first.map((f) => f.quoted ? quotedString(f.text) : f.text);
  return body.map((fields, i) => {
    if (fields.length !== header.length) {
      throw new RangeError(
        `cannot parse CSV: row ${i + 1} has ${fields.length} fields, expected ${header.length}`,
      );
    }
    const row: CsvRow = {};
    header.forEach((column, j) => {
      const f = fields[j];
      row[column] = f.quoted ? quotedString(f.text) : parseCsvValue(f.text);
    });
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
 * {@link readCsv}, or null when there is no file at `path` (a table an optional step writes).
 *
 * @example
 * ```ts
 * import { readCsvIfPresent } from "@lib/io.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readCsvIfPresent(`${dir}/none.csv`), null);
 * await Deno.writeTextFile(`${dir}/t.csv`, "name\nrelu\n");
 * assert.deepEqual(await readCsvIfPresent(`${dir}/t.csv`), [{ name: "relu" }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readCsvIfPresent(path: string): Promise<CsvRow[] | null> {
  const found = await Deno.stat(path).then(() => true, (e) => {
    if (e instanceof Deno.errors.NotFound) return false;
    throw new Error(`cannot read CSV ${path}: ${(e as Error).message}`, { cause: e });
  });
  return found ? await readCsv(path) : null;
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
