/**
 * Selective Backprop (Jiang et al. 2019, "Accelerating deep learning by focusing on the biggest
 * losers", arXiv:1910.00762): forward a stream of candidates, keep each with probability
 * P(ℓ)^β, where P(ℓ) is the percentile of its loss among the R most recent candidates' losses,
 * and backpropagate the b kept samples.
 *
 * Here the candidates are uniform draws with replacement, forwarded in chunks of `chunk` (default
 * b); each candidate's loss enters the history, then it is kept with probability P(ℓ)^β, with
 * P(ℓ) = #{h ∈ H : h ≤ ℓ} / |H| (the fraction of the history, the candidate included, at or below
 * its loss; ∈ (0, 1]), until b are kept. The rest of a chunk is discarded (its forward is paid).
 * β = 0 keeps every candidate: the b first candidates, the uniform sampler's draws.
 *
 * Cost in forward-equivalents: the candidates forwarded (about b / E[P^β] per step, 2b for β = 1
 * at a stationary history, 3b for β = 2), beyond the step's own 3b: the step forwards the kept
 * samples again (a loop that reuses the candidates' forward, as the source does, saves b).
 *
 * Bias: weights are 1, as in the source, so the expected step is not the full gradient: each kept
 * sample is drawn from q_i ∝ P(ℓ_i)^β, not uniformly. {@link selectiveBackpropBias}
 * (lib/sampling/selective_backprop_bias.ts) measures ‖E[g] − ∇L‖/‖∇L‖ exactly for that law.
 *
 * @module
 */
import { checkBatch, type Minibatch, type SampleContext, type Sampler } from "./sampler.ts";
import { lossScore, Scorer } from "./scores.ts";
import type { Loss } from "../losses.ts";

/** Options of {@link selectiveBackpropSampler}. */
export interface SelectiveBackpropOptions {
  /** β ≥ 0, the selectivity: keep with probability P(ℓ)^β. Default 1. */
  beta?: number;
  /** R, the number of recent candidate losses whose percentile is taken. Default 1024. */
  history?: number;
  /** Candidates forwarded at a time. Default b. */
  chunk?: number;
  /** The name shown in tables. Default "selective backprop (β = <beta>)". */
  name?: string;
}

/**
 * P(ℓ) = #{h ∈ sorted[0, count) : h ≤ ℓ} / count, by binary search in an ascending array.
 *
 * @example
 * ```ts
 * import { percentileAtMost } from "@lib/sampling/selective_backprop.ts";
 * import assert from "node:assert/strict";
 * const sorted = Float64Array.of(1, 2, 2, 5);
 * assert.equal(percentileAtMost(sorted, 4, 2), 0.75);
 * assert.equal(percentileAtMost(sorted, 4, 0.5), 0);
 * assert.equal(percentileAtMost(sorted, 4, 9), 1);
 * ```
 */
export function percentileAtMost(sorted: Float64Array, count: number, loss: number): number {
  return upperBound(sorted, count, loss) / count;
}

