/**
 * Importance scores s_i ≥ 0 of training samples: an importance sampler draws sample i with
 * probability p_i ∝ s_i. The variance of the weighted minibatch gradient is smallest for
 * s_i = ‖G_i‖ = ‖∇_Θ ℓ_i‖ (Katharopoulos & Fleuret 2018, §3.1); the scores here are that norm
 * and the cheaper stand-ins for it.
 *
 * | score | s_i | needs | forward-equivalents per sample |
 * |---|---|---|---|
 * | {@link uniformScore} | 1 | nothing | 0 |
 * | {@link lossScore} | ℓ_i | a forward pass | 1 |
 * | {@link upperBoundScore} | ‖∂ℓ_i/∂z_L‖ | a forward pass | 1 |
 * | {@link gradientNormScore} | ‖∇_Θ ℓ_i‖ | a forward and a backward pass | 3 |
 *
 * The upper bound (K&F §3.2): every per-layer gradient of sample i is an outer product
 * ∇_{θ_l} ℓ_i = δ_l^(i) x_{l−1}^(i)ᵀ, and δ_l^(i) is a product of matrices (θ̄ᵀ and σ′ diagonals)
 * applied to δ_L^(i) = ∂ℓ_i/∂z_L, so ‖∇_Θ ℓ_i‖ ≤ C · ‖∂ℓ_i/∂z_L‖ with a C that K&F argue varies
 * little across samples. Only ‖∂ℓ_i/∂z_L‖ is kept: a constant factor does not change p. It has a
 * closed form from the forward pass:
 * - softmax cross-entropy on logits (identity output): ∂ℓ/∂z_L = softmax(z_L) − y, so
 *   s_i = ‖softmax(z_L) − y‖ ∈ [0, √2];
 * - squared error ½‖x_L − y‖² with an elementwise output activation x_L = σ(z_L):
 *   ∂ℓ/∂z_L = σ′(z_L) ∘ (x_L − y) (with the identity, s_i = ‖x_L − y‖ = √(2ℓ_i), so it orders
 *   the samples as the loss does but is flatter);
 * - in general σ′(z_L) ∘ ∂ℓ/∂x_L, the start δ_L of backpropagation ({@link gradPreActivation}).
 *
 * The exact norm comes from one batched backward pass: ‖∇_Θ ℓ_i‖² = Σ_l ‖δ_l^(i)‖² ‖x_{l−1}^(i)‖²
 * ({@link Mlp.perSampleGradientNorms}). A backward pass costs about two forward passes.
 *
 * Each score is computed either on columns of the data at the current θ ({@link Score.compute},
 * or a {@link Scorer} for many columns with reused workspaces), or for free from the training
 * step just taken ({@link Score.fromStep}, used by the presampler while it samples uniformly).
 *
 * @module
 */
import { identity } from "../activations.ts";
import { passInputs } from "../pass_columns.ts";
import { InputGatherer } from "../column_gatherer.ts";
import { columnSquaredNorms } from "../kernels/mod.ts";
import { gradPreActivation, type Loss, resolveLoss } from "../losses.ts";
import { Matrix } from "../matrix.ts";
import { type Mlp, MlpPass } from "../mlp.ts";
import type { Dataset, Inputs } from "../datasets.ts";
import type { StepFeedback } from "./sampler.ts";

/** Options of {@link Score.compute}. */
export interface ScoreOptions {
  /** The per-sample loss ℓ. */
  loss: string | Loss;
  /** A pass of x.cols columns to reuse as workspace (its contents are overwritten). */
  pass?: MlpPass;
  /** Where to write the scores (length >= x.cols). */
  out?: Float64Array;
  /**
   * x is known to be finite (gathered from a data set the caller checked, as `fit` does): its
   * forward pass does not scan it again. Default false.
   */
  finiteInput?: boolean;
}

