/**
 * A network's parameters as one vector, θ_1, θ_2, … each row-major (bias last in each row), and
 * back: the flattening every per-sample gradient, distance ‖θ − θ*‖² and S computation shares.
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";
import type { Mlp } from "./mlp.ts";

/**
 * The parameters of a network as one vector: θ_1, θ_2, … each row-major (bias last in each row).
 *
 * @example
 * ```ts
 * import { parameterVector } from "@lib/parameter_vector.ts";
 * import { Matrix, Mlp, identity } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = new Mlp([Matrix.from([[1, 2]]), Matrix.from([[3, 4]])], [identity, identity]);
 * assert.deepEqual(Array.from(parameterVector(net)), [1, 2, 3, 4]);
 * ```
 */
export function parameterVector(model: Mlp, out?: Float64Array): Float64Array {
  return flattenMatrices(model.thetas, out);
}

/**
 * Writes a vector from {@link parameterVector} back into the network's θ_l.
 *
 * @throws {RangeError} when the length is not the parameter count
 * @example
 * ```ts
 * import { parameterVector, setParameterVector } from "@lib/parameter_vector.ts";
 * import { Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([2, 3, 1], { random: new Random(0) });
 * const v = parameterVector(net).map((x) => 2 * x);
 * setParameterVector(net, v);
 * assert.deepEqual(parameterVector(net), v);
 * ```
 */
export function setParameterVector(model: Mlp, vector: ArrayLike<number>): void {
  const count = model.parameterCount;
  if (vector.length !== count) {
    throw new RangeError(
      `cannot set the parameters: the vector has ${vector.length} entries, the network ${count}`,
    );
  }
  let offset = 0;
  for (const t of model.thetas) {
    for (let k = 0; k < t.size; k++) t.data[k] = vector[offset + k];
    offset += t.size;
  }
}

/**
 * Concatenates matrices row-major into one vector: a gradient list ∇_{θ_1}, ∇_{θ_2}, … flattened
 * in the order of {@link parameterVector}.
 *
 * @example
 * ```ts
 * import { flattenMatrices } from "@lib/parameter_vector.ts";
 * import { Matrix } from "@lib/matrix.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Array.from(flattenMatrices([Matrix.from([[1], [2]]), Matrix.row([3])])), [1, 2, 3]);
 * ```
 */
export function flattenMatrices(matrices: readonly Matrix[], out?: Float64Array): Float64Array {
  const total = matrices.reduce((s, m) => s + m.size, 0);
  const v = out ?? new Float64Array(total);
  if (v.length !== total) {
    throw new RangeError(`cannot flatten ${total} values into a vector of ${v.length}`);
  }
  let offset = 0;
  for (const m of matrices) {
    v.set(m.data, offset);
    offset += m.size;
  }
  return v;
}
