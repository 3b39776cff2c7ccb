/**
 * `fit()`: the training loop that notebooks and experiments share. It draws minibatches from a
 * sampler, takes weighted SGD steps, evaluates every k steps and returns a plain history.
 *
 * Everything in the history except the `seconds` column is a deterministic function of the model,
 * the data and the options: two fits from equal models with equally seeded `random` give
 * bit-identical rows apart from `seconds`.
 *
 * @module
 */
import type { Dataset, Inputs } from "./datasets.ts";
import { type FitOptions, planFit } from "./fit_options.ts";
import { NonFiniteGradientError } from "./gradient_fault.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { KernelLease } from "./kernel_lease.ts";
import { Matrix } from "./matrix.ts";
import { MinibatchStep } from "./minibatch_step.ts";
import { type Mlp, MlpPass } from "./mlp.ts";
import { progressReporter, type ProgressState } from "./progress.ts";
import type { Random } from "./random.ts";
import { partialShuffle, uniformSampler } from "./sampling/sampler.ts";
import { DivergenceError, type DivergenceFields, type Sgd, type SgdStepResult } from "./sgd.ts";

export type { FitOptions } from "./fit_options.ts";

/** One row of a training history, written after every evaluation. Keys are CSV column names. */
export interface HistoryRow {
  /** SGD steps taken (0 for the row before training). */
  step: number;
  /** Mean loss (1/n) Σ ℓ_i over the training set or its fixed evaluation subset, unweighted. */
  train_loss: number;
  /** Fraction of the training (sub)set classified correctly, when the data has labels. */
  train_accuracy?: number;
  /** Mean loss over the test set, when one is given. */
  test_loss?: number;
  /** Fraction of the test set classified correctly, when the test set has labels. */
  test_accuracy?: number;
  /**
   * Wall-clock seconds spent training so far: sampling, scoring, forward, backward and update;
   * not evaluation or progress display. The one column that is not deterministic.
   */
  seconds: number;
  /**
   * Training cost so far in forward-equivalents: a forward pass of one sample counts 1, a
   * backward pass 2, so a step on b samples costs 3b, plus what the sampler spent on scoring.
   * Evaluation is not counted.
   */
  forward_equivalents: number;
}

/**
 * A divergence met by {@link fit}, carrying the history written before it.
 *
 * @example A learning rate far too large
 * ```ts
 * import { fit, TrainingDivergedError } from "@lib/train.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const data = { name: "line", x: Matrix.row([-1, 0, 1]), y: Matrix.row([-1, 0, 1]), labels: null };
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * await assert.rejects(
 *   fit(model, data, { loss: "squaredError", random: new Random(1), batchSize: 1, learningRate: 1e3, steps: 1000, progress: "none" }),
 *   (e) => e instanceof TrainingDivergedError && e.history[0].step === 0 && /at step \d+ \(last finite loss/.test(e.message),
 * );
 * ```
 */
export class TrainingDivergedError extends DivergenceError {
  /** The error's name. */
  override name = "TrainingDivergedError";
  /** The rows written before training stopped. */
  readonly history: HistoryRow[];

  /**
   * An error with a full message and the history written before it.
   *
   * @param message the full message, naming the step and the last finite loss
   */
  constructor(message: string, fields: DivergenceFields & { history: HistoryRow[] }) {
    super(message, fields);
    this.history = fields.history;
  }
}

