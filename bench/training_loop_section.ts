/**
 * The training loop's section of `results/bench/REPORT.md`: the tables that `bench/training_loop.ts`
 * writes (`training_loop.csv`, `training_loop_heap.csv`), judged against issue 11's targets, and
 * `bench:report --training-loop`, which runs that script first.
 *
 * The section reads the CSV files, not the script's functions, so that it depends only on the
 * columns the issue fixes: `config,bare_step_ms,fit_step_ms,fit_over_bare,presampled_step_ms,
 * presampled_over_price`, and `presampled_over_flop_price`, `forward_share` and
 * `presampled_over_time_price` after them.
 *
 * @module
 */
import { copyFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type CsvRow, readCsv, readCsvIfPresent, repoRoot, resultsDir } from "@lib/io.ts";
import { markdownTable } from "@lib/table.ts";
import { significant } from "@lib/format.ts";

/** Issue 11's targets: `fit` and a presampled step cost at most this factor of their price. */
export const TRAINING_LOOP_TARGET = 1.1;
/** The script that measures the training loop, from the repository root. */
export const TRAINING_LOOP_SCRIPT = "bench/training_loop.ts";
const FILES = ["training_loop.csv", "training_loop_heap.csv"] as const;

/** What `bench/training_loop.ts` wrote into a folder. */
export interface TrainingLoopTables {
  /** Rows of `training_loop.csv`. */
  rows: CsvRow[];
  /** Rows of `training_loop_heap.csv`, or null when it is absent. */
  heap: CsvRow[] | null;
  /** When `training_loop.csv` was written, "YYYY-MM-DD HH:MM UTC". */
  written: string;
}

/**
 * Reads `training_loop.csv` (and `training_loop_heap.csv` when present) from `dir`; null when
 * `training_loop.csv` is absent.
 *
 * @example
 * ```ts
 * import { readTrainingLoop } from "../bench/training_loop_section.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readTrainingLoop(dir), null);
 * await Deno.writeTextFile(`${dir}/training_loop.csv`, "config,fit_over_bare\nn=64 B=32 L=4,1.2\n");
 * const t = (await readTrainingLoop(dir))!;
 * assert.deepEqual([t.rows, t.heap], [[{ config: "n=64 B=32 L=4", fit_over_bare: 1.2 }], null]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTrainingLoop(dir: string): Promise<TrainingLoopTables | null> {
  const stat = await Deno.stat(join(dir, FILES[0])).catch(() => null);
  if (stat === null) return null;
  return {
    rows: await readCsv(join(dir, FILES[0])),
    heap: await readCsvIfPresent(join(dir, FILES[1])),
    written: (stat.mtime ?? new Date()).toISOString().slice(0, 16).replace("T", " ") + " UTC",
  };
}

/** "met", "MISSED", or "" for a missing value. */
function judge(v: unknown): string {
  return typeof v !== "number" ? "" : v <= TRAINING_LOOP_TARGET ? "met" : "MISSED";
}

/**
 * The section: the training loop's table with each ratio judged against 1.10, the misses named,
 * and the heap table when there is one.
 *
 * @example
 * ```ts
 * import { trainingLoopMarkdown } from "../bench/training_loop_section.ts";
 * import assert from "node:assert/strict";
 * const md = trainingLoopMarkdown({
 *   rows: [{ config: "784-64-64-10 B=32", bare_step_ms: 0.5, fit_step_ms: 1, fit_over_bare: 2, update_share: 0.95, presampled_step_ms: 2, presampled_over_price: 1.05 }],
 *   heap: null,
 *   written: "2026-11-30 03:00 UTC",
 * });
 * assert.match(md, /\| 784-64-64-10 B=32 \| 0\.5 \| 1 \| 2 \| 0\.95 \| 2 \| 1\.05 \| MISSED \| met \|/);
 * assert.match(md, /`fit`: \*\*missed for 1 of 1\*\*: 784-64-64-10 B=32 \(2×\)/);
 * assert.match(md, /`fit` beyond the update \(`fit_over_bare` − `update_share`\): met for all 1/);
 * ```
 */
