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
 * Forward reuse: the candidates' forward passes already hold the kept samples' forward pass at
 * the current θ, so as each chunk is tested its kept columns (x_l and z_l of every layer) are
 * copied into a b-column pass that the batch carries ({@link Minibatch.pass}), and the step runs
 * only its backward pass, as the source's loop does. The kept samples may come from several
 * chunks; each chunk's kept columns are copied before the next chunk overwrites its pass. The
 * reuse is exact: each entry of a product θ_l·x_{l−1} depends only on the inner size, so the
 * copied columns have the bits the step's own forward pass would compute, as long as the c-column
 * and the b-column products take the same engine (`passColumnsExact` in lib/pass_columns.ts;
 * always when chunk = b, the default). Option `reusePass` has the presampler's meaning and
 * default (lib/sampling/presampler.ts): `"auto"` reuses where the bits are the same, `"always"`
 * wherever a pass exists, `"never"` recomputes.
 *
 * Cost in forward-equivalents: a step costs the candidates forwarded plus 2b (its backward pass)
 * with the forward reused, plus 3b without. The candidates forwarded are about b / E[P^β] per step
 * (2b for β = 1 at a stationary history, 3b for β = 2), rounded up to whole chunks. The batch
 * reports what it costs beyond the step's own 3b: the candidates forwarded less b when it carries
 * its pass, the candidates forwarded when it does not. A named change of output: before the
 * reuse the batch always reported the candidates forwarded (β = 0 reported b, now 0), so the
 * `forward_equivalents` of a fit with this sampler are b per step lower than before with the
 * default `reusePass`; `reusePass: "never"` gives the old counts and the same steps.
 *
 * Bias: weights are 1, as in the source, so the expected step is not the full gradient: each kept
 * sample is drawn from q_i ∝ P(ℓ_i)^β, not uniformly. {@link selectiveBackpropBias}
 * (lib/sampling/selective_backprop_bias.ts) measures ‖E[g] − ∇L‖/‖∇L‖ exactly for that law. The
 * reuse does not change the law nor the steps, only their cost.
 *
 * @module
 */
import { checkBatch, type Minibatch, type SampleContext, type Sampler } from "./sampler.ts";
import { lossScore, Scorer } from "./scores.ts";
import type { Loss } from "../losses.ts";
import { MlpPass } from "../mlp.ts";
import { passColumnsExact } from "../pass_columns.ts";

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
  /**
   * Whether the batch carries the kept samples' columns of the candidates' forward passes
   * ({@link Minibatch.pass}) instead of letting the step run their forward pass again: `"auto"`
   * (the default) where that gives the same bits as recomputing (`passColumnsExact` in
   * lib/pass_columns.ts with the chunk as source and b as batch; always when chunk = b),
   * `"always"` whatever the engines (the last bits may then differ from recomputing),
   * `"never"` (every step costs the candidates + 3b). The presampler's option, same meaning.
   */
  reusePass?: "auto" | "always" | "never";
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

/** The sampler's reused batch (its fields are overwritten by each `sample`). */
interface BatchWorkspace {
  indices: Int32Array;
  weights: Float64Array;
  forwardEquivalents: number;
  pass: MlpPass | undefined;
}

/** Options of {@link copyKeptColumns}. */
export interface CopyKeptColumnsOptions {
  /** The source columns to copy, in order: the first `count` entries, each in [0, source.batch). */
  positions: Int32Array;
  /** How many positions to copy. */
  count: number;
  /** The pass to copy into, of the same layer sizes as the source. */
  out: MlpPass;
  /** The first column of `out` written: columns offset .. offset + count − 1. */
  offset: number;
}

/**
 * Copies columns positions[0 .. count) of x_0 .. x_L and z_1 .. z_L (constant rows included) of a
 * pass whose forward has run into columns offset .. offset + count − 1 of `out`: the kept
 * columns of one chunk, appended to the batch's pass. Like `passColumns` (lib/pass_columns.ts),
 * row by row, but into a slice of a wider pass, so that several chunks fill one pass.
 *
 * @throws {RangeError} when the passes' layer sizes differ, the columns do not fit `out`, or a
 *   position is not an integer in [0, source.batch)
 * @example Two chunks' kept columns make the forward pass of the kept samples
 * ```ts
 * import { copyKeptColumns } from "@lib/sampling/selective_backprop.ts";
 * import { Mlp, MlpPass, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(2);
 * const net = Mlp.create([3, 4, 2], { random, activation: "relu" });
 * const x = random.normalMatrix(3, 8); // two chunks of 4: columns 0..3 and 4..7
 * const out = new MlpPass(net.sizes, 3);
 * const first = net.forward(x.gatherColumns([0, 1, 2, 3]));
 * copyKeptColumns(first, { positions: Int32Array.of(3, 1), count: 2, out, offset: 0 });
 * const second = net.forward(x.gatherColumns([4, 5, 6, 7]));
 * copyKeptColumns(second, { positions: Int32Array.of(0), count: 1, out, offset: 2 });
 * const direct = net.forward(x.gatherColumns([3, 1, 4]));
 * assert.deepEqual(out.output.data, direct.output.data);
 * assert.deepEqual(out.z(1).data, direct.z(1).data);
 * assert.deepEqual(out.x(0).data, direct.x(0).data);
 * ```
 */
