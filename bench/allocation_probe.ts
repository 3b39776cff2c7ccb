/**
 * Bytes allocated per steady-state training step, counted (not timed): `fit` with the uniform
 * sampler and with the presampler (`alwaysOn`, lib/sampling/presampler.ts) on the configurations
 * of bench/loop_configs.ts, and where those bytes are allocated.
 *
 * Run as `deno run --allow-read --allow-env --allow-sys
 * --v8-flags=--expose-gc,--max-semi-space-size=128 bench/allocation_probe.ts [--quick] [--profile]
 * [--heap-row] [--steps N] [--warm-up N] [--settle N] [--filter NAME] [--exclude NAME]
 * [--sampler uniform|presampled]`; `--heap-row` prints each measurement as a JSON row of
 * `training_loop_heap.csv` instead (see {@link measureHeapInProcess}).
 *
 * How it counts: after `warmUp` steps, a garbage collection, {@link SETTLE_STEPS} more steps
 * (`settle`), a second collection, then `steps` steps cut into ten windows, reading V8's heap plus
 * array buffers at each window's edges only (a reading allocates about 200 bytes: at the edges it
 * costs 2 bytes a step at 100 steps a window, and that cost, measured by the same reading in a
 * loop, is taken off). A window counts when the heap did not shrink over it (no collection ran:
 * a young generation of 128 MB makes that the rule, `collected` says how many windows were left
 * out). Bytes per step: the median over the windows. V8 compiles the step's functions with its
 * top tier (TurboFan) only after some ten to twenty thousand steps; before that its mid tier
 * (Maglev) boxes the numbers passed between functions, a few hundred bytes a step, so the default
 * warm-up is 20,000 steps. `--profile` also runs V8's sampling heap profiler (every 32 bytes on
 * average, garbage included) over the same steps and prints the allocating functions with most
 * bytes (a function inlined into another is counted as the other).
 *
 * @module
 */
import { Mlp, type PassConfig, Random } from "@lib/mod.ts";
import { fit } from "@lib/train.ts";
import { type Sampler, uniformSampler } from "@lib/sampling/sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { loopDataset, trainingLoopConfigs } from "./loop_configs.ts";
import { median } from "@lib/stats.ts";
import { textTable } from "@lib/table.ts";

/** One row of the probe: bytes allocated per step by `fit` with one sampler on one configuration. */
export interface AllocationRow {
  config: string;
  sampler: string;
  steps: number;
  bytes_per_step: number;
  /** Windows of steps left out because a collection ran during them (the heap shrank). */
  collected: number;
  /** Bytes still held after the counted steps and a full collection, over those before them. */
  retained_bytes: number;
}

/** A sampling heap profile's allocating functions, bytes by "function url:line". */
export type AllocationSites = Map<string, number>;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/**
 * Bytes per step over ten windows of the readings (one before each step): the growth over each
 * window in which the heap never shrank (no collection ran), divided by its steps; and how many
 * windows were left out.
 */
function windowRates(readings: Float64Array, steps: number): { rates: number[]; skipped: number } {
  const size = Math.max(1, Math.floor(steps / 10)), rates: number[] = [];
  let skipped = 0;
  for (let start = 0; start + size <= steps; start += size) {
    let shrank = false;
    for (let i = start; i < start + size; i++) if (readings[i + 1] < readings[i]) shrank = true;
    if (shrank) skipped++;
    else rates.push((readings[start + size] - readings[start]) / size);
  }
  return { rates, skipped };
}

/**
 * Steps run between the first collection and the counted windows (a second collection starts
 * them). The probe's first readings and its forced collection send parts of the step back to V8's
 * lower tiers (`--trace-deopt` shows `fit`'s loop deoptimised by the readings' code, first run
 * inside it, and a scorer's code by "embedded weak objects cleared"), and a few of the step's
 * functions reach the top tier only some 20,000 steps in; code in a lower tier boxes numbers.
 * Counted right after the first collection, with the readings' code inlined into the loop,
 * presampled steps at b >= 64 took 26-35 B a step; with the readings in {@link probeAllocation}'s
 * own function and these settling steps, they count the probe's floor (1.3 B a step in
 * bench/training_loop.ts's processes, as uniform steps do), or 6.4 B where products split across
 * two threads (the timed splits' clock readings, lib/kernels/threads.ts). Collections 3,000 and
 * 6,000 steps later deoptimised nothing.
 */
export const SETTLE_STEPS = 2000;

