/**
 * `deno task bench:report [--quick] [--from FILE] [--out DIR] [--peers [--python CMD]]
 * [--training-loop] [--threads] [--limits]`: runs
 * `deno bench --json bench/forward_backward_bench.ts` in a subprocess (or reads a saved JSON with
 * `--from`), and writes under `results/bench/`:
 *
 * - `ratios.csv`: `config,n,B,L,fwd_ms,bwd_ms,ratio,flop_ratio,gflops_fwd,gflops_bwd`, one row per
 *   configuration, times from the bench's mean (`avg`), ratios within this one run;
 * - `ratio.svg`, `ratio.png`: the measured ratio against the FLOP ratio, with the ±20 % band;
 * - `steps.csv`: the training step's time and effective GFLOP/s per configuration;
 * - `bench.json`: the raw output of `deno bench --json` (not written with `--from`);
 * - `REPORT.md`: the tables, the machine and Deno version, whether the ±20 % target (n ≥ 256)
 *   and the ≥ 12 GFLOP/s step target are met, what the elementwise maps cost, and where the mean
 *   disagrees with the p75 or the minimum.
 *
 * It prints the ratio table. `--quick` benches n ∈ {64, 256}, L ∈ {2, 4} and the classifier only.
 *
 * `--peers` also times PyTorch's training step against sgdlab's on issue 11's configurations
 * (bench/peers.ts, bench/peers.py; `--quick`: without n = 1024), one thread each, f64 and f32,
 * and writes `peers.csv` (bench/peer_rows.ts) and a section of REPORT.md. The Python is `--python`
 * or the first of /usr/bin/python3 and python3 that imports torch; without one, it says how to
 * install PyTorch and carries on.
 *
 * When `<out>/training_loop.csv` exists (written by bench/training_loop.ts), REPORT.md gives its
 * table (bench/training_loop_section.ts); `--training-loop` runs that script first. Likewise
 * `threads.csv`, one kernel thread against two (bench/threads_section.ts), which `--threads`
 * measures first, and `limits.csv`, what limits the products (bench/limits_section.ts), which
 * `--limits` measures first.
 *
 * @module
 */
import { readThreads, runThreads, threadsMarkdown } from "./threads_section.ts";
import { limitsMarkdown, readLimits, runLimits } from "./limits_section.ts";
import { mapCosts, mapsMarkdown, mapTimes, productNsPerFlop } from "./maps_section.ts";
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  COST_COLUMNS,
  type CostRow,
  costRow,
  type MeasuredCosts,
  RATIO_TARGET_MIN_N,
  RATIO_TOLERANCE,
  ratioChart,
  unitCostsFor,
  weightedRatio,
  withinTarget,
} from "@lib/experiments/cost/mod.ts";
import { flopModel, passConfigFromName } from "@lib/mod.ts";
import { describeMachine, machineInfo } from "@lib/machine.ts";
import { markdownTable, type TableRows, textTable } from "@lib/table.ts";
import {
  type CsvRow,
  readCsvIfPresent,
  repoRoot,
  resultsDir,
  writeCsv,
  writeFileAtomic,
} from "@lib/io.ts";
import { saveChart } from "@lib/plot.ts";
import { signedPercent, significant } from "@lib/format.ts";
import { PEER_COLUMNS, peersMarkdown, type PeersOutcome } from "./peer_rows.ts";
import { comparePeers } from "./compare_peers.ts";
import {
  readTrainingLoop,
  runTrainingLoop,
  trainingLoopMarkdown,
  type TrainingLoopTables,
} from "./training_loop_section.ts";

/** The bench file this report runs. */
export const BENCH_FILE = "bench/forward_backward_bench.ts";
/** The `--filter` of `--quick`: n ∈ {64, 256}, L ∈ {2, 4}, the classifier, the elementwise group. */
export const QUICK_FILTER =
  "/^(fwd|bwd|step) (n=(64|256) B=\\d+ L=(2|4)|784-256-256-10 B=128)$|^matmul NN|entries=/";
