/**
 * The training loop against the bare step: what `fit` (lib/train.ts) costs per step beyond
 * `passWorkload(config).step()` (lib/pass_workload.ts), on the course's networks, the classifiers
 * and the importance reproduction's own networks, with uniform sampling and gathering included;
 * what a presampled importance step costs against its forward-equivalent price; and whether a
 * training step allocates in steady state.
 *
 * Run as `deno run --allow-read --allow-write --allow-env --allow-run --v8-flags=--expose-gc
 * bench/training_loop.ts [--quick] [--heap-only]`: it writes `results/bench/training_loop.csv`
 * with the columns {@link TRAINING_LOOP_COLUMNS} and `results/bench/training_loop_heap.csv` with
 * the columns of
 * `HEAP_COLUMNS` (bench/allocation_probe.ts, a process per row: the networks with n <= 64, after
 * a warm-up of 20,000 steps and 2,000 settling ones), and prints both; with `--heap-only`, only
 * the heap table (bytes, not times; but a busy second core makes the two-thread helper exit and
 * be rebuilt, which allocates, so count on an idle machine too). Wall-clock times: compare ratios
 * within one run.
 *
 * How it times: a fit with `evaluateEvery = k` (k steps lasting about `blockMs`), progress "none",
 * whose `onEvaluate` times a block of k bare steps; the fit's block time is the difference of the
 * history's `seconds` (training only, evaluation excluded). So fit and bare blocks alternate, and
 * `fit_over_bare` is the median over blocks of each fit block's time over the bare block right
 * after it: paired, so that drift in the machine's load falls on both. Each of the uniform fit's
 * bare blocks is followed by k SGD updates of the bare workload's θ (η = 0: the same reads and
 * writes), whose time over the bare block's is `update_share` u: the part of `fit_over_bare` that
 * is the update θ ← θ − η∇ itself, which `fit` makes and the bare step does not, so that
 * `fit_over_bare` − u is what the loop adds beyond it. The presampled fit (the presampler of
 * lib/sampling/presampler.ts, `alwaysOn`) is timed the same way against bare blocks, and its
 * price is chained through the bare step: presampled/bare over (fit/bare × price), where the
 * price is fit's own count per step over a uniform step's 3b: (B + 3b)/(3b), or (B + 2b)/(3b)
 * when the presampler hands its forward pass to the step (`Minibatch.pass`) and counts B − b.
 * The presampled fit's bare blocks are each followed by k bare forward passes, whose time over
 * the bare block's is the forward share f of {@link timePrice}, the price in measured time.
 *
 * @module
 */
import { Mlp, type PassConfig, passWorkload, Random } from "@lib/mod.ts";
import { sgdUpdate } from "@lib/sgd.ts";
import { fit } from "@lib/train.ts";
import { type HeapRow, measureHeapInProcess } from "./allocation_probe.ts";
import { loopDataset, trainingLoopConfigs } from "./loop_configs.ts";
import { type Minibatch, type Sampler, uniformSampler } from "@lib/sampling/sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { median } from "@lib/stats.ts";
import { flopModel } from "@lib/flops.ts";
import { resultsDir, writeCsv } from "@lib/io.ts";
import { textTable } from "@lib/table.ts";

/** The columns of `results/bench/training_loop.csv`. */
export const TRAINING_LOOP_COLUMNS = [
  "config",
  "bare_step_ms",
  "fit_step_ms",
  "fit_over_bare",
  "update_share",
  "presampled_step_ms",
  "presampled_over_price",
  "presampled_over_flop_price",
  "forward_share",
  "presampled_over_time_price",
] as const;

/** One row of `training_loop.csv`. */
export type TrainingLoopRow = Record<(typeof TRAINING_LOOP_COLUMNS)[number], string | number>;

/** Blocks of fit steps run before timing (the compiler's warm-up). */
const WARM_UP_BLOCKS = 3;

/** Medians over blocks of one interleaved fit, per step. */
interface Interleaved {
  fitMs: number;
  bareMs: number;
  /** The median over blocks of fit's block time over the bare block's right after it. */
  ratio: number;
  /** The mean forward-equivalent price of a step relative to a uniform step's 3b. */
  price: number;
  /** The same price from the FLOP model (lib/flops.ts) instead of "a backward is 2 forwards". */
  flopPrice: number;
  /**
   * f: a bare forward pass's time over a bare step's, the median over blocks of the two timed
   * back to back (NaN unless `forwards` was asked).
   */
  forwardShare: number;
  /**
   * u: k SGD updates' time (`sgdUpdate` of the bare workload's θ by its gradients at η = 0: the
   * same reads and writes as a real update, which the bare step does not make) over the bare
   * block's, the median over blocks timed back to back (NaN unless `updates` was asked).
   */
  updateShare: number;
  /** The mean over steps of the columns scored over b (B, or 0 for a uniform step). */
  scoredPerColumn: number;
  /** The share of steps whose batch carried the scoring pass. */
  reusedShare: number;
}

