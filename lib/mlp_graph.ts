/**
 * An {@link Mlp} written as a computation graph of differentiable ops: the network f(x, Θ) and
 * the empirical risk L(x, y, Θ) built on top of it, so that autograd can differentiate either.
 *
 * @module
 */
import { input, type Node, parameter } from "./autograd.ts";
import type { Loss } from "./losses.ts";
import type { Matrix } from "./matrix.ts";
import type { Mlp } from "./mlp.ts";
import { activate, appendOnesRow, lossPerSample, matmul, mean, sum, weightedMean } from "./ops.ts";

/** The graph of f(x, Θ): its output node and its leaves. */
export interface NetworkGraph {
  /** x_L = f(x, Θ). */
  output: Node;
  /** The input leaf x. */
  x: Node;
  /** Parameter leaves θ_1..θ_L (sharing the network's matrices, not copies). */
  thetas: Node[];
}

/**
 * The graph of f(x, Θ) = σ_L(θ_L · [σ_{L−1}(θ_{L−1} · … [σ_1(θ_1 · [x; 1]); 1] …); 1]).
 *
 * @example
 * ```ts
 * import { Matrix, Mlp, Random, networkGraph } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([2, 3, 1], { random: new Random(0) });
 * const x = Matrix.from([[1], [2]]);
 * assert.deepEqual(networkGraph(net, x).output.value.data, net.predict(x).data);
 * ```
 */
export function networkGraph(mlp: Mlp, x: Matrix): NetworkGraph {
  const xNode = input(x, "x");
  const thetas = mlp.thetas.map((t, i) => parameter(t, `θ_${i + 1}`));
  let h = appendOnesRow(xNode);
  for (let l = 1; l <= mlp.layers; l++) {
    const z = matmul(thetas[l - 1], h);
    const a = activate(z, mlp.activations[l - 1]);
    h = l < mlp.layers ? appendOnesRow(a) : a;
  }
  return { output: h, x: xNode, thetas };
}

/** The graph of the empirical risk on a batch. */
export interface RiskGraph extends NetworkGraph {
  /** The scalar risk L(x, y, Θ). */
  risk: Node;
  /** The per-sample losses ℓ_i, 1×B. */
  losses: Node;
  /** The target leaf y. */
  y: Node;
}

/**
 * The empirical risk L(x, y, Θ) as a graph that contains the graph of f(x, Θ): per-sample losses
 * ℓ(f(x_i, Θ), y_i) reduced by a mean (default), a sum (the course's Σ), or a weighted mean
 * (1/B) Σ w_i ℓ_i with constant weights.
 *
 * @example The risk's gradient equals the δ recursion's
 * ```ts
 * import { Matrix, Mlp, Random, backward, riskGraph } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([2, 4, 1], { random: new Random(3) });
 * const x = Matrix.from([[1, 0], [0, 1]]), y = Matrix.from([[1, -1]]);
 * const g = riskGraph(net, { x, y, loss: "squaredError" });
 * backward(g.risk);
 * const { grads } = net.lossAndGradient(x, y, { loss: "squaredError" });
 * g.thetas.forEach((t, i) =>
 *   t.grad!.data.forEach((v, k) => assert.ok(Math.abs(v - grads[i].data[k]) < 1e-12)));
 * ```
 */
export function riskGraph(
  mlp: Mlp,
  args: {
    x: Matrix;
    y: Matrix;
    loss: string | Loss;
    reduction?: "mean" | "sum";
    weights?: ArrayLike<number>;
  },
): RiskGraph {
  const net = networkGraph(mlp, args.x);
  const y = input(args.y, "y");
  const losses = lossPerSample(net.output, y, args.loss);
  const risk = args.weights !== undefined
    ? weightedMean(losses, args.weights)
    : args.reduction === "sum"
    ? sum(losses)
    : mean(losses);
  return { ...net, y, losses, risk };
}
