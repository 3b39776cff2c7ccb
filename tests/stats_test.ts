import assert from "node:assert/strict";
import fc from "./fc.ts";
import { assertClose } from "@lib/assert_close.ts";
import {
  mean,
  median,
  medianHigh,
  pearson,
  quantile,
  quantiles,
  ranks,
  sd,
  spearman,
  variance,
} from "@lib/stats.ts";

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
const sample = fc.array(finite, { minLength: 1, maxLength: 40 });
const pairs = fc.integer({ min: 2, max: 30 }).chain((n) =>
  fc.tuple(
    fc.array(fc.integer({ min: -50, max: 50 }), { minLength: n, maxLength: n }),
    fc.array(fc.integer({ min: -50, max: 50 }), { minLength: n, maxLength: n }),
  )
);

Deno.test("mean, variance and sd match hand-computed values, dividing by n − 1", () => {
  const v = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(v), 5);
  assert.equal(variance(v), 32 / 7);
  assert.equal(variance([42]), 0);
  assert.ok(Number.isNaN(variance([])));
  assert.equal(sd(v), Math.sqrt(32 / 7)); // Σ(v − 5)² = 32; the population's would be √(32/8) = 2
  assert.equal(sd([1, 3]), Math.SQRT2);
  assert.equal(sd([42]), 0);
  assert.ok(Number.isNaN(mean([])) && Number.isNaN(sd([])));
  assert.equal(mean(Float64Array.of(1, 2)), 1.5);
});

Deno.test("sd ignores a shift and scales with |c|; the mean follows both", () => {
  fc.assert(
    fc.property(sample, fc.double({ min: -100, max: 100, noNaN: true }), (v, c) => {
      const spread = Math.max(...v.map(Math.abs)) + 1;
      // each sum carries n rounding errors of about 2^-52 of the largest magnitude involved
      const atol = 1e-12 * v.length * (spread + Math.abs(c)) * (1 + Math.abs(c));
      assertClose(mean(v.map((x) => x + c)), mean(v) + c, { atol, rtol: 0 });
      assertClose(sd(v.map((x) => x + c)), sd(v), { atol: 1e-9 * v.length * (spread + 100) });
      assertClose(sd(v.map((x) => c * x)), Math.abs(c) * sd(v), { atol, rtol: 1e-12 });
    }),
  );
});

Deno.test("median, medianHigh and quantile agree with their definitions on hand-computed data", () => {
  assert.equal(median([5, 3, 1]), 3);
  assert.equal(median([1, 2, 3, 10]), 2.5);
  assert.equal(medianHigh([1, 2, 3, 10]), 3);
  assert.equal(medianHigh([1, 2, 3]), 2);
  assert.ok(Number.isNaN(median([])) && Number.isNaN(medianHigh([])));
  const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  // R: quantile(1:10, c(0, .1, .25, .5, .9, 1)) (type 7) gives 1, 1.9, 3.25, 5.5, 9.1, 10
  const q = quantiles(ten, [0, 0.1, 0.25, 0.5, 0.9, 1]);
  [1, 1.9, 3.25, 5.5, 9.1, 10].forEach((want, k) => assertClose(q[k], want, { rtol: 1e-15 }));
  assert.equal(quantile([7], 0.3), 7);
  assert.throws(() => quantile([1, 2], 1.5), /cannot take a quantile at level 1.5/);
  assert.throws(() => quantiles([1, 2], [0.5, NaN]), /cannot take a quantile at level NaN/);
});

