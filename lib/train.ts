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
import type { Dataset } from "./datasets.ts";
import { type FitOptions, planFit } from "./fit_options.ts";
import { NonFiniteGradientError } from "./gradient_fault.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import { type Mlp, MlpPass } from "./mlp.ts";
import { inJupyter } from "./plot.ts";
import type { Random } from "./random.ts";
import { type Minibatch, type SampleContext, uniformSampler } from "./sampler.ts";
import { DivergenceError, type DivergenceFields, Sgd } from "./sgd.ts";

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

/** The state shown by a progress display. */
export interface ProgressState {
  /** Steps taken. */
  step: number;
  /** Steps in the whole run. */
  steps: number;
  /** The last evaluated training loss, null before the first evaluation. */
  trainLoss: number | null;
  /** The last evaluated test accuracy, or null. */
  testAccuracy: number | null;
  /** Training seconds so far (as in the history). */
  seconds: number;
  /** True on the last update of a run. */
  done: boolean;
}

/** Shows training progress. {@link fit} calls `update` after every step; it throttles itself. */
export interface ProgressReporter {
  /** Shows the state (or skips it when the last display was too recent and `done` is false). */
  update(state: ProgressState): void | Promise<void>;
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
export async function fit(model: Mlp, data: Dataset, options: FitOptions): Promise<HistoryRow[]> {
  const plan = planFit(model, data, options);
  const { steps, batchSize: b, every } = plan;
  const loss = resolveLoss(options.loss);
  const evaluationRandom = options.random.fork();
  const samplerRandom = options.random.fork();
  const n = data.x.cols;
  const subset = options.trainSubset === undefined
    ? null
    : seededSubset(evaluationRandom, n, options.trainSubset);
  const evaluationBatch = options.evaluationBatchSize ?? 1000;
  const trainEvaluator = new Evaluator(model, data, { indices: subset, loss, evaluationBatch });
  const testEvaluator = options.test === undefined
    ? null
    : new Evaluator(model, options.test, { indices: null, loss, evaluationBatch });
  const sampler = options.sampler ?? uniformSampler();
  sampler.reset?.();
  const sgd = new Sgd(model, { loss, learningRate: options.learningRate });
  const progress = resolveProgress(options.progress ?? "auto");
  const xb = new Matrix(data.x.rows, b), yb = new Matrix(data.y.rows, b);

  const history: HistoryRow[] = [];
  let seconds = 0, forwardEquivalents = 0;
  const state: ProgressState = {
    step: 0,
    steps,
    trainLoss: null,
    testAccuracy: null,
    seconds: 0,
    done: false,
  };
  const diverged = (step: number, what: string, value: number, cause?: DivergenceError) => {
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
  };
  const record = (step: number) => {
    const train = trainEvaluator.evaluate();
    if (!Number.isFinite(train.loss)) {
      if (step === 0) {
        // nothing was trained: not a divergence
        throw new RangeError(
          `cannot fit '${data.name}': before any step, the training loss of the initial model is ${train.loss}: this loss, model and data give no finite value to start from (check the scale of x and y)`,
        );
      }
      throw diverged(step, "training loss", train.loss);
    }
    const row = { step, train_loss: train.loss } as HistoryRow;
    if (train.accuracy !== null) row.train_accuracy = train.accuracy;
    if (testEvaluator !== null) {
      const test = testEvaluator.evaluate();
      row.test_loss = test.loss;
      if (test.accuracy !== null) row.test_accuracy = test.accuracy;
      state.testAccuracy = test.accuracy;
    }
    row.seconds = seconds;
    row.forward_equivalents = forwardEquivalents;
    history.push(row);
    state.trainLoss = train.loss;
    options.onEvaluate?.(row);
  };

  try {
    record(0);
    for (let t = 0; t < steps; t++) {
      const start = performance.now();
      const context: SampleContext = {
        model,
        data,
        loss,
        batchSize: b,
        random: samplerRandom,
        step: t,
      };
      const batch = sampler.sample(context);
      checkMinibatch(batch, { b, n, sampler: sampler.name, step: t + 1 });
      data.x.gatherColumns(batch.indices, xb);
      data.y.gatherColumns(batch.indices, yb);
      let result;
      try {
        result = sgd.step(xb, yb, { weights: batch.weights });
      } catch (error) {
        if (error instanceof DivergenceError) {
          throw diverged(error.step, error.quantity, error.loss, error);
        }
        if (error instanceof NonFiniteGradientError) {
          const col = error.col,
            sample = col === null
              ? ""
              : ` (batch column ${col} is sample ${batch.indices[col]} of the training set)`;
          throw new NonFiniteGradientError(
            `cannot fit '${data.name}': at step ${t + 1}, ${error.reason}${sample}`,
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
      forwardEquivalents += 3 * b + batch.forwardEquivalents;
      if (sampler.observe) {
        const { pass, values, weights } = result;
        let norms: Float64Array | null = null;
        sampler.observe({
          step: t + 1,
          batch,
          losses: values,
          pass,
          gradientNorms: () => (norms ??= model.perSampleGradientNorms(pass, { weights })),
        });
      }
      seconds += (performance.now() - start) / 1000;
      if ((t + 1) % every === 0 || t + 1 === steps) record(t + 1);
      state.step = t + 1;
      state.seconds = seconds;
      state.done = t + 1 === steps;
      if (progress !== null) await progress.update(state);
    }
  } catch (error) {
    // end the display where training stopped
    if (progress !== null && !state.done) await progress.update({ ...state, done: true });
    throw error;
  }
  return history;
}

function checkMinibatch(
  batch: Minibatch,
  { b, n, sampler, step }: { b: number; n: number; sampler: string; step: number },
): void {
  const fail = (message: string) =>
    new RangeError(`cannot fit: sampler '${sampler}' at step ${step} ${message}`);
  if (batch?.indices?.length !== b) {
    throw fail(`returned ${batch?.indices?.length} indices for a batch of ${b}`);
  }
  if (batch.weights?.length !== b) {
    throw fail(`returned ${batch.weights?.length} weights for a batch of ${b}`);
  }
  for (let j = 0; j < b; j++) {
    const i = batch.indices[j], w = batch.weights[j];
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw fail(`returned index ${i} at position ${j}, outside [0, ${n})`);
    }
    if (!(w >= 0) || w === Infinity) throw fail(`returned weight ${w} at position ${j}`);
  }
  const cost = batch.forwardEquivalents;
  if (!(cost >= 0) || cost === Infinity) throw fail(`returned a scoring cost of ${cost}`);
}

/** k distinct indices of [0, n), drawn by a partial Fisher–Yates shuffle, sorted. */
function seededSubset(random: Random, n: number, k: number): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let j = 0; j < k; j++) {
    const r = j + random.int(n - j);
    const t = pool[j];
    pool[j] = pool[r];
    pool[r] = t;
  }
  return pool.slice(0, k).sort();
}

/** Mean loss and accuracy over a fixed set of columns, by chunks with reused workspaces. */
class Evaluator {
  readonly #model: Mlp;
  readonly #data: Dataset;
  readonly #loss: Loss;
  readonly #chunks: Int32Array[];
  readonly #buffers = new Map<
    number,
    { x: Matrix; y: Matrix; pass: MlpPass; values: Float64Array }
  >();
  readonly #count: number;

