import assert from "node:assert/strict";
import { gradcheck, Matrix, numericGradient, Random } from "@lib/mod.ts";

Deno.test("central differences are exact to O(eps²) on a cubic", () => {
  const w = Matrix.from([[0.7, -1.3]]);
  const [g] = numericGradient(() => w.data[0] ** 3 + 2 * w.data[1] ** 3, [w], 1e-4);
  // error of a central difference on x³ is exactly eps² (per unit coefficient)
  assert.ok(Math.abs(g.data[0] - 3 * 0.49 - 1e-8) < 1e-10);
  assert.ok(Math.abs(g.data[1] - 6 * 1.69 - 2e-8) < 1e-10);
});

Deno.test("gradcheck restores every parameter exactly", () => {
  const w = new Random(1).normalMatrix(3, 3), copy = w.data.slice();
  gradcheck(() => w.data.reduce((a, b) => a + Math.sin(b), 0), {
    params: [w],
    analytic: [new Matrix(3, 3, w.data.map(Math.cos))],
  });
  assert.deepEqual(w.data, copy);
});

Deno.test("gradcheck flags a gradient off by more than atol + rtol·|numeric| and names it", () => {
  const w = Matrix.from([[1, 2, 3]]);
  const f = () => w.data[0] + 10 * w.data[1] + w.data[2];
  const report = gradcheck(f, { params: [w], analytic: [Matrix.from([[1, 10.02, 1]])] });
  assert.equal(report.ok, false);
  assert.deepEqual([report.worst?.row, report.worst?.col], [0, 1]);
  // 0.02 / (1e-5 + 1e-3 · 10) ≈ 2: just above the bound
  assert.ok(report.worstRatio > 1.9 && report.worstRatio < 2.1);
});

Deno.test("gradcheck rejects gradients of the wrong shape", () => {
  const w = Matrix.zeros(2, 2);
  assert.throws(
    () => gradcheck(() => 0, { params: [w], analytic: [Matrix.zeros(2, 3)] }),
    /parameter 0 is 2x2 but its gradient is 2x3/,
  );
});

Deno.test("gradcheck and numericGradient refuse an eps, atol or rtol out of range", () => {
  const w = Matrix.from([[1]]), f = () => w.data[0] ** 2;
  const check = (options: object) =>
    gradcheck(f, { params: [w], analytic: [Matrix.from([[2]])], ...options });
  for (const eps of [0, -1e-6, NaN, Infinity]) {
    assert.throws(() => check({ eps }), new RegExp(`eps must be a finite number > 0, got ${eps}`));
    assert.throws(() => numericGradient(f, [w], eps), /eps must be a finite number > 0/);
  }
  for (const name of ["atol", "rtol"]) {
    for (const value of [-1, NaN, Infinity]) {
      assert.throws(
        () => check({ [name]: value }),
        new RegExp(`${name} must be a finite number >= 0, got ${value}`),
      );
    }
  }
  assert.ok(check({ atol: 0, rtol: 1e-6 }).ok, "zero tolerances are allowed");
});
