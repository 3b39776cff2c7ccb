/**
 * What limits the products on this machine, measured (`deno task bench:report --limits`): four
 * blocks timed in every round, in an order that rotates from round to round, on one kernel
 * thread:
 *
 * - `peak`: independent chains of f64x2 fused multiply-adds, no memory access
 *   (bench/simd_peak.ts), the f64x2 limit;
 * - `tile`: gemm.wat's 4×4 register tile on packed panels that stay in L1 (kc = 256), the
 *   products' inner loop without packing or cache misses;
 * - `product`: a 256×256×256 product on operands in the kernels' memory (packing included);
 * - `step`: the training step of n=256 B=256 L=4 (`passWorkload(config).step()`).
 *
 * Each block's rate is its FLOPs over its time. The rounds are many and short, so a change in
 * the machine's state (other tenants of a shared host) shows as a change from round to round
 * that the four blocks share or do not. `quiet` rounds are those in which the tile ran within
 * 10 % of its best: the table gives each block's median over them beside its median over all
 * rounds. Writes `limits.csv` ({@link LIMITS_COLUMNS}).
 *
 * @module
 */
import { join } from "node:path";
import { courseConfig, passWorkload, Random } from "@lib/mod.ts";
import { allocateKernelArray, matmul, useKernelThreads } from "@lib/kernels/mod.ts";
import { loadWasm } from "@lib/kernels/wasm_arena.ts";
import { type CsvRow, readCsvIfPresent, writeCsv } from "@lib/io.ts";
import { flopModel } from "@lib/flops.ts";
import { median, quantile } from "@lib/stats.ts";
import { significant } from "@lib/format.ts";
import { markdownTable } from "@lib/table.ts";
import { simdPeak } from "./simd_peak.ts";
import { rotatingRounds } from "./rotating_rounds.ts";

/** The columns of `limits.csv`. */
export const LIMITS_COLUMNS = [
  "block",
  "best_gflops",
  "p90_gflops",
  "median_gflops",
  "p10_gflops",
  "median_share_of_peak",
  "quiet_median_gflops",
  "rounds",
  "quiet_rounds",
] as const;

/** One row of `limits.csv`: one block over all rounds. */
export type LimitsRow = Record<(typeof LIMITS_COLUMNS)[number], string | number>;

/** Issue 11: the step at n ≥ 256 at least this many GFLOP/s on one thread. */
export const STEP_GFLOPS_TARGET = 20;

/** The configuration of the `step` block. */
export const LIMITS_STEP_CONFIG = "n=256 B=256 L=4";

/** A block: `run()` does `flops` floating-point operations. */
interface Block {
  name: string;
  flops: number;
  run(): void;
}

