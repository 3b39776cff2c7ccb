/**
 * Re-executes the notebooks through the real Deno Jupyter kernel (`deno task notebooks`).
 *
 *     deno task notebooks                 execute every notebooks/*.ipynb in place
 *     deno task notebooks --check         execute into a scratch folder and fail when the result
 *                                         differs from the committed notebook
 *     deno task notebooks [--check] PATH… only these notebooks
 *     deno task notebooks --timeout SECONDS  seconds allowed per cell, 1 to 86400 (default 600)
 *
 * Execution is `NO_COLOR=1 jupyter nbconvert --to notebook` with the execute preprocessor of
 * `tools/grace_execute.py` (nbconvert's, but it keeps reading a cell's outputs for a moment after
 * the kernel reports idle: Deno 2.9.6's kernel sometimes publishes them late), kernel `deno`,
 * `record_timing=False`, and the project-local kernelspec of `tools/kernelspec.ts` on JUPYTER_PATH. Outputs of cells tagged
 * `timing` (cell metadata `tags`) are not compared. Prints `ok <name>` or `FAIL <name>: reason`
 * per notebook, then a summary; exits 1 when any failed. A command line that cannot be used (an
 * unknown flag, a flag given twice, a bad `--timeout`, a path that is not a notebook file) is one
 * line on stderr and exit code 2; a failure to run (no Jupyter) is one line and exit code 1.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { repoRoot } from "../lib/io.ts";
import { decimalInteger, parseFlags, UsageError } from "../lib/experiments/flags.ts";
import { ensureKernelspec } from "./kernelspec.ts";

/** Cells with this tag in `metadata.tags` may change their outputs between runs. */
export const TIMING_TAG = "timing";

const APT_PACKAGES = "jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel";

/** The parts of a notebook this tool looks at. */
export interface Notebook {
  cells: Cell[];
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One notebook cell. */
export interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[]; [key: string]: unknown };
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
  [key: string]: unknown;
}

/**
 * A copy of the notebook in which cells tagged `timing` have no outputs and no execution count,
 * so that two runs can be compared.
 *
 * @example
 * ```ts
 * import { withoutTimingOutputs } from "../tools/notebooks.ts";
 * import assert from "node:assert/strict";
 * const nb = {
 *   cells: [{ cell_type: "code", source: "t", metadata: { tags: ["timing"] }, outputs: [1] }],
 * };
 * assert.deepEqual(withoutTimingOutputs(nb).cells[0].outputs, []);
 * assert.deepEqual(nb.cells[0].outputs, [1]);
 * ```
 */
export function withoutTimingOutputs(notebook: Notebook): Notebook {
  const copy = structuredClone(notebook);
  for (const cell of copy.cells) {
    if (cell.metadata?.tags?.includes(TIMING_TAG)) {
      if ("outputs" in cell) cell.outputs = [];
      if ("execution_count" in cell) cell.execution_count = null;
    }
  }
  return copy;
}

function sourceText(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

function describeCell(cell: Cell, index: number): string {
  const first = sourceText(cell).split("\n").find((line) => line.trim() !== "") ?? "";
  const shown = first.length > 60 ? `${first.slice(0, 57)}...` : first;
  return `cell ${index + 1}${cell.id ? ` (id ${cell.id})` : ""} \`${shown.trim()}\``;
}

function describeOutput(output: unknown): string {
  if (output === undefined) return "nothing";
  const o = output as { output_type?: string; text?: unknown; data?: Record<string, unknown> };
  const text = o.text ?? o.data?.["text/plain"] ?? Object.keys(o.data ?? {}).join(" ");
  const flat = Array.isArray(text) ? text.join("") : String(text);
  const short = flat.length > 50 ? `${flat.slice(0, 47)}...` : flat;
  return `${o.output_type} ${JSON.stringify(short)}`;
}

/** Where two cells' outputs first part ways, e.g. `output 1: committed nothing, executed …`. */
function outputDifference(committed: Cell, executed: Cell): string {
  const [a, b] = [committed.outputs ?? [], executed.outputs ?? []];
  let k = 0;
  while (k < Math.max(a.length, b.length) && isDeepStrictEqual(a[k], b[k])) k++;
  return `output ${k + 1} is ${describeOutput(a[k])} committed, ${describeOutput(b[k])} executed`;
}

/**
 * Compares a committed notebook with a fresh execution of it, ignoring the outputs of cells
 * tagged `timing`. Returns undefined when they agree, else a sentence naming the first
 * differing cell and what differs in it.
 *
 * @example
 * ```ts
 * import { notebookDifference } from "../tools/notebooks.ts";
 * import assert from "node:assert/strict";
 * const out = (text: string) => ({ output_type: "stream", name: "stdout", text });
 * const cell = (outputs: unknown[]) => ({ cell_type: "code", source: "f()", outputs, id: "a" });
 * const committed = { cells: [cell([out("seed 1\n")])] };
 * assert.equal(notebookDifference(committed, structuredClone(committed)), undefined);
 * assert.equal(
 *   notebookDifference(committed, { cells: [cell([out("seed 1\n"), out("2\n")])] }),
 *   'cell 1 (id a) `f()` differs in outputs: output 2 is nothing committed, stream "2\\n" executed',
 * );
 * ```
 */
export function notebookDifference(committed: Notebook, executed: Notebook): string | undefined {
  const a = withoutTimingOutputs(committed);
  const b = withoutTimingOutputs(executed);
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a.cells.length !== b.cells.length) {
    return `cell count differs: ${a.cells.length} committed, ${b.cells.length} executed`;
  }
  for (let i = 0; i < a.cells.length; i++) {
    const [x, y] = [a.cells[i], b.cells[i]];
    if (isDeepStrictEqual(x, y)) continue;
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
    const parts = keys.filter((key) => !isDeepStrictEqual(x[key], y[key]));
    const detail = parts.includes("outputs") ? `: ${outputDifference(x, y)}` : "";
    return `${describeCell(x, i)} differs in ${parts.join(", ")}${detail}`;
  }
  return "notebook metadata or format differs";
}

