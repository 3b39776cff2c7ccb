import assert from "node:assert/strict";
import { derivative, parse } from "mathjs";
import {
  type Activation,
  ACTIVATION_PROBES,
  activationFromExpression,
  activations,
  Mlp,
  Random,
  relu,
  resolveActivation,
  resolveLoss,
} from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";

const points = [-6, -2.5, -1, -0.3, 0.2, 0.7, 1.5, 3, 8];

Deno.test("every hand-written σ′ equals mathjs's symbolic derivative of σ", () => {
  for (const act of Object.values(activations) as Activation[]) {
    assert.ok(act.expression, `${act.name} has a mathjs expression`);
    // straight from mathjs: relu's expression has no derivative at 0, which
    // activationFromExpression refuses, but it has one at every point here
    const node = parse(act.expression), dNode = derivative(node, "z");
    const symbolic = {
      f: (z: number) => Number(node.evaluate({ z })),
      df: (z: number) => Number(dNode.evaluate({ z })),
    };
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
      // tanh′ and sigmoid′ come from x, a few ulp from f(z) (at most 2^-51 apart where |x| ≤ 1),
      // and 1 − x² or x(1 − x) moves by at most twice that: an absolute error, which is large
      // against σ′ itself where x is near ±1
      assertClose(d[i], g[i] * act.df(v), { rtol: 1e-14, atol: Math.abs(g[i]) * 2 ** -50 });
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

Deno.test("a mathjs activation that draws random numbers, assigns or defines a function is refused when made", () => {
  const cases: [string, RegExp][] = [
    [
      "random() * z",
      /calls random\(\), which draws a new number at every call: an activation must be deterministic/,
    ],
    ["z * randomInt(1, 3)", /calls randomInt\(\)/],
    ["z + pickRandom([0, 1])", /calls pickRandom\(\)/],
    ["f(z) = z^2", /it defines a function; give its body alone/],
    ["a = z", /it is an assignment; give the expression in z alone/],
    ["z; 3", /it holds several statements/],
  ];
  for (const [expression, message] of cases) {
    assert.throws(() => activationFromExpression(expression), message, expression);
    assert.throws(
      () => Mlp.create([1, 2, 1], { random: new Random(0), activation: expression }),
      message,
    );
  }
});

Deno.test("a mathjs activation constant in z is refused: no gradient would flow through it", () => {
  for (const expression of ["z * 0", "z - z", "0 * z + 3"]) {
    assert.throws(
      () => activationFromExpression(expression),
      /it is constant in z \(σ′ is 0 at every z in \{-30, -5, -1, -0\.001, 0, 0\.001, 1, 5, 30\}\)/,
      expression,
    );
  }
  assert.equal(activationFromExpression("z^3").df(0), 0, "a σ′ of 0 at one point is allowed");
});

Deno.test("a σ or σ′ that is not finite at a probe point is refused, naming the points", () => {
  const cases: [string, RegExp][] = [
    [
      "sqrt(z)",
      /σ is not finite at z = -30 \(NaN\), -5 \(NaN\), -1 \(NaN\), -0\.001 \(NaN\); σ′ is not finite at z = .*0 \(Infinity\)\./,
    ],
    ["abs(z)", /: σ′ is not finite at z = 0 \(NaN\)\. σ and σ′ must be finite at every z/],
    [relu.expression!, /σ′ is not finite at z = 0 \(NaN\)/],
    ["1 / z", /σ is not finite at z = 0 \(Infinity\); σ′ is not finite at z = 0 \(-Infinity\)/],
    [
      "log(z)",
      /σ is not finite at z = -30 \(NaN\), .*, 0 \(-Infinity\); σ′ is not finite at z = 0 \(Infinity\)/,
    ],
    ["exp(z^2)", /σ is not finite at z = -30 \(Infinity\), 30 \(Infinity\)/],
    ["asin(z)", /σ is not finite at z = -30 \(NaN\), -5 \(NaN\), 5 \(NaN\), 30 \(NaN\)/],
  ];
  for (const [expression, message] of cases) {
    assert.throws(() => activationFromExpression(expression), message, expression);
  }
  // every point of the grid is checked: each of these fails at exactly one of them
  for (const z of ACTIVATION_PROBES) {
    assert.throws(
      () => activationFromExpression(`z + 1 / (z - (${z}))`),
      new RegExp(`σ is not finite at z = ${String(z).replace(".", "\\.")} \\(`),
    );
  }
});

Deno.test("an Activation object without its methods, or not finite at a probe point, is refused", () => {
  const random = new Random(0);
  const create = (activation: unknown) =>
    Mlp.create([1, 2, 1], { random, activation: activation as Activation });
  assert.throws(
    () => create({ name: "bad" }),
    /cannot use 'bad' as an activation: .*\(missing: f, df, forward, backward\)/,
  );
  assert.throws(() => create([null]), /cannot use null as an activation/);
  assert.throws(() => create([undefined]), /cannot use undefined as an activation/);
  const cubeRoot: Activation = {
    name: "cube root",
    f: Math.cbrt,
    df: (z) => 1 / (3 * Math.cbrt(z) ** 2),
    expression: null,
    forward: (z, { out, n }) => z.subarray(0, n).forEach((v, i) => (out[i] = Math.cbrt(v))),
    backward: (g, { z, out, n }) =>
      g.subarray(0, n).forEach((v, i) => (out[i] = v / (3 * Math.cbrt(z[i]) ** 2))),
  };
  assert.throws(
    () => create(cubeRoot),
    /cannot use the activation 'cube root': σ′ is not finite at z = 0 \(Infinity\)/,
  );
  assert.equal(create(relu).activations[0], relu, "built-ins pass as they are");
});

Deno.test("names of Object.prototype are not activation or loss names", () => {
  for (const name of ["toString", "constructor", "hasOwnProperty"]) {
    assert.throws(() => resolveActivation(name), new RegExp(`unknown activation '${name}'`));
    assert.throws(() => resolveLoss(name), new RegExp(`unknown loss '${name}'`));
  }
});
