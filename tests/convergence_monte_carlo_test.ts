import assert from "node:assert/strict";
import { assertClose } from "@lib/assert_close.ts";
import { convergenceSpeed } from "@lib/convergence.ts";
import { gradientNormMoments } from "@lib/convergence_monte_carlo.ts";
import { Random } from "@lib/random.ts";

Deno.test("the variance of the norm is Tr V[g] minus (E‖g‖)² − ‖E g‖² (exact at b = 1)", () => {
  const random = new Random(8);
  const G = Array.from(
    { length: 7 },
    () => Float64Array.from({ length: 3 }, () => random.normal()),
  );
  const p = [0.05, 0.1, 0.2, 0.1, 0.25, 0.15, 0.15];
  for (const q of [undefined, p]) {
    const m = gradientNormMoments(G, { batchSize: 1, draws: 2, random, p: q });
    const s = convergenceSpeed(G, {
      theta: [0, 0, 0],
      thetaStar: [0, 0, 0],
      learningRate: 1,
      batchSize: 1,
      p: q,
    });
    assertClose(m.meanSquaredNorm, s.expectedSquaredNorm, { rtol: 1e-12, atol: 0 });
    assertClose(
      s.traceVariance - m.normVariance,
      m.meanNorm ** 2 - s.meanGradientSquaredNorm,
      { rtol: 1e-10, atol: 1e-14 },
    );
    assert.ok(m.normVariance < s.traceVariance); // the gradients point in different directions
  }
});

Deno.test("at b > 1 the drawn moments of ‖g‖ agree with the exact E‖g‖² within 4 standard errors", () => {
  const random = new Random(9);
  const G = Array.from(
    { length: 5 },
    () => Float64Array.from({ length: 2 }, () => random.normal()),
  );
  const b = 3, draws = 20000;
  const m = gradientNormMoments(G, { batchSize: b, draws, random });
  const s = convergenceSpeed(G, {
    theta: [0, 0],
    thetaStar: [0, 0],
    learningRate: 1,
    batchSize: b,
  });
  assert.equal(m.draws, draws);
  // ‖g‖ ≤ max_i ‖G_i‖ (uniform weights are 1), so Var ‖g‖² ≤ E‖g‖⁴ ≤ max_i ‖G_i‖² · E‖g‖²
  const maxSq = Math.max(...G.map((g) => g[0] ** 2 + g[1] ** 2));
  const se = Math.sqrt((maxSq * s.expectedSquaredNorm) / draws);
  assert.ok(Math.abs(m.meanSquaredNorm - s.expectedSquaredNorm) < 4 * se);
  assert.ok(m.normVariance < s.traceVariance / b); // Var ‖g‖ ≤ Tr V[g]
  assert.throws(
    () => gradientNormMoments(G, { batchSize: 2, draws: 1, random }),
    /cannot estimate the moments of the gradient norm: draws must be an integer >= 2, got 1/,
  );
});