/** A way of scoring samples for importance sampling. */
export interface Score {
  /** A short name for tables and charts: "uniform", "loss", "upper bound", "gradient norm". */
  readonly name: string;
  /**
   * What {@link Score.compute} costs per sample in forward-equivalents (a forward pass of one
   * sample counts 1, a backward pass 2): 0, 1 or 3.
   */
  readonly cost: number;
  /**
   * s_i ≥ 0 for every column i of x (targets y) at the network's current θ.
   *
   * @throws {RangeError} for shapes that do not fit the network or the loss
   */
  compute(model: Mlp, x: Matrix, y: Matrix, options: ScoreOptions): Float64Array;
  /**
   * s_i of the batch of the training step just taken, read from its pass at no extra cost, one
   * score per draw: written into `out` when given (length b exactly; a score may ignore it),
   * else a fresh array. The step's weights must be > 0 for the upper bound, whose δ_L the step
   * scaled by w_i/b; a draw of weight 0 scores 0.
   */
  fromStep(feedback: StepFeedback, out?: Float64Array): Float64Array;
  /**
   * True when {@link Score.compute}, given `options.pass`, runs the forward pass of x at the
   * network's θ in it and leaves its z_l and x_l there, as `model.forward(x, pass)` computes
   * them (the loss, the upper bound and the gradient norm do): a {@link Scorer} then exposes that
   * pass ({@link Scorer.lastPass}) for the training step to reuse. Absent: false.
   */
  readonly forwardPass?: boolean;
}

/** `out` checked to hold exactly b step scores, or a fresh array. */
function stepOut(b: number, out?: Float64Array): Float64Array {
  if (out === undefined) return new Float64Array(b);
  if (out.length !== b) {
    throw new RangeError(`cannot score a step of ${b} draws into an array of ${out.length}`);
  }
  return out;
}

function outFor(n: number, out?: Float64Array): Float64Array {
  if (out === undefined) return new Float64Array(n);
  if (out.length < n) {
    throw new RangeError(`cannot score ${n} samples into an array of ${out.length}`);
  }
  return out;
}

/**
 * s_i = 1: importance sampling with this score is uniform sampling (weights 1). It computes
 * nothing.
 *
 * @example
 * ```ts
 * import { uniformScore } from "@lib/sampling/scores.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([2, 1], { random: new Random(0) });
 * const s = uniformScore.compute(model, Matrix.zeros(2, 3), Matrix.zeros(1, 3), { loss: "squaredError" });
 * assert.deepEqual(Array.from(s), [1, 1, 1]);
 * assert.equal(uniformScore.cost, 0);
 * ```
 */
export const uniformScore: Score = {
  name: "uniform",
  cost: 0,
  compute(_model, x, _y, { out }) {
    return outFor(x.cols, out).fill(1, 0, x.cols);
  },
  fromStep(feedback, out) {
    return stepOut(feedback.batch.indices.length, out).fill(1);
  },
};

/**
 * s_i = ℓ_i, the per-sample loss (K&F's "loss" baseline; also the score of Loshchilov & Hutter's
 * online batch selection). One forward pass.
 *
 * @example
 * ```ts
 * import { lossScore } from "@lib/sampling/scores.ts";
 * import { Matrix, Mlp, identity } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[2, 0]])], [identity]); // x_L = 2x
 * const s = lossScore.compute(model, Matrix.row([1, 3]), Matrix.row([0, 0]), { loss: "squaredError" });
 * assert.deepEqual(Array.from(s), [2, 18]); // ½(2x)²
 * ```
 */
export const lossScore: Score = {
  name: "loss",
  cost: 1,
  forwardPass: true,
  compute(model, x, y, options) {
    const loss = resolveLoss(options.loss);
    const pass = model.forward(x, options.pass, options); // reads only `finiteInput`
    return loss.values(pass.output, y, outFor(x.cols, options.out));
  },
  fromStep(feedback, out) {
    const s = stepOut(feedback.losses.length, out);
    s.set(feedback.losses);
    return s;
  },
};