/** The training-step target of the issue: effective GFLOP/s at n=256, B=256, L=4. */
export const STEP_TARGET = { config: "n=256 B=256 L=4", gflops: 12 };
/** A mean more than this factor above the p75 or 1.5× this above the minimum is flagged. */
const NOISE_FACTOR = 1.25;

/** One bench's statistics, in nanoseconds. */
export interface BenchStat {
  /** Bench name. */
  name: string;
  /** Group, or null. */
  group: string | null;
  /** Measured samples. */
  n: number;
  /** Mean, minimum and 75th percentile time per call, ns. */
  avg: number;
  min: number;
  p75: number;
}

/**
 * Reads the output of `deno bench --json` (format version 1; times in nanoseconds).
 *
 * @throws {Error} naming the benches that failed, or when the text is not that format
 * @example
 * ```ts
 * import { parseBenchJson } from "../bench/report.ts";
 * import assert from "node:assert/strict";
 * const ok = { n: 10, min: 1e6, max: 3e6, avg: 1.2e6, p75: 1.1e6, p99: 3e6, p995: 3e6, p999: 3e6 };
 * const text = JSON.stringify({
 *   version: 1, runtime: "Deno/2.9.6", cpu: "X",
 *   benches: [{ origin: "file:///b.ts", group: "g", name: "fwd n=64 B=32 L=2", baseline: true, results: [{ ok }] }],
 * });
 * const parsed = parseBenchJson(text);
 * assert.equal(parsed.runtime, "Deno/2.9.6");
 * assert.deepEqual(parsed.benches[0], { name: "fwd n=64 B=32 L=2", group: "g", n: 10, avg: 1.2e6, min: 1e6, p75: 1.1e6 });
 * ```
 */
export function parseBenchJson(
  text: string,
): { runtime: string; cpu: string; benches: BenchStat[] } {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`cannot read the bench JSON: ${(e as Error).message}`);
  }
  if (data?.version !== 1 || !Array.isArray(data.benches)) {
    throw new Error(
      `cannot read the bench JSON: expected version 1 with a 'benches' array, got version ${data?.version}`,
    );
  }
  const failed: string[] = [];
  const benches: BenchStat[] = [];
  for (const b of data.benches) {
    const ok = b.results?.[0]?.ok;
    if (!ok) {
      failed.push(`${b.name}: ${b.results?.[0]?.failed?.message ?? "no result"}`);
      continue;
    }
    benches.push({
      name: b.name,
      group: b.group ?? null,
      n: ok.n,
      avg: ok.avg,
      min: ok.min,
      p75: ok.p75,
    });
  }
  if (failed.length > 0) {
    throw new Error(`cannot report: ${failed.length} bench(es) failed:\n${failed.join("\n")}`);
  }
  return { runtime: String(data.runtime), cpu: String(data.cpu), benches };
}

/** Per configuration: the training step and how well the three statistics agree. */
export interface DetailRow {
  /** Configuration name. */
  config: string;
  /** Training step, ms per call (mean). */
  step_ms: number | null;
  /** Effective GFLOP/s of the step (FLOP model / mean time). */
  gflops_step: number | null;
  /** Ratio of the minima and of the p75s. */
  ratio_min: number;
  ratio_p75: number;
  /** Whether a mean is more than 1.25× its p75 or 1.875× its minimum (background load). */
  noisy: boolean;
  /** Whether the ±20 % target is met (null below n = 256). */
  within_target: boolean | null;
}

/**
 * The ratio rows (`ratios.csv`) and detail rows of every configuration that has both a `fwd`
 * and a `bwd` bench, in bench order. Times use the mean; p75 and minimum are compared with it.
 *
 * @example
 * ```ts
 * import { benchRows } from "../bench/report.ts";
 * import assert from "node:assert/strict";
 * const stat = (name: string, ms: number) => ({ name, group: null, n: 10, avg: ms * 1e6, min: ms * 1e6, p75: ms * 1e6 });
 * const { rows, details } = benchRows([stat("fwd n=256 B=32 L=4", 2), stat("bwd n=256 B=32 L=4", 3.4)]);
 * assert.deepEqual([rows[0].config, rows[0].ratio, rows[0].flop_ratio], ["n=256 B=32 L=4", 1.7, 1.746]);
 * assert.equal(details[0].within_target, true);
 * assert.equal(details[0].step_ms, null);
 * ```
 */
