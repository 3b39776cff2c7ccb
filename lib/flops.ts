/**
 * The FLOP model of the forward and backward passes of an `Mlp` (lib/mlp.ts), layer by layer, for any
 * layer sizes and batch size B. It counts what `lib/mlp.ts` actually does:
 *
 * - Matrix products count 2·m·n·k (one multiply and one add per term), exactly as
 *   `kernelCounters.productFlops` does. θ_l has sizes[l − 1] + 1 columns (the constant unit
 *   carries the bias), so the forward product θ_l·x_{l−1} and the weight gradient
 *   δ_l·x_{l−1}ᵀ both cost 2·sizes[l]·(sizes[l − 1] + 1)·B, while the input gradient θ̄_lᵀ·δ_l,
 *   which drops the bias column, costs 2·sizes[l − 1]·sizes[l]·B.
 * - The first layer's input gradient θ̄_1ᵀ·δ_1 is not computed unless asked for (nothing upstream
 *   of x_0 has parameters), which is why the backward pass costs less than twice the forward.
 * - Elementwise work is counted separately, one per entry an elementwise map touches: σ_l in the
 *   forward pass, σ′_l ∘ (·) in the backward pass, the loss gradient ∇_{x_L}ℓ in the step.
 *   A tanh is far dearer than a multiply-add, so these counts are reported apart from the
 *   products, never silently added into them.
 *
 * @module
 */

/** The work of one pass: matrix products and elementwise maps, counted apart. */
export interface PassFlops {
  /** Σ 2·m·n·k over the pass's matrix products. */
  products: number;
  /** Entries touched by the pass's elementwise maps, one count per entry per map. */
  elementwise: number;
  /** products + elementwise. */
  total: number;
}

/** The work of one layer l (1..L), with B samples. */
export interface LayerFlops {
  /** The layer index l. */
  layer: number;
  /** θ_l · x_{l−1}: 2·sizes[l]·(sizes[l−1] + 1)·B. */
  forwardProduct: number;
  /** σ_l(z_l): sizes[l]·B entries. */
  activation: number;
  /** ∇θ_l = δ_l · x_{l−1}ᵀ: 2·sizes[l]·B·(sizes[l−1] + 1), the same count as the forward product. */
  weightGradient: number;
  /** θ̄_lᵀ · δ_l: 2·sizes[l−1]·sizes[l]·B; 0 for l = 1 unless the input gradient is asked for. */
  inputGradient: number;
  /** δ_l = σ′_l(z_l) ∘ (θ̄_{l+1}ᵀ·δ_{l+1}), or σ′_L(z_L) ∘ ∇_{x_L}ℓ at the output: sizes[l]·B. */
  activationDerivative: number;
}

/** The result of {@link flopModel}. */
export interface FlopModel {
  /** Units per layer without the constant unit, as `Mlp.sizes`. */
  sizes: readonly number[];
  /** Batch size B. */
  batch: number;
  /** Whether the first layer's input gradient θ̄_1ᵀ·δ_1 is counted. */
  inputGradient: boolean;
  /** Per layer, l = 1..L at index l − 1. */
  layers: LayerFlops[];
  /** The forward pass: Σ_l θ_l·x_{l−1} and Σ_l σ_l. */
  forward: PassFlops;
  /** The backward pass from a given ∇_{x_L}ℓ: both gradient products and σ′ ∘ per layer. */
  backward: PassFlops;
  /** The loss gradient ∇_{x_L}ℓ: sizes[L]·B entries, no product. */
  loss: PassFlops;
  /** A training step: forward + loss + backward. */
  step: PassFlops;
  /** backward.products / forward.products: the course's ratio, products only. */
  productRatio: number;
  /** backward.total / forward.total: elementwise entries counted one each. */
  ratio: number;
}

function pass(products: number, elementwise: number): PassFlops {
  return { products, elementwise, total: products + elementwise };
}

/**
 * The FLOPs of the forward pass, the backward pass and a training step of a network with layer
 * `sizes` (units without the constant, like `Mlp.sizes`) on a batch of `batch` samples.
 *
 * With s_l = sizes[l] and B the batch size:
 *
 *   forward.products  = Σ_{l=1..L} 2·s_l·(s_{l−1} + 1)·B
 *   backward.products = forward.products + Σ_{l=2..L} 2·s_{l−1}·s_l·B  (+ 2·s_0·s_1·B with the
 *                       input gradient)
 *   forward.elementwise = backward.elementwise = Σ_{l=1..L} s_l·B
 *
 * so backward − forward is exactly the input-gradient products. Every count is proportional to B.
 *
 * Which quantity gives the numbers: `productRatio` (products only). For 784-256-256-10 it
 * is 1.2528 at any B (1.25 once the bias columns are dropped too: 1.2533). For four equal hidden
 * layers of n units with n inputs and a scalar output it is 1 + (3n² + n)/((4n + 1)(n + 1)),
 * which tends to 1.75 = (2·4 − 1)/4 as n grows (1.7473 at n = 256); see
 * {@link equalLayersRatioLimit}. The elementwise entries move these ratios by about 1/n.
 *
 * @param options.inputGradient count θ̄_1ᵀ·δ_1 as well (default false, like `Mlp.backward`)
 * @throws {RangeError} for fewer than two sizes, a size or batch that is not an integer ≥ 1
 * @example The ratios
 * ```ts
 * import { flopModel } from "@lib/flops.ts";
 * import assert from "node:assert/strict";
 * const mnist = flopModel([784, 256, 256, 10], { batch: 128 });
 * assert.equal(mnist.productRatio.toFixed(2), "1.25");
 * assert.equal(mnist.forward.products, 2 * 128 * (256 * 785 + 256 * 257 + 10 * 257));
 * const n = 1 << 20; // four equal hidden layers, scalar output, very wide
 * const wide = flopModel([n, n, n, n, n, 1], { batch: 1 });
 * assert.ok(Math.abs(wide.productRatio - 1.75) < 1e-6);
 * ```
 */