/**
 * ‖∂ℓ_i/∂z_L‖ of every column of a pass whose forward has run: δ_L = σ_L′(z_L) ∘ ∂ℓ/∂x_L is
 * written into `pass.delta(L)` (the unscaled δ_L of the summed loss Σ_i ℓ_i) and its column norms
 * into `out`. For softmax cross-entropy with the identity output this is ‖softmax(z_L) − y‖; for
 * squared error with an elementwise σ_L it is ‖σ_L′(z_L) ∘ (x_L − y)‖.
 *
 * @throws {RangeError} when the target does not fit the output
 * @example Softmax cross-entropy: the distance from the predicted distribution to the one-hot y
 * ```ts
 * import { upperBoundFromPass } from "@lib/sampling/scores.ts";
 * import { Matrix, Mlp, identity } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = new Mlp([Matrix.from([[0, 0], [0, 0]])], [identity]); // logits 0: softmax = (½, ½)
 * const pass = model.forward(Matrix.row([5]));
 * const s = upperBoundFromPass(model, pass, { target: Matrix.from([[1], [0]]), loss: "softmaxCrossEntropy" });
 * assert.ok(Math.abs(s[0] - Math.SQRT1_2) < 1e-15); // ‖(½ − 1, ½)‖
 * ```
 */
export function upperBoundFromPass(
  model: Mlp,
  pass: MlpPass,
  options: { target: Matrix; loss: string | Loss; out?: Float64Array },
): Float64Array {
  return upperBoundInto(model, pass, options.target, options.loss, options.out);
}

/**
 * {@link upperBoundFromPass} with its options as parameters, through records reused from call to
 * call (each read during the call only): it runs at every presampled step.
 */
function upperBoundInto(
  model: Mlp,
  pass: MlpPass,
  target: Matrix,
  loss: string | Loss,
  into: Float64Array | undefined,
): Float64Array {
  const L = model.layers, b = pass.batch, args = GRAD_ARGS;
  args.z = pass.zs[L - 1];
  args.output = pass.output;
  args.target = target;
  args.activation = model.activations[L - 1];
  args.out = pass.deltas[L - 1];
  let delta: Matrix;
  try {
    delta = gradPreActivation(resolveLoss(loss), args);
  } finally {
    args.z =
      args.output =
      args.target =
      args.out =
        NO_MATRIX;
  }
  const out = outFor(b, into);
  squaredNorms(delta.data, out, delta.rows, b);
  for (let j = 0; j < b; j++) out[j] = Math.sqrt(out[j]);
  return out;
}

const NO_MATRIX = new Matrix(0, 0);
/** `gradPreActivation`'s record for {@link upperBoundInto}, reused. */
const GRAD_ARGS: Parameters<typeof gradPreActivation>[1] & { out: Matrix } = {
  z: NO_MATRIX,
  output: NO_MATRIX,
  target: NO_MATRIX,
  activation: identity,
  out: NO_MATRIX,
};
/** `columnSquaredNorms`' record, reused. */
const NORMS_ARGS: { out: Float64Array; rows: number; cols: number } = {
  out: new Float64Array(0),
  rows: 0,
  cols: 0,
};

/** `columnSquaredNorms(x, { out, rows, cols })` through {@link NORMS_ARGS}. */
function squaredNorms(x: Float64Array, out: Float64Array, rows: number, cols: number): void {
  const args = NORMS_ARGS;
  args.out = out;
  args.rows = rows;
  args.cols = cols;
  columnSquaredNorms(x, args);
  args.out = NO_ENTRIES;
}

const NO_ENTRIES: Float64Array = new Float64Array(0);

/**
 * s_i = ‖∂ℓ_i/∂z_L‖, K&F's upper bound (up to a factor shared by all samples) of the per-sample
 * gradient norm, from a forward pass and an O(d_L) closed form (see the module doc and
 * {@link upperBoundFromPass}).
 *
 * @example With the identity output and squared error it is √(2ℓ_i) = ‖x_L − y‖
 * ```ts
 * import { lossScore, upperBoundScore } from "@lib/sampling/scores.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([2, 4, 3], { random: new Random(1) });
 * const x = Matrix.from([[1, 0, -1], [0, 2, 1]]), y = Matrix.zeros(3, 3);
 * const bound = upperBoundScore.compute(model, x, y, { loss: "squaredError" });
 * const loss = lossScore.compute(model, x, y, { loss: "squaredError" });
 * bound.forEach((s, i) => assert.ok(Math.abs(s - Math.sqrt(2 * loss[i])) < 1e-12));
 * ```
 */
