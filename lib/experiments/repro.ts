/**
 * The `deno task repro` command: runs every registered reproduction (or `--only NAME`) and
 * writes its tables as CSV and its charts as SVG and PNG under `results/<name>/`, each file
 * atomically, then prints where everything went.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { resultsDir, writeCsv, writeFileAtomic } from "../io.ts";
import { saveChart } from "../plot.ts";
import { computationGraphs } from "./computation_graphs.ts";
import type { Reproduction, ReproductionOptions } from "./reproduction.ts";

/** Every reproduction, in the order `repro` runs them. */
export const reproductions: readonly Reproduction[] = [computationGraphs];

/** The files one reproduction wrote. */
export interface WrittenFiles {
  /** The reproduction's name. */
  name: string;
  /** Paths written, relative to the results folder's parent. */
  files: string[];
  /** Seconds the run took. */
  seconds: number;
}

/**
 * Runs one reproduction and writes its outputs into `dir` (created if needed). Every file is
 * written to a temporary name and renamed, so an interrupted run leaves earlier output intact.
 *
 * @example
 * ```ts
 * import { runReproduction } from "@lib/experiments/repro.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const fake = {
 *   name: "fake",
 *   description: "a table and a note",
 *   run: () => Promise.resolve({ tables: { t: [{ a: 1 }] }, charts: {}, notes: { t: "one row" } }),
 * };
 * const written = await runReproduction(fake, { dir, seed: 0, profile: "quick" });
 * assert.deepEqual(written.files.map((f) => f.slice(dir.length + 1)), ["t.csv", "NOTES.md"]);
 * assert.equal(await Deno.readTextFile(`${dir}/t.csv`), "a\n1\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runReproduction(
  reproduction: Reproduction,
  options: ReproductionOptions & { dir: string },
): Promise<WrittenFiles> {
  const start = performance.now();
  const output = await reproduction.run(options);
  const files: string[] = [];
  for (const [name, rows] of Object.entries(output.tables)) {
    const path = join(options.dir, `${name}.csv`);
    await writeCsv(path, rows);
    files.push(path);
  }
  for (const [name, spec] of Object.entries(output.charts)) {
    const paths = await saveChart(spec, join(options.dir, name));
    files.push(paths.svg, paths.png);
  }
  const notes = Object.entries(output.notes).map(([k, v]) => `## ${k}\n\n${v}\n`).join("\n");
  const notesPath = join(options.dir, "NOTES.md");
  await writeFileAtomic(
    notesPath,
    `# ${reproduction.name}\n\n${reproduction.description}\n\n` +
      `seed ${options.seed}, profile ${options.profile}\n\n${notes}`,
  );
  files.push(notesPath);
  return { name: reproduction.name, files, seconds: (performance.now() - start) / 1000 };
}

const usage = `usage: deno task repro [--only NAME] [--seed N] [--full]
  --only NAME   run one reproduction: ${reproductions.map((r) => r.name).join(", ")}
  --seed N      seed of every random draw (default 1)
  --full        the paper-scale profile (default: quick)`;

/** Parses the command line, failing with a usage error that names the bad flag. */
export function parseReproArgs(args: string[]): {
  only: string | null;
  seed: number;
  profile: "quick" | "full";
} {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        only: { type: "string" },
        seed: { type: "string", default: "1" },
        full: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new RangeError(`${(e as Error).message}\n${usage}`);
  }
  const { only, seed, full } = parsed.values;
  if (only !== undefined && !reproductions.some((r) => r.name === only)) {
    throw new RangeError(`--only: unknown reproduction '${only}'\n${usage}`);
  }
  const n = Number(seed);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`--seed: '${seed}' is not an integer\n${usage}`);
  }
  return { only: only ?? null, seed: n, profile: full ? "full" : "quick" };
}

if (import.meta.main) {
  let args;
  try {
    args = parseReproArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  for (const r of reproductions) {
    if (args.only !== null && r.name !== args.only) continue;
    const dir = resultsDir(r.name);
    console.log(`${r.name}: ${r.description}`);
    const written = await runReproduction(r, { dir, seed: args.seed, profile: args.profile });
    for (const f of written.files) console.log(`  wrote ${f}`);
    console.log(`  done in ${written.seconds.toFixed(1)} s`);
  }
}