/**
 * Trains `model` in place on `data` by weighted minibatch SGD and returns its history.
 *
 * @throws {RangeError} naming the option for bad options, and the data set and the sample for bad
 * data (see {@link planFit}); when the initial model has no finite training loss
 * @throws {TrainingDivergedError} (a RangeError) when a loss becomes NaN or infinite, or the
 * gradient overflows, naming the step and the last finite loss
 * @throws {NonFiniteGradientError} (a RangeError) when a gradient is not finite for another cause
 * (a σ′, the loss gradient), naming the step, the layer and the training sample
 * @example Fit a line; the same seed gives the same history
 * ```ts
 * import { fit } from "@lib/train.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const xs = Array.from({ length: 64 }, (_, i) => i / 32 - 1);
 * const data = { name: "line", x: Matrix.row(xs), y: Matrix.row(xs.map((v) => 3 * v - 1)), labels: null };
 * const run = () => {
 *   const model = Mlp.create([1, 1], { random: new Random(0) });
 *   return fit(model, data, {
 *     loss: "squaredError", random: new Random(1), batchSize: 8, learningRate: 0.1, steps: 200,
 *     evaluateEvery: 50, progress: "none",
 *   });
 * };
 * const history = await run();
 * assert.deepEqual(history.map((r) => r.step), [0, 50, 100, 150, 200]);
 * assert.ok(history[4].train_loss < 1e-3 * history[0].train_loss);
 * assert.equal(history[1].forward_equivalents, 50 * 3 * 8);
 * const again = await run();
 * assert.deepEqual(again.map((r) => ({ ...r, seconds: 0 })), history.map((r) => ({ ...r, seconds: 0 })));
 * ```
 */
export async function fit(
  model: Mlp,
  data: Dataset<Inputs>,
  options: FitOptions,
): Promise<HistoryRow[]> {
  const { steps, batchSize: b, every } = planFit(model, data, options);
  const loss = resolveLoss(options.loss);
  const evaluationRandom = options.random.fork();
  const samplerRandom = options.random.fork();
  const sampler = options.sampler ?? uniformSampler();
  sampler.reset?.();
  // θ and every workspace live in the products' memory while training (no operand copies), and
  // are given back at the end: see lib/kernel_lease.ts
  const lease = new KernelLease();
  const restore = leaseParameters(model, lease);
  const allocate = (length: number) => lease.array(length);
  const stepper = new MinibatchStep(model, data, {
    loss,
    batchSize: b,
    random: samplerRandom,
    sampler,
    learningRate: options.learningRate,
    action: "cannot fit",
    allocate,
    finiteData: true, // planFit checked x
    reuseBatches: true, // each batch is read before the next draw, and none is kept
  });
  const sgd = stepper.sgd!;
  const record = recorder(model, data, {
    options,
    loss,
    random: evaluationRandom,
    steps,
    sgd,
    allocate,
  });
  const progress = progressReporter(options.progress ?? "auto");
  const { run, state } = record;
  try {
    record.row(0);
    const explain = { data, history: run.history, step: 0 }; // refilled: no record per step
    // Steps from..to−1, timed as a whole: the clock's reading is a new number each time.
    const runSteps = (from: number, to: number) => {
      const start = performance.now();
      for (let t = from; t < to; t++) {
        const batch = stepper.draw(t);
        explain.step = t + 1;
        const result = stepOrExplain(stepper, explain);
        run.forwardEquivalents += 3 * b + batch.forwardEquivalents;
        stepper.observe(result);
      }
      run.seconds += (performance.now() - start) / 1000;
    };
    // up to the next evaluation at once, or one step at a time for a progress display
    for (let t = 0; t < steps;) {
      const next = progress === null ? Math.min(steps, (Math.floor(t / every) + 1) * every) : t + 1;
      runSteps(t, next);
      t = next;
      if (t % every === 0 || t === steps) record.row(t);
      state.step = t;
      state.seconds = run.seconds;
      state.done = t === steps;
      if (progress !== null) await progress.update(state);
    }
  } catch (error) {
    // end the display where training stopped
    if (progress !== null && !state.done) await progress.update({ ...state, done: true });
    throw error;
  } finally {
    restore();
    lease.release();
  }
  return run.history;
}

/**
 * Moves θ into leased kernel memory: each `model.thetas[l]` becomes a copy there. Returns what
 * undoes it: the values are copied back into the original matrices, which are put back.
 */
