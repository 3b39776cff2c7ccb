/**
 * Activation functions σ, each with its derivative σ′ beside it. Any activation can also be given
 * as a mathjs expression in `z`; its σ′ is then derived symbolically by mathjs.
 *
 * @module
 */
import type { MathNode } from "mathjs";
import { mathjs } from "./mathjs.ts";
import {
  elementwiseBackward,
  elementwiseForward,
  logistic,
  softplusOf,
} from "./elementwise_kernel.ts";
import { describeValue } from "./validate.ts";

/** Arrays for one elementwise pass: z = pre-activation, x = σ(z), g = upstream gradient. */
export interface ActivationArrays {
  /** Pre-activations z. */
  z: Float64Array;
  /** Activations x = σ(z), as computed by `forward`. */
  x: Float64Array;
  /** Output array. */
  out: Float64Array;
  /** Number of entries to process. */
  n: number;
}

/**
 * An elementwise activation σ with its derivative. `f` and `df` are the scalar maps;
 * `forward` and `backward` are the array loops the network runs.
 */
export interface Activation {
  /** Short name, or the expression for a mathjs-defined activation. */
  readonly name: string;
  /** σ(z). */
  readonly f: (z: number) => number;
  /** σ′(z). */
  readonly df: (z: number) => number;
  /** The same σ as a mathjs expression in z, where one exists (used to check σ′). */
  readonly expression: string | null;
  /** out[i] = σ(z[i]) for i < n. */
  forward(z: Float64Array, io: { out: Float64Array; n: number }): void;
  /** out[i] = σ′(z[i]) · g[i]: the backward step δ = σ′(z) ∘ g, using x = σ(z) where cheaper. */
  backward(g: Float64Array, arrays: ActivationArrays): void;
  /**
   * Whether `backward` reads z (true when absent). false where it reads only g and x = σ(z)
   * (tanh, sigmoid) or g alone (identity): a presampled step then leaves the chosen columns' z_l
   * of such layers ungathered (`passColumns` in lib/pass_columns.ts).
   */
  readonly backwardReadsZ?: boolean;
}

/**
 * σ(z) = z, σ′(z) = 1. The usual output activation for regression.
 *
 * @example
 * ```ts
 * import { identity } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.equal(identity.f(-2), -2);
 * assert.equal(identity.df(-2), 1);
 * ```
 */
export const identity: Activation = {
  name: "identity",
  f: (z) => z,
  df: () => 1,
  expression: "z",
  forward(z, { out, n }) {
    for (let i = 0; i < n; i++) out[i] = z[i];
  },
  backward(g, { out, n }) {
    for (let i = 0; i < n; i++) out[i] = g[i];
  },
  backwardReadsZ: false,
};

/**
 * σ(z) = max(z, 0), σ′(z) = 1 for z > 0 and 0 otherwise (the subgradient 0 is taken at z = 0).
 *
 * @example
 * ```ts
 * import { relu } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([relu.f(-1), relu.f(2), relu.df(-1), relu.df(2)], [0, 2, 0, 1]);
 * ```
 */
export const relu: Activation = {
  name: "relu",
  f: (z) => (z > 0 ? z : 0),
  df: (z) => (z > 0 ? 1 : 0),
  expression: "(z + abs(z)) / 2",
  forward(z, io) {
    elementwiseForward("relu", z, io); // the bits of z > 0 ? z : 0
  },
  backward(g, arrays) {
    elementwiseBackward("relu", g, arrays); // the bits of z > 0 ? g : 0
  },
  backwardReadsZ: true,
};

/**
 * σ(z) = tanh z, σ′(z) = 1 − tanh² z, computed from x = σ(z) in the backward pass.
 *
 * @example
 * ```ts
 * import { tanh } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.equal(tanh.df(0), 1);
 * assert.ok(Math.abs(tanh.df(1) - (1 - Math.tanh(1) ** 2)) < 1e-15);
 * ```
 */
export const tanh: Activation = {
  name: "tanh",
  f: Math.tanh,
  df: (z) => {
    const t = Math.tanh(z);
    return 1 - t * t;
  },
  expression: "tanh(z)",
  forward(z, io) {
    // WebAssembly SIMD, within 2 ulp of tanh; Math.tanh without it (lib/tanh_kernel.ts)
    elementwiseForward("tanh", z, io);
  },
  backward(g, arrays) {
    elementwiseBackward("tanh", g, arrays); // the bits of g · (1 − x·x)
  },
  backwardReadsZ: false,
};

