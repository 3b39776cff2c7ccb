/**
 * The paired bootstrap interval over seeds (lib/bootstrap.ts): deterministic for a seed, bracketing
 * its point estimate on realistic data, inside the range of the per-seed ratios, pairing seeds.
 */
import assert from "node:assert/strict";
import fc from "./fc.ts";
import { pairedRatioBootstrap } from "@lib/bootstrap.ts";
import { Random } from "@lib/random.ts";

const method = [41.2, 38.5, 45.0, 36.9, 40.3], uniform = [55.0, 49.1, 61.7, 50.2, 52.8];

Deno.test("the paired bootstrap interval contains the point estimate, and is the same bits for the same seed", () => {
  for (const statistic of ["ratioOfMeans", "geometricMean"] as const) {
    const ci = pairedRatioBootstrap(method, uniform, { random: new Random(7), statistic });
    assert.ok(ci.low <= ci.estimate && ci.estimate <= ci.high, JSON.stringify(ci));
    assert.ok(ci.high - ci.low > 0, "five different ratios give an interval, not a point");
    assert.deepEqual(
      pairedRatioBootstrap(method, uniform, { random: new Random(7), statistic }),
      ci,
    );
    assert.equal(ci.seeds, 5);
    assert.equal(ci.resamples, 10_000);
  }
  const ratios = method.map((v, s) => v / uniform[s]);
  const geometric = pairedRatioBootstrap(method, uniform, {
    random: new Random(7),
    statistic: "geometricMean",
  });
  assert.ok(
    Math.abs(geometric.estimate - Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / 5)) <
      1e-15,
  );
  const ratio = pairedRatioBootstrap(method, uniform, { random: new Random(7) });
  assert.ok(Math.abs(ratio.estimate - 201.9 / 268.8) < 1e-15);
});

Deno.test("every resampled ratio of means lies between the smallest and largest per-seed ratio, so the interval does too", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.double({ min: 0, max: 1e3, noNaN: true }),
          fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        ),
        {
          minLength: 1,
          maxLength: 8,
        },
      ),
      fc.nat(),
      (pairs, seed) => {
        const v = pairs.map((p) => p[0]), u = pairs.map((p) => p[1]);
        const ratios = v.map((x, s) => x / u[s]);
        const ci = pairedRatioBootstrap(v, u, { random: new Random(seed), resamples: 200 });
        const lo = Math.min(...ratios), hi = Math.max(...ratios), slack = 1e-12 * hi;
        assert.ok(ci.low >= lo - slack && ci.high <= hi + slack && ci.low <= ci.high);
        assert.ok(ci.estimate >= lo - slack && ci.estimate <= hi + slack);
      },
    ),
  );
});

Deno.test("pairing keeps each seed's method and baseline together: correlated seeds give a narrower interval than shuffled pairs", () => {
  // the method is 0.8× the baseline on every seed, whose scale varies widely
  const base = [10, 40, 15, 80, 25, 60], paired = base.map((u) => 0.8 * u);
  const ci = pairedRatioBootstrap(paired, base, { random: new Random(3) });
  assert.ok(Math.abs(ci.low - 0.8) < 1e-15 && Math.abs(ci.high - 0.8) < 1e-15);
  const shuffled = pairedRatioBootstrap(paired, [80, 10, 60, 15, 40, 25], {
    random: new Random(3),
  });
  assert.ok(shuffled.high - shuffled.low > 0.3, JSON.stringify(shuffled));
});

Deno.test("one seed gives a point interval; a run that never reached the target (+∞) makes the ratio +∞ where it is drawn", () => {
  const one = pairedRatioBootstrap([3], [4], { random: new Random(1) });
  assert.deepEqual([one.estimate, one.low, one.high], [0.75, 0.75, 0.75]);
  const never = pairedRatioBootstrap([1, Infinity, 1, 1, 1], [2, 2, 2, 2, 2], {
    random: new Random(2),
  });
  assert.equal(never.estimate, Infinity);
  assert.equal(never.high, Infinity);
  assert.equal(never.low, 0.5); // (1 − 4/5)^5 ≈ 33 % of resamples miss the +∞ seed
});

Deno.test("the paired bootstrap refuses mismatched or bad inputs", () => {
  const random = new Random(0);
  assert.throws(
    () => pairedRatioBootstrap([1, 2], [1], { random }),
    /2 values and 1 baseline values/,
  );
  assert.throws(
    () => pairedRatioBootstrap([NaN], [1], { random }),
    /value 0 is NaN, expected >= 0/,
  );
  assert.throws(
    () => pairedRatioBootstrap([1], [0], { random }),
    /baseline value 0 is 0, expected a finite value > 0/,
  );
  assert.throws(
    () => pairedRatioBootstrap([0], [1], { random, statistic: "geometricMean" }),
    /expected > 0/,
  );
  assert.throws(
    () => pairedRatioBootstrap([1], [1], { random, level: 1 }),
    /level must be in \(0, 1\)/,
  );
  assert.throws(
    () => pairedRatioBootstrap([1], [1], { random, resamples: 0 }),
    /resamples must be an integer >= 1/,
  );
});
