/**
 * Reverse-mode automatic differentiation on a general graph of matrix operations. A {@link Node}
 * holds a value, the nodes it was computed from, and a closure that turns the gradient of the
 * node into gradients of its parents (the vector-Jacobian product). {@link backward} sorts the
 * graph topologically, seeds the root with 1 and runs the closures in reverse, accumulating, so
 * a node used twice receives the sum of both contributions.
 *
 * @module
 */
import { axpy } from "./kernels/mod.ts";
import { Matrix } from "./matrix.ts";

/** A value in a computation graph. */
export class Node {
  /** The value computed by the forward pass. */
  readonly value: Matrix;
  /** The operation that made it ("input", "parameter", "constant" for leaves). */
  readonly op: string;
  /** The nodes this one was computed from. */
  readonly parents: readonly Node[];
  /** A display name (θ_1, x_L, …), or "". */
  readonly label: string;
  /** Whether gradients flow to and through this node. */
  readonly requiresGrad: boolean;
  /** ∂(root)/∂(this node), set by {@link backward}. */
  grad: Matrix | null = null;
  /** The vector-Jacobian product: given this node's gradient, accumulate into the parents. */
  readonly vjp: ((grad: Matrix) => void) | null;

  /** Builds a node; ops call this, users call {@link parameter}, {@link input} or {@link constant}. */
  constructor(
    value: Matrix,
    spec: {
      op: string;
      parents?: readonly Node[];
      vjp?: (grad: Matrix) => void;
      label?: string;
      requiresGrad?: boolean;
    },
  ) {
    this.value = value;
    this.op = spec.op;
    this.parents = spec.parents ?? [];
    this.label = spec.label ?? "";
    this.requiresGrad = spec.requiresGrad ?? this.parents.some((p) => p.requiresGrad);
    this.vjp = this.requiresGrad ? spec.vjp ?? null : null;
  }

  /** The value's shape, "rowsxcols". */
  get shape(): string {
    return this.value.shape;
  }

  /**
   * Adds `contribution` to this node's gradient (allocating it at the first contribution).
   *
   * @example
   * ```ts
   * import { Matrix, parameter } from "@lib/mod.ts";
   * import assert from "node:assert/strict";
   * const p = parameter(Matrix.from([[0, 0]]));
   * p.accumulate(Matrix.from([[1, 2]]));
   * p.accumulate(Matrix.from([[1, 2]]));
   * assert.deepEqual(p.grad?.toArray(), [[2, 4]]);
   * ```
   */
  accumulate(contribution: Matrix): void {
    if (!this.requiresGrad) return;
    if (contribution.rows !== this.value.rows || contribution.cols !== this.value.cols) {
      throw new RangeError(
        `cannot accumulate a ${contribution.shape} gradient into a ${this.shape} node (${this.op})`,
      );
    }
    if (this.grad === null) this.grad = contribution.clone();
    else axpy(1, contribution.data, { out: this.grad.data, n: contribution.size });
  }
}

/**
 * A leaf we differentiate with respect to (a weight matrix θ_l, say).
 *
 * @example
 * ```ts
 * import { Matrix, parameter } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parameter(Matrix.zeros(2, 3), "θ_1").requiresGrad, true);
 * ```
 */
export function parameter(value: Matrix, label = ""): Node {
  return new Node(value, { op: "parameter", label, requiresGrad: true });
}

/**
 * A leaf that carries data (x, y): no gradient is computed for it.
 *
 * @example
 * ```ts
 * import { Matrix, input } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(input(Matrix.zeros(1, 1), "x").requiresGrad, false);
 * ```
 */
export function input(value: Matrix, label = ""): Node {
  return new Node(value, { op: "input", label, requiresGrad: false });
}

/**
 * A constant leaf (sampling weights, say): no gradient flows to it.
 *
 * @example
 * ```ts
 * import { Matrix, constant } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(constant(Matrix.filled(1, 3, 1)).op, "constant");
 * ```
 */
export function constant(value: Matrix, label = ""): Node {
  return new Node(value, { op: "constant", label, requiresGrad: false });
}

/**
 * The nodes `root` depends on, each after all of its parents (depth-first, iterative).
 *
 * @example
 * ```ts
 * import { Matrix, parameter, sum, topologicalOrder } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const a = parameter(Matrix.from([[1]]), "a");
 * const s = sum(a);
 * assert.deepEqual(topologicalOrder(s).map((n) => n.op), ["parameter", "sum"]);
 * ```
 */
export function topologicalOrder(root: Node): Node[] {
  const order: Node[] = [], seen = new Set<Node>();
  const stack: Array<{ node: Node; next: number }> = [{ node: root, next: 0 }];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.parents.length) {
      const p = top.node.parents[top.next++];
      if (!seen.has(p)) {
        seen.add(p);
        stack.push({ node: p, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}

/**
 * Reverse-mode differentiation of a scalar (1×1) root: clears the gradients of the graph, seeds
 * ∂root/∂root = 1, then calls each node's vector-Jacobian product in reverse topological order.
 * Afterwards every node that requires a gradient holds ∂root/∂node in `grad` (zeros if unused).
 *
 * @throws {RangeError} when the root is not 1×1
 * @example d(a·b)/da = b
 * ```ts
 * import { Matrix, backward, matmul, parameter, sum } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const a = parameter(Matrix.from([[2, 3]])), b = parameter(Matrix.from([[5], [7]]));
 * backward(sum(matmul(a, b)));
 * assert.deepEqual(a.grad?.toArray(), [[5, 7]]);
 * ```
 */
export function backward(root: Node): Node[] {
  if (root.value.rows !== 1 || root.value.cols !== 1) {
    throw new RangeError(
      `cannot differentiate a ${root.shape} node: backward needs a scalar (1x1) root, reduce it with sum or mean first`,
    );
  }
  const order = topologicalOrder(root);
  for (const node of order) node.grad = null;
  root.grad = Matrix.filled(1, 1, 1);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (node.requiresGrad && node.grad === null) {
      node.grad = new Matrix(node.value.rows, node.value.cols);
    }
    if (node.vjp && node.grad) node.vjp(node.grad);
  }
  return order;
}

/** One row of {@link describeGraph}. */
export interface GraphRow {
  /** Position in topological order. */
  id: number;
  /** The operation. */
  op: string;
  /** The label, or "". */
  label: string;
  /** The value's shape. */
  shape: string;
  /** Ids of the parents. */
  parents: number[];
}

/**
 * The graph below `root` as a table, nodes numbered in topological order.
 *
 * @example
 * ```ts
 * import { Matrix, describeGraph, parameter, sum } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const rows = describeGraph(sum(parameter(Matrix.zeros(2, 2), "w")));
 * assert.deepEqual(rows.map((r) => [r.id, r.op, r.parents]), [[0, "parameter", []], [1, "sum", [0]]]);
 * ```
 */
export function describeGraph(root: Node): GraphRow[] {
  const order = topologicalOrder(root);
  const ids = new Map(order.map((n, i) => [n, i]));
  return order.map((n, i) => ({
    id: i,
    op: n.op,
    label: n.label,
    shape: n.shape,
    parents: n.parents.map((p) => ids.get(p) as number),
  }));
}