/**
 * σ(z) = 1 / (1 + e^(−z)), σ′(z) = σ(z)(1 − σ(z)); evaluated without overflow for large |z|.
 * `forward` is the WebAssembly map of `lib/elementwise_kernel.ts` (within 2.2 ulp of σ), so it
 * can differ from `f` (`Math.exp`, within 1.9 ulp) by a few ulp; σ′ is computed from x = σ(z),
 * which loses relative accuracy where x is near 1 (about ulp(1)/(1 − x)).
 *
 * @example
 * ```ts
 * import { sigmoid } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sigmoid.f(0), 0.5);
 * assert.equal(sigmoid.df(0), 0.25);
 * assert.equal(sigmoid.f(-1000), 0);
 * ```
 */
export const sigmoid: Activation = {
  name: "sigmoid",
  f: logistic,
  df: (z) => {
    const s = logistic(z);
    return s * (1 - s);
  },
  expression: "1 / (1 + exp(-z))",
  forward(z, io) {
    elementwiseForward("sigmoid", z, io); // within 3 ulp; f is within 2
  },
  backward(g, arrays) {
    elementwiseBackward("sigmoid", g, arrays); // the bits of g · x · (1 − x)
  },
  backwardReadsZ: false,
};

/**
 * σ(z) = log(1 + e^z), σ′(z) = 1 / (1 + e^(−z)) (the logistic function); stable for large |z|.
 * `forward` and `backward` are the WebAssembly maps of `lib/elementwise_kernel.ts` (within 2.5
 * ulp of σ, and g times sigmoid's forward), so they can differ from `f` and `df` (`Math.exp`,
 * `Math.log1p`) by a few ulp.
 *
 * @example
 * ```ts
 * import { softplus } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.equal(softplus.f(0), Math.LN2);
 * assert.equal(softplus.df(0), 0.5);
 * assert.equal(softplus.f(1000), 1000);
 * ```
 */
export const softplus: Activation = {
  name: "softplus",
  f: softplusOf,
  df: logistic,
  expression: "log(1 + exp(z))",
  forward(z, io) {
    elementwiseForward("softplus", z, io); // within 3 ulp; f is within 1.2
  },
  backward(g, arrays) {
    elementwiseBackward("softplus", g, arrays); // g · σ(z), σ as sigmoid's forward
  },
  backwardReadsZ: true,
};

/** The activations known by name. */
export const activations: Readonly<Record<string, Activation>> = Object.freeze({
  identity,
  relu,
  tanh,
  sigmoid,
  softplus,
});

const jsFunctions: Record<string, string> = {
  exp: "Math.exp",
  log: "Math.log",
  sqrt: "Math.sqrt",
  abs: "Math.abs",
  sin: "Math.sin",
  cos: "Math.cos",
  tan: "Math.tan",
  tanh: "Math.tanh",
  sinh: "Math.sinh",
  cosh: "Math.cosh",
  atan: "Math.atan",
  sign: "Math.sign",
  sec: "1/Math.cos",
  cbrt: "Math.cbrt",
};
const jsOperators: Record<string, string> = {
  add: "+",
  subtract: "-",
  multiply: "*",
  divide: "/",
  pow: "**",
};
const constants: Record<string, string> = {
  e: "Math.E",
  pi: "Math.PI",
  E: "Math.E",
  PI: "Math.PI",
};

/**
 * The points z where {@link activationFromExpression} and {@link resolveActivation} require a σ
 * and its σ′ to be finite (and repeatable): both tails, ±1, and 0 with its neighbours ±0.001.
 *
 * @example
 * ```ts
 * import { ACTIVATION_PROBES, activationFromExpression } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.ok(ACTIVATION_PROBES.includes(0) && ACTIVATION_PROBES.includes(-30));
 * assert.throws(() => activationFromExpression("log(z)"), /σ is not finite at z = -30 \(NaN\)/);
 * ```
 */
export const ACTIVATION_PROBES: readonly number[] = Object.freeze([
  -30,
  -5,
  -1,
  -1e-3,
  0,
  1e-3,
  1,
  5,
  30,
]);

/** mathjs functions that draw random numbers: an activation must be deterministic. */
const RANDOM_FUNCTIONS = new Set(["random", "randomInt", "pickRandom"]);

/**
 * Throws unless σ and σ′ are finite at every probe point, give the same value twice, and σ′ is
 * not 0 at all of them (σ constant in z).
 */