/** The heap in use plus array buffers, in bytes. */
function used(): number {
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Counts the bytes one steady-state step of `fit` allocates with `sampler` on `config`; with
 * `profile`, also the allocating functions (V8's sampling heap profiler, via node:inspector).
 *
 * @example
 * ```ts
 * import { probeAllocation } from "../bench/allocation_probe.ts";
 * import { uniformSampler } from "@lib/sampling/sampler.ts";
 * import { courseConfig } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const { row } = await probeAllocation(courseConfig(8, { batch: 4, hidden: 2 }), {
 *   sampler: uniformSampler(),
 *   steps: 20,
 *   warmUp: 20,
 *   settle: 20,
 * });
 * assert.equal(row.steps, 20);
 * assert.ok(row.bytes_per_step >= 0);
 * ```
 */
export async function probeAllocation(
  config: PassConfig,
  options: {
    sampler: Sampler;
    steps?: number;
    warmUp?: number;
    settle?: number;
    profile?: boolean;
  },
): Promise<{ row: AllocationRow; sites: AllocationSites | null }> {
  const steps = options.steps ?? 1000, warmUp = options.warmUp ?? 20_000;
  const gc = (globalThis as { gc?: () => void }).gc;
  const data = loopDataset(config, { random: new Random(2) });
  const model = Mlp.create(config.sizes, { random: new Random(3), activation: config.activation });
  const inner = options.sampler;
  const session = options.profile ? await profilerSession() : null;
  // a reading of the heap at each window's edge, into a preallocated array
  const windows = 10, size = Math.max(1, Math.floor(steps / windows));
  const settle = Math.ceil((options.settle ?? SETTLE_STEPS) / size) * size;
  const readings = new Float64Array(windows + 1);
  let t = 0, held = NaN;
  let sites: Promise<AllocationSites> | null = null;
  // Every edge runs this same code from the first collection on, so that fit's loop, into which
  // V8 inlines the sampler, has seen it before the counted windows (code it has not seen sends
  // the loop back to a lower tier, which boxes numbers for a while: --trace-deopt shows it).
  const edge = (k: number) => {
    if (k === 0 || k === settle) {
      gc?.();
      gc?.();
    }
    const w = (k - settle) / size;
    if (w >= 0 && w <= windows) readings[w] = used();
    else used();
    if (k === settle && session !== null) session.start();
    if (w === windows) {
      if (session !== null) sites = session.stop();
      gc?.();
      gc?.();
      held = used() - readings[0]; // the first window's start, right after a collection
    }
  };
  const sampler: Sampler = {
    name: inner.name,
    sample(context) {
      const k = t - warmUp;
      if (k >= 0 && k % size === 0) edge(k);
      t++;
      return inner.sample(context);
    },
    observe: inner.observe?.bind(inner),
    reset: inner.reset?.bind(inner),
  };
  await fit(model, data, {
    loss: config.loss,
    random: new Random(4),
    batchSize: config.batch,
    learningRate: config.loss === "squaredError" ? 1e-3 : 0.01,
    steps: warmUp + settle + windows * size + 1,
    evaluateEvery: warmUp + settle + windows * size + 1,
    trainSubset: Math.min(config.batch, data.x.cols),
    progress: "none",
    sampler,
  });
  // what one reading allocates, by the same reading in a loop
  const calibration = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) calibration[i] = used();
  const reading = median(windowRates(calibration, steps).rates);
  const { rates, skipped } = windowRates(readings, windows);
  return {
    row: {
      config: config.name,
      sampler: inner.name,
      steps: windows * size,
      bytes_per_step: rates.length === 0 ? NaN : Math.max(0, (median(rates) - reading) / size),
      collected: skipped,
      retained_bytes: held,
    },
    sites: sites === null ? null : await sites,
  };
}

/** The columns of `results/bench/training_loop_heap.csv`. */
export const HEAP_COLUMNS = [
  "config",
  "sampler",
  "warm_up_steps",
  "steps",
  "retained_bytes",
  "allocated_bytes_per_step",
  "gc_exposed",
] as const;

/** One row of `training_loop_heap.csv`. */
export type HeapRow = Record<(typeof HEAP_COLUMNS)[number], string | number | boolean>;

/**
 * The heap row of `training_loop_heap.csv` for `steps` steady-state fit steps with `sampler`
 * (uniform by default) after `warmUp` (default 20,000) and `settle` ({@link SETTLE_STEPS}) steps,
 * `warm_up_steps` their sum: {@link probeAllocation}'s bytes per step
 * and bytes retained (which need `--v8-flags=--expose-gc`; `gc_exposed` says whether it was).
 *
 * @example
 * ```ts
 * import { measureHeap } from "../bench/allocation_probe.ts";
 * import { courseConfig } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const row = await measureHeap(courseConfig(8, { batch: 4, hidden: 2 }), {
 *   steps: 50,
 *   warmUp: 10,
 *   settle: 10,
 * });
 * assert.equal(row.steps, 50);
 * ```
 */
export async function measureHeap(
  config: PassConfig,
  options: { steps?: number; warmUp?: number; settle?: number; sampler?: Sampler } = {},
): Promise<HeapRow> {
  const warmUp = options.warmUp ?? 20_000, settle = options.settle ?? SETTLE_STEPS;
  const { row } = await probeAllocation(config, {
    sampler: options.sampler ?? uniformSampler(),
    steps: options.steps ?? 1000,
    warmUp,
    settle,
  });
  return {
    config: row.config,
    sampler: row.sampler,
    warm_up_steps: warmUp + settle,
    steps: row.steps,
    retained_bytes: row.retained_bytes,
    allocated_bytes_per_step: row.bytes_per_step,
    gc_exposed: (globalThis as { gc?: () => void }).gc !== undefined,
  };
}

/**
 * {@link measureHeap} in a process of its own (this script with `--heap-row`), so that the
 * steady state it measures is this configuration's and sampler's alone: in a process that has
 * trained other networks first, V8 had sent part of the step back to its mid tier, which 20,000
 * steps did not always undo (552 B a step instead of 40 for 784-64-64-10 B=32 after the course's
 * networks).
 *
 * @param config the name of one of `trainingLoopConfigs()` (bench/loop_configs.ts)
 * @throws {Error} when the process fails or prints no row
 */
export async function measureHeapInProcess(
  config: string,
  options: { sampler: "uniform" | "presampled" },
): Promise<HeapRow> {
  const script = new URL(import.meta.url).pathname;
  const args = ["run", "--allow-read", "--allow-env", "--v8-flags=--expose-gc", script];
  args.push("--heap-row", "--filter", config, "--sampler", options.sampler);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
  }).output();
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  if (code !== 0 || lines.length !== 1 || !lines[0].startsWith("{")) {
    throw new Error(
      `cannot measure the heap of ${config} (${options.sampler}): the probe exited ${code}: ${
        new TextDecoder().decode(stderr).trim().split("\n").slice(-3).join(" ")
      }`,
    );
  }
  return JSON.parse(lines[0]) as HeapRow;
}