function leaseParameters(model: Mlp, lease: KernelLease): () => void {
  const originals = model.thetas.slice();
  for (let l = 0; l < originals.length; l++) {
    const t = originals[l], data = lease.array(t.size);
    data.set(t.data);
    model.thetas[l] = new Matrix(t.rows, t.cols, data);
  }
  return () => {
    for (let l = 0; l < originals.length; l++) {
      originals[l].data.set(model.thetas[l].data);
      model.thetas[l] = originals[l];
    }
  };
}

/** What a fit has written and spent so far. */
interface FitRun {
  history: HistoryRow[];
  seconds: number;
  forwardEquivalents: number;
}

/**
 * The evaluation side of a fit: its history and progress state, and `row(step)`, which evaluates
 * the model, appends a history row and updates the state (throwing when the loss is not finite).
 */
function recorder(
  model: Mlp,
  data: Dataset<Inputs>,
  { options, loss, random, steps, sgd, allocate }: {
    options: FitOptions;
    loss: Loss;
    random: Random;
    steps: number;
    sgd: Sgd;
    allocate: (length: number) => Float64Array;
  },
) {
  const subset = options.trainSubset === undefined
    ? null
    : seededSubset(random, data.x.cols, options.trainSubset);
  const evaluationBatch = options.evaluationBatchSize ?? 1000;
  const trainEvaluator = new Evaluator(model, data, {
    indices: subset,
    loss,
    evaluationBatch,
    allocate,
  });
  const testEvaluator = options.test === undefined
    ? null
    : new Evaluator(model, options.test, { indices: null, loss, evaluationBatch, allocate });
  const run: FitRun = { history: [], seconds: 0, forwardEquivalents: 0 };
  const state: ProgressState = {
    step: 0,
    steps,
    trainLoss: null,
    testAccuracy: null,
    seconds: 0,
    done: false,
  };
  const row = (step: number) => {
    const train = trainEvaluator.evaluate();
    if (!Number.isFinite(train.loss)) {
      if (step === 0) {
        // nothing was trained: not a divergence
        throw new RangeError(
          `cannot fit '${data.name}': before any step, the training loss of the initial model is ${train.loss}: this loss, model and data give no finite value to start from (check the scale of x and y)`,
        );
      }
      throw divergedError(sgd, {
        data,
        history: run.history,
        step,
        what: "training loss",
        value: train.loss,
      });
    }
    const r = { step, train_loss: train.loss } as HistoryRow;
    if (train.accuracy !== null) r.train_accuracy = train.accuracy;
    if (testEvaluator !== null) {
      const test = testEvaluator.evaluate();
      r.test_loss = test.loss;
      if (test.accuracy !== null) r.test_accuracy = test.accuracy;
      state.testAccuracy = test.accuracy;
    }
    r.seconds = run.seconds;
    r.forward_equivalents = run.forwardEquivalents;
    run.history.push(r);
    state.trainLoss = train.loss;
    options.onEvaluate?.(r);
  };
  return { run, state, row };
}

/**
 * The SGD step on the batch drawn last; a failure is rethrown naming the data set, the step and,
 * for a non-finite gradient, the training sample behind the failing batch column.
 */