export function copyKeptColumns(source: MlpPass, options: CopyKeptColumnsOptions): MlpPass {
  const { positions, count, out, offset } = options, c = source.batch, b = out.batch;
  const action = `cannot copy ${count} columns of a pass of ${c} to columns ${offset}.. of ${b}`;
  const L = source.zs.length;
  let same = out.zs.length === L && out.xs.length === L + 1;
  for (let l = 0; same && l <= L; l++) {
    same = source.xs[l].rows === out.xs[l].rows &&
      (l === 0 || source.zs[l - 1].rows === out.zs[l - 1].rows);
  }
  if (!same) throw new RangeError(`${action}: the passes' layer sizes differ`);
  if (!(Number.isInteger(count) && Number.isInteger(offset) && count >= 0 && offset >= 0)) {
    throw new RangeError(`${action}: count and offset must be integers >= 0`);
  }
  if (offset + count > b || count > positions.length) {
    throw new RangeError(`${action}: the columns do not fit (${positions.length} positions)`);
  }
  for (let k = 0; k < count; k++) {
    const p = positions[k];
    if (p < 0 || p >= c) {
      throw new RangeError(`${action}: position ${k} is ${p}, expected one in [0, ${c})`);
    }
  }
  for (let l = 0; l <= L; l++) {
    const x = source.xs[l];
    copyBlock(x.data, out.xs[l].data, { rows: x.rows, from: c, to: b, positions, count, offset });
    if (l === L) break;
    const z = source.zs[l];
    copyBlock(z.data, out.zs[l].data, { rows: z.rows, from: c, to: b, positions, count, offset });
  }
  return out;
}

/** dst[r, offset + k] = src[r, positions[k]], k < count, for row-major blocks of widths from, to. */
function copyBlock(
  src: Float64Array,
  dst: Float64Array,
  shape: {
    rows: number;
    from: number;
    to: number;
    positions: Int32Array;
    count: number;
    offset: number;
  },
): void {
  const { rows, from, to, positions, count, offset } = shape;
  for (let r = 0, s = 0, d = offset; r < rows; r++, s += from, d += to) {
    for (let k = 0; k < count; k++) dst[d + k] = src[s + positions[k]];
  }
}

/** Whether a pass has the layers of `sizes` (constant rows on x_0 .. x_{L−1}). */
function sameSizes(pass: MlpPass, sizes: readonly number[]): boolean {
  if (pass.xs.length !== sizes.length) return false;
  for (let l = 0; l < sizes.length; l++) {
    if (pass.xs[l].rows !== sizes[l] + (l < sizes.length - 1 ? 1 : 0)) return false;
  }
  return true;
}