/** The last lines of nbconvert's stderr that say what went wrong. */
function failureReason(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trimEnd()).filter((line) =>
    line !== "" && !line.startsWith("[NbConvertApp]") &&
    !line.includes('"deno jupyter" is unstable')
  );
  const errorLine = lines.findLast((line) => /Error|error:/.test(line));
  return errorLine?.trim() ?? lines.at(-1)?.trim() ?? "nbconvert failed";
}

interface RunResult {
  ok: boolean;
  reason?: string;
  stderr?: string;
}

/** Executes one notebook: in place, or into `outputDir` under the same name. */
async function nbconvert(
  notebook: string,
  options: { env: Record<string, string>; timeout: number; outputDir?: string },
): Promise<RunResult> {
  const { env, timeout, outputDir } = options;
  const args = [
    "nbconvert",
    "--to",
    "notebook",
    `--NotebookExporter.preprocessors=["grace_execute.GraceExecutePreprocessor"]`,
    "--GraceExecutePreprocessor.kernel_name=deno",
    "--GraceExecutePreprocessor.record_timing=False",
    `--GraceExecutePreprocessor.timeout=${timeout}`,
    ...(outputDir === undefined
      ? ["--inplace"]
      : ["--output-dir", outputDir, "--output", basename(notebook)]),
    notebook,
  ];
  const result = await new Deno.Command("jupyter", { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const stderr = new TextDecoder().decode(result.stderr);
  return result.success ? { ok: true } : { ok: false, reason: failureReason(stderr), stderr };
}

async function jupyterAvailable(env: Record<string, string>): Promise<boolean> {
  try {
    const out = await new Deno.Command("jupyter", {
      args: ["nbconvert", "--version"],
      env,
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * The absolute paths of the notebooks named on the command line, each checked to be an existing
 * `.ipynb` file and named once.
 *
 * @throws {UsageError} naming the first path that is missing, a folder, not `.ipynb`, or repeated
 * @example
 * ```ts
 * import { notebookPaths } from "../tools/notebooks.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => notebookPaths(["nope.ipynb"]), /no notebook at .*nope\.ipynb/);
 * assert.throws(() => notebookPaths(["README.md"]), /is not a notebook \(\.ipynb\)/);
 * ```
 */
export function notebookPaths(paths: readonly string[]): string[] {
  const absolute = paths.map((path) => resolve(path));
  for (const [i, path] of absolute.entries()) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new UsageError(`no notebook at ${path}`);
      throw new UsageError(`cannot read notebook ${path}: ${(error as Error).message}`);
    }
    if (!info.isFile) throw new UsageError(`${path} is a folder, not a notebook`);
    if (!path.endsWith(".ipynb")) throw new UsageError(`${path} is not a notebook (.ipynb)`);
    if (absolute.indexOf(path) !== i) throw new UsageError(`notebook ${path} given twice`);
  }
  return absolute;
}

/** The notebooks under `<root>/notebooks/`, sorted by name. */
function listNotebooks(root: string): string[] {
  const dir = join(root, "notebooks");
  try {
    return [...Deno.readDirSync(dir)]
      .filter((entry) => entry.isFile && entry.name.endsWith(".ipynb"))
      .map((entry) => join(dir, entry.name))
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/**
 * Executes the notebooks (in place, or into a scratch folder and compared with `check`) and
 * prints one line per notebook. With no paths it takes every `notebooks/*.ipynb` under the
 * repository root. Returns the numbers that passed and failed.
 *
 * @param options.timeout seconds allowed per cell (default 600)
 * @throws {UsageError} for a path that is not a notebook file (see {@link notebookPaths})
 * @throws {Error} naming the Debian packages to install when `jupyter nbconvert` is missing
 *
 * @example
 * ```ts
 * import { runNotebooks } from "../tools/notebooks.ts";
 * import assert from "node:assert/strict";
 * const root = await Deno.makeTempDir(); // a repository without notebooks
 * assert.deepEqual(await runNotebooks([], { check: true, root }), { passed: 0, failed: 0 });
 * await Deno.remove(root);
 * ```
 */
export async function runNotebooks(
  paths: string[],
  options: { check?: boolean; timeout?: number; root?: string } = {},
): Promise<{ passed: number; failed: number }> {
  const root = options.root ?? repoRoot();
  const notebooks = paths.length > 0 ? notebookPaths(paths) : listNotebooks(root);
  let passed = 0;
  let failed = 0;
  if (notebooks.length === 0) {
    console.log("no notebooks in notebooks/");
    return { passed, failed };
  }
  const jupyterPath = await ensureKernelspec({ root });
  const inherited = Deno.env.get("JUPYTER_PATH");
  const env = {
    NO_COLOR: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    PYTHONPATH: [join(root, "tools"), ...(Deno.env.get("PYTHONPATH") ?? "").split(":")]
      .filter((p) => p !== "").join(":"),
    JUPYTER_PATH: inherited?.split(":").includes(jupyterPath)
      ? inherited
      : [jupyterPath, ...(inherited ? [inherited] : [])].join(":"),
  };
  if (!await jupyterAvailable(env)) {
    throw new Error(
      `cannot run notebooks: \`jupyter nbconvert\` is not available; install it with \`apt-get install ${APT_PACKAGES}\``,
    );
  }
  const scratch = options.check ? await Deno.makeTempDir({ prefix: "sgdlab_notebooks_" }) : "";
  try {
    for (const notebook of notebooks) {
      const name = basename(notebook);
      const run = await nbconvert(notebook, {
        env,
        timeout: options.timeout ?? 600,
        outputDir: options.check ? scratch : undefined,
      });
      let reason = run.reason;
      if (run.ok && options.check) {
        const committed = JSON.parse(await Deno.readTextFile(notebook)) as Notebook;
        const executed = JSON.parse(await Deno.readTextFile(join(scratch, name))) as Notebook;
        const difference = notebookDifference(committed, executed);
        if (difference !== undefined) reason = `differs after re-execution: ${difference}`;
      }
      if (reason === undefined) {
        passed++;
        console.log(`ok ${name}`);
      } else {
        failed++;
        console.log(`FAIL ${name}: ${reason}`);
        if (run.stderr) console.error(failureDetail(run.stderr));
      }
    }
  } finally {
    if (scratch) await Deno.remove(scratch, { recursive: true });
  }
  return { passed, failed };
}

/** nbclient's account of the failing cell (its source and traceback), without Python's stack. */
function failureDetail(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  const start = lines.findIndex((line) => line.includes("An error occurred while executing"));
  const shown = start >= 0 ? lines.slice(start) : lines.slice(-20);
  return shown.map((line) => `    ${line}`).join("\n");
}

/** The usage line of `deno task notebooks`. */
const USAGE = "usage: deno task notebooks [--check] [--timeout SECONDS] [NOTEBOOK.ipynb ...]";

if (import.meta.main) {
  let paths: string[], check: boolean, timeout: number | undefined;
  try {
    const { values, positionals } = parseFlags(Deno.args, {
      check: { type: "boolean" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    }, { positionals: true });
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    check = values.check;
    timeout = values.timeout.length
      ? decimalInteger("--timeout", values.timeout[0], { min: 1, max: 86400 })
      : undefined;
    paths = notebookPaths(positionals);
  } catch (error) {
    const usage = error instanceof UsageError
      ? " (`deno task notebooks --help` shows the usage)"
      : "";
    console.error(`notebooks: ${(error as Error).message}${usage}`);
    Deno.exit(error instanceof UsageError ? 2 : 1);
  }
  try {
    const { passed, failed } = await runNotebooks(paths, { check, timeout });
    console.log(`notebooks: ${passed} ok, ${failed} failed`);
    if (failed > 0) Deno.exit(1);
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    console.error(message.startsWith("cannot run notebooks") ? message : `notebooks: ${message}`);
    Deno.exit(1);
  }
}
