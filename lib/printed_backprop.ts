/**
 * The course's backward recursion as printed, for showing its slip numerically. The course writes
 * δ_{l−1} = σ′_{l−1}(z_{l−1}) ∘ (δ_l · θ_{l−1}); the correct recursion multiplies by the next
 * layer's matrix, transposed and without its bias column: δ_{l−1} = σ′_{l−1}(z_{l−1}) ∘ (θ̄_lᵀ · δ_l).
 *
 * @module
 */
import { type Loss, resolveLoss } from "./losses.ts";
import { Matrix } from "./matrix.ts";
import type { Mlp } from "./mlp.ts";

/** Which matrix the recursion multiplies δ_l by. */
export type RecursionMatrix = "printed" | "corrected";

/**
 * Gradients of the mean loss from a δ recursion that uses θ̄_{l−1}ᵀ (`"printed"`: the course's
 * layer index, with the transposition and bias column fixed so that shapes can fit at all) or
 * θ̄_lᵀ (`"corrected"`). The printed form only runs when consecutive layers have equal widths,
 * and then gives wrong gradients; elsewhere it fails with a shape error.
 *
 * @throws {RangeError} when the printed recursion's shapes do not fit, naming them
 * @example The printed recursion is wrong, the corrected one is the Mlp's
 * ```ts
 * import { Matrix, Mlp, Random, printedBackprop } from "@lib/mod.ts";
 * import { relativeDifference } from "@lib/assert_close.ts";
 * import assert from "node:assert/strict";
 * const random = new Random(1);
 * const net = Mlp.create([3, 3, 3, 3], { random });
 * const x = random.normalMatrix(3, 4), y = random.normalMatrix(3, 4);
 * const right = net.lossAndGradient(x, y, { loss: "squaredError" }).grads;
 * const fixed = printedBackprop(net, { x, y, loss: "squaredError", matrix: "corrected" });
 * const printed = printedBackprop(net, { x, y, loss: "squaredError", matrix: "printed" });
 * assert.ok(relativeDifference(fixed[0], right[0]) < 1e-14);
 * assert.ok(relativeDifference(printed[0], right[0]) > 0.01);
 * assert.throws(
 *   () => printedBackprop(Mlp.create([3, 5, 1], { random }), { x, y: Matrix.zeros(1, 4), loss: "squaredError", matrix: "printed" }),
 *   /printed recursion/,
 * );
 * ```
 */
export function printedBackprop(
  mlp: Mlp,
  args: { x: Matrix; y: Matrix; loss: string | Loss; matrix: RecursionMatrix },
): Matrix[] {
  const loss = resolveLoss(args.loss);
  const pass = mlp.forward(args.x);
  const L = mlp.layers, b = pass.batch;
  // δ_L = σ_L′(z_L) ∘ ∇_{x_L} ℓ / B (the course folds ∇ℓ into the update; it is the same product)
  const g = loss.gradOutput(pass.output, args.y);
  for (let k = 0; k < g.size; k++) g.data[k] /= b;
  const deltas: Matrix[] = new Array(L);
  deltas[L - 1] = hadamardDerivative(mlp, L, pass.z(L), g);
  for (let l = L; l > 1; l--) {
    const index = args.matrix === "printed" ? l - 1 : l;
    const theta = mlp.theta(index);
    const barCols = theta.cols - 1; // θ̄: θ without its bias column
    const delta = deltas[l - 1];
    const need = mlp.sizes[l - 1];
    if (theta.rows !== delta.rows || barCols !== need) {
      throw new RangeError(
        `cannot run the ${args.matrix} recursion at layer ${l}: θ̄_${index}ᵀ is ${barCols}x${theta.rows} and δ_${l} is ${delta.shape}, but δ_${
          l - 1
        } must be ${need}x${b}`,
      );
    }
    const prod = new Matrix(barCols, b);
    for (let i = 0; i < barCols; i++) {
      for (let j = 0; j < b; j++) {
        let s = 0;
        for (let r = 0; r < theta.rows; r++) s += theta.get(r, i) * delta.get(r, j);
        prod.set(i, j, s);
      }
    }
    deltas[l - 2] = hadamardDerivative(mlp, l - 1, pass.z(l - 1), prod);
  }
  return deltas.map((delta, i) => {
    const xPrev = pass.x(i), grad = new Matrix(delta.rows, xPrev.rows);
    for (let r = 0; r < delta.rows; r++) {
      for (let c = 0; c < xPrev.rows; c++) {
        let s = 0;
        for (let j = 0; j < b; j++) s += delta.get(r, j) * xPrev.get(c, j);
        grad.set(r, c, s);
      }
    }
    return grad;
  });
}

function hadamardDerivative(mlp: Mlp, l: number, z: Matrix, g: Matrix): Matrix {
  const sigma = mlp.activations[l - 1], out = new Matrix(g.rows, g.cols);
  for (let k = 0; k < g.size; k++) out.data[k] = sigma.df(z.data[k]) * g.data[k];
  return out;
}