/**
 * The Selective Backprop sampler (see the module doc), a class so that its counts read as data.
 * `sample` reuses its returned {@link Minibatch} and arrays (valid until the next `sample`).
 *
 * @example β = 0 keeps every candidate: uniform draws; β > 0 pays for the rejected candidates.
 * The batch carries the kept samples' forward pass, so it reports the candidates less b.
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
 * assert.equal(all.forwardEquivalents, 0); // 3 candidates, less the 3 forwards the step skips
 * const picky = selectiveBackpropSampler({ beta: 2 });
 * const batch = picky.sample({ ...context, random: new Random(4) });
 * assert.deepEqual(Array.from(batch.weights), [1, 1, 1]); // biased: weights 1
 * assert.ok(batch.forwardEquivalents >= 0 && batch.forwardEquivalents % 3 === 0);
 * assert.equal(picky.candidates, picky.history.count);
 * const direct = model.forward(data.x.gatherColumns(batch.indices));
 * assert.deepEqual(batch.pass!.output.data, direct.output.data);
 * ```
 * @example Without reuse the step runs the kept samples' forward pass again: the candidates + 3b
 * ```ts
 * import { selectiveBackpropSampler } from "@lib/sampling/selective_backprop.ts";
 * import { Matrix, Mlp, Random, squaredError } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([1, 1], { random: new Random(0) });
 * const data = { name: "toy", x: Matrix.row([0, 1, 2, 3]), y: Matrix.row([3, 1, 0, 2]), labels: null };
 * const sampler = selectiveBackpropSampler({ beta: 0, reusePass: "never" });
 * const batch = sampler.sample({ model, data, loss: squaredError, batchSize: 3, random: new Random(4), step: 0 });
 * assert.equal(batch.forwardEquivalents, 3);
 * assert.equal(batch.pass, undefined);
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
  readonly #reuse: "auto" | "always" | "never";
  #batch: BatchWorkspace = {
    indices: new Int32Array(0),
    weights: new Float64Array(0),
    forwardEquivalents: 0,
    pass: undefined,
  };
  #candidates = new Int32Array(0);
  #losses = new Float64Array(0);
  /** The positions in the current chunk of its kept candidates. */
  #keptPositions = new Int32Array(0);
  /** The kept samples' forward pass, filled chunk by chunk (a workspace). */
  #pass: MlpPass | null = null;
  #considered = 0;
  #reusedSteps = 0;

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
    const reuse = options.reusePass ?? "auto";
    if (reuse !== "auto" && reuse !== "always" && reuse !== "never") {
      throw new RangeError(
        `${action}: reusePass must be "auto", "always" or "never", got ${reuse}`,
      );
    }
    this.#reuse = reuse;
    this.#chunk = chunk;
    this.name = options.name ?? `selective backprop (β = ${beta})`;
  }

  /** Candidates considered (forwarded and tested) since the last reset. */
  get candidates(): number {
    return this.#considered;
  }

  /** Steps whose batch carried its forward pass ({@link Minibatch.pass}) since the last reset. */
  get reusedSteps(): number {
    return this.#reusedSteps;
  }

  /**
   * Forwards uniform candidates chunk by chunk and keeps each with probability P(ℓ)^β; with
   * reuse, copies the kept columns of each chunk's forward pass into the batch's pass.
   */
  sample(context: SampleContext): Minibatch {
    const n = checkBatch(context.data, context.batchSize, `the sampler '${this.name}'`);
    const b = context.batchSize, c = this.#chunk ?? b, random = context.random;
    const model = context.model;
    if (this.#batch.indices.length !== b) {
      this.#batch = {
        indices: new Int32Array(b),
        weights: new Float64Array(b).fill(1),
        forwardEquivalents: 0,
        pass: undefined,
      };
    }
    if (this.#candidates.length !== c) {
      this.#candidates = new Int32Array(c);
      this.#losses = new Float64Array(c);
      this.#keptPositions = new Int32Array(c);
    }
    const scorer = this.#scorer(context.loss), indices = this.#batch.indices;
    const candidates = this.#candidates, losses = this.#losses, accept = this.#accept;
    const positions = this.#keptPositions;
    const out = this.#reusedPass(scorer, model.sizes, { batch: b, chunk: c });
    let kept = 0, forwarded = 0;
    while (kept < b) {
      for (let j = 0; j < c; j++) candidates[j] = random.int(n);
      scorer.scoreColumns(model, context.data, {
        indices: candidates,
        out: losses,
        finiteInput: context.finiteData === true,
      });
      forwarded += c;
      const first = kept;
      for (let j = 0; j < c && kept < b; j++) {
        this.history.push(losses[j]);
        this.#considered++;
        if (this.beta !== 0) {
          accept[0] = this.history.percentile(losses[j]) ** this.beta;
          if (random.fromCumulative(accept) !== 0) continue;
        }
        positions[kept - first] = j;
        indices[kept++] = candidates[j];
      }
      // the next chunk overwrites the scorer's pass: copy this one's kept columns now
      if (out !== null && kept > first) {
        copyKeptColumns(scorer.lastPass!, { positions, count: kept - first, out, offset: first });
      }
    }
    this.#batch.forwardEquivalents = scorer.cost(forwarded) - (out === null ? 0 : b);
    this.#batch.pass = out ?? undefined;
    if (out !== null) this.#reusedSteps++;
    return this.#batch;
  }

  /** Empties the history. */
  reset(): void {
    this.history.clear();
    this.#considered = this.#reusedSteps = 0;
  }

  /** The b-column pass to fill with the kept columns, or null when the step recomputes. */
  #reusedPass(
    scorer: Scorer,
    sizes: readonly number[],
    shape: { batch: number; chunk: number },
  ): MlpPass | null {
    if (this.#reuse === "never" || scorer.score.forwardPass !== true) return null;
    if (
      this.#reuse === "auto" &&
      !passColumnsExact(sizes, { source: shape.chunk, batch: shape.batch })
    ) return null;
    const pass = this.#pass;
    if (pass === null || pass.batch !== shape.batch || !sameSizes(pass, sizes)) {
      this.#pass = new MlpPass(sizes, shape.batch);
    }
    return this.#pass;
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
