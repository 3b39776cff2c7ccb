import assert from "node:assert/strict";
import { erf } from "mathjs";
import { cumulative, Random } from "@lib/mod.ts";

Deno.test("the same seed gives the same stream and different seeds differ", () => {
  const a = new Random(123), b = new Random(123), c = new Random(124);
  const sa = Array.from({ length: 100 }, () => a.uint32());
  const sb = Array.from({ length: 100 }, () => b.uint32());
  const sc = Array.from({ length: 100 }, () => c.uint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

Deno.test("xoshiro128** matches the reference C implementation from a fixed state", () => {
  // First outputs of xoshiro128starstar.c (Blackman & Vigna) from s = {1, 2, 3, 4}
  const r = Random.fromState([1, 2, 3, 4]);
  assert.deepEqual(
    Array.from({ length: 5 }, () => r.uint32()),
    [11520, 0, 5927040, 70819200, 2031721883],
  );
  assert.throws(() => Random.fromState([0, 0, 0, 0]), /not all zero/);
});

Deno.test("uniform draws have mean 1/2 and variance 1/12 within 4 standard errors", () => {
  const r = new Random(7), n = 100_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.float();
    s += u;
    s2 += u * u;
  }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / n));
  // the sample variance has standard error sqrt((μ4 − σ⁴) / n), μ4 = 1/80, σ⁴ = 1/144
  assert.ok(Math.abs(variance - 1 / 12) < 4 * Math.sqrt((1 / 80 - 1 / 144) / n));
});

Deno.test("normal draws have mean 0 and variance 1 within 4 standard errors", () => {
  const r = new Random(11), n = 100_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / n) < 4 / Math.sqrt(n));
  assert.ok(Math.abs(s2 / n - 1) < 4 * Math.sqrt(2 / n)); // Var(v²) = 2
});

Deno.test("int(n) is uniform over [0, n): chi-square below the 0.1% critical value", () => {
  const r = new Random(5), n = 7, draws = 70_000, counts = new Array(n).fill(0);
  for (let i = 0; i < draws; i++) counts[r.int(n)]++;
  const expected = draws / n;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 22.46, `chi2 ${chi2}`); // χ²(6 dof) upper 0.1% point
});

Deno.test("categorical draws follow the weights and never pick a zero weight", () => {
  const r = new Random(9), w = [1, 0, 2, 5], cdf = cumulative(w), counts = [0, 0, 0, 0];
  const draws = 80_000;
  for (let i = 0; i < draws; i++) counts[r.fromCumulative(cdf)]++;
  assert.equal(counts[1], 0);
  const chi2 = [0, 2, 3].reduce((s, i) => {
    const e = (draws * w[i]) / 8;
    return s + (counts[i] - e) ** 2 / e;
  }, 0);
  assert.ok(chi2 < 13.82, `chi2 ${chi2}`); // χ²(2 dof) upper 0.1% point
});

Deno.test("shuffle is a permutation and is reproducible", () => {
  const a = new Random(1).shuffle(Array.from({ length: 50 }, (_, i) => i));
  const b = new Random(1).shuffle(Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("bad seeds and bad weights are rejected", () => {
  assert.throws(() => new Random(1.5), /cannot seed the generator with 1.5/);
  assert.throws(() => cumulative([1, NaN]), /weight 1 is NaN/);
  assert.throws(() => cumulative([1, -2]), /weight 1 is -2/);
});

Deno.test("normal draws follow the normal CDF: Kolmogorov–Smirnov statistic below its 1e-6 critical value", () => {
  // A wrong shape with the right mean and variance (e.g. √3·(2U − 1)) passes the moment test
  // above; the KS distance sees it. P(√n·D > x) ≤ 2·exp(−2x²) (Dvoretzky–Kiefer–Wolfowitz with
  // Massart's constant), so x = √(ln(2e6) / 2) ≈ 2.69 is exceeded with probability ≤ 1e-6 by
  // true normal draws. √3·(2U − 1) is 0.057 away from Φ near ±1, i.e. √n·D ≈ 8 at n = 20,000.
  const r = new Random(13), n = 20_000;
  const v = Float64Array.from({ length: n }, () => r.normal()).sort();
  const phi = (z: number) => 0.5 * (1 + (erf(z / Math.SQRT2) as number));
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = phi(v[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const critical = Math.sqrt(Math.log(2e6) / 2);
  assert.ok(Math.sqrt(n) * d < critical, `√n·D = ${Math.sqrt(n) * d} ≥ ${critical}`);
});
