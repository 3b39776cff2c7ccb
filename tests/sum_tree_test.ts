/**
 * The sum tree of the stale-score sampler (lib/sampling/sum_tree.ts) against a naive cumulative
 * sum: same intervals, sums independent of the order of updates, draws with exact probabilities.
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import { SumTree } from "@lib/sampling/sum_tree.ts";
import { enumerateOutcomes } from "./exact_draws.ts";

/** Integer weights (exact sums) with zeros among them. */
const integerWeights = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })), {
  minLength: 1,
  maxLength: 40,
}).filter((w) => w.some((v) => v > 0));

Deno.test("with integer weights the sum tree's total and the index it finds equal a naive cumulative sum's, and zero weights are never found", () => {
  fc.assert(
    fc.property(integerWeights, (w) => {
      const tree = SumTree.from(w);
      let c = 0;
      for (let i = 0; i < w.length; i++) {
        if (w[i] > 0) {
          assert.equal(tree.find(c), i);
          assert.equal(tree.find(c + w[i] / 2), i);
          assert.equal(tree.find(c + w[i] - 0.5), i);
        }
        c += w[i];
      }
      assert.equal(tree.total, c);
      assert.equal(tree.find(c + 10), w.findLastIndex((v) => v > 0));
    }),
  );
});

Deno.test("with real weights the total is the naive sum to N·ε·Σw, and each interval's midpoint finds its index", () => {
  const weights = fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), {
    minLength: 1,
    maxLength: 50,
  });
  fc.assert(
    fc.property(weights, (w) => {
      const tree = SumTree.from(w);
      const naive = w.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(tree.total - naive) <= w.length * Number.EPSILON * naive);
      let c = 0;
      for (let i = 0; i < w.length; i++) {
        // the two cumulative sums differ by at most N·ε·Σw, far less than w_i/2 here
        assert.equal(tree.find(c + w[i] / 2), i);
        c += w[i];
      }
    }),
  );
});

Deno.test("the tree after any sequence of updates holds the bits of a tree built from the final weights (no drift)", () => {
  const updates = fc.array(
    fc.tuple(fc.nat({ max: 12 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
    { maxLength: 200 },
  );
  fc.assert(
    fc.property(updates, (list) => {
      const w = new Float64Array(13).fill(0.1);
      const tree = SumTree.from(w);
      for (const [i, v] of list) {
        tree.set(i, v);
        w[i] = v;
      }
      assert.deepEqual(tree.nodes, SumTree.from(w).nodes);
    }),
  );
});

Deno.test("a draw picks index i with probability w_i/Σw to 1e-15, never a zero weight nor a padding leaf (exact enumeration)", () => {
  const w = [3, 0, 1.5, 2.25, 0, 7];
  const tree = SumTree.from(w), total = w.reduce((s, v) => s + v, 0);
  const outcomes = enumerateOutcomes((random) => tree.draw(random));
  assert.deepEqual(outcomes.map((o) => o.value), [0, 2, 3, 5]);
  for (const { value, probability } of outcomes) {
    assert.ok(Math.abs(probability - w[value] / total) < 1e-15, `${value}: ${probability}`);
  }
  assert.equal(tree.leaves, 8);
});

Deno.test("the sum tree refuses bad sizes, indices, weights and an all-zero draw", () => {
  assert.throws(() => new SumTree(0), /cannot make a sum tree: size must be an integer/);
  const tree = new SumTree(3);
  assert.throws(() => tree.set(3, 1), /cannot set weight 3 of a sum tree of 3: no such index/);
  assert.throws(() => tree.set(0, -1), /it must be finite and >= 0, got -1/);
  assert.throws(() => tree.set(0, NaN), /got NaN/);
  assert.throws(() => tree.setAll([1, 2]), /got 2 weights/);
  assert.throws(() => tree.find(0), /all its weights are 0/);
  tree.set(1, 2);
  assert.throws(() => tree.find(-1), /target must be finite and >= 0/);
  assert.equal(tree.total, 2);
});
