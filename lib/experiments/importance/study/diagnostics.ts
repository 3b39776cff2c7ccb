/**
 * The study's per-sampler diagnostics at a checkpoint of an evaluation run: what staleness does to
 * the stale-score sampler's variance, and how far Selective Backprop's expected step is from the
 * full gradient. Both are exact on the data set they are given (the study passes the first
 * `diagnosticSize` samples of its shuffled training set, to keep them cheap).
 *
 * @module
 */
import type { Dataset, Inputs } from "../../../datasets.ts";
import type { Matrix } from "../../../matrix.ts";
import type { Mlp } from "../../../mlp.ts";
import { Random } from "../../../random.ts";
import { exactVariance } from "../../../sampling/exact_variance.ts";
import { selectionProbabilities } from "../../../sampling/selective_backprop_bias.ts";
import { LOSS } from "../setup.ts";

/** One measured quantity. */
export interface Diagnostic {
  /** What is measured. */
  quantity: string;
  /** Its value. */
  value: number;
}

/**
 * Tr V[g] of b draws with replacement from p over n samples, weights 1/(n p_i), from the exact
 * per-sample gradient norms: (1/b)(Σ_i ‖G_i‖²/(n² p_i) − ‖Ḡ‖²).
 */
function traceVariance(norms: Float64Array, p: Float64Array, meanSq: number, b: number): number {
  const n = norms.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += (norms[i] * norms[i]) / p[i];
  return (s / (n * n) - meanSq) / b;
}

/** p_i = (1 − α)·s_i/Σs + α/n (uniform when Σs = 0). */
function mixed(scores: ArrayLike<number>, alpha: number): Float64Array {
  const n = scores.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += scores[i];
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    p[i] = total > 0 ? (1 - alpha) * scores[i] / total + alpha / n : 1 / n;
  }
  return p;
}

/** Options of {@link staleScoreDiagnostics}. */
export interface StaleScoreDiagnosticOptions {
  /** The stale scores of the data set's samples, as the sampler holds them. */
  scores: ArrayLike<number>;
  /** For every training sample (all N), the step whose θ gave its score. */
  refreshedAt: ArrayLike<number>;
  /** The step t of the checkpoint (θ_t). */
  step: number;
  /** α, the sampler's share of uniform sampling. */
  alpha: number;
  /** b. */
  batchSize: number;
}

/**
 * The stale-score sampler at θ_t: the mean age t − refreshedAt over all N; and, over the given
 * data set, Tr V of b draws from its mixed stale distribution, from the same mixture with fresh
 * upper-bound scores at θ_t, from fresh upper-bound scores unmixed, and uniformly, with the ratios
 * stale / fresh (same α) and stale / uniform.
 *
 * @example Fresh scores are their own stale scores: the ratio is 1
 * ```ts
 * import { staleScoreDiagnostics } from "@lib/experiments/importance/study/diagnostics.ts";
 * import { exactVariance } from "@lib/sampling/exact_variance.ts";
 * import { Mlp, Random, oneHot } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(1);
 * const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
 * const data = { name: "toy", x: random.normalMatrix(4, 30), y: oneHot(labels, 3), labels };
 * const model = Mlp.create([4, 6, 3], { random, activation: "relu" });
 * const fresh = exactVariance(model, data, { loss: "softmaxCrossEntropy", batchSize: 2, presampleSize: 2, presamples: 2, random }).upperBounds;
 * const d = staleScoreDiagnostics(model, data, { scores: fresh, refreshedAt: new Int32Array(30).fill(3), step: 5, alpha: 0.5, batchSize: 2 });
 * const get = (q: string) => d.find((r) => r.quantity === q)!.value;
 * assert.equal(get("mean age"), 2);
 * assert.ok(Math.abs(get("Tr V stale / Tr V fresh") - 1) < 1e-12);
 * assert.ok(get("Tr V stale / Tr V uniform") < 1);
 * ```
 */