function probeActivation(act: Activation, refuse: (why: string) => RangeError): void {
  const atF: string[] = [], atDf: string[] = [];
  let flat = true;
  for (const z of ACTIVATION_PROBES) {
    const f = Number(act.f(z)), df = Number(act.df(z));
    if (!Object.is(f, Number(act.f(z))) || !Object.is(df, Number(act.df(z)))) {
      throw refuse(
        `it gives different values for the same z = ${z}: an activation must be deterministic`,
      );
    }
    if (!Number.isFinite(f)) atF.push(`${z} (${f})`);
    if (!Number.isFinite(df)) atDf.push(`${z} (${df})`);
    if (df !== 0) flat = false;
  }
  if (atF.length + atDf.length > 0) {
    const faults = [];
    if (atF.length > 0) faults.push(`σ is not finite at z = ${atF.join(", ")}`);
    if (atDf.length > 0) faults.push(`σ′ is not finite at z = ${atDf.join(", ")}`);
    throw refuse(
      `${faults.join("; ")}. σ and σ′ must be finite at every z in {${
        ACTIVATION_PROBES.join(", ")
      }}, or training meets NaN`,
    );
  }
  if (flat) {
    throw refuse(
      `it is constant in z (σ′ is 0 at every z in {${
        ACTIVATION_PROBES.join(", ")
      }}), so no gradient flows through it`,
    );
  }
}

/** Translates a mathjs expression tree into JavaScript source, or null for unsupported nodes. */
function toJs(node: MathNode): string | null {
  const n = node as MathNode & {
    type: string;
    value?: unknown;
    name?: string;
    fn?: string | { name: string };
    args?: MathNode[];
    content?: MathNode;
  };
  switch (n.type) {
    case "ConstantNode":
      return typeof n.value === "number" ? `(${n.value})` : null;
    case "SymbolNode":
      return n.name === "z" ? "z" : constants[n.name ?? ""] ?? null;
    case "ParenthesisNode":
      return n.content ? toJs(n.content) : null;
    case "OperatorNode": {
      const args = (n.args ?? []).map(toJs);
      if (args.some((a) => a === null)) return null;
      const fn = typeof n.fn === "string" ? n.fn : "";
      if (args.length === 1 && fn === "unaryMinus") return `(-${args[0]})`;
      if (args.length === 1 && fn === "unaryPlus") return `(${args[0]})`;
      const op = jsOperators[fn];
      return op && args.length === 2 ? `(${args[0]} ${op} ${args[1]})` : null;
    }
    case "FunctionNode": {
      const name = typeof n.fn === "object" ? n.fn.name : "";
      const js = jsFunctions[name];
      const args = (n.args ?? []).map(toJs);
      if (!js || args.length !== 1 || args[0] === null) return null;
      return `(${js}(${args[0]}))`;
    }
    default:
      return null;
  }
}

/** A scalar function of z from a mathjs tree: plain JavaScript where possible, else mathjs. */
function compileScalar(node: MathNode): (z: number) => number {
  const js = toJs(node);
  if (js !== null) return new Function("z", `"use strict"; return ${js};`) as (z: number) => number;
  const code = node.compile();
  return (z: number) => Number(code.evaluate({ z }));
}

/**
 * An activation from a mathjs expression in `z`, for example `"z / (1 + exp(-z))"` (SiLU).
 * σ′ is mathjs's symbolic derivative. Both are compiled to plain JavaScript when every function
 * used has a Math equivalent, and evaluated by mathjs otherwise.
 *
 * @throws {SyntaxError} when the text does not parse
 * @throws {RangeError} when the expression uses a symbol other than z (and the constants e, pi),
 *   does not depend on z, is an assignment, a function definition or several statements, draws
 *   random numbers, cannot be differentiated by mathjs, is constant in z, or has a σ or σ′ that
 *   is not finite at one of the {@link ACTIVATION_PROBES} (naming the points)
 * @example SiLU and its derivative
 * ```ts
 * import { activationFromExpression } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 *
 * const silu = activationFromExpression("z / (1 + exp(-z))");
 * assert.equal(silu.f(0), 0);
 * assert.equal(silu.df(0), 0.5);
 * assert.throws(() => activationFromExpression("x + 1"), /symbol x/);
 * assert.throws(() => activationFromExpression("abs(z)"), /σ′ is not finite at z = 0 \(NaN\)/);
 * assert.throws(() => activationFromExpression("z * 0"), /constant in z/);
 * ```
 */
