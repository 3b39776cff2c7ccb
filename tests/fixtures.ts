/**
 * Small shared test fixtures: a toy classification problem with its network, per-sample
 * gradient rows, and the χ² statistic.
 *
 * @module
 */
import { type Dataset, type Matrix, Mlp, oneHot, Random } from "@lib/mod.ts";

/**
 * A 3-class toy problem of n samples: x is `inputs`×n standard normal, sample i has label
 * i mod 3, and the network is inputs-hidden-3 with tanh, drawn after x from the same seed.
 */
export function toyClassification(
  n: number,
  options: { seed: number; inputs?: number; hidden?: number; withLabels?: boolean },
): { data: Dataset; model: Mlp } {
  const inputs = options.inputs ?? 3, hidden = options.hidden ?? 4;
  const random = new Random(options.seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data: Dataset = {
    name: "toy",
    x: random.normalMatrix(inputs, n),
    y: oneHot(labels, 3),
    labels: options.withLabels ? labels : null,
  };
  return { data, model: Mlp.create([inputs, hidden, 3], { random, activation: "tanh" }) };
}

/** The rows of an N×P per-sample gradient matrix, as views. */
export function gradientRows(G: Matrix): Float64Array[] {
  return Array.from({ length: G.rows }, (_, i) => G.data.subarray(i * G.cols, (i + 1) * G.cols));
}

/** χ² statistic of observed counts against expected counts (default: all equal). */
export function chiSquare(counts: number[], expected?: number[]): number {
  const total = counts.reduce((s, c) => s + c, 0);
  const e = expected ?? counts.map(() => total / counts.length);
  return counts.reduce((s, c, i) => s + (c - e[i]) ** 2 / e[i], 0);
}