/** Starts and stops V8's sampling heap profiler in this isolate. */
async function profilerSession(): Promise<{ start(): void; stop(): Promise<AllocationSites> }> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  // the command is sent at once; its answer comes in a later task
  const post = (method: string, params?: object) =>
    new Promise<{ profile?: { head: ProfileNode } }>((resolve, reject) =>
      session.post(method, params ?? {}, (error: Error | null, result: unknown) => {
        if (error) reject(error);
        else resolve(result as { profile?: { head: ProfileNode } });
      })
    );
  await post("HeapProfiler.enable");
  return {
    start() {
      void post("HeapProfiler.startSampling", {
        samplingInterval: 32,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    async stop() {
      const result = await post("HeapProfiler.stopSampling");
      const sites: AllocationSites = new Map();
      const walk = (node: ProfileNode, path: string) => {
        const f = node.callFrame;
        const here = `${f.functionName || "(anonymous)"} ${f.url.replace(/.*\//, "")}:${
          f.lineNumber + 1
        }`;
        const key = `${here} < ${path}`;
        if (node.selfSize > 0) sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
        for (const c of node.children) walk(c, here);
      };
      if (result?.profile) walk(result.profile.head, "");
      return sites;
    },
  };
}

if (import.meta.main) {
  const args = Deno.args;
  const quick = args.includes("--quick"), profile = args.includes("--profile");
  const at = (flag: string) => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args[i + 1];
  };
  const steps = Number(at("--steps") ?? 1000), filter = at("--filter");
  const warmUp = Number(at("--warm-up") ?? 20_000);
  const settle = Number(at("--settle") ?? SETTLE_STEPS);
  const only = at("--sampler"), exclude = at("--exclude"), heapRows = args.includes("--heap-row");
  const rows: AllocationRow[] = [];
  for (const config of trainingLoopConfigs({ quick })) {
    if (filter !== undefined && !config.name.includes(filter)) continue;
    if (exclude !== undefined && config.name.includes(exclude)) continue;
    const samplers: [string, () => Sampler][] = [
      ["uniform", () => uniformSampler()],
      ["presampled", () => presampler({ alwaysOn: true })],
    ];
    for (const [name, make] of samplers) {
      if (only !== undefined && only !== name) continue;
      if (heapRows) {
        const row = await measureHeap(config, { sampler: make(), steps, warmUp, settle });
        console.log(JSON.stringify(row));
        continue;
      }
      const { row, sites } = await probeAllocation(config, {
        sampler: make(),
        steps,
        warmUp,
        settle,
        profile,
      });
      rows.push(row);
      console.error(`${row.config} ${row.sampler}: ${row.bytes_per_step.toFixed(1)} B/step`);
      if (sites !== null) {
        const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 25);
        for (const [site, bytes] of top) {
          console.error(`  ${(bytes / steps).toFixed(1).padStart(8)} B/step  ${site}`);
        }
      }
    }
  }
  if (!heapRows) {
    console.log(
      textTable(rows.map((r) => ({ ...r, bytes_per_step: Number(r.bytes_per_step.toFixed(1)) }))),
    );
  }
}