export function benchRows(stats: readonly BenchStat[]): { rows: CostRow[]; details: DetailRow[] } {
  const byConfig = new Map<string, Partial<Record<"fwd" | "bwd" | "step", BenchStat>>>();
  for (const s of stats) {
    const m = /^(fwd|bwd|step) (.+)$/.exec(s.name);
    if (!m) continue;
    const entry = byConfig.get(m[2]) ?? {};
    entry[m[1] as "fwd" | "bwd" | "step"] = s;
    byConfig.set(m[2], entry);
  }
  const rows: CostRow[] = [], details: DetailRow[] = [];
  for (const [name, { fwd, bwd, step }] of byConfig) {
    if (!fwd || !bwd) continue;
    const config = passConfigFromName(name);
    const row = costRow(config, { forwardMs: fwd.avg / 1e6, backwardMs: bwd.avg / 1e6 });
    const flops = flopModel(config.sizes, { batch: config.batch });
    const noisy = [fwd, bwd].some((s) =>
      s.avg > NOISE_FACTOR * s.p75 || s.avg > 1.5 * NOISE_FACTOR * s.min
    );
    rows.push(row);
    details.push({
      config: name,
      step_ms: step ? significant(step.avg / 1e6, 4) : null,
      gflops_step: step ? significant(flops.step.total / step.avg, 3) : null,
      ratio_min: significant(bwd.min / fwd.min, 4),
      ratio_p75: significant(bwd.p75 / fwd.p75, 4),
      noisy,
      within_target: withinTarget(row),
    });
  }
  return { rows, details };
}

/**
 * Unit costs from the `elementwise` group: ns per product FLOP (the 256×257×256 product), and ns
 * per entry of tanh, tanh′ ∘ g, relu and relu′ ∘ g, in place in the products' memory as the
 * passes map (on plain arrays for a run that did not time that). Null when the group is missing.
 *
 * @example
 * ```ts
 * import { elementwiseCosts } from "../bench/report.ts";
 * import assert from "node:assert/strict";
 * const stat = (name: string, ns: number) => ({ name, group: "elementwise", n: 9, avg: ns, min: ns, p75: ns });
 * const costs = elementwiseCosts([
 *   stat("matmul NN m=256 k=257 n=256", 2 * 256 * 257 * 256 / 20), // 20 GFLOP/s
 *   stat("tanh forward entries=65536", 65536 * 15),
 *   stat("tanh backward entries=65536", 65536),
 *   stat("relu forward entries=65536", 65536 * 2),
 *   stat("relu backward entries=65536", 65536 * 2),
 * ])!;
 * assert.ok(Math.abs(costs.nsPerFlop - 0.05) < 1e-15);
 * assert.ok(Math.abs(costs.tanhFlops - 300) < 1e-9); // one tanh costs 300 product FLOPs
 * ```
 */
export function elementwiseCosts(
  stats: readonly BenchStat[],
): (MeasuredCosts & { tanhFlops: number }) | null {
  const nsPerFlop = productNsPerFlop(stats);
  // in place in the products' memory, as the passes map, when the run timed that
  const ns = (map: string, direction: "forward" | "backward") => {
    const { staged, inPlace } = mapTimes(stats, map, direction);
    return inPlace ?? staged;
  };
  const tanh = ns("tanh", "forward"), tanhBackward = ns("tanh", "backward");
  const relu = ns("relu", "forward"), reluBackward = ns("relu", "backward");
  if (nsPerFlop === null || tanh === null || tanhBackward === null) return null;
  if (relu === null || reluBackward === null) return null;
  return {
    nsPerFlop,
    tanh,
    tanhBackward,
    relu,
    reluBackward,
    tanhFlops: tanh / nsPerFlop,
  };
}

/** The measured ratio's deviation from the FLOP ratio, in percent. */
function deviation(row: CostRow): number {
  return 100 * (row.ratio / row.flop_ratio - 1);
}