/** The four blocks; `release` gives their kernel memory back. */
async function blocks(): Promise<{ blocks: Block[]; release(): void }> {
  const engine = loadWasm();
  if (engine === null) {
    throw new Error(
      "cannot measure the products' limits: WebAssembly SIMD with relaxed SIMD is unavailable",
    );
  }
  const parts = new WebAssembly.Instance(engine.module, { env: { memory: engine.memory } })
    .exports as unknown as { tile(...args: number[]): void };
  const KC = 256, TILES = 256;
  // packed panels with values in [-0.5, 0.5), a tile of C and its scratch: 33 KiB, in L1
  const panels = allocateKernelArray(2 * 4 * KC + 64);
  for (let i = 0; i < panels.length; i++) panels[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const ap = panels.byteOffset, bp = ap + 8 * 4 * KC, cp = bp + 8 * 4 * KC;
  const n = 256;
  const a = allocateKernelArray(n * n), b = allocateKernelArray(n * n);
  const c = allocateKernelArray(n * n);
  for (let i = 0; i < n * n; i++) (a[i] = Math.sin(i)), (b[i] = Math.cos(i));
  const peak = await simdPeak({ iterations: 2 ** 17 });
  const config = courseConfig(256, { batch: 256, hidden: 4 });
  const workload = passWorkload(config, { random: new Random(1) });
  return {
    blocks: [
      { name: "peak", flops: peak.flops, run: () => void peak.run() },
      {
        name: "tile",
        flops: 2 * 16 * KC * TILES,
        run: () => {
          for (let t = 0; t < TILES; t++) parts.tile(KC, ap, bp, cp, 32, 0, 4, 4, cp + 256);
        },
      },
      {
        name: "product",
        flops: 2 * n * n * n,
        run: () => matmul(a, b, { out: c, m: n, k: n, n }),
      },
      {
        name: "step",
        flops: flopModel(config.sizes, { batch: config.batch }).step.total,
        run: () => workload.step(),
      },
    ],
    release: () => workload.release(),
  };
}

/**
 * Times the four blocks in `rounds` rounds (default 300) on one kernel thread and returns a row
 * per block.
 *
 * @example
 * ```ts
 * import { measureLimits } from "../bench/limits_section.ts";
 * import { wasmKernelsAvailable } from "@lib/kernels/mod.ts";
 * import assert from "node:assert/strict";
 * if (wasmKernelsAvailable()) {
 *   const rows = await measureLimits({ rounds: 3 });
 *   assert.deepEqual(rows.map((r) => r.block), ["peak", "tile", "product", "step"]);
 *   assert.ok(rows.every((r) => Number(r.quiet_rounds) >= 1));
 * }
 * ```
 */
export async function measureLimits(options: { rounds?: number } = {}): Promise<LimitsRow[]> {
  const rounds = options.rounds ?? 300;
  const previous = useKernelThreads(1);
  const { blocks: all, release } = await blocks();
  try {
    for (const block of all) for (let i = 0; i < 3; i++) block.run(); // compile, warm the caches
    const ms = rotatingRounds(all, rounds);
    const rates = all.map((block, k) => ms[k].map((t) => block.flops / t / 1e6));
    const tile = rates[all.findIndex((b) => b.name === "tile")];
    const tileBest = Math.max(...tile);
    const quiet = [...tile.keys()].filter((r) => tile[r] >= 0.9 * tileBest);
    const peak = rates[0];
    return all.map((block, k) => {
      const x = Array.from(rates[k]);
      return {
        block: block.name,
        best_gflops: significant(Math.max(...x), 3),
        p90_gflops: significant(quantile(x, 0.9), 3),
        median_gflops: significant(median(x), 3),
        p10_gflops: significant(quantile(x, 0.1), 3),
        median_share_of_peak: significant(median(x.map((v, r) => v / peak[r])), 3),
        quiet_median_gflops: significant(median(quiet.map((r) => x[r])), 3),
        rounds,
        quiet_rounds: quiet.length,
      };
    });
  } finally {
    useKernelThreads(previous);
    release();
  }
}

/** `--limits`: measures and writes `<out>/limits.csv`. */
export async function runLimits(
  options: { out: string; rounds?: number; log?: (line: string) => void },
): Promise<LimitsRow[]> {
  const rows = await measureLimits({ rounds: options.rounds });
  for (const r of rows) {
    options.log?.(`limits: ${r.block} median ${r.median_gflops} GFLOP/s, best ${r.best_gflops}`);
  }
  await writeCsv(join(options.out, "limits.csv"), rows, { columns: [...LIMITS_COLUMNS] });
  return rows;
}

/** The rows of `<out>/limits.csv`, or null when there is none. */
export function readLimits(out: string): Promise<CsvRow[] | null> {
  return readCsvIfPresent(join(out, "limits.csv"));
}

/**
 * The section of REPORT.md: the table, what it says about the kernel, and the step's target.
 *
 * @example
 * ```ts
 * import { limitsMarkdown } from "../bench/limits_section.ts";
 * import assert from "node:assert/strict";
 * const row = (block: string, median: number, quiet: number) => ({
 *   block, best_gflops: 25, p90_gflops: 24, median_gflops: median, p10_gflops: 10,
 *   median_share_of_peak: median / 25, quiet_median_gflops: quiet, rounds: 300, quiet_rounds: 90,
 * });
 * const md = limitsMarkdown([row("peak", 25, 25), row("tile", 20, 24), row("product", 14, 21), row("step", 13, 20.5)]);
 * assert.match(md, /step at n=256 B=256 L=4: median 13 GFLOP\/s \(target ≥ 20: \*\*missed\*\*\); 20\.5 in the quiet rounds/);
 * ```
 */
export function limitsMarkdown(rows: readonly CsvRow[]): string {
  const by = (name: string) => rows.find((r) => r.block === name);
  const step = by("step"), tile = by("tile"), peak = by("peak");
  const out = ["## What limits the products", ""];
  out.push(
    "From `bench/limits_section.ts` (`limits.csv`), one kernel thread: in each of " +
      `${rows[0]?.rounds ?? "the"} rounds, four blocks in rotating order: \`peak\` (f64x2 fused ` +
      "multiply-adds, no memory access), `tile` (gemm.wat's 4×4 register tile on packed panels " +
      "held in L1), `product` (256×256×256, packing included) and `step` " +
      `(${LIMITS_STEP_CONFIG}). GFLOP/s per block and round; \`median_share_of_peak\` is the ` +
      "median over rounds of the block's rate over `peak`'s in the same round; `quiet` rounds " +
      "are those in which the tile ran within 10 % of its best.",
    "",
    markdownTable(rows),
    "",
  );
  if (step && tile && peak) {
    const stepMedian = Number(step.median_gflops), quiet = Number(step.quiet_median_gflops);
    const spread = (r: CsvRow) => significant(Number(r.p90_gflops) / Number(r.p10_gflops), 3);
    out.push(
      `- The step at ${LIMITS_STEP_CONFIG}: median ${stepMedian} GFLOP/s (target ≥ ` +
        `${STEP_GFLOPS_TARGET}: ${
          stepMedian >= STEP_GFLOPS_TARGET ? "met" : "**missed**"
        }); ${quiet} in the quiet rounds.`,
      `- From round to round (p90 over p10) \`peak\` varies by ×${spread(peak)}, the L1 tile by ` +
        `×${spread(tile)} and the step by ×${spread(step)}. Where the tile varies much more than ` +
        "`peak`, the rounds differ in how fast the core loads from its own L1 cache, which no " +
        "blocking or packing changes: on a shared host, a neighbour on the same core.",
      "",
    );
  }
  return out.join("\n");
}