export const upperBoundScore: Score = {
  name: "upper bound",
  cost: 1,
  forwardPass: true,
  compute(model, x, y, options) {
    const pass = model.forward(x, options.pass, options); // reads only `finiteInput`
    return upperBoundInto(model, pass, y, options.loss, options.out);
  },
  fromStep(feedback, into) {
    // the step's δ_L is (w_j / b) ∂ℓ_j/∂z_L
    const { pass, batch } = feedback, b = pass.batch, L = pass.deltas.length;
    const delta = pass.deltas[L - 1], out = stepOut(b, into);
    squaredNorms(delta.data, out, delta.rows, b);
    for (let j = 0; j < b; j++) {
      const w = batch.weights[j];
      out[j] = w > 0 ? Math.sqrt(out[j]) * b / w : 0;
    }
    return out;
  },
};

/**
 * s_i = ‖∇_Θ ℓ_i‖, the exact per-sample gradient norm (the optimal score), from one batched
 * forward and backward pass: ‖∇_{θ_l} ℓ_i‖² = ‖δ_l^(i)‖² ‖x_{l−1}^(i)‖² summed over layers.
 *
 * @example Equal to the norm of one sample's own gradient
 * ```ts
 * import { gradientNormScore } from "@lib/sampling/scores.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const model = Mlp.create([2, 3, 2], { random: new Random(2) });
 * const x = Matrix.from([[1, 2], [3, -1]]), y = Matrix.from([[0, 1], [1, 0]]);
 * const s = gradientNormScore.compute(model, x, y, { loss: "softmaxCrossEntropy" });
 * const one = model.lossAndGradient(x.gatherColumns([1]), y.gatherColumns([1]), { loss: "softmaxCrossEntropy" });
 * const norm = Math.sqrt(one.grads.reduce((a, g) => a + g.data.reduce((t, v) => t + v * v, 0), 0));
 * assert.ok(Math.abs(s[1] - norm) < 1e-12 * norm);
 * ```
 */
export const gradientNormScore: Score = {
  name: "gradient norm",
  cost: 3,
  forwardPass: true,
  compute(model, x, y, options) {
    const { pass } = model.lossAndGradient(x, y, options); // reads loss, pass, finiteInput
    const norms = model.perSampleGradientNorms(pass);
    if (options.out === undefined) return norms;
    const out = outFor(x.cols, options.out);
    out.set(norms);
    return out;
  },
  fromStep(feedback, out) {
    const norms = feedback.gradientNorms(), s = stepOut(norms.length, out);
    s.set(norms);
    return s;
  },
};

/** The scores known by name. */
export const scores: Readonly<Record<string, Score>> = Object.freeze({
  uniform: uniformScore,
  loss: lossScore,
  upperBound: upperBoundScore,
  gradientNorm: gradientNormScore,
});

/**
 * The score named `spec` (`uniform`, `loss`, `upperBound` or `gradientNorm`), or `spec` itself.
 *
 * @throws {RangeError} for an unknown name
 * @example
 * ```ts
 * import { resolveScore, upperBoundScore } from "@lib/sampling/scores.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveScore("upperBound"), upperBoundScore);
 * assert.throws(() => resolveScore("gnorm"), /unknown score 'gnorm'/);
 * ```
 */
export function resolveScore(spec: string | Score): Score {
  if (typeof spec !== "string") {
    if (typeof spec?.compute !== "function" || typeof spec?.fromStep !== "function") {
      throw new RangeError(`cannot use ${spec} as a score: it needs compute() and fromStep()`);
    }
    return spec;
  }
  const known = scores[spec];
  if (!known) {
    throw new RangeError(
      `unknown score '${spec}': expected one of ${Object.keys(scores).join(", ")}`,
    );
  }
  return known;
}