/** The first position in sorted[0, count) whose value is > v. */
function upperBound(sorted: Float64Array, count: number, v: number): number {
  let lo = 0, hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The R most recent losses, in arrival order (a ring) and sorted (for percentiles): a push is two
 * binary searches and one `copyWithin`, O(R) moves and no allocation.
 *
 * @example
 * ```ts
 * import { LossHistory } from "@lib/sampling/selective_backprop.ts";
 * import assert from "node:assert/strict";
 * const h = new LossHistory(3);
 * for (const l of [5, 1, 3, 2]) h.push(l); // 5 falls out
 * assert.deepEqual(Array.from(h.sorted.subarray(0, h.count)), [1, 2, 3]);
 * assert.equal(h.percentile(2), 2 / 3);
 * ```
 */
export class LossHistory {
  /** R. */
  readonly capacity: number;
  /** The losses held, ascending, in [0, count). */
  readonly sorted: Float64Array;
  readonly #ring: Float64Array;
  #count = 0;
  #next = 0;

  /** @throws {RangeError} when capacity is not an integer >= 1 */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `cannot make a loss history: capacity must be an integer >= 1, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.sorted = new Float64Array(capacity);
    this.#ring = new Float64Array(capacity);
  }

  /** The number of losses held (at most R). */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds a loss, dropping the oldest when R are held.
   *
   * @throws {RangeError} when the loss is NaN
   */
  push(loss: number): void {
    if (Number.isNaN(loss)) throw new RangeError("cannot add a loss to the history: it is NaN");
    const sorted = this.sorted;
    let n = this.#count;
    if (n === this.capacity) {
      const old = this.#ring[this.#next];
      const at = upperBound(sorted, n, old) - 1; // the last copy of old
      sorted.copyWithin(at, at + 1, n);
      n--;
    }
    const at = upperBound(sorted, n, loss);
    sorted.copyWithin(at + 1, at, n);
    sorted[at] = loss;
    this.#count = n + 1;
    this.#ring[this.#next] = loss;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** P(ℓ), the fraction of held losses ≤ ℓ (0 when empty). */
  percentile(loss: number): number {
    return this.#count === 0 ? 0 : percentileAtMost(this.sorted, this.#count, loss);
  }

  /** Empties the history. */
  clear(): void {
    this.#count = this.#next = 0;
  }
}

/**
 * The Selective Backprop sampler (see the module doc), a class so that its counts read as data.
 * `sample` reuses its returned {@link Minibatch} and arrays (valid until the next `sample`).
 *
 * @example β = 0 keeps every candidate: uniform draws; β > 0 pays for the rejected candidates
 * ```ts
 * import { selectiveBackpropSampler } from "@lib/sampling/selective_backprop.ts";
 * import { uniformSampler } from "@lib/sampling/sampler.ts";
 * import { Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * const data = { name: "toy", x: Matrix.row([0, 1, 2, 3]), y: Matrix.row([3, 1, 0, 2]), labels: null };
 * const context = { model, data, loss: squaredError, batchSize: 3, step: 0 };
 * const all = selectiveBackpropSampler({ beta: 0 }).sample({ ...context, random: new Random(4) });
 * const uniform = uniformSampler().sample({ ...context, random: new Random(4) });
 * assert.deepEqual(Array.from(all.indices), Array.from(uniform.indices));
 * assert.equal(all.forwardEquivalents, 3);
 * const picky = selectiveBackpropSampler({ beta: 2 });
 * const batch = picky.sample({ ...context, random: new Random(4) });
 * assert.deepEqual(Array.from(batch.weights), [1, 1, 1]); // biased: weights 1
 * assert.ok(batch.forwardEquivalents >= 3 && batch.forwardEquivalents % 3 === 0);
 * assert.equal(picky.candidates, picky.history.count);
 * ```
 */
export class SelectiveBackpropSampler implements Sampler {
  /** The name shown in tables. */
  readonly name: string;
  /** β, the selectivity. */
  readonly beta: number;
  /** The recent candidates' losses. */
  readonly history: LossHistory;
  readonly #chunk: number | undefined;
  readonly #scorers = new Map<Loss, Scorer>();
  readonly #accept = Float64Array.of(0, 1);
  #batch: { indices: Int32Array; weights: Float64Array; forwardEquivalents: number } = {
    indices: new Int32Array(0),
    weights: new Float64Array(0),
    forwardEquivalents: 0,
  };
  #candidates = new Int32Array(0);
  #losses = new Float64Array(0);
  #considered = 0;

  /** @throws {RangeError} for options out of range */
  constructor(options: SelectiveBackpropOptions = {}) {
    const action = "cannot make a selective backprop sampler";
    const beta = options.beta ?? 1, chunk = options.chunk;
    if (!(beta >= 0) || beta === Infinity) {
      throw new RangeError(`${action}: beta must be finite and >= 0, got ${beta}`);
    }
    if (chunk !== undefined && !(Number.isInteger(chunk) && chunk >= 1)) {
      throw new RangeError(`${action}: chunk must be an integer >= 1, got ${chunk}`);
    }
    this.beta = beta;
    this.history = new LossHistory(options.history ?? 1024);
    this.#chunk = chunk;
    this.name = options.name ?? `selective backprop (β = ${beta})`;
  }

  /** Candidates considered (forwarded and tested) since the last reset. */
  get candidates(): number {
    return this.#considered;
  }

  /** Forwards uniform candidates chunk by chunk and keeps each with probability P(ℓ)^β. */
  sample(context: SampleContext): Minibatch {
    const n = checkBatch(context.data, context.batchSize, `the sampler '${this.name}'`);
    const b = context.batchSize, c = this.#chunk ?? b, random = context.random;
    if (this.#batch.indices.length !== b) {
      this.#batch = {
        indices: new Int32Array(b),
        weights: new Float64Array(b).fill(1),
        forwardEquivalents: 0,
      };
    }
    if (this.#candidates.length !== c) {
      this.#candidates = new Int32Array(c);
      this.#losses = new Float64Array(c);
    }
    const scorer = this.#scorer(context.loss), indices = this.#batch.indices;
    const candidates = this.#candidates, losses = this.#losses, accept = this.#accept;
    let kept = 0, forwarded = 0;
    while (kept < b) {
      for (let j = 0; j < c; j++) candidates[j] = random.int(n);
      scorer.scoreColumns(context.model, context.data, { indices: candidates, out: losses });
      forwarded += c;
      for (let j = 0; j < c && kept < b; j++) {
        this.history.push(losses[j]);
        this.#considered++;
        if (this.beta !== 0) {
          accept[0] = this.history.percentile(losses[j]) ** this.beta;
          if (random.fromCumulative(accept) !== 0) continue;
        }
        indices[kept++] = candidates[j];
      }
    }
    this.#batch.forwardEquivalents = scorer.cost(forwarded);
    return this.#batch;
  }

  /** Empties the history. */
  reset(): void {
    this.history.clear();
    this.#considered = 0;
  }

  #scorer(loss: Loss): Scorer {
    let scorer = this.#scorers.get(loss);
    if (scorer === undefined) {
      scorer = new Scorer(lossScore, { loss, chunk: 1 << 30 });
      this.#scorers.set(loss, scorer);
    }
    return scorer;
  }
}

/**
 * A {@link SelectiveBackpropSampler} (see the module doc for its source, cost and bias).
 *
 * @throws {RangeError} for options out of range
 * @example
 * ```ts
 * import { selectiveBackpropSampler } from "@lib/sampling/selective_backprop.ts";
 * import assert from "node:assert/strict";
 * assert.equal(selectiveBackpropSampler({ beta: 2 }).name, "selective backprop (β = 2)");
 * assert.throws(() => selectiveBackpropSampler({ beta: -1 }), /beta must be finite and >= 0/);
 * ```
 */
export function selectiveBackpropSampler(
  options: SelectiveBackpropOptions = {},
): SelectiveBackpropSampler {
  return new SelectiveBackpropSampler(options);
}
