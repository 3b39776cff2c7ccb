/**
 * ISGD, inconsistent stochastic gradient descent (Wang, Yang, Min & Chakradhar 2017,
 * "Accelerating deep neural network training with inconsistent stochastic gradient descent",
 * Neural Networks 93; cited by the course; /work/shared/reference/importance-sampling.md §6):
 * a minibatch whose loss is above a control limit, the moving mean + k·sd of the losses of recent
 * minibatches, is under-trained and gets extra update steps.
 *
 * How the loop-level policy maps onto the {@link Sampler} interface: `observe` sees the loss of
 * the step just taken and decides whether the next step repeats the batch; when it does, the next
 * `sample` returns the same indices and weights (the same arrays), so the loop takes one more
 * ordinary SGD step on it, at the updated θ. Otherwise `sample` draws b indices uniformly with
 * replacement (the same draws as `uniformSampler()` from the same stream), weights 1.
 *
 * - Control chart: the mean ψ̄ and sample standard deviation σ_ψ of the losses of the last
 *   `window` fresh (not repeated) batches (default the batches per epoch, ⌈N/b⌉); the limit is
 *   ψ̄ + k·σ_ψ (k = 3, the 3-sigma rule), used once the window is full. A fresh batch whose loss is
 *   above the limit is flagged; its loss enters the window after the test.
 * - Extra steps: a flagged batch is repeated while its loss, measured by the repeat step itself
 *   at θ before that step, stays above the limit it was flagged against, at most `maxExtra` times
 *   ("until its determined loss falls below a pre-determined threshold or a pre-determined number
 *   of iterations is reached").
 * - Simplified: the source's extra steps minimise ½(ψ_w − limit)² + (ε/2n_w)‖w − w_{t−1}‖² (a
 *   chasing term and a conservative constraint); here they are plain SGD steps on the batch's
 *   loss, at the loop's η. The batch loss ψ is the unweighted mean of the step's per-sample losses.
 *
 * Cost: each repeat is a normal step (3b forward-equivalents, counted by the loop); choosing costs
 * nothing (`forwardEquivalents` 0). Bias: the expected step is not the full gradient. Repeats add
 * steps on high-loss batches, which weights the effective objective towards them; one step of a
 * fresh batch is unbiased, a flagged batch's extra steps are not.
 *
 * @module
 */
import {
  checkBatch,
  type Minibatch,
  type SampleContext,
  type Sampler,
  type StepFeedback,
} from "./sampler.ts";

/** Options of {@link isgdSampler}. */
export interface IsgdOptions {
  /** k, the control limit's multiple of the standard deviation. Default 3. */
  k?: number;
  /** The number of recent fresh-batch losses in the control chart. Default ⌈N/b⌉. */
  window?: number;
  /** The most extra steps on one batch. Default 5. */
  maxExtra?: number;
  /** The name shown in tables. Default "ISGD". */
  name?: string;
}

/**
 * The ISGD sampler (see the module doc), a class so that its decisions read as data.
 *
 * @example A batch far above the control chart is repeated; its indices and weights come back
 * ```ts
 * import { isgdSampler } from "@lib/sampling/isgd.ts";
 * import { Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
 * import type { StepFeedback } from "@lib/sampling/sampler.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * const data = { name: "toy", x: Matrix.row([0, 1, 2, 3]), y: Matrix.row([0, 1, 2, 3]), labels: null };
 * const sampler = isgdSampler({ window: 3 });
 * const context = { model, data, loss: squaredError, batchSize: 2, random: new Random(1), step: 0 };
 * const feed = (step: number, loss: number) => {
 *   const batch = sampler.sample({ ...context, step: step - 1 });
 *   sampler.observe({ step, batch, losses: Float64Array.of(loss, loss) } as unknown as StepFeedback);
 *   return batch;
 * };
 * feed(1, 1); feed(2, 1.1); feed(3, 0.9); // the window fills: ψ̄ = 1, σ_ψ = 0.1, limit 1.3
 * const flagged = Array.from(feed(4, 2).indices);
 * assert.equal(sampler.repeatNext, true);
 * const again = sampler.sample({ ...context, step: 4 });
 * assert.deepEqual(Array.from(again.indices), flagged);
 * assert.equal(sampler.extraSteps, 1);
 * ```
 */