Deno.test("the median is quantile ½, lies between the middle order statistics, and leaves the input as it is", () => {
  fc.assert(
    fc.property(sample, (v) => {
      const copy = [...v], s = [...v].sort((a, b) => a - b), n = v.length;
      // (a + b)/2 and a + ½(b − a) may differ in the last bit (or the last subnormal step)
      const ulp = Number.EPSILON * Math.max(Math.abs(s[0]), Math.abs(s[n - 1])) + Number.MIN_VALUE;
      assertClose(median(v), quantile(v, 0.5), { atol: ulp, rtol: 0 });
      assert.ok(s[(n - 1) >> 1] <= median(v) && median(v) <= s[n >> 1]);
      assert.equal(medianHigh(v), s[n >> 1]);
      // numeric equality: s[0] + 0·(s[1] − s[0]) is +0 where s[0] is −0
      assert.ok(quantile(v, 0) === s[0], `quantile 0 of ${v}`);
      assert.ok(quantile(v, 1) === s[n - 1], `quantile 1 of ${v}`);
      assert.deepEqual(v, copy);
    }),
    { examples: [[[5e-324, -0]]] }, // once found: −0 and the smallest subnormal
  );
});

Deno.test("quantiles never decrease with the level", () => {
  fc.assert(
    fc.property(sample, fc.array(fc.double({ min: 0, max: 1, noNaN: true })), (v, levels) => {
      const sortedLevels = [...levels].sort((a, b) => a - b);
      const q = quantiles(v, sortedLevels);
      for (let k = 1; k < q.length; k++) assert.ok(q[k - 1] <= q[k]);
    }),
  );
});

Deno.test("ranks average ties and always sum to n(n + 1)/2", () => {
  assert.deepEqual(Array.from(ranks([10, 20, 20, 20, 5])), [2, 4, 4, 4, 1]);
  assert.deepEqual(Array.from(ranks([])), []);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -5, max: 5 })), (v) => {
      const r = ranks(v), n = v.length;
      assert.equal(r.reduce((a, x) => a + x, 0), (n * (n + 1)) / 2);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (v[i] < v[j]) assert.ok(r[i] < r[j]);
          if (v[i] === v[j]) assert.equal(r[i], r[j]);
        }
      }
    }),
  );
});

Deno.test("pearson matches a hand-computed value and is ±1 under affine maps", () => {
  // centred: (−1.5, −0.5, 0.5, 1.5) and (−1.5, 0.5, −0.5, 1.5): 4 / √(5 · 5)
  assert.equal(pearson([1, 2, 3, 4], [1, 3, 2, 4]), 0.8);
  assert.equal(pearson([], []), null);
  assert.equal(pearson([2, 2], [1, 3]), null);
  assert.throws(() => pearson([1, 2], [1]), /cannot correlate 2 values with 1/);
  fc.assert(
    fc.property(pairs, fc.double({ min: 0.1, max: 10, noNaN: true }), ([a, b], c) => {
      const r = pearson(a, b);
      if (r === null) return;
      assert.ok(Math.abs(r) <= 1 + 1e-12);
      assertClose(pearson(b, a)!, r, { atol: 1e-12 });
      assertClose(pearson(a.map((x) => c * x - 3), b)!, r, { atol: 1e-12 });
      assertClose(pearson(a, a.map((x) => 7 - c * x))!, -1, { atol: 1e-12 });
    }),
  );
});

Deno.test("spearman is pearson of the ranks, with a hand-computed value with ties", () => {
  // no ties: 1 − 6 Σd² / (n(n² − 1)) = 1 − 6 · 4 / 120
  assertClose(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])!, 0.8, { atol: 1e-15 });
  // ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): 4.5 / √(4.5 · 5)
  assertClose(spearman([1, 2, 2, 3], [1, 3, 2, 4])!, 4.5 / Math.sqrt(22.5), { atol: 1e-15 });
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
  fc.assert(
    fc.property(pairs, ([a, b]) => {
      assert.equal(spearman(a, b), pearson(ranks(a), ranks(b)));
    }),
  );
});

Deno.test("spearman does not change under strictly increasing maps of either array", () => {
  const cube = (x: number) => x * x * x + 7, exp = (x: number) => Math.exp(x / 10);
  fc.assert(
    fc.property(pairs, ([a, b]) => {
      const r = spearman(a, b);
      assert.equal(spearman(a.map(cube), b), r);
      assert.equal(spearman(a, b.map(exp)), r);
      assert.equal(spearman(a.map(exp), b.map(cube)), r);
    }),
  );
});
