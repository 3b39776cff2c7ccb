import assert from "node:assert/strict";
import {
  type Activation,
  activationFromExpression,
  activations,
  assertClose,
  resolveActivation,
} from "@lib/mod.ts";

const points = [-6, -2.5, -1, -0.3, 0.2, 0.7, 1.5, 3, 8];

Deno.test("every hand-written σ′ equals mathjs's symbolic derivative of σ", () => {
  for (const act of Object.values(activations) as Activation[]) {
    assert.ok(act.expression, `${act.name} has a mathjs expression`);
    const symbolic = activationFromExpression(act.expression);
    for (const z of points) {
      // the two formulas round differently: allow a few ulps, relative to the larger value
      assertClose(act.f(z), symbolic.f(z), { rtol: 1e-13, atol: 1e-15, what: `${act.name}(${z})` });
      assertClose(act.df(z), symbolic.df(z), {
        rtol: 1e-12,
        atol: 1e-15,
        what: `${act.name}′(${z})`,
      });
    }
  }
});

Deno.test("array forward and backward agree with the scalar σ and σ′", () => {
  const z = Float64Array.from(points), g = Float64Array.from(points, (v) => 1 + v * v);
  for (const act of Object.values(activations) as Activation[]) {
    const x = new Float64Array(z.length), d = new Float64Array(z.length);
    act.forward(z, { out: x, n: z.length });
    act.backward(g, { z, x, out: d, n: z.length });
    z.forEach((v, i) => {
      assertClose(x[i], act.f(v), { rtol: 1e-15, atol: 0 });
      assertClose(d[i], g[i] * act.df(v), { rtol: 1e-14, atol: 1e-300 });
    });
  }
});

Deno.test("a mathjs activation compiles to plain JavaScript with the same values", () => {
  const silu = activationFromExpression("z / (1 + exp(-z))");
  for (const z of points) {
    assertClose(silu.f(z), z / (1 + Math.exp(-z)), { rtol: 1e-15, atol: 0 });
    const s = 1 / (1 + Math.exp(-z));
    assertClose(silu.df(z), s + z * s * (1 - s), { rtol: 1e-13, atol: 1e-16 });
  }
});

Deno.test("a mathjs activation with functions outside Math still evaluates through mathjs", () => {
  const act = activationFromExpression("asinh(z)");
  assertClose(act.df(1), 1 / Math.sqrt(2), { rtol: 1e-15, atol: 0 });
});

Deno.test("an expression that is not a function of z alone is rejected", () => {
  assert.throws(
    () => activationFromExpression("z * w"),
    /function of z alone, but it uses the symbol w/,
  );
  assert.throws(() => activationFromExpression("3 + pi"), /does not depend on z/);
});

Deno.test("an expression mathjs cannot differentiate is rejected", () => {
  assert.throws(() => activationFromExpression("max(z, 0)"), /mathjs cannot differentiate it/);
  assert.throws(() => activationFromExpression("floor(z)"), /mathjs cannot differentiate it/);
});

Deno.test("an expression that does not parse is a SyntaxError naming it", () => {
  assert.throws(() => activationFromExpression("z +* 2"), SyntaxError);
});

Deno.test("an unknown activation name is rejected with the list of known ones", () => {
  assert.throws(() => resolveActivation("gelu"), /unknown activation 'gelu'/);
});
