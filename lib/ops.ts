/**
 * Differentiable operations on {@link Node}s. Each op computes its value with the kernels and
 * states its vector-Jacobian product (VJP) right beside: given G = ∂(root)/∂(output), it adds
 * ∂(root)/∂(input) to each input.
 *
 * @module
 */
import { type Activation, resolveActivation } from "./activations.ts";
import { Node } from "./autograd.ts";
import * as k from "./kernels/mod.ts";
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";

function sameShape(action: string, a: Node, b: Node): void {
  if (a.value.rows !== b.value.rows || a.value.cols !== b.value.cols) {
    throw new RangeError(`cannot ${action} ${a.shape} and ${b.shape}: shapes differ`);
  }
}

/**
 * C = A·B. VJP: ∂A = G·Bᵀ, ∂B = Aᵀ·G.
 *
 * @throws {RangeError} when the inner sizes differ
 * @example
 * ```ts
 * import { Matrix, matmul, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const c = matmul(parameter(Matrix.from([[1, 2]])), parameter(Matrix.from([[3], [4]])));
 * assert.deepEqual(c.value.toArray(), [[11]]);
 * assert.throws(() => matmul(parameter(Matrix.zeros(3, 4)), parameter(Matrix.zeros(5, 2))),
 *   /cannot multiply 3x4 by 5x2: inner sizes differ/);
 * ```
 */
export function matmul(a: Node, b: Node): Node {
  const A = a.value, B = b.value;
  if (A.cols !== B.rows) {
    throw new RangeError(`cannot multiply ${A.shape} by ${B.shape}: inner sizes differ`);
  }
  const m = A.rows, inner = A.cols, n = B.cols;
  const out = new Matrix(m, n);
  k.matmul(A.data, B.data, { out: out.data, m, k: inner, n });
  return new Node(out, {
    op: "matmul",
    parents: [a, b],
    vjp: (g) => {
      if (a.requiresGrad) {
        const da = new Matrix(m, inner);
        k.matmulTransposeB(g.data, B.data, { out: da.data, m, k: n, n: inner });
        a.accumulate(da);
      }
      if (b.requiresGrad) {
        const db = new Matrix(inner, n);
        k.matmulTransposeA(A.data, g.data, { out: db.data, m: inner, k: m, n });
        b.accumulate(db);
      }
    },
  });
}

/**
 * C = A + B (same shapes). VJP: ∂A = G, ∂B = G.
 *
 * @example
 * ```ts
 * import { Matrix, add, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(add(parameter(Matrix.from([[1]])), parameter(Matrix.from([[2]]))).value.toArray(), [[3]]);
 * ```
 */
export function add(a: Node, b: Node): Node {
  sameShape("add", a, b);
  const out = a.value.clone();
  k.axpy(1, b.value.data, { out: out.data, n: out.size });
  return new Node(out, {
    op: "add",
    parents: [a, b],
    vjp: (g) => {
      a.accumulate(g);
      b.accumulate(g);
    },
  });
}

/**
 * C = A ∘ B (elementwise). VJP: ∂A = G ∘ B, ∂B = G ∘ A.
 *
 * @example
 * ```ts
 * import { Matrix, multiply, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(multiply(parameter(Matrix.from([[2, 3]])), parameter(Matrix.from([[4, 5]]))).value.toArray(), [[8, 15]]);
 * ```
 */
export function multiply(a: Node, b: Node): Node {
  sameShape("multiply elementwise", a, b);
  const out = new Matrix(a.value.rows, a.value.cols);
  k.hadamard(a.value.data, b.value.data, { out: out.data, n: out.size });
  return new Node(out, {
    op: "multiply",
    parents: [a, b],
    vjp: (g) => {
      const da = new Matrix(g.rows, g.cols), db = new Matrix(g.rows, g.cols);
      k.hadamard(g.data, b.value.data, { out: da.data, n: g.size });
      k.hadamard(g.data, a.value.data, { out: db.data, n: g.size });
      a.accumulate(da);
      b.accumulate(db);
    },
  });
}

/**
 * C = c·A for a constant number c. VJP: ∂A = c·G.
 *
 * @example
 * ```ts
 * import { Matrix, parameter, scale } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(scale(parameter(Matrix.from([[2]])), 3).value.toArray(), [[6]]);
 * ```
 */
export function scale(a: Node, c: number): Node {
  if (!Number.isFinite(c)) throw new RangeError(`cannot scale by ${c}: expected a finite number`);
  const out = new Matrix(a.value.rows, a.value.cols);
  k.axpy(c, a.value.data, { out: out.data, n: out.size });
  return new Node(out, {
    op: "scale",
    parents: [a],
    vjp: (g) => {
      const da = new Matrix(g.rows, g.cols);
      k.axpy(c, g.data, { out: da.data, n: g.size });
      a.accumulate(da);
    },
  });
}

/**
 * [A; 1]: appends a row of ones (the constant unit that carries the bias). VJP: ∂A = G without
 * its last row.
 *
 * @example
 * ```ts
 * import { Matrix, appendOnesRow, input } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(appendOnesRow(input(Matrix.from([[5, 6]]))).value.toArray(), [[5, 6], [1, 1]]);
 * ```
 */