export function flopModel(
  sizes: readonly number[],
  options: { batch: number; inputGradient?: boolean },
): FlopModel {
  const b = options.batch;
  if (sizes.length < 2) {
    throw new RangeError(
      `cannot count the FLOPs of a network with sizes [${sizes}]: need an input and an output size`,
    );
  }
  for (const [l, s] of sizes.entries()) {
    if (!Number.isInteger(s) || s < 1) {
      throw new RangeError(
        `cannot count the FLOPs of a network with sizes [${sizes}]: layer ${l} has ${s} units, expected an integer >= 1`,
      );
    }
  }
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`cannot count the FLOPs of a batch of ${b} samples: need an integer >= 1`);
  }
  const withInput = options.inputGradient === true;
  const layers: LayerFlops[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const out = sizes[l], inp = sizes[l - 1];
    layers.push({
      layer: l,
      forwardProduct: 2 * out * (inp + 1) * b,
      activation: out * b,
      weightGradient: 2 * out * b * (inp + 1),
      inputGradient: l > 1 || withInput ? 2 * inp * out * b : 0,
      activationDerivative: out * b,
    });
  }
  const sum = (f: (x: LayerFlops) => number) => layers.reduce((s, x) => s + f(x), 0);
  const forward = pass(sum((x) => x.forwardProduct), sum((x) => x.activation));
  const backward = pass(
    sum((x) => x.weightGradient + x.inputGradient),
    sum((x) => x.activationDerivative),
  );
  const loss = pass(0, sizes[sizes.length - 1] * b);
  const step = pass(
    forward.products + loss.products + backward.products,
    forward.elementwise + loss.elementwise + backward.elementwise,
  );
  return {
    sizes: [...sizes],
    batch: b,
    inputGradient: withInput,
    layers,
    forward,
    backward,
    loss,
    step,
    productRatio: backward.products / forward.products,
    ratio: backward.total / forward.total,
  };
}

/**
 * The layer sizes of the course's cost question: n inputs, `hidden` hidden layers of n units
 * each, and a scalar output, i.e. [n, n, …, n, 1]. The network then has hidden + 1 parameter
 * matrices: `hidden` of n × (n + 1), whose products dominate, and the output's 1 × (n + 1).
 * In the benches and the notebook, "L" is this `hidden`: the number of n×n layers.
 *
 * @throws {RangeError} when n or hidden is not an integer ≥ 1
 * @example
 * ```ts
 * import { courseSizes } from "@lib/flops.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(courseSizes(64, 2), [64, 64, 64, 1]);
 * ```
 */
export function courseSizes(n: number, hidden: number): number[] {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(hidden) || hidden < 1) {
    throw new RangeError(
      `cannot build the course's network with n=${n} and ${hidden} hidden layers: both must be integers >= 1`,
    );
  }
  return [...Array.from({ length: hidden + 1 }, () => n), 1];
}

/**
 * (2L − 1)/L: the backward/forward product ratio of L equal layers as their width n grows.
 * Each of the L layers costs one product forward (θ_l·x_{l−1}) and two backward (δ_l·x_{l−1}ᵀ and
 * θ̄_lᵀ·δ_l), all of about 2n²B, but the first layer's input gradient is skipped: (2L − 1)/L
 * instead of 2. Bias columns and elementwise work only add O(1/n) corrections; for the course's
 * network ({@link courseSizes}) and for L equal layers the exact `productRatio` is within 1/n of
 * this limit (tests/flops_test.ts derives the bound).
 *
 * @throws {RangeError} when `layers` is not an integer ≥ 1
 * @example
 * ```ts
 * import { equalLayersRatioLimit } from "@lib/flops.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([1, 2, 4, 8].map(equalLayersRatioLimit), [1, 1.5, 1.75, 1.875]);
 * ```
 */
export function equalLayersRatioLimit(layers: number): number {
  if (!Number.isInteger(layers) || layers < 1) {
    throw new RangeError(`cannot take the ratio limit of ${layers} layers: need an integer >= 1`);
  }
  return (2 * layers - 1) / layers;
}