/**
 * A d×c matrix over the first rows of the pass's x_0 when the network takes d inputs (a batch
 * gathered there is not copied again by the forward pass), else one of its own (the forward pass
 * then rejects it, naming the sizes).
 */
function inputView(pass: MlpPass, d: number): Matrix {
  return pass.xs[0].rows === d + 1 ? passInputs(pass) : new Matrix(d, pass.batch);
}

/** A Scorer's gather buffers and pass for chunks of one size, with its `compute` record. */
interface ChunkBuffer {
  x: Matrix;
  y: Matrix;
  pass: MlpPass;
  /** `Score.compute`'s options, reused: `out` and `finiteInput` set for the call. */
  args: { loss: Loss; pass: MlpPass; out: Float64Array | undefined; finiteInput: boolean };
}

/** Options of {@link Scorer}. */
export interface ScorerOptions {
  /** The per-sample loss ℓ. */
  loss: string | Loss;
  /** Columns per forward pass. Default 1000. */
  chunk?: number;
  /**
   * Allocates the arrays of the scorer's passes (zero-filled, of the given length), e.g. a
   * KernelLease's (lib/kernel_lease.ts) so that the products read them in place. Plain arrays by
   * default. The same bits either way.
   */
  allocate?: (length: number) => Float64Array;
}

/**
 * Scores many columns of a data set at the current θ, chunk by chunk, reusing its gather buffers
 * and passes (one per chunk size) from call to call. Samplers keep one; experiments can use one
 * to score the whole training set at checkpoints. Chosen columns of a wide x (32 inputs or more)
 * are gathered from a sample-major copy of it (lib/column_gatherer.ts), made on first use: x must
 * not change in place while a scorer serves it.
 *
 * @example Scoring in chunks gives the scores of one big pass
 * ```ts
 * import { Scorer, upperBoundScore } from "@lib/sampling/scores.ts";
 * import { Matrix, Mlp, Random, oneHot } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(3);
 * const model = Mlp.create([4, 5, 3], { random, activation: "relu" });
 * const data = { name: "toy", x: random.normalMatrix(4, 7), y: oneHot([0, 1, 2, 0, 1, 2, 0], 3), labels: null };
 * const scorer = new Scorer("upperBound", { loss: "softmaxCrossEntropy", chunk: 3 });
 * const all = scorer.scoreColumns(model, data);
 * assert.deepEqual(all, upperBoundScore.compute(model, data.x, data.y, { loss: "softmaxCrossEntropy" }));
 * assert.deepEqual(scorer.scoreColumns(model, data, { indices: [6, 0] }), Float64Array.of(all[6], all[0]));
 * assert.equal(scorer.cost(7), 7);
 * // the two columns fit one chunk: their forward pass is kept, for a training step to reuse
 * assert.deepEqual(scorer.lastPass!.output.data, model.forward(data.x.gatherColumns([6, 0])).output.data);
 * ```
 */
export class Scorer {
  /** The score computed. */
  readonly score: Score;
  /** The per-sample loss. */
  readonly loss: Loss;
  /** Columns per forward pass. */
  readonly chunk: number;
  readonly #buffers = new Map<number, ChunkBuffer>();
  #sizes: readonly number[] | null = null;
  #chunkIndices = new Int32Array(0);
  #lastPass: MlpPass | null = null;
  #gatherer: InputGatherer | null = null;
  readonly #allocate: ((length: number) => Float64Array) | undefined;

  /**
   * @throws {RangeError} for an unknown score or loss, or a chunk that is not an integer >= 1
   */
  constructor(score: string | Score, options: ScorerOptions) {
    this.score = resolveScore(score);
    this.loss = resolveLoss(options.loss);
    this.chunk = options.chunk ?? 1000;
    this.#allocate = options.allocate;
    if (!Number.isInteger(this.chunk) || this.chunk < 1) {
      throw new RangeError(
        `cannot make a scorer: chunk must be an integer >= 1, got ${this.chunk}`,
      );
    }
  }