export function activationFromExpression(expression: string): Activation {
  let node: MathNode;
  try {
    node = mathjs().parse(expression);
  } catch (e) {
    throw new SyntaxError(
      `cannot parse the activation expression '${expression}': ${(e as Error).message}`,
    );
  }
  const refuse = (why: string) =>
    new RangeError(`cannot use '${expression}' as an activation: ${why}`);
  const symbols = new Set<string>();
  node.traverse((child, _path, parent) => {
    const c = child as MathNode & { type: string; name?: string; fn?: { name?: string } };
    if (c.type === "FunctionAssignmentNode") {
      throw refuse("it defines a function; give its body alone, for example 'z^2' for f(z) = z^2");
    }
    if (c.type === "AssignmentNode") {
      throw refuse("it is an assignment; give the expression in z alone, for example 'z^2'");
    }
    if (c.type === "BlockNode") throw refuse("it holds several statements; give one expression");
    if (c.type === "FunctionNode" && RANDOM_FUNCTIONS.has(c.fn?.name ?? "")) {
      throw refuse(
        `it calls ${c.fn?.name}(), which draws a new number at every call: an activation must be deterministic`,
      );
    }
    const isFunctionName = parent !== null &&
      (parent as MathNode & { type: string }).type === "FunctionNode" &&
      (parent as unknown as { fn: MathNode }).fn === child;
    if (c.type === "SymbolNode" && !isFunctionName) symbols.add(c.name ?? "");
  });
  for (const s of symbols) {
    if (s !== "z" && !(s in constants)) {
      throw new RangeError(
        `cannot use '${expression}' as an activation: it must be a function of z alone, but it uses the symbol ${s}`,
      );
    }
  }
  if (!symbols.has("z")) {
    throw new RangeError(
      `cannot use '${expression}' as an activation: it does not depend on z`,
    );
  }
  let dNode: MathNode;
  try {
    dNode = mathjs().derivative(node, "z");
  } catch (e) {
    throw new RangeError(
      `cannot use '${expression}' as an activation: mathjs cannot differentiate it (${
        (e as Error).message
      })`,
    );
  }
  const f = compileScalar(node), df = compileScalar(dNode);
  const activation: Activation = {
    name: expression,
    f,
    df,
    expression,
    forward(z, { out, n }) {
      for (let i = 0; i < n; i++) out[i] = f(z[i]);
    },
    backward(g, { z, out, n }) {
      for (let i = 0; i < n; i++) out[i] = g[i] * df(z[i]);
    },
  };
  probeActivation(activation, refuse);
  return activation;
}

/**
 * The activation named `spec` (identity, relu, tanh, sigmoid, softplus), a mathjs expression in z,
 * or `spec` itself when it is already an Activation.
 *
 * @throws {RangeError} for an unknown name that is not an expression in z, and for an Activation
 *   object that lacks a method or whose σ or σ′ is not finite at one of the
 *   {@link ACTIVATION_PROBES}
 * @example
 * ```ts
 * import { resolveActivation, tanh } from "@lib/activations.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveActivation("tanh"), tanh);
 * assert.equal(resolveActivation("z * z").df(3), 6);
 * assert.throws(() => resolveActivation("tahn"), /unknown activation 'tahn'/);
 * ```
 */
export function resolveActivation(spec: string | Activation): Activation {
  if (typeof spec !== "string") return checkedActivation(spec);
  const known = Object.hasOwn(activations, spec) ? activations[spec] : undefined;
  if (known) return known;
  let mentionsZ = false;
  try {
    mathjs().parse(spec).traverse((c) => {
      const s = c as MathNode & { type: string; name?: string };
      if (s.type === "SymbolNode" && s.name === "z") mentionsZ = true;
    });
  } catch {
    // not an expression: reported below as an unknown name
  }
  if (!mentionsZ) {
    throw new RangeError(
      `unknown activation '${spec}': expected one of ${
        Object.keys(activations).join(", ")
      } or a mathjs expression in z`,
    );
  }
  return activationFromExpression(spec);
}

const builtIn = new Set<unknown>(Object.values(activations));

/** An Activation object given directly, checked like an expression (built-ins pass as they are). */
function checkedActivation(spec: Activation): Activation {
  if (builtIn.has(spec)) return spec;
  const act = spec as Partial<Activation> | null | undefined;
  const missing = ["f", "df", "forward", "backward"].filter((k) =>
    typeof (act as Record<string, unknown> | null)?.[k] !== "function"
  );
  if (typeof act?.name !== "string" || missing.length > 0) {
    throw new RangeError(
      `cannot use ${
        typeof act?.name === "string" ? `'${act.name}'` : describeValue(act)
      } as an activation: an Activation has a name and the methods f, df, forward and backward${
        missing.length > 0 ? ` (missing: ${missing.join(", ")})` : ""
      }; or give a name (${Object.keys(activations).join(", ")}) or an expression in z`,
    );
  }
  probeActivation(
    spec,
    (why) => new RangeError(`cannot use the activation '${spec.name}': ${why}`),
  );
  return spec;
}