function stepOrExplain(
  stepper: MinibatchStep,
  { data, history, step }: { data: Dataset<Inputs>; history: HistoryRow[]; step: number },
): SgdStepResult {
  try {
    return stepper.update();
  } catch (error) {
    if (error instanceof DivergenceError) {
      throw divergedError(stepper.sgd!, {
        data,
        history,
        step: error.step,
        what: error.quantity,
        value: error.loss,
        cause: error,
      });
    }
    if (error instanceof NonFiniteGradientError) {
      const col = error.col,
        sample = col === null
          ? ""
          : ` (batch column ${col} is sample ${stepper.batch!.indices[col]} of the training set)`;
      throw new NonFiniteGradientError(
        `cannot fit '${data.name}': at step ${step}, ${error.reason}${sample}`,
        {
          layer: error.layer,
          kind: error.kind,
          row: error.row,
          col: error.col,
          value: error.value,
          reason: error.reason,
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** The {@link TrainingDivergedError} for a non-finite `what` at `step`. */
function divergedError(
  sgd: Sgd,
  { data, history, step, what, value, cause }: {
    data: Dataset<Inputs>;
    history: HistoryRow[];
    step: number;
    what: string;
    value: number;
    cause?: DivergenceError;
  },
): TrainingDivergedError {
  const last = sgd.lastFiniteLoss;
  const before = last === null
    ? "no finite minibatch loss before it"
    : `last finite loss ${last} at step ${sgd.steps}`;
  // a gradient that overflowed at a finite loss says so, with where it overflowed
  const gradient = cause?.reason ?? null;
  const at = gradient === null
    ? `(${before})`
    : `where the minibatch loss ${cause!.minibatchLoss} is finite (${before}): ${gradient}`;
  return new TrainingDivergedError(
    `cannot fit '${data.name}': the ${what} is ${value} at step ${step}${
      gradient === null ? " " : ", "
    }${at}`,
    {
      step,
      quantity: what,
      loss: value,
      lastFiniteLoss: last,
      history,
      cause,
      ...(cause?.minibatchLoss == null ? {} : { minibatchLoss: cause.minibatchLoss }),
      ...(gradient === null ? {} : { reason: gradient }),
    },
  );
}

/** k distinct indices of [0, n), drawn by a partial Fisher–Yates shuffle, sorted. */
function seededSubset(random: Random, n: number, k: number): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  return partialShuffle(pool, { count: k, random }).slice(0, k).sort();
}

/** Mean loss and accuracy over a fixed set of columns, by chunks with reused workspaces. */
class Evaluator {
  readonly #model: Mlp;
  readonly #data: Dataset<Inputs>;
  readonly #loss: Loss;
  readonly #chunks: Int32Array[];
  readonly #buffers = new Map<
    number,
    { x: Matrix; y: Matrix; pass: MlpPass; values: Float64Array }
  >();
  readonly #count: number;
  readonly #allocate: (length: number) => Float64Array;

  constructor(
    model: Mlp,
    data: Dataset<Inputs>,
    options: {
      indices: Int32Array | null;
      loss: Loss;
      evaluationBatch: number;
      allocate: (length: number) => Float64Array;
    },
  ) {
    this.#allocate = options.allocate;
    this.#model = model;
    this.#data = data;
    this.#loss = options.loss;
    const all = options.indices ?? Int32Array.from({ length: data.x.cols }, (_, i) => i);
    this.#count = all.length;
    this.#chunks = [];
    for (let s = 0; s < all.length; s += options.evaluationBatch) {
      this.#chunks.push(all.subarray(s, Math.min(all.length, s + options.evaluationBatch)));
    }
  }

  evaluate(): { loss: number; accuracy: number | null } {
    const labels = this.#data.labels;
    let total = 0, correct = 0;
    for (const chunk of this.#chunks) {
      const c = chunk.length;
      let buf = this.#buffers.get(c);
      if (buf === undefined) {
        buf = {
          x: new Matrix(this.#data.x.rows, c),
          y: new Matrix(this.#data.y.rows, c),
          pass: new MlpPass(this.#model.sizes, c, { allocate: this.#allocate }),
          values: new Float64Array(c),
        };
        this.#buffers.set(c, buf);
      }
      this.#data.x.gatherColumns(chunk, buf.x);
      this.#data.y.gatherColumns(chunk, buf.y);
      const pass = this.#model.forward(buf.x, buf.pass);
      const values = this.#loss.values(pass.output, buf.y, buf.values);
      for (let j = 0; j < c; j++) total += values[j];
      if (labels) {
        const out = pass.output, rows = out.rows, d = out.data;
        for (let j = 0; j < c; j++) {
          let best = 0;
          for (let r = 1; r < rows; r++) if (d[r * c + j] > d[best * c + j]) best = r;
          if (best === labels[chunk[j]]) correct++;
        }
      }
    }
    return { loss: total / this.#count, accuracy: labels ? correct / this.#count : null };
  }
}