/**
 * A presampled step's price in the FLOP model (lib/flops.ts) over a uniform step's: the forward
 * pass of the B scored columns plus the step's own loss and backward of b (and its forward of b
 * unless the batch carries the scoring pass), over forward + loss + backward of b. The count price
 * (B + 2b)/(3b) takes a backward as two forwards; a network whose first layer dominates has a
 * backward of about one forward (no input gradient for x_0), and then a presampled step costs more
 * than the count says, by the FLOPs alone.
 *
 * @example 784-32-32-10 at b = 128, B = 384, the pass reused: about 1.98, where the count says 5/3
 * ```ts
 * import { flopPrice } from "../bench/training_loop.ts";
 * import assert from "node:assert/strict";
 * const price = flopPrice([784, 32, 32, 10], { batch: 128, scored: 384, reused: true });
 * assert.ok(price > 1.95 && price < 2);
 * assert.equal(flopPrice([784, 32, 32, 10], { batch: 128, scored: 0, reused: false }), 1);
 * ```
 */
export function flopPrice(
  sizes: readonly number[],
  options: { batch: number; scored: number; reused: boolean },
): number {
  const step = flopModel(sizes, { batch: options.batch });
  const scoring = options.scored === 0
    ? 0
    : flopModel(sizes, { batch: options.scored }).forward.total;
  const own = options.reused ? step.step.total - step.forward.total : step.step.total;
  return (scoring + own) / step.step.total;
}

/**
 * Times a fit with `sampler` in blocks of k steps, each followed (in `onEvaluate`) by a block of k
 * bare steps; medians per step over the blocks after the warm-up.
 */
async function interleaved(
  config: PassConfig,
  { sampler, rounds, blockMs, forwards = false, updates = false }: {
    sampler: Sampler;
    rounds: number;
    blockMs: number;
    /** Also time a block of k bare forward passes after each block of bare steps. */
    forwards?: boolean;
    /** Also time a block of k SGD updates (η = 0) after each block of bare steps. */
    updates?: boolean;
  },
): Promise<Interleaved> {
  const bare = passWorkload(config, { random: new Random(1) });
  for (let c = 0; c < 3; c++) bare.step(); // warm-up
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < blockMs / 2 || calls < 2) {
    bare.step();
    calls++;
  }
  const k = Math.max(1, Math.round(blockMs / ((performance.now() - start) / calls)));
  const data = loopDataset(config, { random: new Random(2) });
  const model = Mlp.create(config.sizes, { random: new Random(3), activation: config.activation });
  const fitMs: number[] = [], bareMs: number[] = [], shares: number[] = [];
  const updateShares: number[] = [];
  const update = { gradients: bare.pass.grads, learningRate: 0 };
  let previous = 0, priced = 0, flopPriced = 0, steps = 0, scoredColumns = 0, reusedSteps = 0;
  let last = { scored: -1, reused: false, price: 0 };
  const b = config.batch;
  const counting: Sampler = {
    name: sampler.name,
    sample(context) {
      const batch: Minibatch = sampler.sample(context);
      // fit's count: 3b for the step plus the sampler's forward-equivalents (B without reuse of
      // the presample's pass, B − b with it: (B + 3b)/(3b) or (B + 2b)/(3b))
      priced += (3 * b + batch.forwardEquivalents) / (3 * b);
      // the scored columns: forward-equivalents at one per column, plus the b a carried pass saves
      const reused = batch.pass !== undefined;
      const scored = batch.forwardEquivalents + (reused ? b : 0);
      if (scored !== last.scored || reused !== last.reused) {
        // computed once per kind of batch: nothing is allocated in the timed steps after that
        last = { scored, reused, price: flopPrice(config.sizes, { batch: b, scored, reused }) };
      }
      flopPriced += last.price;
      scoredColumns += scored;
      if (reused) reusedSteps++;
      steps++;
      return batch;
    },
    observe: sampler.observe?.bind(sampler),
    reset: sampler.reset?.bind(sampler),
  };
  await fit(model, data, {
    loss: config.loss,
    random: new Random(4),
    batchSize: b,
    learningRate: config.loss === "squaredError" ? 1e-3 : 0.01,
    steps: (rounds + WARM_UP_BLOCKS) * k,
    evaluateEvery: k,
    trainSubset: Math.min(b, data.x.cols),
    progress: "none",
    sampler: counting,
    onEvaluate(row) {
      const timed = row.step > WARM_UP_BLOCKS * k;
      if (timed) fitMs.push((row.seconds - previous) * 1000 / k);
      previous = row.seconds;
      const t0 = performance.now();
      for (let c = 0; c < k; c++) bare.step();
      const t1 = performance.now();
      if (timed) bareMs.push((t1 - t0) / k);
      if (updates) {
        const t2 = performance.now();
        for (let c = 0; c < k; c++) sgdUpdate(bare.net.thetas, update);
        if (timed) updateShares.push((performance.now() - t2) / (t1 - t0));
      }
      if (!forwards) return;
      const t3 = performance.now();
      for (let c = 0; c < k; c++) bare.forward();
      if (timed) shares.push((performance.now() - t3) / (t1 - t0));
    },
  });
  const ratios = fitMs.map((f, i) => f / bareMs[i]);
  return {
    fitMs: median(fitMs),
    bareMs: median(bareMs),
    ratio: median(ratios),
    price: priced / steps,
    flopPrice: flopPriced / steps,
    forwardShare: forwards ? median(shares) : NaN,
    updateShare: updates ? median(updateShares) : NaN,
    scoredPerColumn: scoredColumns / (steps * b),
    reusedShare: reusedSteps / steps,
  };
}