export function staleScoreDiagnostics(
  model: Mlp,
  data: Dataset<Inputs>,
  options: StaleScoreDiagnosticOptions,
): Diagnostic[] {
  const { scores, refreshedAt, step, alpha, batchSize: b } = options;
  const n = data.x.cols;
  if (scores.length !== n) {
    throw new RangeError(
      `cannot measure the stale scores' variance: ${scores.length} scores for ${n} samples`,
    );
  }
  let ages = 0;
  for (let i = 0; i < refreshedAt.length; i++) ages += step - refreshedAt[i];
  const v = exactVariance(model, data, {
    loss: LOSS,
    batchSize: b,
    presampleSize: b,
    presamples: 2, // unused here: the fewest the function takes
    random: new Random(step),
  });
  const meanSq = v.meanGradientSquaredNorm, norms = v.gradientNorms;
  const stale = traceVariance(norms, mixed(scores, alpha), meanSq, b);
  const fresh = traceVariance(norms, mixed(v.upperBounds, alpha), meanSq, b);
  return [
    { quantity: "mean age", value: refreshedAt.length === 0 ? 0 : ages / refreshedAt.length },
    { quantity: "Tr V uniform", value: v.uniform },
    { quantity: "Tr V stale", value: stale },
    { quantity: "Tr V fresh (same α)", value: fresh },
    { quantity: "Tr V fresh upper bound (unmixed)", value: v.full.upperBound },
    { quantity: "Tr V stale / Tr V fresh", value: stale / fresh },
    { quantity: "Tr V stale / Tr V uniform", value: stale / v.uniform },
  ];
}

/** Adds scale × the flattened gradients to `into`. */
function accumulate(grads: readonly Matrix[], scale: number, into: Float64Array): void {
  let offset = 0;
  for (const g of grads) {
    const d = g.data;
    for (let k = 0; k < d.length; k++) into[offset + k] += scale * d[k];
    offset += d.length;
  }
}

/**
 * Selective Backprop's bias at θ: ‖E[g] − Ḡ‖/‖Ḡ‖ with E[g] = Σ_i q_i G_i, q the law of a kept
 * sample (lib/sampling/selective_backprop_bias.ts's `selectionProbabilities`, the history being
 * the data set's own losses), computed by two weighted backward passes over the data set instead
 * of the N×P per-sample gradients (so it is exact and costs two passes).
 *
 * @example β = 0 keeps uniformly: no bias; β = 2 is biased
 * ```ts
 * import { selectiveBackpropDiagnostics } from "@lib/experiments/importance/study/diagnostics.ts";
 * import { Mlp, Random, oneHot } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(2);
 * const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
 * const data = { name: "toy", x: random.normalMatrix(4, 30), y: oneHot(labels, 3), labels };
 * const model = Mlp.create([4, 6, 3], { random, activation: "relu" });
 * const bias = (beta: number) => selectiveBackpropDiagnostics(model, data, { beta })[0].value;
 * assert.ok(bias(0) < 1e-12);
 * assert.ok(bias(2) > 0.01);
 * ```
 */
export function selectiveBackpropDiagnostics(
  model: Mlp,
  data: Dataset<Inputs>,
  options: { beta: number; chunk?: number },
): Diagnostic[] {
  const n = data.x.cols, chunk = options.chunk ?? 1000, P = model.parameterCount;
  const full = new Float64Array(P), expected = new Float64Array(P);
  const losses = new Float64Array(n);
  const slices: { at: Int32Array; x: Matrix; y: Matrix }[] = [];
  for (let start = 0; start < n; start += chunk) {
    const at = Int32Array.from({ length: Math.min(chunk, n - start) }, (_, j) => start + j);
    slices.push({ at, x: data.x.gatherColumns(at), y: data.y.gatherColumns(at) });
  }
  for (const { at, x, y } of slices) {
    const r = model.lossAndGradient(x, y, { loss: LOSS });
    accumulate(r.grads, at.length / n, full);
    losses.set(r.values, at[0]);
  }
  const q = selectionProbabilities(losses, { beta: options.beta });
  for (const { at, x, y } of slices) {
    const weights = Float64Array.from(at, (i) => q[i] * n);
    const r = model.lossAndGradient(x, y, { loss: LOSS, weights });
    accumulate(r.grads, at.length / n, expected);
  }
  let d = 0, f = 0;
  for (let k = 0; k < P; k++) {
    d += (expected[k] - full[k]) ** 2;
    f += full[k] ** 2;
  }
  return [
    { quantity: "relative bias", value: Math.sqrt(d / f) },
    { quantity: "‖∇L‖", value: Math.sqrt(f) },
    { quantity: "max q·n", value: Math.max(...q) * n },
  ];
}