/**
 * The Markdown of REPORT.md.
 *
 * @example
 * ```ts
 * import { reportMarkdown } from "../bench/report.ts";
 * import assert from "node:assert/strict";
 * const md = reportMarkdown({
 *   rows: [{ config: "n=256 B=32 L=4", n: 256, B: 32, L: 4, fwd_ms: 2, bwd_ms: 2, ratio: 1, flop_ratio: 1.746, gflops_fwd: 8, gflops_bwd: 14 }],
 *   details: [{ config: "n=256 B=32 L=4", step_ms: null, gflops_step: null, ratio_min: 1, ratio_p75: 1, noisy: false, within_target: false }],
 *   costs: null, machine: "a machine", runtime: "Deno/2.9.6", command: "deno task bench:report", date: "today",
 * });
 * assert.match(md, /Missed for 1 of 1 configurations with n ≥ 256/);
 * assert.match(md, /n=256 B=32 L=4: measured 1, model 1.746 \(−43 %\)/);
 * assert.doesNotMatch(md, /PyTorch|Peak resident memory/); // sections only when given
 * ```
 */
export function reportMarkdown(input: {
  rows: CostRow[];
  details: DetailRow[];
  costs: ReturnType<typeof elementwiseCosts>;
  /** Every map's cost in product FLOPs (bench/maps_section.ts), absent or null without it. */
  maps?: ReturnType<typeof mapCosts>;
  machine: string;
  runtime: string;
  command: string;
  date: string;
  /** The tables of bench/training_loop.ts, absent when it has not written them. */
  trainingLoop?: TrainingLoopTables | null;
  /** The PyTorch comparison (`--peers`), absent without it. */
  peers?: PeersOutcome;
  /** The rows of `threads.csv` (bench/threads_section.ts), absent or null without it. */
  threads?: CsvRow[] | null;
  /** The rows of `limits.csv` (bench/limits_section.ts), absent or null without it. */
  limits?: CsvRow[] | null;
  /**
   * Peak resident memory of the reproductions, one row per run (say `run`, `peak_rss_gib`),
   * measured outside bench:report; absent until someone provides them.
   */
  memory?: TableRows;
}): string {
  const { rows, details, costs } = input;
  const detail = new Map(details.map((d) => [d.config, d]));
  const table = rows.map((r) => ({
    ...r,
    "vs model": signedPercent(deviation(r), { minus: "-" }),
    target: r.n < RATIO_TARGET_MIN_N
      ? "(n < 256)"
      : detail.get(r.config)?.within_target
      ? "met"
      : "MISSED",
  }));
  const judged = rows.filter((r) => r.n >= RATIO_TARGET_MIN_N);
  const misses = judged.filter((r) => detail.get(r.config)?.within_target === false);
  const out: string[] = [];
  out.push("# Forward vs backward pass: bench report", "");
  out.push(
    `Generated by \`${input.command}\` on ${input.date}.`,
    "",
    `- Machine: ${input.machine}.`,
    `- Bench runtime: ${input.runtime}.`,
    "- The machine is shared with other engineers' runs, so absolute times are noisy; every ratio " +
      "below divides two times of the same run.",
    "",
  );
  out.push("## Backward/forward ratio per configuration", "");
  out.push(
    "`ratio` = bwd_ms / fwd_ms (bench means); `flop_ratio` = the FLOP model's backward/forward " +
      "count (products 2·m·n·k plus one per elementwise entry; lib/flops.ts). n is the hidden " +
      "width and L the number of hidden layers (n inputs, scalar output, tanh, squared error); " +
      "784-256-256-10 is relu with softmax cross-entropy (n = 256, L = 2 hidden layers).",
    "",
    markdownTable(table, { columns: [...COST_COLUMNS, "vs model", "target"] }),
    "",
    "![measured ratio vs FLOP ratio](ratio.png)",
    "",
  );
  out.push(`## Target: ratio within ±${RATIO_TOLERANCE * 100} % of the FLOP ratio for n ≥ 256`, "");
  if (judged.length === 0) {
    out.push("No configuration with n ≥ 256 was benched.", "");
  } else if (misses.length === 0) {
    out.push(`Met for all ${judged.length} configurations with n ≥ 256.`, "");
  } else {
    out.push(
      `**Missed for ${misses.length} of ${judged.length} configurations with n ≥ 256:**`,
      "",
      ...misses.map((r) =>
        `- ${r.config}: measured ${r.ratio}, model ${r.flop_ratio} (${signedPercent(deviation(r))})`
      ),
      "",
    );
  }
  if (costs) {
    out.push("## What the elementwise maps cost", "");
    out.push(
      `From the \`elementwise\` bench group: a 256×257×256 product runs at ${
        (1 / costs.nsPerFlop).toFixed(1)
      } GFLOP/s; per entry, in place as the passes map, tanh costs ${
        costs.tanh.toFixed(2)
      } ns (as much as ${costs.tanhFlops.toFixed(0)} product FLOPs), tanh′ ∘ g ${
        costs.tanhBackward.toFixed(2)
      } ns, relu ${costs.relu.toFixed(2)} ns and relu′ ∘ g ${
        costs.reluBackward.toFixed(2)
      } ns. The FLOP model counts each entry ` +
        "as one operation. A forward pass makes 2(n + 1) product FLOPs per tanh; where one tanh " +
        "weighs more than a few of those, the forward pass is heavier than the count says, the " +
        "backward's cheaper σ′ does not make up for it, and the measured ratio falls below the " +
        "FLOP ratio. `weighted` is " +
        "the model's ratio with every entry priced at these measured costs (products at the " +
        "256×257×256 speed):",
      "",
    );
    const weighted = rows.map((r) => {
      const config = passConfigFromName(r.config);
      const unit = unitCostsFor(config, costs);
      return {
        config: r.config,
        ratio: r.ratio,
        flop_ratio: r.flop_ratio,
        weighted: significant(
          weightedRatio(flopModel(config.sizes, { batch: config.batch }), unit),
          4,
        ),
      };
    });
    out.push(markdownTable(weighted), "");
    if (input.maps) out.push(mapsMarkdown(input.maps));
  }
  out.push("## Training step (forward + loss + backward)", "");
  const steps = details.filter((d) => d.step_ms !== null);
  if (steps.length > 0) {
    out.push(
      markdownTable(
        steps.map((d) => ({ config: d.config, step_ms: d.step_ms, gflops_step: d.gflops_step })),
      ),
      "",
    );
  }
  const target = steps.find((d) => d.config === STEP_TARGET.config);
  out.push(
    target
      ? `Target ≥ ${STEP_TARGET.gflops} effective GFLOP/s at ${STEP_TARGET.config}: ${
        target.gflops_step! >= STEP_TARGET.gflops ? "met" : "**MISSED**"
      } (${target.gflops_step} GFLOP/s).`
      : `The step at ${STEP_TARGET.config} was not benched in this run.`,
    "",
  );
  if (input.trainingLoop) out.push(trainingLoopMarkdown(input.trainingLoop));
  if (input.peers) out.push(peersMarkdown(input.peers));
  if (input.limits) out.push(limitsMarkdown(input.limits));
  if (input.threads) out.push(threadsMarkdown(input.threads));
  out.push("## Agreement of mean, p75 and minimum", "");
  const noisy = details.filter((d) => d.noisy);
  out.push(
    "Ratios use the means. The same ratios from the minima and from the p75s, for comparison; " +
      `a row is flagged when a mean exceeds its p75 by ${Math.round((NOISE_FACTOR - 1) * 100)} % ` +
      `or its minimum by ${Math.round((1.5 * NOISE_FACTOR - 1) * 100)} % (background load).`,
    "",
    markdownTable(details.map((d) => ({
      config: d.config,
      ratio: rows.find((r) => r.config === d.config)!.ratio,
      ratio_p75: d.ratio_p75,
      ratio_min: d.ratio_min,
      noisy: d.noisy ? "yes" : "",
    }))),
    "",
    noisy.length === 0
      ? "No configuration was flagged."
      : `${noisy.length} configuration(s) flagged: ${noisy.map((d) => d.config).join(", ")}.`,
    "",
  );
  if (input.memory && input.memory.length > 0) {
    out.push(
      "## Peak resident memory of the reproductions",
      "",
      "Measured by `deno run -A bench/peak_memory.ts` (memory.csv): the largest VmHWM of any process of the run, worker threads included; a run stopped at a stage says so.",
      "",
      markdownTable(input.memory),
      "",
    );
  }
  return out.join("\n");
}