  /**
   * The forward pass of the columns scored by the last {@link Scorer.scoreColumns}, in order, at
   * the θ they were scored at, when they fit one chunk and the score runs its forward pass in
   * the scorer's pass ({@link Score.forwardPass}); null otherwise. A workspace: the next call
   * overwrites it, and so does a backward pass run in it.
   */
  get lastPass(): MlpPass | null {
    return this.#lastPass;
  }

  /** Forward-equivalents spent scoring `samples` samples: samples · score.cost. */
  cost(samples: number): number {
    return samples * this.score.cost;
  }

  /**
   * The scores of the columns `indices` of `data` (all N by default, in order), written to `out`.
   * The columns are gathered straight into the first rows of the pass's x_0, so the forward pass
   * copies nothing; with `finiteInput` (every entry of `data.x` is known finite: the caller
   * checked the data set, as `fit` does) it does not scan them either.
   *
   * @throws {RangeError} for an index outside the data set or shapes that do not fit the network
   */
  scoreColumns(
    model: Mlp,
    data: Dataset<Inputs>,
    options: { indices?: ArrayLike<number>; out?: Float64Array; finiteInput?: boolean } = {},
  ): Float64Array {
    const n = data.x.cols, indices = options.indices;
    const count = indices === undefined ? n : indices.length;
    const out = outFor(count, options.out);
    this.#lastPass = null;
    if (this.#sizes !== model.sizes) {
      this.#buffers.clear();
      this.#sizes = model.sizes;
    }
    if (this.#chunkIndices.length < Math.min(this.chunk, count)) {
      this.#chunkIndices = new Int32Array(Math.min(this.chunk, count));
    }
    const chunkIndices = this.#chunkIndices;
    // columns in order are rows of contiguous runs; chosen ones are scattered (see above)
    // chosen columns through the data's fastest gatherer; columns in order are rows of runs
    let gatherer: InputGatherer | null = null;
    if (indices !== undefined) {
      if (this.#gatherer?.source !== data.x) this.#gatherer = new InputGatherer(data.x);
      gatherer = this.#gatherer;
    }
    for (let start = 0; start < count; start += this.chunk) {
      const c = Math.min(this.chunk, count - start);
      const at = c === chunkIndices.length ? chunkIndices : chunkIndices.subarray(0, c);
      for (let j = 0; j < c; j++) {
        const i = indices === undefined ? start + j : indices[start + j];
        if (!Number.isInteger(i) || i < 0 || i >= n) {
          throw new RangeError(
            `cannot score column ${i} (position ${
              start + j
            }) of '${data.name}': it has ${n} columns`,
          );
        }
        at[j] = i;
      }
      let buffer = this.#buffers.get(c);
      if (buffer === undefined) {
        const pass = new MlpPass(model.sizes, c, { allocate: this.#allocate });
        buffer = {
          x: inputView(pass, data.x.rows),
          y: new Matrix(data.y.rows, c),
          pass,
          args: { loss: this.loss, pass, out: undefined, finiteInput: false },
        };
        this.#buffers.set(c, buffer);
      }
      if (buffer.x.rows !== data.x.rows || buffer.y.rows !== data.y.rows) {
        buffer.x = inputView(buffer.pass, data.x.rows);
        buffer.y = new Matrix(data.y.rows, c);
      }
      if (gatherer === null) data.x.gatherColumns(at, buffer.x);
      else gatherer.gather(at, buffer.x);
      data.y.gatherColumns(at, buffer.y);
      // the whole of `out` when one chunk fills it: no view, no record per call
      const dest = start === 0 && c === out.length ? out : out.subarray(start, start + c);
      const args = buffer.args;
      args.loss = this.loss;
      args.out = dest;
      args.finiteInput = options.finiteInput === true;
      let s: Float64Array;
      try {
        s = this.score.compute(model, buffer.x, buffer.y, args);
      } finally {
        args.out = undefined;
      }
      if (s !== dest) dest.set(s.length === c ? s : s.subarray(0, c));
      if (count <= this.chunk && this.score.forwardPass === true) this.#lastPass = buffer.pass;
    }
    return out;
  }
}
