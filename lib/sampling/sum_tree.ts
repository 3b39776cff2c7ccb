/**
 * A sum tree over N non-negative weights: set one weight and draw an index with probability
 * proportional to its weight, each in O(log N), with sums that are a pure function of the current
 * weights (so that draws are reproducible bit for bit whatever the order of earlier updates).
 *
 * Why not a Fenwick tree: a Fenwick tree stores partial sums and updates them by adding the
 * difference new − old, so rounding errors accumulate with the number of updates (after millions
 * of SGD steps the total drifts away from the sum of the weights, and two runs that reach the same
 * weights by different paths hold different sums). Here every internal node is recomputed from its
 * two children on the path from the changed leaf to the root: node = left + right, in one fixed
 * order. The tree after any sequence of updates holds exactly the bits of a tree built from
 * scratch on the same weights.
 *
 * @module
 */
import type { Random } from "../random.ts";

/**
 * A complete binary tree over a power-of-two number of leaves (N weights, zeros after them);
 * node k has children 2k and 2k + 1, the root is node 1, leaf i is node P + i.
 *
 * @example Draw proportionally to weights, update one, draw again
 * ```ts
 * import { SumTree } from "@lib/sampling/sum_tree.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const tree = SumTree.from([1, 0, 3]);
 * assert.equal(tree.total, 4);
 * assert.equal(tree.find(0.5), 0);
 * assert.equal(tree.find(1), 2); // the weight-0 leaf is never found
 * tree.set(1, 4);
 * assert.equal(tree.total, 8);
 * assert.equal(tree.find(1), 1);
 * const random = new Random(1), counts = [0, 0, 0];
 * for (let t = 0; t < 800; t++) counts[tree.draw(random)]++;
 * assert.ok(counts[1] > counts[0] && counts[2] > counts[0]);
 * ```
 */
export class SumTree {
  /** N, the number of weights. */
  readonly size: number;
  /** P, the number of leaves: the least power of two >= N. */
  readonly leaves: number;
  /** Node k (1 ≤ k < 2P); node 0 is unused. Read only. */
  readonly nodes: Float64Array;
  /** The cumulative array of one binary choice, reused by {@link SumTree.draw}. */
  readonly #choice = new Float64Array(2);

  /**
   * A tree of `size` weights, all 0.
   *
   * @throws {RangeError} when size is not an integer in [1, 2^30]
   */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 30) {
      throw new RangeError(
        `cannot make a sum tree: size must be an integer in [1, 2^30], got ${size}`,
      );
    }
    let leaves = 1;
    while (leaves < size) leaves *= 2;
    this.size = size;
    this.leaves = leaves;
    this.nodes = new Float64Array(2 * leaves);
  }

  /**
   * A tree holding `weights`.
   *
   * @throws {RangeError} when a weight is negative or not finite
   */
  static from(weights: ArrayLike<number>): SumTree {
    const tree = new SumTree(weights.length);
    tree.setAll(weights);
    return tree;
  }

  /** Σ_i w_i, the root. */
  get total(): number {
    return this.nodes[1];
  }

  /** w_i. */
  get(i: number): number {
    return this.nodes[this.leaves + i];
  }

  /**
   * Sets w_i and recomputes the log2 P sums on the path to the root from their children.
   *
   * @throws {RangeError} when i is outside [0, N) or the weight is negative or not finite
   */
  set(i: number, weight: number): void {
    if (!(i >= 0 && i < this.size) || !Number.isInteger(i)) {
      throw new RangeError(`cannot set weight ${i} of a sum tree of ${this.size}: no such index`);
    }
    checkWeight(weight, i);
    const nodes = this.nodes;
    let k = this.leaves + i;
    nodes[k] = weight;
    for (k >>= 1; k >= 1; k >>= 1) nodes[k] = nodes[2 * k] + nodes[2 * k + 1];
  }

  /**
   * Sets all N weights and rebuilds every sum bottom up, in O(P).
   *
   * @throws {RangeError} when there are not N weights, or one is negative or not finite
   */
  setAll(weights: ArrayLike<number>): void {
    if (weights.length !== this.size) {
      throw new RangeError(
        `cannot set the weights of a sum tree of ${this.size}: got ${weights.length} weights`,
      );
    }
    const nodes = this.nodes, P = this.leaves;
    for (let i = 0; i < this.size; i++) {
      checkWeight(weights[i], i);
      nodes[P + i] = weights[i];
    }
    nodes.fill(0, P + this.size);
    for (let k = P - 1; k >= 1; k--) nodes[k] = nodes[2 * k] + nodes[2 * k + 1];
  }

  /**
   * The index i whose interval [c_i, c_i + w_i) holds `target`, where c_i is the sum of the
   * weights before i as the tree adds them (left subtrees first). A leaf of weight 0 is never
   * returned; a target >= total returns the last index of positive weight.
   *
   * @throws {RangeError} when the total is 0 or the target is negative or not finite
   */
  find(target: number): number {
    if (!(this.total > 0)) {
      throw new RangeError("cannot search a sum tree: all its weights are 0");
    }
    if (!(target >= 0) || target === Infinity) {
      throw new RangeError(
        `cannot search a sum tree: target must be finite and >= 0, got ${target}`,
      );
    }
    const nodes = this.nodes;
    let k = 1;
    while (k < this.leaves) {
      const left = nodes[2 * k];
      if (target < left || nodes[2 * k + 1] === 0) k = 2 * k;
      else {
        target -= left;
        k = 2 * k + 1;
      }
    }
    return k - this.leaves;
  }

  /**
   * An index drawn with probability w_i / Σ w: from the root, one binary choice per level, left
   * with probability left/(left + right), by `random.fromCumulative` on [left, left + right]. In
   * exact arithmetic the product of the choices' probabilities is w_i / Σ w; a child of weight 0 is
   * never taken. log2 P draws of `random`, no allocation. Drawing through `fromCumulative` lets
   * tests enumerate every draw with its exact probability (tests/exact_draws.ts).
   *
   * @throws {RangeError} when all weights are 0
   */
  draw(random: Random): number {
    const nodes = this.nodes, choice = this.#choice;
    if (!(nodes[1] > 0)) throw new RangeError("cannot draw from a sum tree: all its weights are 0");
    let k = 1;
    while (k < this.leaves) {
      const left = nodes[2 * k];
      choice[0] = left;
      choice[1] = nodes[k]; // = left + right, as computed when the node was set
      k = 2 * k + random.fromCumulative(choice);
    }
    return k - this.leaves;
  }
}

function checkWeight(weight: number, i: number): void {
  if (!(weight >= 0) || weight === Infinity) {
    throw new RangeError(
      `cannot set weight ${i} of a sum tree: it must be finite and >= 0, got ${weight}`,
    );
  }
}
