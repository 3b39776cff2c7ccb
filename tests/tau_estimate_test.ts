import assert from "node:assert/strict";
import fc from "./fc.ts";
import { assertClose } from "@lib/assert_close.ts";
import {
  sqrtVarianceRatio,
  TauEstimate,
  tauThreshold,
  varianceRatio,
} from "@lib/sampling/tau_estimate.ts";

Deno.test("the variance ratio B Σ g_i² equals 1/(1 − ‖g − u‖²/‖g‖²), E[s²]/E[s]² and 1 + CV², and is ≥ 1", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e300, noNaN: true })), {
        minLength: 1,
        maxLength: 20,
      }),
      (raw) => {
        const max = Math.max(...raw);
        if (max === 0) return varianceRatio(raw) === 1; // all zero: uniform
        const s = raw.map((v) => v / max); // the ratio does not depend on the scale of s
        const n = s.length, total = s.reduce((a, v) => a + v, 0);
        const g = s.map((v) => v / total), u = 1 / n;
        const gg = g.reduce((a, v) => a + v * v, 0);
        const gu = g.reduce((a, v) => a + (v - u) ** 2, 0);
        const mean = total / n, meanSq = s.reduce((a, v) => a + v * v, 0) / n;
        const cv2 = (meanSq - mean * mean) / (mean * mean);
        const r = varianceRatio(raw);
        assertClose(r, n * gg, { rtol: 1e-12, atol: 0 });
        assertClose(r, meanSq / (mean * mean), { rtol: 1e-12, atol: 0 });
        assertClose(r, 1 + cv2, { rtol: 1e-9, atol: 1e-12 });
        if (gu / gg < 0.99) assertClose(r, 1 / (1 - gu / gg), { rtol: 1e-9, atol: 0 });
        assertClose(sqrtVarianceRatio(raw), Math.sqrt(r), { rtol: 1e-15, atol: 0 });
        return r >= 1 - 1e-12;
      },
    ),
    { seed: 3, numRuns: 1000 },
  );
});

Deno.test("τ follows its definition on a hand-computed sequence, in both variants", () => {
  // B Σ g²: [1, 0, 0, 0] → 4·1 = 4, [2, 2] → 2·(¼ + ¼) = 1, all zero → 1 (uniform)
  const sequence = [[1, 0, 0, 0], [2, 2], [1, 0, 0, 0], [0, 0, 0]];
  // varianceRatio: 4, 1, 4, 1 (all zero → 1)
  // τ: 0.1·4 = 0.4; 0.9·0.4 + 0.1 = 0.46; 0.9·0.46 + 0.4 = 0.814; 0.9·0.814 + 0.1 = 0.8326
  const ratio = new TauEstimate({ variant: "varianceRatio" });
  const expected = [0.4, 0.46, 0.814, 0.8326];
  sequence.forEach((s, t) => assertClose(ratio.update(s), expected[t], { rtol: 1e-14, atol: 0 }));
  assert.equal(ratio.last, 1);
  assert.equal(ratio.updates, 4);
  // sqrtVarianceRatio: 2, 1, 2, 1 → 0.2, 0.28, 0.452, 0.5068
  const root = new TauEstimate();
  assert.equal(root.variant, "sqrtVarianceRatio");
  assert.equal(root.momentum, 0.9);
  const expectedRoot = [0.2, 0.28, 0.452, 0.5068];
  sequence.forEach((s, t) =>
    assertClose(root.update(s), expectedRoot[t], { rtol: 1e-14, atol: 0 })
  );
  // another momentum: a_τ = 0.5 with τ_new = 4 then 1: 2, then 1.5
  const fast = new TauEstimate({ variant: "varianceRatio", momentum: 0.5 });
  assert.equal(fast.update([1, 0, 0, 0]), 2);
  assert.equal(fast.update([3, 3]), 1.5);
  fast.reset();
  assert.deepEqual([fast.tau, fast.last, fast.updates], [0, null, 0]);
});

Deno.test("τ_th = (B + 3b)/(3b): 2 for the reference default B = 3b, 8/3 for B = 5b", () => {
  assert.equal(tauThreshold(48, 16), 2);
  assert.equal(tauThreshold(80, 16), 8 / 3);
  assert.equal(tauThreshold(640, 128), 8 / 3);
  assert.throws(() => tauThreshold(0, 16), /presampleSize must be an integer >= 1, got 0/);
});

Deno.test("bad τ options and scores are rejected with errors naming them", () => {
  assert.throws(() => new TauEstimate({ momentum: 1 }), /momentum must be in \[0, 1\), got 1/);
  assert.throws(
    () => new TauEstimate({ variant: "sqrt" as never }),
    /unknown variant 'sqrt', expected "sqrtVarianceRatio" or "varianceRatio"/,
  );
  assert.throws(() => varianceRatio([]), /cannot compute the variance ratio: no scores/);
  assert.throws(() => varianceRatio([1, -2]), /score 1 is -2/);
});