export function appendOnesRow(a: Node): Node {
  const { rows, cols } = a.value;
  const out = new Matrix(rows + 1, cols);
  out.data.set(a.value.data);
  out.data.fill(1, rows * cols);
  return new Node(out, {
    op: "appendOnesRow",
    parents: [a],
    vjp: (g) => a.accumulate(new Matrix(rows, cols, g.data.slice(0, rows * cols))),
  });
}

/**
 * σ(A) elementwise. VJP: ∂A = σ′(A) ∘ G.
 *
 * @example
 * ```ts
 * import { Matrix, activate, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(activate(parameter(Matrix.from([[-1, 2]])), "relu").value.toArray(), [[0, 2]]);
 * ```
 */
export function activate(a: Node, activation: string | Activation): Node {
  const sigma = resolveActivation(activation);
  const out = new Matrix(a.value.rows, a.value.cols);
  sigma.forward(a.value.data, { out: out.data, n: out.size });
  return new Node(out, {
    op: `activate(${sigma.name})`,
    parents: [a],
    vjp: (g) => {
      const da = new Matrix(g.rows, g.cols);
      sigma.backward(g.data, { z: a.value.data, x: out.data, out: da.data, n: g.size });
      a.accumulate(da);
    },
  });
}

/**
 * The sum of all entries, 1×1. VJP: ∂A = G·1 (every entry gets G).
 *
 * @example
 * ```ts
 * import { Matrix, parameter, sum } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sum(parameter(Matrix.from([[1, 2], [3, 4]]))).value.get(0, 0), 10);
 * ```
 */
export function sum(a: Node): Node {
  let s = 0;
  for (const v of a.value.data) s += v;
  return new Node(Matrix.filled(1, 1, s), {
    op: "sum",
    parents: [a],
    vjp: (g) => a.accumulate(Matrix.filled(a.value.rows, a.value.cols, g.data[0])),
  });
}

/**
 * The mean of all entries, 1×1. VJP: ∂A = G / (number of entries).
 *
 * @throws {RangeError} for an empty matrix
 * @example
 * ```ts
 * import { Matrix, mean, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mean(parameter(Matrix.from([[1, 2], [3, 4]]))).value.get(0, 0), 2.5);
 * ```
 */
export function mean(a: Node): Node {
  const n = a.value.size;
  if (n === 0) throw new RangeError(`cannot take the mean of a ${a.shape} matrix: it is empty`);
  let s = 0;
  for (const v of a.value.data) s += v;
  return new Node(Matrix.filled(1, 1, s / n), {
    op: "mean",
    parents: [a],
    vjp: (g) => a.accumulate(Matrix.filled(a.value.rows, a.value.cols, g.data[0] / n)),
  });
}

/**
 * The per-sample losses ℓ_j = ℓ(output column j, target column j), 1×B. The target is data.
 * VJP: ∂output column j = G_j · ∂ℓ_j/∂x_L (the loss's own gradient).
 *
 * @example
 * ```ts
 * import { Matrix, input, lossPerSample, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const l = lossPerSample(parameter(Matrix.from([[1, 3]])), input(Matrix.from([[0, 0]])), "squaredError");
 * assert.deepEqual(l.value.toArray(), [[0.5, 4.5]]);
 * ```
 */
export function lossPerSample(output: Node, target: Node, loss: string | Loss): Node {
  const l = resolveLoss(loss);
  const values = l.values(output.value, target.value);
  return new Node(new Matrix(1, values.length, values), {
    op: `loss(${l.name})`,
    parents: [output, target],
    vjp: (g) => {
      const d = l.gradOutput(output.value, target.value);
      k.scaleColumns(d.data, { scale: g.data, rows: d.rows, cols: d.cols });
      output.accumulate(d);
    },
  });
}

/**
 * (1/B) Σ_j w_j v_j for a 1×B row v and constant weights w (sampling weights): 1×1.
 * VJP: ∂v_j = G · w_j / B.
 *
 * @throws {RangeError} when v is not a row or the weights do not match
 * @example
 * ```ts
 * import { Matrix, parameter, weightedMean } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(weightedMean(parameter(Matrix.from([[1, 3]])), [2, 0]).value.get(0, 0), 1);
 * ```
 */
export function weightedMean(v: Node, weights: ArrayLike<number>): Node {
  const { rows, cols } = v.value;
  if (rows !== 1 || cols !== weights.length || cols === 0) {
    throw new RangeError(
      `cannot take a weighted mean of a ${v.shape} matrix with ${weights.length} weights: expected a 1xB row with B = ${weights.length} > 0`,
    );
  }
  let s = 0;
  for (let j = 0; j < cols; j++) s += weights[j] * v.value.data[j];
  return new Node(Matrix.filled(1, 1, s / cols), {
    op: "weightedMean",
    parents: [v],
    vjp: (g) => {
      const d = new Matrix(1, cols);
      for (let j = 0; j < cols; j++) d.data[j] = g.data[0] * weights[j] / cols;
      v.accumulate(d);
    },
  });
}
