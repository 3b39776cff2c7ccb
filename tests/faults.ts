/**
 * Faulty parts for the tests of non-finite gradients: a loss that is finite everywhere but has no
 * finite gradient where the output meets the target, and a tanh whose backward() is wrong.
 *
 * @module
 */
import { type Activation, type Loss, Matrix, squaredError, tanh } from "@lib/mod.ts";

/** ℓ = √|x − y| on a single output: finite everywhere; ∂ℓ/∂x = sign(x − y) / (2√|x − y|) is NaN at x = y. */
export const rootError: Loss = {
  ...squaredError,
  name: "root error",
  values(output, target, out = new Float64Array(output.cols)) {
    for (let j = 0; j < output.cols; j++) {
      out[j] = Math.sqrt(Math.abs(output.data[j] - target.data[j]));
    }
    return out;
  },
  gradOutput(output, target, out = new Matrix(output.rows, output.cols)) {
    for (let j = 0; j < output.cols; j++) {
      const d = output.data[j] - target.data[j];
      out.data[j] = Math.sign(d) / (2 * Math.sqrt(Math.abs(d)));
    }
    return out;
  },
};

/** tanh whose backward() writes NaN into the last entry (the last unit of the last sample). */
export const brokenTanh: Activation = {
  ...tanh,
  name: "broken tanh",
  backward(g, { x, out, n }) {
    for (let i = 0; i < n; i++) out[i] = g[i] * (1 - x[i] * x[i]);
    out[n - 1] = NaN;
  },
};