  constructor(
    model: Mlp,
    data: Dataset,
    options: { indices: Int32Array | null; loss: Loss; evaluationBatch: number },
  ) {
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
          pass: new MlpPass(this.#model.sizes, c),
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

// Progress ----------------------------------------------------------------------------------

function resolveProgress(spec: "auto" | "none" | ProgressReporter): ProgressReporter | null {
  if (spec === "none") return null;
  if (spec !== "auto") return spec;
  if (underDenoTest()) return null;
  // A notebook's display ends in a state without wall time, the same in CI and out of it, so
  // that committed notebooks re-execute to the same outputs wherever they run.
  if (inJupyter()) return notebookProgress();
  if (envFlag("CI") || !Deno.stderr.isTerminal()) return null;
  return terminalProgress();
}

function envFlag(name: string): boolean {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return false;
    }
    const v = Deno.env.get(name);
    return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
  } catch {
    return false;
  }
}

/** Under `deno test` the main module is a test file or a documentation test block. */
function underDenoTest(): boolean {
  try {
    return /([._]test\.[cm]?[jt]sx?|#\d+-\d+\.[cm]?[jt]sx?)$/.test(Deno.mainModule);
  } catch {
    return false;
  }
}

function describe(state: ProgressState, options: { seconds: boolean }): string {
  const parts = [`step ${state.step}/${state.steps}`];
  if (state.trainLoss !== null) parts.push(`train loss ${state.trainLoss.toPrecision(4)}`);
  if (state.testAccuracy !== null) {
    parts.push(`test accuracy ${(100 * state.testAccuracy).toFixed(1)}%`);
  }
  if (options.seconds) parts.push(`${state.seconds.toFixed(1)} s`);
  return parts.join(" · ");
}

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Writes text to the terminal. Default: Deno.stderr. */
  write?: (text: string) => void;
  /** Minimum milliseconds between redraws. Default 100. */
  intervalMs?: number;
  /** Bar width in characters. Default 30. */
  width?: number;
}

/**
 * A one-line progress bar redrawn in place (carriage return), ending with a newline.
 *
 * @example
 * ```ts
 * import { terminalProgress } from "@lib/train.ts";
 * import assert from "node:assert/strict";
 * let text = "";
 * const bar = terminalProgress({ write: (s) => (text += s), width: 10 });
 * bar.update({ step: 5, steps: 10, trainLoss: 0.5, testAccuracy: null, seconds: 1, done: false });
 * bar.update({ step: 10, steps: 10, trainLoss: 0.25, testAccuracy: 0.9, seconds: 2, done: true });
 * assert.match(text, /\[#####-----\]  50% step 5\/10 · train loss 0\.5000/);
 * assert.match(text, /\[##########\] 100% step 10\/10 · train loss 0\.2500 · test accuracy 90\.0% · 2\.0 s\x1b\[K\n$/);
 * ```
 */
export function terminalProgress(options: TerminalProgressOptions = {}): ProgressReporter {
  const encoder = new TextEncoder();
  const write = options.write ?? ((text: string) => {
    Deno.stderr.writeSync(encoder.encode(text));
  });
  const interval = options.intervalMs ?? 100, width = options.width ?? 30;
  let last = -Infinity;
  return {
    update(state) {
      const now = performance.now();
      if (!state.done && now - last < interval) return;
      last = now;
      const fraction = state.steps === 0 ? 1 : state.step / state.steps;
      const filled = Math.round(fraction * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      const percent = String(Math.floor(100 * fraction)).padStart(3);
      const line = `[${bar}] ${percent}% ${describe(state, { seconds: true })}`;
      write(`\r${line}\x1b[K${state.done ? "\n" : ""}`);
    },
  };
}

/** Options of {@link notebookProgress}. */
export interface NotebookProgressOptions {
  /** Publishes a bundle. Default: Deno.jupyter.display (only call it inside the kernel). */
  display?: (
    bundle: Record<string, string>,
    options: { raw: true; display_id: string; update: boolean },
  ) => void | Promise<void>;
  /** Minimum milliseconds between updates. Default 500. */
  intervalMs?: number;
}

let displayCounter = 0;

/**
 * A live display in a Jupyter notebook: one output updated in place (`display_id`), throttled.
 * The final update shows no wall time, so that a re-executed notebook gives the same output.
 *
 * @example
 * ```ts
 * import { notebookProgress } from "@lib/train.ts";
 * import assert from "node:assert/strict";
 * const shown: { text: string; update: boolean; id: string }[] = [];
 * const progress = notebookProgress({
 *   display: (bundle, o) => void shown.push({ text: bundle["text/plain"], update: o.update, id: o.display_id }),
 *   intervalMs: 0,
 * });
 * await progress.update({ step: 1, steps: 2, trainLoss: 1, testAccuracy: null, seconds: 0.1, done: false });
 * await progress.update({ step: 2, steps: 2, trainLoss: 0.5, testAccuracy: null, seconds: 0.2, done: true });
 * assert.deepEqual(shown.map((s) => s.update), [false, true]);
 * assert.equal(shown[0].id, shown[1].id);
 * assert.equal(shown[1].text, "fit: step 2/2 · train loss 0.5000");
 * ```
 */
export function notebookProgress(options: NotebookProgressOptions = {}): ProgressReporter {
  const display = options.display ??
    ((bundle, o) => Deno.jupyter.display(bundle as Deno.jupyter.MediaBundle, o));
  const interval = options.intervalMs ?? 500;
  const id = `sgdlab-fit-${++displayCounter}-${crypto.randomUUID()}`;
  let last = -Infinity, shown = false;
  return {
    async update(state) {
      const now = performance.now();
      if (!state.done && now - last < interval) return;
      last = now;
      const text = `fit: ${describe(state, { seconds: !state.done })}`;
      const html = `<progress value="${state.step}" max="${state.steps}"></progress> ${
        text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
      }`;
      await display({ "text/plain": text, "text/html": html }, {
        raw: true,
        display_id: id,
        update: shown,
      });
      shown = true;
    },
  };
}