/** Runs `deno bench --json` on {@link BENCH_FILE} and returns its stdout. */
async function runBench(quick: boolean): Promise<string> {
  const args = ["bench", "--json", "--allow-read", "--allow-env", BENCH_FILE];
  if (quick) args.push("--filter", QUICK_FILTER);
  console.error(`bench:report: deno ${args.join(" ")}`);
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: repoRoot(),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`cannot report: deno bench exited with code ${code}`);
  return text;
}

/** The command: bench (or read `--from`), write the files, print the table. */
async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      from: { type: "string" },
      out: { type: "string" },
      peers: { type: "boolean", default: false },
      python: { type: "string" },
      "training-loop": { type: "boolean", default: false },
      threads: { type: "boolean", default: false },
      limits: { type: "boolean", default: false },
    },
    strict: true,
  });
  const text = values.from ? await Deno.readTextFile(values.from) : await runBench(values.quick);
  const out = values.out ?? resultsDir("bench");
  await Deno.mkdir(out, { recursive: true });
  // keep the raw measurements: `--from results/bench/bench.json` redraws everything from them
  if (!values.from) await writeFileAtomic(join(out, "bench.json"), text);
  const parsed = parseBenchJson(text);
  const { rows, details } = benchRows(parsed.benches);
  if (rows.length === 0) throw new Error("cannot report: no fwd/bwd bench pairs in the JSON");
  await writeCsv(join(out, "ratios.csv"), rows, { columns: COST_COLUMNS });
  await writeCsv(
    join(out, "steps.csv"),
    details.map((d) => ({ config: d.config, step_ms: d.step_ms, gflops_step: d.gflops_step })),
  );
  await saveChart(ratioChart(rows), join(out, "ratio"));
  if (values["training-loop"]) {
    await runTrainingLoop({ quick: values.quick, out }).catch((e) =>
      console.error(`bench:report: ${(e as Error).message}; the report carries on without it`)
    );
  }
  if (values.threads) {
    await runThreads({ quick: values.quick, out, log: (line) => console.error(line) });
  }
  if (values.limits) await runLimits({ out, log: (line) => console.error(line) });
  const peers = values.peers
    ? await comparePeers(out, { quick: values.quick, python: values.python })
    : undefined;
  const command = ["deno task bench:report", ...args].join(" ");
  await writeFileAtomic(
    join(out, "REPORT.md"),
    reportMarkdown({
      rows,
      details,
      costs: elementwiseCosts(parsed.benches),
      maps: mapCosts(parsed.benches),
      machine: describeMachine(machineInfo()),
      runtime: `${parsed.runtime} (cpu "${parsed.cpu}")`,
      command,
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      trainingLoop: await readTrainingLoop(out),
      peers,
      threads: await readThreads(out),
      limits: await readLimits(out),
      memory: await readMemory(out),
    }),
  );
  const printable = rows.map((r) => ({
    ...r,
    target: r.n < RATIO_TARGET_MIN_N ? "" : withinTarget(r) ? "met" : "MISSED",
  }));
  console.log(textTable(printable));
  if (peers?.status === "measured") {
    console.log("\n" + textTable(peers.rows, { columns: [...PEER_COLUMNS] }));
  }
  console.log(
    `\nwrote ${join(out, "ratios.csv")}, ratio.svg/png, steps.csv${
      peers?.status === "measured" ? ", peers.csv" : ""
    }, REPORT.md`,
  );
}

/** The peak-memory rows of `<out>/memory.csv` (bench/peak_memory.ts), or undefined without it. */
async function readMemory(out: string): Promise<TableRows | undefined> {
  const rows = await readCsvIfPresent(join(out, "memory.csv"));
  if (rows === null) return undefined;
  return rows.map((r) => ({
    run: r.label,
    complete: r.complete,
    stage: r.stage,
    seconds: r.seconds,
    peak_rss_mib: r.peak_rss_mib,
  }));
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`bench:report: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
