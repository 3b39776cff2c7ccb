import assert from "node:assert/strict";
import fc from "./fc.ts";
import { Matrix, Mlp, oneHot, Random, squaredError } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import type { Dataset } from "@lib/datasets.ts";
import {
  type ConvergenceOptions,
  convergenceSpeed,
  courseConvergenceSpeed,
  enumeratedConvergenceSpeed,
  flattenMatrices,
  meanGradient,
  optimalDistribution,
  type PerSampleGradients,
  perSampleGradients,
  traceVariance,
} from "@lib/convergence.ts";
import {
  monteCarloConvergenceSpeed,
  sampledConvergenceSpeed,
  squaredNormDecomposition,
} from "@lib/convergence_monte_carlo.ts";
import { parameterVector, setParameterVector } from "@lib/parameter_vector.ts";
import { type Sampler, uniformSampler } from "@lib/sampling/sampler.ts";

/** Solves the P×P system M v = r by Gaussian elimination with partial pivoting. */
function solve(m: number[][], r: number[]): number[] {
  const n = r.length, a = m.map((row, i) => [...row, r[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[pivot][c])) pivot = i;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let i = c + 1; i < n; i++) {
      const f = a[i][c] / a[c][c];
      for (let k = c; k <= n; k++) a[i][k] -= f * a[c][k];
    }
  }
  const v = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i][n];
    for (let k = i + 1; k < n; k++) s -= a[i][k] * v[k];
    v[i] = s / a[i][i];
  }
  return v;
}

/**
 * Least squares ℓ_i = ½(a_iᵀθ − y_i)² with noise whose scale grows with i (so that the
 * per-sample gradient norms differ), its exact minimiser θ*, and the per-sample gradients
 * G_i = a_i (a_iᵀθ − y_i) at a θ away from θ*.
 */
function leastSquares(seed: number, n = 8, p = 3) {
  const random = new Random(seed);
  const a = Array.from({ length: n }, () => Array.from({ length: p }, () => random.normal()));
  const y = a.map((row, i) =>
    row.reduce((s, v, k) => s + v * (k + 1), 0) + (1 + i) * 0.3 * random.normal()
  );
  const normal = Array.from(
    { length: p },
    (_, r) => Array.from({ length: p }, (_, c) => a.reduce((s, row) => s + row[r] * row[c], 0)),
  );
  const thetaStar = solve(
    normal,
    Array.from({ length: p }, (_, r) => a.reduce((s, row, i) => s + row[r] * y[i], 0)),
  );
  const gradientsAt = (theta: readonly number[]) =>
    a.map((row, i) => {
      const residual = row.reduce((s, v, k) => s + v * theta[k], 0) - y[i];
      return Float64Array.from(row, (v) => v * residual);
    });
  const theta = thetaStar.map((v, k) => v + [0.5, -0.3, 0.4, 0.2][k % 4]);
  return { theta, thetaStar, G: gradientsAt(theta), gradientsAt };
}

const skewed = [0.3, 0.05, 0.05, 0.1, 0.2, 0.1, 0.1, 0.1];

Deno.test("per-sample gradients of an Mlp equal one lossAndGradient per column, in any chunk size", () => {
  const random = new Random(1);
  const model = Mlp.create([3, 4, 3, 2], { random, activation: "tanh" });
  const n = 7;
  const datasets: [string, Dataset][] = [
    ["squaredError", {
      name: "r",
      x: random.normalMatrix(3, n),
      y: random.normalMatrix(2, n),
      labels: null,
    }],
    ["softmaxCrossEntropy", {
      name: "c",
      x: random.normalMatrix(3, n),
      y: oneHot([0, 1, 1, 0, 1, 0, 0], 2),
      labels: null,
    }],
  ];
  for (const [loss, data] of datasets) {
    const loop = Array.from({ length: n }, (_, i) => {
      const { grads } = model.lossAndGradient(
        data.x.gatherColumns([i]),
        data.y.gatherColumns([i]),
        { loss },
      );
      return flattenMatrices(grads);
    });
    for (const batchSize of [1, 3, 100]) {
      const G = perSampleGradients(model, data, { loss, batchSize });
      assert.equal(G.shape, `${n}x${model.parameterCount}`);
      loop.forEach((g, i) =>
        assertClose(G.data.subarray(i * g.length, (i + 1) * g.length), g, {
          rtol: 1e-12,
          atol: 1e-14,
          what: `${loss} G_${i}`,
        })
      );
    }
    // the mean of the rows is the full-batch gradient
    const full = flattenMatrices(model.lossAndGradient(data.x, data.y, { loss }).grads);
    assertClose(meanGradient(perSampleGradients(model, data, { loss })), full, {
      rtol: 1e-12,
      atol: 1e-14,
    });
  }
});

