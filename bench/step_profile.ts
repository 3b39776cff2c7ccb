/**
 * Where a training step's time goes, measured rather than guessed: V8's CPU profiler (through
 * node:inspector) samples `passWorkload(config).step()` on one kernel thread, and the self time of
 * the samples (one a millisecond: finer sampling slows the step itself) is summed by part of the step: the products' register tile, their packing, the
 * product driver (`gemm`), each activation map of lib/wasm/tanh.wat by name, and the JavaScript
 * around them (finiteness checks, the loss, loops). The WebAssembly functions are named in the
 * binaries (tools/build_wasm.ts writes their names), so the profile can tell them apart.
 *
 * The tile's own rate inside the step (the products' FLOPs of lib/flops.ts over the tile's time)
 * against the step's rate says what the step can still gain: a step whose tile runs near the
 * machine's f64x2 limit and takes most of the time cannot go much faster on 128-bit SIMD.
 *
 * Run as `deno run --allow-read --allow-write --allow-env --allow-sys
 * bench/step_profile.ts [--seconds S]`: it prints a table and writes
 * `results/bench/step_profile.csv` ({@link STEP_PROFILE_COLUMNS}), on one kernel thread. Shares are of the profiled
 * time; a shared machine shifts the times, less the shares.
 *
 * @module
 */
import { classifierConfig, courseConfig, type PassConfig, passWorkload, Random } from "@lib/mod.ts";
import { useKernelThreads } from "@lib/kernels/mod.ts";
import { resultsDir, writeCsv } from "@lib/io.ts";
import { significant } from "@lib/format.ts";
import { textTable } from "@lib/table.ts";

/** The columns of `step_profile.csv`. */
export const STEP_PROFILE_COLUMNS = [
  "config",
  "part",
  "share",
  "ms_per_step",
  "step_gflops",
  "tile_gflops",
] as const;

/** One row of `step_profile.csv`: one part of one configuration's step. */
export type StepProfileRow = Record<(typeof STEP_PROFILE_COLUMNS)[number], string | number>;

/** A node of V8's CPU profile. */
interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/** V8's CPU profile: nodes, the node of each sample and the µs before it. */
export interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The WebAssembly maps of lib/wasm/tanh.wat, each its own part. */
const MAPS = new Set([
  "tanh",
  "relu",
  "relu_backward",
  "tanh_backward",
  "sigmoid_backward",
  "axpy",
  "logistic",
]);

/**
 * The part of the step a profiled function belongs to: `tile`, `packing` and `product loops` for
 * lib/wasm/gemm.wat's functions, `map: <name>` for lib/wasm/tanh.wat's, `idle and runtime` for the
 * profiler's pseudo-nodes and `JavaScript` for the rest.
 *
 * @example
 * ```ts
 * import { stepPart } from "../bench/step_profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(stepPart({ functionName: "$tile", url: "wasm://wasm/1f2e" }), "tile");
 * assert.equal(stepPart({ functionName: "tanh", url: "wasm://wasm/77aa" }), "map: tanh");
 * assert.equal(stepPart({ functionName: "forward", url: "file:///lib/mlp.ts" }), "JavaScript");
 * assert.equal(stepPart({ functionName: "(garbage collector)", url: "" }), "idle and runtime");
 * ```
 */
export function stepPart(frame: { functionName: string; url: string }): string {
  const name = frame.functionName.replace(/^\$/, "");
  if (frame.url.startsWith("wasm://")) {
    if (name === "tile") return "tile";
    if (name === "pack") return "packing";
    if (name === "gemm") return "product loops";
    if (MAPS.has(name)) return `map: ${name}`;
    return `wasm: ${name}`;
  }
  if (frame.url === "" && name.startsWith("(")) return "idle and runtime";
  return "JavaScript";
}

/**
 * Self time per part of a profile, in µs, largest first.
 *
 * @example
 * ```ts
 * import { selfTimeByPart } from "../bench/step_profile.ts";
 * import assert from "node:assert/strict";
 * const profile = {
 *   nodes: [
 *     { id: 1, callFrame: { functionName: "$tile", url: "wasm://wasm/1" } },
 *     { id: 2, callFrame: { functionName: "step", url: "file:///x.ts" } },
 *   ],
 *   samples: [1, 1, 2],
 *   timeDeltas: [10, 30, 20],
 * };
 * assert.deepEqual([...selfTimeByPart(profile)], [["tile", 40], ["JavaScript", 20]]);
 * ```
 */