export function trainingLoopMarkdown(tables: TrainingLoopTables): string {
  const { rows, heap } = tables;
  const out = ["## The training loop against the bare step", ""];
  out.push(
    `From \`${TRAINING_LOOP_SCRIPT}\` (\`training_loop.csv\`, written ${tables.written}): ` +
      "`fit`'s step against the bare step (`passWorkload(config).step()`), sampling and " +
      "gathering included, and a presampled importance step against its forward-equivalent " +
      `price. Targets (issue 11): both ratios at most ${TRAINING_LOOP_TARGET}.`,
    "",
    "The price is the paper's count: (B + 2b)/(3b) uniform steps when the step reuses the " +
      "scoring pass, a backward pass counted as two forwards. `presampled_over_flop_price` " +
      "divides by the FLOP model's price instead (lib/flops.ts: the forward pass of B plus the " +
      "step's backward of b, over a uniform step's FLOPs). Where the first layer dominates, " +
      "the backward skips its input gradient and costs about one forward, so the count " +
      "under-prices a presampled step; the FLOP price leaves only what the loop adds: sampling, " +
      "gathering B + b columns instead of b, scoring and the columns of the pass. " +
      "`presampled_over_time_price` prices each part at its measured time instead " +
      "(`timePrice` in bench/training_loop.ts): the B scored columns at `forward_share`, a bare " +
      "forward pass's time over a bare step's, per b columns, plus the rest of a step; a tanh's " +
      "cost, which the FLOP model counts as one FLOP, is then in the price, and what remains " +
      "is the loop's own work.",
    "",
    "`update_share` is the SGD update's time (θ ← θ − η∇, which `fit` makes and the bare step " +
      "does not: `sgdUpdate` of the bare workload's θ, timed after each bare block) over the bare " +
      "step's. Where the parameters outgrow the caches and the batch is small (n=1024 B=32: 4.2 " +
      "million parameters, read twice and written once per update) it is a fixed part of " +
      "`fit_over_bare`; `fit_over_bare` − `update_share` is what the loop adds beyond it.",
    "",
  );
  if (rows.length === 0) {
    out.push("The file has no rows.", "");
    return out.join("\n");
  }
  out.push(
    markdownTable(rows.map((r) => ({
      ...r,
      fit: judge(r.fit_over_bare),
      presampled: judge(r.presampled_over_price),
      "presampled (FLOPs)": judge(r.presampled_over_flop_price),
      "presampled (time)": judge(r.presampled_over_time_price),
    }))),
    "",
  );
  const judged = rows.map((r) =>
    typeof r.fit_over_bare === "number" && typeof r.update_share === "number"
      ? { ...r, fit_beyond_update: r.fit_over_bare - r.update_share }
      : r
  );
  for (
    const [what, column] of [
      ["`fit`", "fit_over_bare"],
      ["`fit` beyond the update (`fit_over_bare` − `update_share`)", "fit_beyond_update"],
      ["presampled", "presampled_over_price"],
      ["presampled against the FLOP price", "presampled_over_flop_price"],
      ["presampled against the price in measured time", "presampled_over_time_price"],
    ]
  ) {
    const measured = judged.filter((r) => typeof r[column] === "number");
    if (measured.length === 0) continue;
    const misses = measured.filter((r) => (r[column] as number) > TRAINING_LOOP_TARGET);
    out.push(
      `- ${what}: ` +
        (misses.length === 0
          ? `met for all ${measured.length} configurations.`
          : `**missed for ${misses.length} of ${measured.length}**: ${
            misses.map((r) => `${r.config} (${significant(r[column] as number, 3)}×)`).join(", ")
          }.`),
    );
  }
  out.push("");
  if (heap !== null && heap.length > 0) {
    out.push(
      "Heap of a training step in steady state (`training_loop_heap.csv`, " +
        "bench/allocation_probe.ts): after `warm_up_steps` steps (V8 compiles the step with its " +
        "top tier after some ten to twenty thousand), bytes still held after `steps` steps and " +
        "a garbage collection, and bytes allocated per step.",
      "",
      markdownTable(heap),
      "",
    );
  }
  return out.join("\n");
}

/**
 * `--training-loop`: runs `bench/training_loop.ts` (with `--quick` when asked, and
 * `--v8-flags=--expose-gc` for its heap measurement) in a subprocess; the script writes into
 * `results/bench/`, and when `out` is another folder its two CSV files are copied there.
 *
 * @throws {Error} when the script is missing or fails
 * @example
 * ```ts
 * import { runTrainingLoop } from "../bench/training_loop_section.ts";
 * import assert from "node:assert/strict";
 * await assert.rejects(
 *   runTrainingLoop({ quick: true, out: "/tmp", script: "bench/no_such_script.ts" }),
 *   /cannot run the training loop bench: bench\/no_such_script\.ts is missing/,
 * );
 * ```
 */
export async function runTrainingLoop(
  options: { quick: boolean; out: string; script?: string },
): Promise<void> {
  const script = options.script ?? TRAINING_LOOP_SCRIPT;
  const action = "cannot run the training loop bench";
  if ((await Deno.stat(join(repoRoot(), script)).catch(() => null)) === null) {
    throw new Error(`${action}: ${script} is missing`);
  }
  const args = [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--v8-flags=--expose-gc",
  ];
  args.push(script, ...(options.quick ? ["--quick"] : []));
  console.error(`bench:report: deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: repoRoot(),
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`${action}: ${script} exited with code ${code}`);
  const written = resultsDir("bench");
  if (resolve(written) !== resolve(options.out)) {
    for (const f of FILES) {
      await copyFile(join(written, f), join(options.out, f)).catch(() => {});
    }
  }
}