Deno.test("parameter vectors round-trip through a network", () => {
  const model = Mlp.create([2, 3, 1], { random: new Random(2) });
  const v = parameterVector(model);
  assert.equal(v.length, model.parameterCount);
  const copy = model.clone();
  setParameterVector(copy, v.map((x) => x + 1));
  assert.deepEqual(parameterVector(copy), v.map((x) => x + 1));
  assert.throws(() => setParameterVector(copy, [1]), /the vector has 1 entries, the network 13/);
});

Deno.test("the closed form of S equals exact enumeration of every ordered minibatch (b = 1, 2) to 1e-10", () => {
  const { G, theta, thetaStar } = leastSquares(3, 6);
  const random = new Random(4);
  const randomP = Array.from({ length: 6 }, () => 0.05 + random.float());
  const total = randomP.reduce((s, v) => s + v, 0);
  const distributions = {
    uniform: undefined,
    random: randomP.map((v) => v / total),
    optimal: Array.from(optimalDistribution(G)),
  };
  for (const [name, p] of Object.entries(distributions)) {
    for (const batchSize of [1, 2]) {
      for (const learningRate of [0.05, 0.5, 2]) {
        const options = { theta, thetaStar, learningRate, batchSize, p };
        const closed = convergenceSpeed(G, options);
        const exact = enumeratedConvergenceSpeed(G, options);
        const scale = Math.abs(closed.progress) + closed.meanGradientTerm + closed.varianceTerm;
        assert.ok(scale > 1e-3, "a non-trivial case");
        assert.ok(
          Math.abs(exact - closed.speed) <= 1e-10 * Math.max(1, scale),
          `${name}, b ${batchSize}, η ${learningRate}: ${exact} vs ${closed.speed}`,
        );
      }
    }
  }
  // and on the per-sample gradients of a real network, with θ* another network
  const random2 = new Random(5);
  const model = Mlp.create([2, 3, 1], { random: random2, activation: "tanh" });
  const data = {
    name: "toy",
    x: random2.normalMatrix(2, 5),
    y: random2.normalMatrix(1, 5),
    labels: null,
  };
  const star = Mlp.create([2, 3, 1], { random: random2, activation: "tanh" });
  const M = perSampleGradients(model, data, { loss: "squaredError" });
  for (const batchSize of [1, 2]) {
    const options = {
      theta: model,
      thetaStar: star,
      learningRate: 0.3,
      batchSize,
      p: [0.1, 0.2, 0.3, 0.25, 0.15],
    };
    assert.ok(
      Math.abs(enumeratedConvergenceSpeed(M, options) - convergenceSpeed(M, options).speed) <=
        1e-10,
    );
  }
});

/** The wrong formulas a Monte Carlo check must tell apart from the closed form. */
function wrongFormulas(G: PerSampleGradients, options: ConvergenceOptions): Record<string, number> {
  const s = convergenceSpeed(G, options), b = options.batchSize;
  const wrong: Record<string, number> = {
    "without the variance term": s.speed + s.varianceTerm,
    "the course's η-free line": courseConvergenceSpeed(G, options),
  };
  if (b > 1) { // these coincide with S at b = 1
    wrong["variance not divided by b"] = s.speed - (b - 1) * s.varianceTerm;
    wrong["variance divided by b²"] = s.speed + s.varianceTerm * (1 - 1 / b);
  }
  return wrong;
}

Deno.test("Monte Carlo S agrees with the closed form within 4 standard errors for seeds 1..5, and rules out wrong formulas", () => {
  const { G, theta, thetaStar } = leastSquares(6);
  for (const p of [undefined, skewed]) {
    for (const batchSize of [1, 4]) {
      const options = { theta, thetaStar, learningRate: 0.1, batchSize, p };
      const closed = convergenceSpeed(G, options);
      assert.ok(closed.speed > 0, "a step that makes progress");
      for (let seed = 1; seed <= 5; seed++) {
        const mc = monteCarloConvergenceSpeed(G, {
          ...options,
          draws: 40_000,
          random: new Random(seed),
        });
        const where = `p ${p ? "skewed" : "uniform"}, b ${batchSize}, seed ${seed}`;
        assert.ok(
          Math.abs(mc.mean - closed.speed) < 4 * mc.standardError,
          `${where}: ${mc.mean} ± ${mc.standardError} vs ${closed.speed}`,
        );
        // meaningful: each wrong formula is more than 8 standard errors away, so it would fail
        for (const [name, wrong] of Object.entries(wrongFormulas(G, options))) {
          assert.ok(
            Math.abs(wrong - closed.speed) > 8 * mc.standardError,
            `${where}: ${name} is too close`,
          );
        }
      }
    }
  }
});

