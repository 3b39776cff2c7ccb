/**
 * Where a non-finite gradient comes from. After a backward pass whose ∇θ_l holds a NaN or an
 * infinity, {@link gradientFault} finds the layer where backpropagation first met it (the highest
 * l, as δ flows from L down to 1) and traces it to its cause: the loss gradient, a σ′, or a product
 * of finite factors that overflows.
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";
import type { Mlp, MlpPass } from "./mlp.ts";
import { firstNonFinite } from "./validate.ts";

/**
 * The cause of a non-finite gradient: `"loss"` when ∂ℓ/∂x_L is not finite, `"activation"` when a
 * σ′ is not finite (or an activation's backward() disagrees with its df()), `"overflow"` when
 * every factor is finite but a product is too large (parameters or data too large: divergence).
 */
export type GradientFaultKind = "loss" | "activation" | "overflow";

/** A non-finite gradient traced to its cause by {@link gradientFault}. */
export interface GradientFault {
  /** The layer l whose ∇θ_l is not finite: the highest such l. */
  layer: number;
  /** The cause. */
  kind: GradientFaultKind;
  /** The unit (row of δ_l) at fault. */
  row: number;
  /** The batch column (the sample within the batch) at fault, or null for a sum over the batch. */
  col: number | null;
  /** The non-finite value found in ∇θ_l. */
  value: number;
  /** A sentence naming the layer, the entry and the cause, for error messages. */
  reason: string;
}

/**
 * A gradient that came out NaN or infinite, with the layer, the sample within the batch and the
 * cause. A RangeError.
 *
 * @example
 * ```ts
 * import { NonFiniteGradientError } from "@lib/gradient_fault.ts";
 * import assert from "node:assert/strict";
 * const e = new NonFiniteGradientError("cannot compute the gradient: …", {
 *   layer: 2, kind: "loss", row: 0, col: 3, value: NaN, reason: "…",
 * });
 * assert.ok(e instanceof RangeError);
 * assert.equal(e.layer, 2);
 * ```
 */
export class NonFiniteGradientError extends RangeError {
  /** The error's name. */
  override name = "NonFiniteGradientError";
  /** The layer l whose ∇θ_l is not finite. */
  readonly layer: number;
  /** The cause. */
  readonly kind: GradientFaultKind;
  /** The unit at fault. */
  readonly row: number;
  /** The batch column at fault, or null. */
  readonly col: number | null;
  /** The non-finite value. */
  readonly value: number;
  /** The sentence naming the layer, the entry and the cause. */
  readonly reason: string;

  /**
   * An error with a full message; the fields repeat the fault for programs.
   *
   * @param message the full message, starting with the failed action
   */
  constructor(message: string, fault: GradientFault & { cause?: unknown }) {
    super(message, fault.cause === undefined ? undefined : { cause: fault.cause });
    this.layer = fault.layer;
    this.kind = fault.kind;
    this.row = fault.row;
    this.col = fault.col;
    this.value = fault.value;
    this.reason = fault.reason;
  }
}

/**
 * The cause of a non-finite gradient after `model.backward(pass, gradOutput)`, or null when every
 * ∇θ_l of `pass` is finite. Scans the gradients once (O(parameters)); tracing the cause then reads
 * one entry of each array involved.
 *
 * @param gradOutput the ∇x_L that the backward pass started from (d_L × B)
 * @example A loss whose gradient is NaN where the output meets the target
 * ```ts
 * import { gradientFault } from "@lib/gradient_fault.ts";
 * import { Matrix, Mlp, Random } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const net = Mlp.create([1, 2, 1], { random: new Random(0) });
 * const pass = net.forward(Matrix.row([1, 2]));
 * const g = Matrix.row([0.5, NaN]);
 * net.backward(pass, g);
 * const fault = gradientFault(net, pass, g)!;
 * assert.equal(fault.layer, 2);
 * assert.equal(fault.kind, "loss");
 * assert.match(fault.reason, /∇θ_2 is NaN at \(0, 0\): the loss gradient ∂ℓ\/∂x_L is NaN at output 0 of sample 1 of the batch/);
 * ```
 */
export function gradientFault(model: Mlp, pass: MlpPass, gradOutput: Matrix): GradientFault | null {
  const L = model.layers, sizes = model.sizes, b = pass.batch;
  for (let l = L; l >= 1; l--) {
    const bad = firstNonFinite(pass.grads[l - 1]);
    if (bad === null) continue;
    const at = `∇θ_${l} is ${bad.value} at (${bad.row}, ${bad.col})`;
    const fault = (kind: GradientFaultKind, row: number, col: number | null, why: string) => ({
      layer: l,
      kind,
      row,
      col,
      value: bad.value,
      reason: `${at}: ${why}`,
    });
    const d = firstNonFinite(pass.deltas[l - 1]);
    if (d === null) {
      const x = firstNonFinite(pass.xs[l - 1]);
      if (x !== null && l > 1) {
        const z = pass.zs[l - 2].data[x.row * b + x.col];
        return fault(
          "activation",
          x.row,
          x.col,
          `x_${l - 1} = σ_${l - 1}(z_${
            l - 1
          }) is ${x.value} at unit ${x.row} of sample ${x.col} of the batch (z = ${z}): σ_${
            l - 1
          } ('${model.activations[l - 2].name}') is not finite there`,
        );
      }
      return fault(
        "overflow",
        bad.row,
        null,
        `δ_${l} and x_${l - 1} are finite but δ_${l} · x_${
          l - 1
        }ᵀ overflows: the gradient is too large (the parameters or the data are too large)`,
      );
    }
    const { row: i, col: j } = d;
    const sample = `unit ${i} of sample ${j} of the batch`;
    let upstream: number;
    if (l === L) {
      upstream = gradOutput.data[i * b + j];
      if (!Number.isFinite(upstream)) {
        return fault(
          "loss",
          i,
          j,
          `the loss gradient ∂ℓ/∂x_L is ${upstream} at output ${i} of sample ${j} of the batch (x_L = ${
            pass.output.data[i * b + j]
          } there): the loss has no finite gradient at this output and target`,
        );
      }
    } else {
      const theta = model.thetas[l].data, cols = sizes[l] + 1, next = pass.deltas[l].data;
      upstream = 0;
      for (let k = 0; k < sizes[l + 1]; k++) upstream += theta[k * cols + i] * next[k * b + j];
      if (!Number.isFinite(upstream)) {
        return fault(
          "overflow",
          i,
          j,
          `θ̄_${l + 1}ᵀ · δ_${
            l + 1
          } overflows at ${sample}: the gradient is too large (the parameters or the data are too large)`,
        );
      }
    }
    const act = model.activations[l - 1], z = pass.zs[l - 1].data[i * b + j];
    const slope = act.df(z);
    if (!Number.isFinite(slope)) {
      return fault(
        "activation",
        i,
        j,
        `σ_${l}′ ('${act.name}') is ${slope} at z = ${z} (${sample}): the activation has no finite derivative there`,
      );
    }
    if (!Number.isFinite(slope * upstream)) {
      return fault(
        "overflow",
        i,
        j,
        `σ_${l}′(z) · g overflows at ${sample} (σ′ = ${slope}, g = ${upstream}): the gradient is too large`,
      );
    }
    return fault(
      "activation",
      i,
      j,
      `the backward() of σ_${l} ('${act.name}') gave ${d.value} at ${sample}, where σ_${l}′(${z}) = ${slope} and the upstream gradient is ${upstream}: its backward() disagrees with its df()`,
    );
  }
  return null;
}
