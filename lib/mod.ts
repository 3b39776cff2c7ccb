/**
 * sgdlab: a feed-forward network as a computation graph, a generic backpropagation, and the tools
 * to measure how SGD trains it. Everything is Float64 and seeded.
 *
 * This module is the library a notebook reader needs: the network, autograd, losses and
 * activations, data, samplers, training and the analyses (convergence speed, gradient variances,
 * the cost of the passes). The helpers around it are imported by path (`lib/plot.ts` charts and
 * the Jupyter display bundle, `lib/table.ts` tables, `lib/note.ts` prose, `lib/io.ts` CSV and
 * files, `lib/machine.ts` machine facts, `lib/assert_close.ts` assertions, `lib/stats.ts`,
 * `lib/format.ts`), and so are the reproductions (`lib/experiments/mod.ts`).
 *
 * @example Fit a tiny regression with the δ recursion and check it against autograd
 * ```ts
 * import { Matrix, Mlp, Random, backward, riskGraph } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const random = new Random(7);
 * const net = Mlp.create([1, 16, 1], { random, activation: "tanh" });
 * const x = Matrix.row([-1, -0.5, 0, 0.5, 1]);
 * const y = Matrix.row([1, 0.25, 0, 0.25, 1]); // y = x²
 * let first = 0, last = 0;
 * for (let step = 0; step < 300; step++) {
 *   const { loss, grads } = net.lossAndGradient(x, y, { loss: "squaredError" });
 *   if (step === 0) first = loss;
 *   last = loss;
 *   net.thetas.forEach((t, l) => t.data.forEach((_, k) => (t.data[k] -= 0.2 * grads[l].data[k])));
 * }
 * assert.ok(last < first / 10);
 *
 * const graph = riskGraph(net, { x, y, loss: "squaredError" });
 * backward(graph.risk);
 * const { grads } = net.lossAndGradient(x, y, { loss: "squaredError" });
 * assert.ok(Math.abs(graph.thetas[0].grad!.data[0] - grads[0].data[0]) < 1e-12);
 * ```
 *
 * @module
 */
// The network, autograd, losses and activations
export * from "./matrix.ts";
export * from "./random.ts";
export * from "./activations.ts";
export * from "./losses.ts";
export * from "./mlp.ts";
export * from "./autograd.ts";
export * from "./ops.ts";
export * from "./mlp_graph.ts";
export * from "./gradcheck.ts";
export * as kernels from "./kernels/mod.ts";
// Data
export * from "./datasets.ts";
// Samplers, SGD and training
export * from "./sampling/mod.ts";
export * from "./sgd.ts";
export * from "./train.ts";
export * from "./progress.ts";
// The analyses
export * from "./convergence.ts";
export * from "./convergence_monte_carlo.ts";
export * from "./flops.ts";
export * from "./pass_workload.ts";
export * from "./printed_backprop.ts";