/** Draws from a fixed p with weights 1/(N p_i): the shape of an importance sampler. */
function fixedSampler(p: number[]): Sampler {
  const cdf = Float64Array.from(p, ((s) => (v) => (s += v))(0));
  return {
    name: "fixed p",
    sample({ batchSize: b, random, data }) {
      const n = data.x.cols, indices = new Int32Array(b), weights = new Float64Array(b);
      for (let j = 0; j < b; j++) {
        indices[j] = random.fromCumulative(cdf);
        weights[j] = 1 / (n * p[indices[j]]);
      }
      return { indices, weights, forwardEquivalents: 0 };
    },
    distribution: () => Float64Array.from(p),
  };
}

Deno.test("real SGD steps on an Mlp measure the closed-form S within 4 standard errors, uniform and importance sampling, seeds 1..5", () => {
  const random = new Random(7);
  const n = 8;
  const data = {
    name: "toy",
    x: random.normalMatrix(2, n),
    y: random.normalMatrix(1, n),
    labels: null,
  };
  const model = Mlp.create([2, 4, 1], { random, activation: "tanh" });
  const star = Mlp.create([2, 4, 1], { random, activation: "tanh" });
  const G = perSampleGradients(model, data, { loss: "squaredError" });
  const context = { model, data, loss: squaredError, batchSize: 2, random, step: 0 };
  for (const sampler of [uniformSampler(), fixedSampler(skewed)]) {
    const options = { thetaStar: star, learningRate: 0.4, batchSize: 2 };
    const exactOptions = { ...options, theta: model, p: sampler.distribution!(context) };
    const closed = convergenceSpeed(G, exactOptions);
    for (let seed = 1; seed <= 5; seed++) {
      const mc = sampledConvergenceSpeed(model, data, {
        ...options,
        loss: "squaredError",
        sampler,
        draws: 10_000,
        random: new Random(seed),
      });
      assert.ok(
        Math.abs(mc.mean - closed.speed) < 4 * mc.standardError,
        `${sampler.name}, seed ${seed}: ${mc.mean} ± ${mc.standardError} vs ${closed.speed}`,
      );
      // meaningful: a variance term not divided by b, or divided by b², is > 8 standard errors off
      for (const [name, wrong] of Object.entries(wrongFormulas(G, exactOptions))) {
        assert.ok(
          Math.abs(wrong - closed.speed) > 8 * mc.standardError,
          `${sampler.name}, seed ${seed}: ${name} is too close`,
        );
      }
    }
  }
  assert.deepEqual(
    parameterVector(model),
    parameterVector(model.clone()),
    "the network is not changed",
  );
});

Deno.test("E‖g‖² = Tr V[g] + ‖E g‖²: both sides estimated from draws agree, and match the exact values", () => {
  const { G } = leastSquares(8);
  for (const p of [undefined, skewed]) {
    for (const batchSize of [1, 3]) {
      const r = squaredNormDecomposition(G, {
        batchSize,
        p,
        draws: 20_000,
        random: new Random(batchSize),
      });
      // the identity holds for the empirical distribution too, up to rounding
      assert.ok(Math.abs(r.meanSquaredNorm.mean - r.sum) <= 1e-12 * r.sum);
      // each side estimates the exact E‖g‖² = ‖Ḡ‖² + Tr V_p / b
      const exact = r.exact;
      assert.ok(
        Math.abs(exact.squaredNorm - exact.traceVariance - exact.squaredNormOfMean) <=
          1e-14 * exact.squaredNorm,
      );
      assert.ok(
        Math.abs(r.meanSquaredNorm.mean - exact.squaredNorm) < 4 * r.meanSquaredNorm.standardError,
      );
      assert.equal(exact.traceVariance, traceVariance(G, { p }) / batchSize);
      // and the variance is a large part of E‖g‖² here: the identity is not dominated by ‖E g‖²
      assert.ok(exact.traceVariance > exact.squaredNormOfMean);
    }
  }
});