/**
 * A presampled step's price in measured time, in uniform steps: the scoring pass's B columns at
 * a bare forward pass's measured share f of a bare step per b columns, plus the rest of a step
 * (1 − f when the batch carries the scoring pass, else 1). Where the count price takes f = 1/3
 * and the FLOP price a tanh as one FLOP, this one prices each part at what it measured, so that
 * a presampled step over it is what the loop adds beyond the passes: sampling, scoring, gathers.
 *
 * @example f = 1/3, B = 3b, the pass reused: (B + 2b)/(3b), the count price
 * ```ts
 * import { timePrice } from "../bench/training_loop.ts";
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(timePrice(1 / 3, { scoredPerColumn: 3, reusedShare: 1 }) - 5 / 3) < 1e-15);
 * assert.equal(timePrice(0.5, { scoredPerColumn: 0, reusedShare: 0 }), 1); // a uniform step
 * ```
 */
export function timePrice(
  forwardShare: number,
  steps: { scoredPerColumn: number; reusedShare: number },
): number {
  return steps.scoredPerColumn * forwardShare + 1 - steps.reusedShare * forwardShare;
}

/**
 * Measures one configuration: the bare step, the fit step (uniform) and the presampled step, each
 * a median over `rounds` interleaved blocks of about `blockMs`.
 *
 * @example
 * ```ts
 * import { measureTrainingLoop } from "../bench/training_loop.ts";
 * import { courseConfig } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const row = await measureTrainingLoop(courseConfig(8, { batch: 4, hidden: 2 }), { rounds: 2, blockMs: 1 });
 * assert.equal(row.config, "n=8 B=4 L=2");
 * assert.ok(Number(row.fit_over_bare) > 0); // a time: not asserted beyond being measured
 * ```
 */
export async function measureTrainingLoop(
  config: PassConfig,
  options: { rounds?: number; blockMs?: number } = {},
): Promise<TrainingLoopRow> {
  const rounds = options.rounds ?? 31, blockMs = options.blockMs ?? 15;
  const uniform = await interleaved(config, {
    sampler: uniformSampler(),
    rounds,
    blockMs,
    updates: true,
  });
  const presampled = await interleaved(config, {
    sampler: presampler({ alwaysOn: true }),
    rounds,
    blockMs,
    forwards: true,
  });
  const fitOverBare = uniform.ratio, presampledOverBare = presampled.ratio;
  return {
    config: config.name,
    bare_step_ms: uniform.bareMs,
    fit_step_ms: uniform.fitMs,
    fit_over_bare: fitOverBare,
    update_share: uniform.updateShare,
    presampled_step_ms: presampled.fitMs,
    presampled_over_price: presampledOverBare / (fitOverBare * presampled.price),
    presampled_over_flop_price: presampledOverBare / (fitOverBare * presampled.flopPrice),
    forward_share: presampled.forwardShare,
    presampled_over_time_price: presampledOverBare /
      (fitOverBare * timePrice(presampled.forwardShare, presampled)),
  };
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick"), heapOnly = Deno.args.includes("--heap-only");
  const configs = trainingLoopConfigs({ quick });
  // the heap after V8's top tier has compiled the step (some 20,000 steps), each configuration
  // and sampler in a process of its own: the small networks, whose steps are short enough
  const heap: HeapRow[] = [];
  for (const config of configs.filter((c) => c.n <= 64)) {
    for (const sampler of ["uniform", "presampled"] as const) {
      heap.push(await measureHeapInProcess(config.name, { sampler }));
    }
  }
  const rows: TrainingLoopRow[] = [];
  // warm the compiler on fit's code first, or the first configuration pays for it
  if (!heapOnly) await measureTrainingLoop(configs[0], { rounds: 10 });
  for (const config of heapOnly ? [] : configs) {
    const row = await measureTrainingLoop(config, { rounds: quick ? 15 : 31 });
    rows.push(row);
    console.error(`${config.name}: fit/bare ${Number(row.fit_over_bare).toFixed(3)}`);
  }
  const dir = resultsDir("bench");
  if (!heapOnly) await writeCsv(`${dir}/training_loop.csv`, rows);
  await writeCsv(`${dir}/training_loop_heap.csv`, heap);
  const fmt = (r: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(r).map((
        [k, v],
      ) => [k, typeof v === "number" ? Number(v.toPrecision(4)) : String(v)]),
    );
  if (!heapOnly) console.log(textTable(rows.map(fmt)));
  console.log(textTable(heap.map(fmt)));
}