export class IsgdSampler implements Sampler {
  /** The name shown in tables. */
  readonly name: string;
  /** k, the control limit's multiple of σ_ψ. */
  readonly k: number;
  /** The most extra steps on one batch. */
  readonly maxExtra: number;
  readonly #windowOption: number | undefined;
  #losses = new Float64Array(0);
  #count = 0;
  #next = 0;
  #batch: { indices: Int32Array; weights: Float64Array; forwardEquivalents: number } = {
    indices: new Int32Array(0),
    weights: new Float64Array(0),
    forwardEquivalents: 0,
  };
  #repeatNext = false;
  #repeating = false;
  #extraOnBatch = 0;
  #extraSteps = 0;
  #flagged = 0;
  #limit = Infinity;
  #lastLoss = NaN;

  /** @throws {RangeError} for options out of range */
  constructor(options: IsgdOptions = {}) {
    const action = "cannot make an ISGD sampler";
    const k = options.k ?? 3, maxExtra = options.maxExtra ?? 5, window = options.window;
    if (!(k >= 0)) throw new RangeError(`${action}: k must be >= 0, got ${k}`);
    if (!Number.isInteger(maxExtra) || maxExtra < 0) {
      throw new RangeError(`${action}: maxExtra must be an integer >= 0, got ${maxExtra}`);
    }
    if (window !== undefined && !(Number.isInteger(window) && window >= 2)) {
      throw new RangeError(`${action}: window must be an integer >= 2, got ${window}`);
    }
    this.k = k;
    this.maxExtra = maxExtra;
    this.#windowOption = window;
    this.name = options.name ?? "ISGD";
  }

  /** Whether the next `sample` repeats the last batch. */
  get repeatNext(): boolean {
    return this.#repeatNext;
  }

  /** Whether the last `sample` returned a repeated batch. */
  get repeating(): boolean {
    return this.#repeating;
  }

  /** Extra (repeated) steps since the last reset. */
  get extraSteps(): number {
    return this.#extraSteps;
  }

  /** Fresh batches flagged above the control limit since the last reset. */
  get flaggedBatches(): number {
    return this.#flagged;
  }

  /** The control limit of the last fresh batch (Infinity until the window is full). */
  get limit(): number {
    return this.#limit;
  }

  /** ψ, the mean loss of the last observed step. */
  get lastLoss(): number {
    return this.#lastLoss;
  }

  /** The last batch again when `observe` asked for it; otherwise b uniform draws, weights 1. */
  sample(context: SampleContext): Minibatch {
    const n = checkBatch(context.data, context.batchSize, `the sampler '${this.name}'`);
    const b = context.batchSize;
    if (this.#repeatNext && this.#batch.indices.length === b) {
      this.#repeatNext = false;
      this.#repeating = true;
      this.#extraOnBatch++;
      this.#extraSteps++;
      return this.#batch;
    }
    if (this.#losses.length === 0) {
      this.#losses = new Float64Array(this.#windowOption ?? Math.max(2, Math.ceil(n / b)));
    }
    if (this.#batch.indices.length !== b) {
      this.#batch = {
        indices: new Int32Array(b),
        weights: new Float64Array(b).fill(1),
        forwardEquivalents: 0,
      };
    }
    const indices = this.#batch.indices, random = context.random;
    for (let j = 0; j < b; j++) indices[j] = random.int(n);
    this.#repeatNext = this.#repeating = false;
    this.#extraOnBatch = 0;
    return this.#batch;
  }

  /** Tests the step's batch loss against the control limit; decides whether to repeat it. */
  observe(feedback: StepFeedback): void {
    const losses = feedback.losses, b = losses.length;
    let psi = 0;
    for (let j = 0; j < b; j++) psi += losses[j];
    psi /= b;
    this.#lastLoss = psi;
    if (this.#repeating) {
      this.#repeatNext = psi > this.#limit && this.#extraOnBatch < this.maxExtra;
      return;
    }
    this.#limit = this.#controlLimit();
    const flagged = psi > this.#limit;
    if (flagged) this.#flagged++;
    this.#push(psi);
    this.#repeatNext = flagged && this.maxExtra > 0;
  }

  /** Forgets the control chart and any pending repeat. */
  reset(): void {
    this.#losses = new Float64Array(0);
    this.#count =
      this.#next =
      this.#extraOnBatch =
      this.#extraSteps =
      this.#flagged =
        0;
    this.#batch = {
      indices: new Int32Array(0),
      weights: new Float64Array(0),
      forwardEquivalents: 0,
    };
    this.#repeatNext = this.#repeating = false;
    this.#limit = Infinity;
    this.#lastLoss = NaN;
  }

  /** ψ̄ + k·σ_ψ over a full window (sample standard deviation), Infinity before. */
  #controlLimit(): number {
    const window = this.#losses, m = window.length;
    if (this.#count < m) return Infinity;
    let mean = 0;
    for (let i = 0; i < m; i++) mean += window[i];
    mean /= m;
    let ss = 0;
    for (let i = 0; i < m; i++) ss += (window[i] - mean) ** 2;
    return mean + this.k * Math.sqrt(ss / (m - 1));
  }

  #push(psi: number): void {
    this.#losses[this.#next] = psi;
    this.#next = (this.#next + 1) % this.#losses.length;
    this.#count = Math.min(this.#count + 1, this.#losses.length);
  }
}

/**
 * An {@link IsgdSampler} (see the module doc for its source, cost and bias).
 *
 * @throws {RangeError} for options out of range
 * @example
 * ```ts
 * import { isgdSampler } from "@lib/sampling/isgd.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isgdSampler().k, 3);
 * assert.throws(() => isgdSampler({ maxExtra: -1 }), /maxExtra must be an integer >= 0/);
 * ```
 */
export function isgdSampler(options: IsgdOptions = {}): IsgdSampler {
  return new IsgdSampler(options);
}