Deno.test("the course's η-free line is S only at η = 1; Monte Carlo sides with S at η = 0.1", () => {
  const { G, theta, thetaStar } = leastSquares(9);
  const options = { theta, thetaStar, batchSize: 2 };
  const course = courseConvergenceSpeed(G, options);
  assert.equal(convergenceSpeed(G, { ...options, learningRate: 1 }).speed, course);
  const s = convergenceSpeed(G, { ...options, learningRate: 0.1 });
  const mc = monteCarloConvergenceSpeed(G, {
    ...options,
    learningRate: 0.1,
    draws: 20_000,
    random: new Random(1),
  });
  assert.ok(Math.abs(mc.mean - s.speed) < 4 * mc.standardError);
  assert.ok(Math.abs(mc.mean - course) > 100 * mc.standardError);
  for (const [name, wrong] of Object.entries(wrongFormulas(G, { ...options, learningRate: 0.1 }))) {
    assert.ok(Math.abs(wrong - s.speed) > 8 * mc.standardError, `${name} is too close`);
  }
  assert.ok(
    s.speed > 0 && course < 0,
    `S ${s.speed}, course ${course}: the printed line even has the wrong sign`,
  );
});

Deno.test("S is linear in η through progress and quadratic through the penalties; it vanishes at η = 2(θ−θ*)ᵀḠ / E‖g‖²", () => {
  const { G, theta, thetaStar } = leastSquares(10);
  const base = { theta, thetaStar, batchSize: 3 };
  const one = convergenceSpeed(G, { ...base, learningRate: 1 });
  for (const eta of [0.01, 0.3, 3]) {
    const s = convergenceSpeed(G, { ...base, learningRate: eta });
    assertClose(s.progress, eta * one.progress, { rtol: 1e-14, atol: 0 });
    assertClose(s.meanGradientTerm, eta * eta * one.meanGradientTerm, { rtol: 1e-14, atol: 0 });
    assertClose(s.varianceTerm, eta * eta * one.varianceTerm, { rtol: 1e-14, atol: 0 });
  }
  const zero = one.progress / one.expectedSquaredNorm; // 2(θ−θ*)ᵀḠ / E‖g‖²
  assert.ok(
    Math.abs(convergenceSpeed(G, { ...base, learningRate: zero }).speed) < 1e-12 * one.progress,
  );
  assert.ok(convergenceSpeed(G, { ...base, learningRate: 0.5 * zero }).speed > 0);
  assert.ok(convergenceSpeed(G, { ...base, learningRate: 1.5 * zero }).speed < 0);
  // at the least-squares optimum there is no progress to make: S = −η² Tr V_p / b < 0
  const { thetaStar: optimum, gradientsAt } = leastSquares(10);
  const atOptimum = convergenceSpeed(gradientsAt(optimum), {
    ...base,
    theta: optimum,
    learningRate: 0.1,
  });
  assert.ok(Math.abs(atOptimum.progress) < 1e-12 && atOptimum.meanGradientSquaredNorm < 1e-24);
  assertClose(atOptimum.speed, -atOptimum.varianceTerm, { rtol: 1e-9, atol: 0 });
  assert.ok(atOptimum.speed < 0);
});

const gradientsArbitrary = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    G: fc.array(
      fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 3, maxLength: 3 }),
      { minLength: n, maxLength: n },
    ),
    weights: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), {
      minLength: n,
      maxLength: n,
    }),
    theta: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }),
    learningRate: fc.double({ min: 1e-3, max: 2, noNaN: true }),
    batchSize: fc.integer({ min: 1, max: 5 }),
  })
);

Deno.test("property: p ∝ ‖G_i‖ gives the largest S; no random distribution beats it, uniform included", () => {
  fc.assert(
    fc.property(gradientsArbitrary, ({ G: rows, weights, theta, learningRate, batchSize }) => {
      const G = rows.map((r) => Float64Array.from(r)), n = G.length;
      const total = weights.reduce((s, v) => s + v, 0);
      const base = { theta, thetaStar: [0, 0, 0], learningRate, batchSize };
      const best = convergenceSpeed(G, { ...base, p: optimalDistribution(G) });
      for (const p of [weights.map((w) => w / total), undefined]) {
        const s = convergenceSpeed(G, { ...base, p });
        // both S share progress and ‖Ḡ‖² exactly; each is a sum of O(N·P) rounded products, so
        // its error is below ~N·P·ε ≈ 5e-15 of the sum of its terms' magnitudes: 1e-12 has margin
        const magnitude = Math.abs(s.progress) + s.meanGradientTerm + Math.abs(s.varianceTerm) +
          Math.abs(best.varianceTerm) + learningRate ** 2 * s.meanGradientSquaredNorm / batchSize;
        assert.ok(best.speed >= s.speed - 1e-12 * magnitude, `${best.speed} < ${s.speed}`);
      }
      // the gain over uniform is the variance of the norms: Tr V_u − Tr V_p* = Var_u(‖G_i‖)
      const norms = G.map((g) => Math.hypot(...g));
      const meanNorm = norms.reduce((s, v) => s + v, 0) / n;
      const spread = norms.reduce((s, v) => s + (v - meanNorm) ** 2, 0) / n;
      const gain = traceVariance(G) - traceVariance(G, { p: optimalDistribution(G) });
      const meanSquare = norms.reduce((s, v) => s + v * v, 0) / n;
      assert.ok(Math.abs(gain - spread) <= 1e-12 * (meanSquare + 1e-300));
      // and the optimum is (1/N²)(Σ‖G_i‖)² − ‖Ḡ‖²
      const mean = meanGradient(G), meanSq = mean.reduce((s, v) => s + v * v, 0);
      const optimum = meanNorm * meanNorm - meanSq;
      assert.ok(
        Math.abs(traceVariance(G, { p: optimalDistribution(G) }) - optimum) <=
          1e-12 * (meanSquare + 1e-300),
      );
    }),
    { numRuns: 300, seed: 1 },
  );
});