export function selfTimeByPart(profile: CpuProfile): Map<string, number> {
  const partOf = new Map(profile.nodes.map((n) => [n.id, stepPart(n.callFrame)]));
  const times = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const part = partOf.get(profile.samples[i]) ?? "JavaScript";
    times.set(part, (times.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return new Map([...times].sort((a, b) => b[1] - a[1]));
}

/** Runs `work` under V8's CPU profiler (sampling every `intervalUs`) and returns the profile. */
async function profiled(work: () => void, intervalUs: number): Promise<CpuProfile> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<{ profile?: CpuProfile }>((resolve, reject) =>
      session.post(method, params, (error: Error | null, result: unknown) => {
        if (error) reject(error);
        else resolve(result as { profile?: CpuProfile });
      })
    );
  try {
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: intervalUs });
    await post("Profiler.start");
    work();
    const { profile } = await post("Profiler.stop");
    return profile!;
  } finally {
    session.disconnect();
  }
}

/**
 * Profiles about `seconds` of steps of one configuration (after a warm-up) and returns a row per
 * part: its share of the profiled time, its ms per step, and, on every row, the step's GFLOP/s
 * and the tile's (the products' FLOPs over the tile's time).
 *
 * @example
 * ```ts
 * import { profileStep } from "../bench/step_profile.ts";
 * import { courseConfig } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const rows = await profileStep(courseConfig(32, { batch: 16, hidden: 2 }), { seconds: 0.05 });
 * const total = rows.reduce((s, r) => s + Number(r.share), 0);
 * assert.ok(Math.abs(total - 1) < 0.01); // the shares cover the profiled time
 * ```
 */
export async function profileStep(
  config: PassConfig,
  options: { seconds?: number } = {},
): Promise<StepProfileRow[]> {
  const w = passWorkload(config, { random: new Random(1) });
  try {
    for (let i = 0; i < 3; i++) w.step();
    const start = performance.now();
    let warm = 0;
    while (performance.now() - start < 200 || warm < 3) (w.step(), warm++);
    const once = (performance.now() - start) / warm;
    const steps = Math.max(3, Math.round((options.seconds ?? 1.5) * 1000 / once));
    const profile = await profiled(() => {
      for (let i = 0; i < steps; i++) w.step();
    }, 1000);
    const parts = selfTimeByPart(profile);
    let totalUs = 0;
    for (const us of parts.values()) totalUs += us;
    const msPerStep = totalUs / 1000 / steps;
    const tileMs = (parts.get("tile") ?? 0) / 1000 / steps;
    const flops = w.flops.step;
    return [...parts].map(([part, us]) => ({
      config: config.name,
      part,
      share: significant(us / totalUs, 3),
      ms_per_step: significant(us / 1000 / steps, 3),
      step_gflops: significant(flops.total / msPerStep / 1e6, 3),
      tile_gflops: tileMs > 0 ? significant(flops.products / tileMs / 1e6, 3) : "",
    }));
  } finally {
    w.release();
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--seconds");
  const seconds = at < 0 ? 1.5 : Number(Deno.args[at + 1]);
  const previous = useKernelThreads(1);
  const configs = [
    courseConfig(256, { batch: 32, hidden: 4 }),
    courseConfig(256, { batch: 256, hidden: 4 }),
    courseConfig(1024, { batch: 32, hidden: 4 }),
    courseConfig(1024, { batch: 256, hidden: 4 }),
    classifierConfig(),
  ];
  const rows: StepProfileRow[] = [];
  for (const config of configs) {
    const parts = await profileStep(config, { seconds });
    rows.push(...parts);
    console.error(`${config.name}: ${parts.map((r) => `${r.part} ${r.share}`).join(", ")}`);
  }
  useKernelThreads(previous);
  const dir = resultsDir("bench");
  await writeCsv(`${dir}/step_profile.csv`, rows);
  console.log(textTable(rows));
}