Deno.test("bad inputs are rejected with errors naming the option", () => {
  const { G, theta, thetaStar } = leastSquares(11);
  const ok = { theta, thetaStar, learningRate: 0.1, batchSize: 2 };
  const cases: [Partial<ConvergenceOptions>, RegExp][] = [
    [{ learningRate: 0 }, /learningRate must be a finite number > 0, got 0/],
    [{ learningRate: -1 }, /learningRate must be a finite number > 0, got -1/],
    [{ learningRate: NaN }, /learningRate must be a finite number > 0, got NaN/],
    [{ batchSize: 0 }, /batchSize must be an integer >= 1, got 0/],
    [{ batchSize: 1.5 }, /batchSize must be an integer >= 1, got 1.5/],
    [{ p: [0.5, 0.5] }, /p has 2 entries for 8 samples/],
    [{ p: skewed.map((v) => v * 2) }, /p is not a distribution: it sums to 1\.99[\d]*, expected 1/],
    [{ p: [-0.1, 0.2, ...skewed.slice(2)] }, /p is not a distribution: p\[0\] is -0.1/],
    [{ p: [NaN, ...skewed.slice(1)] }, /p is not a distribution: p\[0\] is NaN/],
    [{ p: [0, 0.35, ...skewed.slice(2)] }, /p\[0\] is 0 but sample 0 has a nonzero gradient/],
    [{ theta: [1, 2] }, /theta has 2 entries, expected 3 \(one per parameter\)/],
    [{ thetaStar: [0, NaN, 0] }, /thetaStar\[1\] is NaN/],
  ];
  for (const [bad, message] of cases) {
    const options = { ...ok, ...bad };
    assert.throws(() => convergenceSpeed(G, options), message);
    assert.throws(
      () => monteCarloConvergenceSpeed(G, { ...options, draws: 10, random: new Random(1) }),
      message,
    );
    if (!("batchSize" in bad)) {
      assert.throws(() => enumeratedConvergenceSpeed(G, { ...options, batchSize: 1 }), message);
    }
  }
  assert.throws(
    () => convergenceSpeed([Float64Array.of(1, 2), Float64Array.of(1)], ok),
    /gradient 1 has 1 entries, gradient 0 has 2/,
  );
  assert.throws(() => convergenceSpeed([], ok), /no per-sample gradients/);
  assert.throws(
    () => monteCarloConvergenceSpeed(G, { ...ok, draws: 1, random: new Random(1) }),
    /draws must be an integer >= 2, got 1/,
  );
  assert.throws(
    () => enumeratedConvergenceSpeed(G, { ...ok, batchSize: 7 }),
    /N\^b = 8\^7 sequences exceed the limit/,
  );
  assert.throws(
    () => squaredNormDecomposition(G, { batchSize: 0, draws: 10, random: new Random(1) }),
    /batchSize must be an integer >= 1/,
  );
  const model = Mlp.create([2, 1], { random: new Random(0) });
  const data = { name: "d", x: Matrix.zeros(2, 3), y: Matrix.zeros(2, 3), labels: null };
  assert.throws(
    () => perSampleGradients(model, data, { loss: "squaredError" }),
    /cannot compute per-sample gradients: y is 2x3, expected 1x3/,
  );
  assert.throws(
    () =>
      sampledConvergenceSpeed(model, { ...data, y: Matrix.zeros(1, 3) }, {
        loss: "squaredError",
        thetaStar: [1],
        learningRate: 0.1,
        batchSize: 1,
        draws: 10,
        random: new Random(1),
      }),
    /thetaStar has 1 entries, expected 3/,
  );
});
